/**
 * The OPFS hub cache in real headless Chromium (OPFS exists only in browsers): segment files that
 * survive a reload mid-write, resume from any offset, identity of partial files, refs; and a
 * download through the test hub (page on the hub's origin, weights from the CDN's) that resumes
 * after a dropped connection and opens from OPFS after a reload. The whole flow from the app's own
 * origin, with a reload mid-download: tests/e2e/hub-download.e2e.mjs.
 * Needs /usr/bin/chromium (Debian's chromium package, which .ci/run installs).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { FIXTURE_DIR } from './fixture';
import { TestHub } from '../../support/test-hub';

const CHROMIUM = '/usr/bin/chromium';
const here = path.dirname(fileURLToPath(import.meta.url));
const modelBytes = new Uint8Array(readFileSync(path.join(FIXTURE_DIR, 'model.safetensors')));
const SEGMENT = 64 * 1024;

const hub = new TestHub();

/** What the page exposes: the OPFS cache itself, and a thin driver around HubClient + OpfsHubCache. */
const ENTRY = `
import { HubClient } from './src/model/hub';
import { OpfsHubCache } from './src/model/storage-opfs';
import { SafetensorsReader } from './src/model/safetensors';
const cache = () => OpfsHubCache.open({ segmentBytes: ${SEGMENT}, rootDir: 'test-cache' });
async function client() {
  return new HubClient({ repo: 'test/tiny', baseUrl: location.origin, cache: await cache(), retryDelayMs: 0 });
}
const pattern = (n, seed) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 255);
const hex = async (b) => Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', b)), (x) => x.toString(16).padStart(2, '0')).join('');
let pending = null;
window.hubTest = {
  async status(paths) { return (await client()).cacheStatus(paths); },
  async download(paths) {
    const events = [];
    try { await (await client()).download(paths, (p) => events.push(p)); } catch (e) { return { error: String(e.message), events }; }
    return { events };
  },
  async tensorCount() {
    const r = await SafetensorsReader.open(await (await client()).open('model.safetensors'));
    const emb = await r.readFloat32('model.embed_tokens.weight');
    return { count: r.tensors.length, first: emb[0] };
  },
  // Writes n bytes in 10 kB chunks and leaves the writer open (as a reload mid-download does).
  async writeOpen(key, n) {
    const c = await cache();
    pending = await c.beginWrite(key, 0, { commit: 'c'.repeat(40), etag: '"e1"', size: 1000000 });
    const data = pattern(n, 1);
    for (let at = 0; at < n; at += 10000) await pending.write(data.subarray(at, at + 10000));
    return true;
  },
  async entry(key) {
    const c = await cache();
    const s = await c.status(key);
    const src = await c.openPartial(key);
    const bytes = src ? await src.read(0, src.size) : new Uint8Array(0);
    return { status: s, size: bytes.byteLength, sha256: await hex(bytes) };
  },
  async resumeAt(key, from, n) {
    const c = await cache();
    const w = await c.beginWrite(key, from, { commit: 'c'.repeat(40), etag: '"e1"', size: 1000000 });
    await w.write(pattern(n, 7));
    await w.close();
    await c.commit(key, { commit: 'c'.repeat(40), etag: '"e1"', size: from + n });
    const src = await c.open(key);
    const bytes = await src.read(0, src.size);
    return { status: await c.status(key), size: bytes.byteLength, sha256: await hex(bytes) };
  },
  async refs() {
    const c = await cache();
    const before = await c.getRef('models/a/b/main');
    await c.setRef('models/a/b/main', 'd'.repeat(40));
    await c.delete('a/b/x');
    return { before, after: await c.getRef('models/a/b/main'), other: await c.getRef('models/a/b/dev') };
  },
};
`;

const chromiumAvailable = existsSync(CHROMIUM);
let browser: Browser;
let page: Page;
const pattern = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 255);
const sha256 = (...parts: Uint8Array[]) => parts.reduce((h, p) => h.update(p), createHash('sha256')).digest('hex');

describe.skipIf(!chromiumAvailable)('OpfsHubCache in Chromium', () => {
  beforeAll(async () => {
    const bundle = await build({
      stdin: { contents: ENTRY, resolveDir: path.resolve(here, '../../..'), loader: 'ts' },
      bundle: true, format: 'esm', platform: 'browser', write: false, target: 'es2022',
    });
    hub.pages.set('/opfs.js', { type: 'text/javascript', body: bundle.outputFiles[0]!.text });
    hub.pages.set('/', { type: 'text/html', body: '<!doctype html><script type="module" src="/opfs.js"></script>' });
    await hub.start();
    hub.commit('test/tiny', {
      'config.json': new Uint8Array(readFileSync(path.join(FIXTURE_DIR, 'config.json'))),
      'model.safetensors': modelBytes,
      'bad.safetensors': modelBytes.slice(0, 5000),
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless=new', '--no-sandbox', '--disable-background-networking', '--no-first-run'] });
    page = await browser.newPage();
    await page.goto(`${hub.hubUrl}/`);
    await page.waitForFunction(() => 'hubTest' in window);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await hub.stop();
  });

  const reload = async () => {
    await page.reload();
    await page.waitForFunction(() => 'hubTest' in window);
  };

  it('keeps the closed segments of a writer that a reload interrupted, with the partial file identity', async () => {
    const n = 3 * SEGMENT + 20_000;
    await page.evaluate(([k, len]) => (window as any).hubTest.writeOpen(k, len), ['a/b/c/w.bin', n] as const);
    await reload();
    const e = await page.evaluate((k) => (window as any).hubTest.entry(k), 'a/b/c/w.bin');
    expect(e.status).toMatchObject({ state: 'partial', bytes: 3 * SEGMENT, commit: 'c'.repeat(40), etag: '"e1"', size: 1000000 });
    expect(e.sha256).toBe(sha256(pattern(n, 1).subarray(0, 3 * SEGMENT)));
  }, 60_000);

  it('resumes from any offset (cutting the segment it falls in), commits, and reads the file whole', async () => {
    const from = 2 * SEGMENT - 1234;
    const r = await page.evaluate(([k, f, len]) => (window as any).hubTest.resumeAt(k, f, len), ['a/b/c/w.bin', from, 100_000] as const);
    expect(r.status).toMatchObject({ state: 'complete', bytes: from + 100_000, commit: 'c'.repeat(40), etag: '"e1"' });
    expect(r.sha256).toBe(sha256(pattern(3 * SEGMENT + 20_000, 1).subarray(0, from), pattern(100_000, 7)));
    await reload();
    const e = await page.evaluate((k) => (window as any).hubTest.entry(k), 'a/b/c/w.bin');
    expect(e.status.state).toBe('complete');
    expect(e.size).toBe(from + 100_000);
    expect(e.sha256).toBe(r.sha256);
  }, 60_000);

  it('keeps refs and deletes entries', async () => {
    const r = await page.evaluate(() => (window as any).hubTest.refs());
    expect(r).toEqual({ before: null, after: 'd'.repeat(40), other: null });
  }, 60_000);

  it('downloads into OPFS through the hub and its CDN, resuming after a dropped connection, and survives a reload', async () => {
    hub.dropAfter('model.safetensors', 300_000);
    hub.requests.length = 0;
    const result = await page.evaluate(() => (window as any).hubTest.download(['config.json', 'model.safetensors']));
    expect(result.error).toBeUndefined();
    const gets = hub.requestsFor('model.safetensors', 'cdn').filter((r) => r.range !== 'bytes=0-0');
    expect(gets.map((r) => r.range)).toEqual([null, expect.stringMatching(/^bytes=\d+-$/)]);
    expect(result.events.at(-1).loaded).toBe(result.events.at(-1).total);

    await reload();
    const status = await page.evaluate(() => (window as any).hubTest.status(['config.json', 'model.safetensors', 'other.bin']));
    expect(status.map((s: { state: string }) => s.state)).toEqual(['complete', 'complete', 'missing']);
    expect(status[1].bytes).toBe(modelBytes.byteLength);
    hub.requests.length = 0;
    const t = await page.evaluate(() => (window as any).hubTest.tensorCount());
    expect(t.count).toBe(80);
    expect(t.first).toBeCloseTo(-0.5359274744987488, 7);
    // Only the question which commit main is; no file is downloaded again.
    expect(hub.requests.filter((r) => r.range !== 'bytes=0-0' && r.path !== null)).toEqual([]);
  }, 60_000);

  it('does not cache a truncated safetensors file', async () => {
    const result = await page.evaluate(() => (window as any).hubTest.download(['bad.safetensors']));
    expect(result.error).toMatch(/corrupt, not cached/);
    const status = await page.evaluate(() => (window as any).hubTest.status(['bad.safetensors']));
    expect(status[0].state).toBe('missing');
  }, 60_000);
});

it.runIf(!chromiumAvailable)('OPFS cache test needs /usr/bin/chromium (apt-get install chromium)', () => {
  console.warn('skipping the OPFS cache test: /usr/bin/chromium is missing');
});
