/**
 * The storage inventory in real headless Chromium over the browser's own stores: OpfsHubCache
 * (segment files, markers, refs) filled by HubClient downloads from the loopback test hub, the
 * export folders written by the merged-model sink, checkpoints in IndexedDB, another OPFS folder.
 * Sizes come from the hub and from what the test wrote; a deletion removes exactly one item and
 * survives a reload. Needs /usr/bin/chromium (Debian's chromium package).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StorageInventory, StoredItem, StoredItemRef } from '../../../src/worker/dashboard-api';
import { generatedFile, TestHub } from '../../support/test-hub';

const CHROMIUM = '/usr/bin/chromium';
const here = path.dirname(fileURLToPath(import.meta.url));
const SEGMENT = 64 * 1024;
const FILES = ['config.json', 'weights.bin', 'onnx/extra.bin'];
const hub = new TestHub();

const ENTRY = `
import { HubClient } from './src/model/hub';
import { OpfsHubCache } from './src/model/storage-opfs';
import { IndexedDbCheckpointStorage } from './src/grpo/checkpoint-idb';
import { OPFS_EXPORT_DIRS, opfsExportFolders, opfsOtherEntries } from './src/model/export-folders';
import { opfsMergedWeightsSink } from './src/model/merge-opfs';
import { IDLE_STORAGE_USE, deleteStoredItem, readStorageInventory } from './src/worker/storage-inventory';
const ROOT = 'inv-cache';
const cache = () => OpfsHubCache.open({ segmentBytes: ${SEGMENT}, rootDir: ROOT });
async function sources() {
  return {
    cache: await cache(),
    checkpoints: await IndexedDbCheckpointStorage.open('inv-checkpoints'),
    exports: opfsExportFolders(),
    estimate: () => navigator.storage.estimate(),
    other: () => opfsOtherEntries([ROOT, ...Object.values(OPFS_EXPORT_DIRS)]),
  };
}
const client = async (repo, o = {}) => new HubClient({ repo, baseUrl: location.origin, cache: await cache(), retryDelayMs: 0, ...o });
window.inv = {
  async download(repo, files, o) {
    try { await (await client(repo, o)).download(files); return 'ok'; } catch (e) { return String(e.message); }
  },
  async status(repo, files) { return (await (await client(repo)).cacheStatus(files)).map((s) => s.state); },
  async fill() {
    const s = await IndexedDbCheckpointStorage.open('inv-checkpoints');
    for (const [id, step, n, kind] of [['run-a-step000001', 1, 3000], ['run-a-step000002', 2, 5000], ['warmup-a-warmup-step000001', 1, 700, 'warmup']]) {
      await s.save({ id, step, createdAt: '2026-01-0' + step + 'T00:00:00.000Z', modelId: 'test/a', ...(kind ? { kind } : {}) }, { meta: '{"id":"' + id + '"}', tensors: new Uint8Array(n).fill(step) });
    }
    s.close();
    const sink = await opfsMergedWeightsSink(50000);
    await sink.write(new Uint8Array(50000).fill(9));
    await sink.finish();
    const root = await navigator.storage.getDirectory();
    const other = await (await root.getDirectoryHandle('someone-else', { create: true })).getFileHandle('f', { create: true });
    const w = await other.createWritable(); await w.write(new Uint8Array(1234)); await w.close();
    return true;
  },
  async inventory() { return readStorageInventory(await sources(), IDLE_STORAGE_USE); },
  async remove(ref) { try { return await deleteStoredItem(await sources(), ref); } catch (e) { return { error: String(e.message) }; } },
  async exists(names) {
    let dir = await navigator.storage.getDirectory();
    for (const n of names) { try { dir = await dir.getDirectoryHandle(n); } catch { return false; } }
    return true;
  },
  async ids() { const s = await IndexedDbCheckpointStorage.open('inv-checkpoints'); try { return (await s.list()).map((c) => c.id); } finally { s.close(); } },
};
`;

const chromiumAvailable = existsSync(CHROMIUM);
let browser: Browser;
let page: Page;
type Api = {
  inv: {
    download(repo: string, files: string[], o?: object): Promise<string>;
    status(repo: string, files: string[]): Promise<string[]>;
    fill(): Promise<boolean>;
    inventory(): Promise<StorageInventory>;
    remove(ref: StoredItemRef): Promise<{ bytes?: number; error?: string }>;
    exists(names: string[]): Promise<boolean>;
    ids(): Promise<string[]>;
  };
};
const find = (items: StoredItem[], id: string) => items.find((i) => i.id === id);

describe.skipIf(!chromiumAvailable)('storage inventory over OPFS and IndexedDB in Chromium', () => {
  beforeAll(async () => {
    const bundle = await build({ stdin: { contents: ENTRY, resolveDir: path.resolve(here, '../../..'), loader: 'ts' }, bundle: true, format: 'esm', platform: 'browser', write: false, target: 'es2022' });
    hub.pages.set('/inv.js', { type: 'text/javascript', body: bundle.outputFiles[0]!.text });
    hub.pages.set('/', { type: 'text/html', body: '<!doctype html><script type="module" src="/inv.js"></script>' });
    await hub.start();
    hub.commit('test/a', { 'config.json': new TextEncoder().encode('{"a":1}'), 'weights.bin': generatedFile(200_000, 1), 'onnx/extra.bin': generatedFile(70_000, 2) });
    hub.commit('test/a-b', { 'config.json': new TextEncoder().encode('{"b":2}'), 'weights.bin': generatedFile(100_000, 3) });
    hub.commit('test/partial', { 'weights.bin': generatedFile(300_000, 4) });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless=new', '--no-sandbox', '--disable-background-networking', '--no-first-run'] });
    page = await browser.newPage();
    await page.goto(`${hub.hubUrl}/`);
    await page.waitForFunction(() => 'inv' in window);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await hub.stop();
  });

  it('lists repos (segments summed, partial told apart), the export, checkpoints per run, other folders and the quota; deletes one item exactly, for good', async () => {
    expect(await page.evaluate(([f]) => (window as unknown as Api).inv.download('test/a', f), [FILES] as const)).toBe('ok');
    expect(await page.evaluate(() => (window as unknown as Api).inv.download('test/a-b', ['config.json', 'weights.bin']))).toBe('ok');
    hub.dropAfter('weights.bin', 150_000, 5);
    expect(await page.evaluate(() => (window as unknown as Api).inv.download('test/partial', ['weights.bin'], { maxRetries: 0 }))).not.toBe('ok');
    hub.reset();
    expect(await page.evaluate(() => (window as unknown as Api).inv.fill())).toBe(true);

    const bytes = async (repo: string, files: string[]) => (await Promise.all(files.map((f) => hub.fileBytes(repo, f)))).reduce((a, b) => a + b.byteLength, 0);
    const inv = await page.evaluate(() => (window as unknown as Api).inv.inventory());
    expect(inv.problems).toEqual([]);
    expect(find(inv.items, 'hub-model:test/a')).toMatchObject({ files: 3, bytes: await bytes('test/a', FILES), state: 'complete', snapshots: [{ id: hub.ref('test/a'), revisions: ['main'], files: 3 }] });
    expect(find(inv.items, 'hub-model:test/a-b')).toMatchObject({ files: 2, bytes: await bytes('test/a-b', ['config.json', 'weights.bin']), state: 'complete' });
    // The bytes served before the connection dropped, over three segment files (two full, one published at the failure).
    expect(find(inv.items, 'hub-model:test/partial')).toMatchObject({ state: 'partial', partialFiles: 1, files: 1, bytes: 150_000 });
    expect(find(inv.items, 'export:merged')).toMatchObject({ files: 1, bytes: 50_000 });
    const meta = (id: string) => `{"id":"${id}"}`.length;
    expect(find(inv.items, 'checkpoints-grpo:run-a')).toMatchObject({ files: 2, bytes: 8000 + meta('run-a-step000001') + meta('run-a-step000002'), checkpoints: { steps: [1, 2], modelId: 'test/a' } });
    expect(find(inv.items, 'checkpoints-warmup:warmup-a')).toMatchObject({ files: 1, bytes: 700 + meta('warmup-a-warmup-step000001') });
    expect(inv.other).toEqual([{ name: 'someone-else', bytes: 1234 }]);
    expect(inv.usage).toBeGreaterThan(0);
    expect(inv.quota).toBeGreaterThan(inv.usage!);
    expect(inv.items).toHaveLength(6);

    expect(await page.evaluate(() => (window as unknown as Api).inv.remove({ kind: 'hub-repo', repoType: 'model', repo: 'test/a' }))).toEqual({ bytes: await bytes('test/a', FILES) });
    expect(await page.evaluate(() => (window as unknown as Api).inv.remove({ kind: 'export', which: 'merged' }))).toEqual({ bytes: 50_000 });
    expect(await page.evaluate(() => (window as unknown as Api).inv.remove({ kind: 'checkpoints', runId: 'run-a', runKind: 'grpo' }))).toMatchObject({ bytes: 8000 + meta('run-a-step000001') + meta('run-a-step000002') });
    expect(await page.evaluate(() => (window as unknown as Api).inv.remove({ kind: 'folder-copy', name: 'nothing' }))).toEqual({ error: 'the copy of the model folder "nothing" is not stored in this browser (deleted already?)' });

    await page.reload();
    await page.waitForFunction(() => 'inv' in window);
    const after = await page.evaluate(() => (window as unknown as Api).inv.inventory());
    expect(after.items.map((i) => i.id).sort()).toEqual(['checkpoints-warmup:warmup-a', 'hub-model:test/a-b', 'hub-model:test/partial']);
    expect(await page.evaluate(([f]) => (window as unknown as Api).inv.status('test/a', f), [FILES] as const)).toEqual(['missing', 'missing', 'missing']);
    expect(await page.evaluate(() => (window as unknown as Api).inv.status('test/a-b', ['config.json', 'weights.bin']))).toEqual(['complete', 'complete']);
    expect(await page.evaluate(() => (window as unknown as Api).inv.exists(['inv-cache', 'test', 'a']))).toBe(false);
    expect(await page.evaluate(() => (window as unknown as Api).inv.exists(['inv-cache', '.refs', 'models', 'test', 'a']))).toBe(false);
    expect(await page.evaluate(() => (window as unknown as Api).inv.exists(['inv-cache', 'test', 'a-b']))).toBe(true);
    expect(await page.evaluate(() => (window as unknown as Api).inv.exists(['merged-model']))).toBe(false);
    expect(await page.evaluate(() => (window as unknown as Api).inv.exists(['someone-else']))).toBe(true);
    expect(await page.evaluate(() => (window as unknown as Api).inv.ids())).toEqual(['warmup-a-warmup-step000001']);
  }, 120_000);
});

it.runIf(!chromiumAvailable)('the browser storage inventory test needs /usr/bin/chromium (apt-get install chromium)', () => {
  console.warn('skipping the browser storage inventory test: /usr/bin/chromium is missing');
});
