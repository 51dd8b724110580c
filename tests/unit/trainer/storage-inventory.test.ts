/**
 * The storage inventory in Node, over the real stores of the Node environment: hub repos downloaded
 * by HubClient from the loopback test hub into a NodeDirectoryCache (a branch, a pinned commit, an
 * interrupted download, a dataset), a model folder copied by copyModelFiles, checkpoints in a
 * NodeCheckpointStorage, export folders. Sizes are checked against what the hub served and what the
 * test wrote; a deletion removes exactly one item; a run in progress keeps what it uses.
 * The same inventory over OPFS and IndexedDB in Chromium: storage-inventory-browser.test.ts.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupCacheListing } from '../../../src/model/cache-inventory';
import { HubClient, MemoryHubCache } from '../../../src/model/hub';
import { NodeDirectoryCache } from '../../../src/model/storage-node';
import { NodeCheckpointStorage } from '../../../src/grpo/checkpoint-node';
import { checkpointRunOf } from '../../../src/grpo/checkpoint-runs';
import { copyModelFiles } from '../../../src/worker/model-files';
import type { StoredItem, StoredItemRef } from '../../../src/worker/dashboard-api';
import { IDLE_STORAGE_USE, storageBlockedBy, storageUnloads } from '../../../src/worker/storage-inventory';
import { nodeTrainerEnvironment } from '../../../src/worker/trainer-env-node';
import { TrainerService, type TrainerEnvironment } from '../../../src/worker/trainer-service';
import type { TrainingRequest } from '../../../src/worker/training-api';
import { generatedFile, TestHub } from '../../support/test-hub';

const hub = new TestHub();
let dir: string;
let env: TrainerEnvironment;
const cacheDir = () => path.join(dir, 'hub');
const client = (repo: string, o: { revision?: string; repoType?: 'model' | 'dataset'; maxRetries?: number } = {}) =>
  new HubClient({ repo, baseUrl: hub.hubUrl, cache: new NodeDirectoryCache(cacheDir()), retryDelayMs: 0, ...o });

const text = (s: string) => new TextEncoder().encode(s);
const MODEL_FILES = ['config.json', 'weights.bin', 'onnx/extra.bin'];
/** Bytes the hub serves for each file, summed: the expected sizes come from the hub, not from the cache. */
async function hubBytes(repo: string, files: string[], commit?: string): Promise<number> {
  let n = 0;
  for (const f of files) n += (await hub.fileBytes(repo, f, commit)).byteLength;
  return n;
}

const item = (items: StoredItem[], ref: Partial<StoredItemRef>) => items.find((i) => Object.entries(ref).every(([k, v]) => (i.ref as Record<string, unknown>)[k] === v));

let commits: { tinyOld: string; tinyNew: string };
const ckptMeta = (id: string) => JSON.stringify({ id, note: 'ü'.repeat(5) });
const ckpts = [
  { id: 'run-20260101-000000-step000001', step: 1, bytes: 1000 },
  { id: 'run-20260101-000000-step000002', step: 2, bytes: 1500 },
  { id: 'run-20260202-000000-step000004', step: 4, bytes: 700 },
  { id: 'warmup-20260101-000000-warmup-step000003', step: 3, bytes: 300, kind: 'warmup' as const },
];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'webgrpo-storage-'));
  await hub.start();
  const files = { 'config.json': text('{"model_type":"gemma3_text"}'), 'weights.bin': generatedFile(300_000, 1), 'onnx/extra.bin': generatedFile(5_000, 2) };
  commits = { tinyOld: hub.commit('webgrpo/tiny', files), tinyNew: '' };
  hub.commit('webgrpo/tiny-b', { 'config.json': text('{"b":1}'), 'weights.bin': generatedFile(200_000, 3) });
  hub.commit('owner/partial', { 'weights.bin': generatedFile(400_000, 4) });
  hub.commit('b-mc2/sql-create-context', { 'sql_create_context_v4.json': text('[{"question":"q","context":"c","answer":"a"}]') }, { type: 'dataset' });

  // The old commit, then main moves and the new one is downloaded too: two snapshots, one ref.
  await client('webgrpo/tiny').download(MODEL_FILES);
  commits.tinyNew = hub.commit('webgrpo/tiny', { 'config.json': text('{"model_type":"gemma3_text","v":2}') });
  await client('webgrpo/tiny').download(MODEL_FILES);
  await client('webgrpo/tiny-b').download(['config.json', 'weights.bin']);
  // A download interrupted for good: a partial file.
  hub.dropAfter('weights.bin', 100_000, 10);
  await expect(client('owner/partial', { maxRetries: 0 }).download(['weights.bin'])).rejects.toThrow();
  hub.reset();
  await client('b-mc2/sql-create-context', { repoType: 'dataset' }).download(['sql_create_context_v4.json']);
  // A model folder kept in the browser's cache.
  const folder = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors'].map((n, i) => new File([new Uint8Array(1000 * (i + 1)).fill(i)], n));
  await copyModelFiles(new NodeDirectoryCache(cacheDir()), 'my model', folder);

  const storage = new NodeCheckpointStorage(path.join(dir, 'checkpoints'));
  for (const c of ckpts) await storage.save({ id: c.id, step: c.step, createdAt: `2026-01-0${c.step}T00:00:00.000Z`, modelId: 'webgrpo/tiny', ...(c.kind ? { kind: c.kind } : {}) }, { meta: ckptMeta(c.id), tensors: new Uint8Array(c.bytes).fill(c.step) });
  await mkdir(path.join(dir, 'merged'), { recursive: true });
  await writeFile(path.join(dir, 'merged', 'weights.bin'), new Uint8Array(12_345));
  await mkdir(path.join(dir, 'transformersjs', 'onnx'), { recursive: true });
  await writeFile(path.join(dir, 'transformersjs', 'onnx', 'model.onnx'), new Uint8Array(2_000));
  await writeFile(path.join(dir, 'transformersjs', 'config.json'), new Uint8Array(20));
  env = nodeTrainerEnvironment({ cacheDir: cacheDir(), checkpointDir: path.join(dir, 'checkpoints'), sqlWorkers: 1 });
}, 60_000);

afterAll(async () => {
  await hub.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('storage inventory (Node stores)', () => {
  it('lists every hub repo with its snapshots, sizes and state, the folder copy, the exports and the checkpoints per run', async () => {
    const inv = await new TrainerService(env).storageInventory();
    expect(inv.problems).toEqual([]);
    const tiny = item(inv.items, { kind: 'hub-repo', repo: 'webgrpo/tiny' })!;
    const oldBytes = await hubBytes('webgrpo/tiny', MODEL_FILES, commits.tinyOld);
    const newBytes = await hubBytes('webgrpo/tiny', MODEL_FILES, commits.tinyNew);
    expect(tiny).toMatchObject({ id: 'hub-model:webgrpo/tiny', files: 6, bytes: oldBytes + newBytes, state: 'complete', partialFiles: 0, blockedBy: null });
    expect(tiny.snapshots!.map((s) => ({ id: s.id, revisions: s.revisions, files: s.files })).sort((a, b) => a.revisions.length - b.revisions.length)).toEqual([
      { id: commits.tinyOld, revisions: [], files: 3 },
      { id: commits.tinyNew, revisions: ['main'], files: 3 },
    ]);
    expect(item(inv.items, { kind: 'hub-repo', repo: 'webgrpo/tiny-b' })).toMatchObject({ files: 2, bytes: await hubBytes('webgrpo/tiny-b', ['config.json', 'weights.bin']), state: 'complete' });
    const partial = item(inv.items, { kind: 'hub-repo', repo: 'owner/partial' })!;
    expect(partial).toMatchObject({ files: 1, state: 'partial', partialFiles: 1 });
    expect(partial.bytes).toBeGreaterThan(0);
    expect(partial.bytes).toBeLessThan(400_000);
    expect(item(inv.items, { kind: 'hub-repo', repoType: 'dataset' })).toMatchObject({ ref: { repo: 'b-mc2/sql-create-context' }, files: 1, bytes: (await hub.fileBytes('b-mc2/sql-create-context', 'sql_create_context_v4.json')).byteLength });
    expect(item(inv.items, { kind: 'folder-copy' })).toMatchObject({ ref: { name: 'my model' }, files: 4, bytes: 10_000, state: 'complete' });
    expect(item(inv.items, { kind: 'export', which: 'merged' })).toMatchObject({ files: 1, bytes: 12_345 });
    expect(item(inv.items, { kind: 'export', which: 'transformersjs' })).toMatchObject({ files: 2, bytes: 2_020 });
    const metaBytes = (id: string) => Buffer.byteLength(ckptMeta(id), 'utf8');
    const runA = item(inv.items, { kind: 'checkpoints', runId: 'run-20260101-000000' })!;
    expect(runA).toMatchObject({ ref: { runKind: 'grpo' }, files: 2, bytes: 2500 + metaBytes(ckpts[0]!.id) + metaBytes(ckpts[1]!.id), checkpoints: { modelId: 'webgrpo/tiny', steps: [1, 2] } });
    expect(item(inv.items, { kind: 'checkpoints', runId: 'warmup-20260101-000000' })).toMatchObject({ ref: { runKind: 'warmup' }, files: 1, checkpoints: { steps: [3] } });
    expect(item(inv.items, { kind: 'checkpoints', runId: 'run-20260202-000000' })).toMatchObject({ files: 1, checkpoints: { steps: [4] } });
    expect(inv.items).toHaveLength(10);
  });

  it('deletes one repo exactly: its files, snapshots, refs and folders; a repo whose name it prefixes keeps everything', async () => {
    const service = new TrainerService(env);
    const after = await service.deleteStored({ kind: 'hub-repo', repoType: 'model', repo: 'webgrpo/tiny' });
    expect(item(after.items, { repo: 'webgrpo/tiny' })).toBeUndefined();
    expect((await client('webgrpo/tiny').cacheStatus(MODEL_FILES)).map((s) => s.state)).toEqual(['missing', 'missing', 'missing']);
    expect((await client('webgrpo/tiny', { revision: commits.tinyOld }).cacheStatus(MODEL_FILES)).map((s) => s.state)).toEqual(['missing', 'missing', 'missing']);
    expect(existsSync(path.join(cacheDir(), 'webgrpo', 'tiny'))).toBe(false);
    expect(existsSync(path.join(cacheDir(), '.refs', 'models', 'webgrpo', 'tiny'))).toBe(false);
    // The neighbour is whole and still opens.
    const b = client('webgrpo/tiny-b');
    expect((await b.cacheStatus(['config.json', 'weights.bin'])).map((s) => s.state)).toEqual(['complete', 'complete']);
    const src = await b.open('weights.bin');
    expect(Buffer.from(await src.read(0, src.size)).equals(Buffer.from(await hub.fileBytes('webgrpo/tiny-b', 'weights.bin')))).toBe(true);
    expect(after.items).toHaveLength(9);

    await expect(service.deleteStored({ kind: 'hub-repo', repoType: 'model', repo: 'webgrpo/tiny' })).rejects.toThrow(/the cached model webgrpo\/tiny is not stored in this browser/);
    await expect(service.deleteStored({ kind: 'hub-repo', repoType: 'model' } as unknown as StoredItemRef)).rejects.toThrow(/cannot delete: a hub repo needs repoType model\|dataset and a repo id/);
    await expect(service.deleteStored({ kind: 'everything' } as unknown as StoredItemRef)).rejects.toThrow(/unknown kind of stored item "everything"/);
    expect((await service.storageInventory()).items).toHaveLength(9);
  });

  it('deletes a folder copy, an export and one run\'s checkpoints, and nothing of the others', async () => {
    const service = new TrainerService(env);
    let inv = await service.deleteStored({ kind: 'folder-copy', name: 'my model' });
    expect(item(inv.items, { kind: 'folder-copy' })).toBeUndefined();
    expect(existsSync(path.join(cacheDir(), 'local-folders'))).toBe(false);
    inv = await service.deleteStored({ kind: 'export', which: 'transformersjs' });
    expect(item(inv.items, { kind: 'export', which: 'transformersjs' })).toBeUndefined();
    expect(item(inv.items, { kind: 'export', which: 'merged' })).toMatchObject({ bytes: 12_345 });
    inv = await service.deleteStored({ kind: 'checkpoints', runId: 'run-20260101-000000', runKind: 'grpo' });
    const left = await new NodeCheckpointStorage(path.join(dir, 'checkpoints')).list();
    expect(left.map((c) => c.id)).toEqual([ckpts[3]!.id, ckpts[2]!.id]);
    // The warm-up run of the same time is another run: asking for it as GRPO's deletes nothing.
    await expect(service.deleteStored({ kind: 'checkpoints', runId: 'warmup-20260101-000000', runKind: 'grpo' })).rejects.toThrow(/not stored/);
    expect(inv.items.map((i) => i.id).sort()).toEqual(['checkpoints-grpo:run-20260202-000000', 'checkpoints-warmup:warmup-20260101-000000', 'export:merged', 'hub-dataset:b-mc2/sql-create-context', 'hub-model:owner/partial', 'hub-model:webgrpo/tiny-b']);
  });

  it('refuses to delete the model and dataset of a run in progress, with the reason; the rest stays deletable', async () => {
    let release: (() => void) | null = null;
    const gate = new Promise<void>((r) => (release = r));
    // The run stays in its first step (reading the model config) until the test lets it go.
    const service = new TrainerService({ ...env, modelConfig: async () => (await gate, Promise.reject(new Error('the test ends the run here'))) });
    const request: TrainingRequest = {
      model: { kind: 'hub', repo: 'webgrpo/tiny-b', endpoint: hub.hubUrl },
      dataset: { kind: 'hub', id: 'b-mc2/sql-create-context', endpoint: hub.hubUrl },
      config: { num_generations: 2, per_device_train_batch_size: 2, max_steps: 1 },
      rewards: [{ name: 'match_format_exactly', weight: 1 }],
      mode: 'lora',
      backend: 'wasm',
    };
    const run = service.train(request, () => {});
    const inv = await service.storageInventory();
    expect(item(inv.items, { repo: 'webgrpo/tiny-b' })!.blockedBy).toMatch(/the run in progress uses this model/);
    expect(item(inv.items, { repoType: 'dataset' })!.blockedBy).toMatch(/the run in progress reads this dataset/);
    expect(item(inv.items, { repo: 'owner/partial' })!.blockedBy).toBeNull();
    await expect(service.deleteStored({ kind: 'hub-repo', repoType: 'model', repo: 'webgrpo/tiny-b' })).rejects.toThrow(/^cannot delete the cached model webgrpo\/tiny-b: the run in progress uses this model: stop it/);
    await expect(service.deleteStored({ kind: 'hub-repo', repoType: 'dataset', repo: 'b-mc2/sql-create-context' })).rejects.toThrow(/the run in progress reads this dataset/);
    expect((await client('webgrpo/tiny-b').cacheStatus(['config.json', 'weights.bin'])).map((s) => s.state)).toEqual(['complete', 'complete']);
    await service.deleteStored({ kind: 'hub-repo', repoType: 'model', repo: 'owner/partial' });
    release!();
    expect(await run).toMatchObject({ status: 'failed' });
    // The run is over: now it goes.
    const after = await service.deleteStored({ kind: 'hub-repo', repoType: 'model', repo: 'webgrpo/tiny-b' });
    expect(after.items.map((i) => i.id).sort()).toEqual(['checkpoints-grpo:run-20260202-000000', 'checkpoints-warmup:warmup-20260101-000000', 'export:merged', 'hub-dataset:b-mc2/sql-create-context']);
  });
});

describe('what a run holds (StorageUse)', () => {
  const use = { ...IDLE_STORAGE_USE, active: true, model: { kind: 'stored-folder' as const, name: 'f' }, runs: [{ runId: 'run-1', kind: 'grpo' as const }] };
  it('blocks the run\'s checkpoints and folder copy, not another run\'s or the warm-up\'s of the same id', () => {
    expect(storageBlockedBy({ kind: 'checkpoints', runId: 'run-1', runKind: 'grpo' }, use)).toMatch(/saves its checkpoints here/);
    expect(storageBlockedBy({ kind: 'checkpoints', runId: 'run-1', runKind: 'warmup' }, use)).toBeNull();
    expect(storageBlockedBy({ kind: 'checkpoints', runId: 'run-2', runKind: 'grpo' }, use)).toBeNull();
    expect(storageBlockedBy({ kind: 'folder-copy', name: 'f' }, use)).toMatch(/uses this model/);
    expect(storageBlockedBy({ kind: 'folder-copy', name: 'g' }, use)).toBeNull();
    // A folder opened in place without a copy does not use the copy.
    expect(storageBlockedBy({ kind: 'folder-copy', name: 'f' }, { ...use, model: { kind: 'files', name: 'f', files: [] } })).toBeNull();
    expect(storageBlockedBy({ kind: 'export', which: 'merged' }, { ...IDLE_STORAGE_USE, exporting: true })).toMatch(/an export is being written/);
  });
  it('after a run, deleting the loaded model\'s files unloads it rather than refusing', () => {
    const loaded = { ...IDLE_STORAGE_USE, model: { kind: 'hub' as const, repo: 'a/b' }, modelLoaded: true };
    expect(storageBlockedBy({ kind: 'hub-repo', repoType: 'model', repo: 'a/b' }, loaded)).toBeNull();
    expect(storageUnloads({ kind: 'hub-repo', repoType: 'model', repo: 'a/b' }, loaded)).toBe(true);
    expect(storageUnloads({ kind: 'hub-repo', repoType: 'model', repo: 'a/c' }, loaded)).toBe(false);
    expect(storageBlockedBy({ kind: 'hub-repo', repoType: 'model', repo: 'a/b' }, { ...loaded, playing: true })).toMatch(/Playground is generating/);
  });
});

describe('grouping cache keys', () => {
  it('tells a one-segment repo from an owner/name repo under it, by refs and by commit-shaped segments', async () => {
    const cache = new MemoryHubCache();
    const c = (ch: string) => ch.repeat(40);
    const put = async (key: string, n: number) => {
      const w = await cache.beginWrite(key, 0, { commit: null, etag: null, size: n });
      await w.write(new Uint8Array(n));
      await cache.commit(key, { commit: null, etag: null, size: n });
    };
    await put(`solo/${c('a')}/config.json`, 10); // pinned commit, no ref
    await put(`solo/sub/${c('b')}/config.json`, 20); // repo "solo/sub"
    await put(`solo/sub/main/x.json`, 5); // a server without commits: the ref names the snapshot "main"
    await cache.setRef('models/solo/sub/dev', 'main');
    await put(`datasets/o/d/${c('c')}/data/train.json`, 7);
    const { repos } = groupCacheListing(await cache.list());
    expect(repos.map((r) => ({ t: r.repoType, repo: r.repo, files: r.files, bytes: r.bytes, snaps: r.snapshots.map((s) => `${s.id.slice(0, 4)}:${s.revisions}`).sort() }))).toEqual([
      { t: 'dataset', repo: 'o/d', files: 1, bytes: 7, snaps: ['cccc:'] },
      { t: 'model', repo: 'solo', files: 1, bytes: 10, snaps: ['aaaa:'] },
      { t: 'model', repo: 'solo/sub', files: 2, bytes: 25, snaps: ['bbbb:', 'main:dev'] },
    ]);
  });
  it('reads the run of a checkpoint id', () => {
    expect(checkpointRunOf({ id: 'run-x-step000012', step: 12, createdAt: '', modelId: 'm' })).toEqual({ runId: 'run-x', kind: 'grpo' });
    expect(checkpointRunOf({ id: 'warmup-x-warmup-step000002', step: 2, createdAt: '', modelId: 'm', kind: 'warmup' })).toEqual({ runId: 'warmup-x', kind: 'warmup' });
    expect(checkpointRunOf({ id: 'hand-made', step: 1, createdAt: '', modelId: 'm' })).toEqual({ runId: 'hand-made', kind: 'grpo' });
  });
});
