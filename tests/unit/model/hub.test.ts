import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HubClient, HubError, MemoryHubCache, type DownloadProgress, type HubCache } from '../../../src/model/hub';
import { NodeDirectoryCache } from '../../../src/model/storage-node';
import { serializeSafetensors } from '../../../src/model/safetensors';
import { FIXTURE_DIR } from './fixture';
import { LocalHubServer, fileReader } from './hub-server';

const REPO = 'test/tiny-gemma3-a';
const FILES = ['config.json', 'generation_config.json', 'model.safetensors', 'adapter/adapter_config.json', 'adapter/adapter_model.safetensors'];
const fixtureBytes = (p: string) => new Uint8Array(readFileSync(path.join(FIXTURE_DIR, p)));

const modelBytes = fixtureBytes('model.safetensors');
const truncatedModel = (() => {
  // Consistent HTTP size, but the safetensors data is cut short: a corrupt upload / mirror.
  return modelBytes.slice(0, modelBytes.byteLength - 1000);
})();

const server = new LocalHubServer({
  repos: {
    [REPO]: {
      ...Object.fromEntries(FILES.map((f) => [f, fileReader(path.join(FIXTURE_DIR, f))])),
      'broken/model.safetensors': truncatedModel,
      'broken/config.json': new TextEncoder().encode('{"model_type": "gemma3_text", '),
    },
    'test/sharded': {
      'model.safetensors.index.json': new TextEncoder().encode(JSON.stringify({ weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors' } })),
      'model-00001-of-00002.safetensors': serializeSafetensors([{ name: 'a', shape: [2], data: new Float32Array([1, 2]) }]),
      'model-00002-of-00002.safetensors': serializeSafetensors([{ name: 'b', shape: [1], data: new Float32Array([3]) }]),
    },
  },
});

let dir: string;
const client = (cache?: HubCache, extra: Partial<ConstructorParameters<typeof HubClient>[0]> = {}) =>
  new HubClient({ repo: REPO, baseUrl: server.baseUrl, cache: cache ?? new NodeDirectoryCache(dir), retryDelayMs: 0, ...extra });

beforeAll(() => server.start());
afterAll(() => server.stop());
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'webgrpo-hub-'));
  server.requests.length = 0;
  server.ignoreRange = false;
  server.dropHalfway.clear();
  server.linkedSizeOverride.clear();
  server.requiredToken = null;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('HubClient', () => {
  it('builds resolve URLs and cache keys', () => {
    const c = new HubClient({ repo: 'google/gemma-3-1b-it' });
    expect(c.url('model.safetensors')).toBe('https://huggingface.co/google/gemma-3-1b-it/resolve/main/model.safetensors');
    expect(new HubClient({ repo: 'a/b', revision: 'refs/pr/3', baseUrl: 'http://x/' }).url('sub dir/f.json')).toBe('http://x/a/b/resolve/refs/pr/3/sub%20dir/f.json');
    expect(c.cacheKey('adapter/x.json')).toBe('google/gemma-3-1b-it/main/adapter/x.json');
    expect(new HubClient({ repo: 'a/b', revision: 'refs/pr/3' }).cacheKey('f')).toBe('a/b/refs%2Fpr%2F3/f');
    expect(() => new HubClient({ repo: 'not a repo' })).toThrow(/invalid repo id/);
    expect(() => c.url('../secrets')).toThrow(/invalid file path/);
  });

  it('downloads into the directory cache with per-file and overall progress, then serves from cache', async () => {
    const c = client();
    const events: DownloadProgress[] = [];
    await c.download(FILES, (p) => events.push(p));
    const sizes = FILES.map((f) => fixtureBytes(f).byteLength);
    const total = sizes.reduce((a, b) => a + b, 0);
    expect(events.every((e) => e.total === total)).toBe(true);
    const last = events[events.length - 1]!;
    expect(last.loaded).toBe(total);
    for (let i = 1; i < events.length; i++) expect(events[i]!.loaded).toBeGreaterThanOrEqual(events[i - 1]!.loaded);
    for (const [i, f] of FILES.entries()) {
      const fileEvents = events.filter((e) => e.path === f);
      expect(fileEvents.at(-1)!.fileLoaded).toBe(sizes[i]);
      expect(fileEvents.every((e) => e.fileTotal === sizes[i])).toBe(true);
    }
    expect(readFileSync(path.join(dir, REPO, 'main', 'model.safetensors')).equals(Buffer.from(modelBytes))).toBe(true);

    const statuses = await c.cacheStatus([...FILES, 'tokenizer.json']);
    expect(statuses.map((s) => s.state)).toEqual([...FILES.map(() => 'complete'), 'missing']);
    expect(statuses[2]!.bytes).toBe(modelBytes.byteLength);

    // A second client on the same directory makes no GET at all.
    server.requests.length = 0;
    const again: DownloadProgress[] = [];
    await client().download(FILES, (p) => again.push(p));
    expect(server.requests.filter((r) => r.method === 'GET')).toEqual([]);
    expect(again.every((e) => e.fromCache)).toBe(true);
    expect(await client().json('config.json')).toMatchObject({ model_type: 'gemma3_text' });
    server.requests.length = 0;
    const weights = await client().openWeights();
    expect(weights.tensors.length).toBe(80);
    expect(server.requests).toEqual([]); // fully offline once cached
    await weights.close();
  });

  it('resumes with a Range request after the connection drops halfway', async () => {
    server.dropHalfway.set('model.safetensors', 1);
    const c = client();
    const events: DownloadProgress[] = [];
    await c.download(['model.safetensors'], (p) => events.push(p));
    const gets = server.gets('model.safetensors');
    expect(gets.length).toBe(2);
    expect(gets[0]!.range).toBeNull();
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(gets[1]!.range ?? '')?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThan(modelBytes.byteLength);
    // Progress never goes backwards across the resume.
    for (let i = 1; i < events.length; i++) expect(events[i]!.fileLoaded).toBeGreaterThanOrEqual(events[i - 1]!.fileLoaded);
    expect(readFileSync(path.join(dir, REPO, 'main', 'model.safetensors')).equals(Buffer.from(modelBytes))).toBe(true);
    expect((await c.cacheStatus(['model.safetensors']))[0]!.state).toBe('complete');
  });

  it('keeps the partial file when retries run out, and a later call resumes it', async () => {
    server.dropHalfway.set('model.safetensors', 3);
    await expect(client(undefined, { maxRetries: 1 }).download(['model.safetensors'])).rejects.toThrow(/failed after 2 attempts .* bytes kept for resuming/);
    const [status] = await client().cacheStatus(['model.safetensors']);
    expect(status!.state).toBe('partial');
    expect(status!.bytes).toBeGreaterThan(0);
    const before = status!.bytes;
    server.requests.length = 0;
    const src = await client().open('model.safetensors');
    expect(src.size).toBe(modelBytes.byteLength);
    await src.close?.();
    const gets = server.gets('model.safetensors');
    expect(gets[0]!.range).toBe(`bytes=${before}-`);
    expect(readFileSync(path.join(dir, REPO, 'main', 'model.safetensors')).equals(Buffer.from(modelBytes))).toBe(true);
  });

  it('restarts from zero when the server ignores Range on resume', async () => {
    server.dropHalfway.set('model.safetensors', 1);
    server.ignoreRange = true;
    await client().download(['model.safetensors']);
    expect(server.gets('model.safetensors').length).toBe(2);
    expect(readFileSync(path.join(dir, REPO, 'main', 'model.safetensors')).equals(Buffer.from(modelBytes))).toBe(true);
  });

  it('rejects a size mismatch against X-Linked-Size and caches nothing', async () => {
    server.linkedSizeOverride.set('model.safetensors', modelBytes.byteLength + 7);
    await expect(client().download(['model.safetensors'])).rejects.toThrow(/size mismatch: the server announced 1096863 bytes .* but sends 1096856/);
    expect((await client().cacheStatus(['model.safetensors']))[0]!.state).toBe('missing');
    expect(existsSync(path.join(dir, REPO, 'main', 'model.safetensors'))).toBe(false);
  });

  it('rejects a truncated safetensors file and an invalid JSON file, caching neither', async () => {
    await expect(client().download(['broken/model.safetensors'])).rejects.toThrow(/corrupt, not cached: .*truncated file/);
    await expect(client().download(['broken/config.json'])).rejects.toThrow(/corrupt, not cached: invalid content/);
    const statuses = await client().cacheStatus(['broken/model.safetensors', 'broken/config.json']);
    expect(statuses.map((s) => s.state)).toEqual(['missing', 'missing']);
  });

  it('reports missing files and auth failures without retrying', async () => {
    await expect(client().download(['nope.bin'])).rejects.toThrow(/HTTP 404.*no such repo/);
    server.requiredToken = 'hf_secret';
    await expect(client().download(['config.json'])).rejects.toThrow(/HTTP 401.*pass a token/);
    server.requests.length = 0;
    await client(undefined, { token: 'hf_secret' }).download(['config.json']);
    expect(server.requests.every((r) => r.authorization === 'Bearer hf_secret')).toBe(true);
    const e = await client().download(['x']).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(HubError);
  });

  it('works with the memory cache and streams remotely without caching', async () => {
    const mem = new MemoryHubCache();
    server.dropHalfway.set('adapter/adapter_model.safetensors', 1);
    const c = client(mem);
    const src = await c.open('adapter/adapter_model.safetensors');
    expect(Buffer.from(await src.read(0, src.size)).equals(Buffer.from(fixtureBytes('adapter/adapter_model.safetensors')))).toBe(true);
    const remote = await c.openRemote('model.safetensors');
    expect(remote.rangeSupported).toBe(true);
    expect(remote.size).toBe(modelBytes.byteLength);
  });

  it('opens sharded weights through the index', async () => {
    const c = new HubClient({ repo: 'test/sharded', baseUrl: server.baseUrl, cache: new NodeDirectoryCache(dir), retryDelayMs: 0 });
    const w = await c.openWeights();
    expect(w.tensors.map((t) => t.name)).toEqual(['a', 'b']);
    expect(Array.from(await w.readFloat32('b'))).toEqual([3]);
    await w.close();
  });
});
