/**
 * The hub client against the loopback test hub (tests/support/test-hub.ts), which answers the way
 * huggingface.co and its CDN answer a browser: small files by a 307 to a gzip-encoded answer, LFS
 * files by a 302 to another origin with X-Linked-* on the 302 only, Xet file info on request.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HubClient, HubError, MemoryHubCache, type DownloadProgress, type HubCache } from '../../../src/model/hub';
import { retryDelay, TransientHubError } from '../../../src/model/hub-http';
import { NodeDirectoryCache } from '../../../src/model/storage-node';
import { serializeSafetensors } from '../../../src/model/safetensors';
import { FIXTURE_DIR } from './fixture';
import { TestHub } from '../../support/test-hub';
import { StaticFileServer } from '../../support/static-server';
import { rng, uniform } from '../../support/random';

const REPO = 'test/tiny-gemma3-a';
const FILES = ['config.json', 'generation_config.json', 'model.safetensors', 'adapter/adapter_config.json', 'adapter/adapter_model.safetensors'];
const fixtureBytes = (p: string) => new Uint8Array(readFileSync(path.join(FIXTURE_DIR, p)));
const modelBytes = fixtureBytes('model.safetensors');
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Another version of the model: same layout, other random weights. */
function otherModel(seed: number): Uint8Array {
  const r = rng(seed);
  return serializeSafetensors([
    { name: 'a', shape: [64, 1024], data: uniform(64 * 1024, -1, 1, r) },
    { name: 'b', shape: [1024], data: uniform(1024, -1, 1, r) },
  ]);
}

/** A small (non-LFS) JSON file that compresses well, like tokenizer_config.json. */
const vocabJson = new TextEncoder().encode(JSON.stringify(Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`token_${i}`, i]))));

const hub = new TestHub({ token: 'hf_secret' });
let commitA: string;
let dir: string;

const client = (extra: Partial<ConstructorParameters<typeof HubClient>[0]> = {}) =>
  new HubClient({ repo: REPO, baseUrl: hub.hubUrl, cache: new NodeDirectoryCache(dir), retryDelayMs: 0, ...extra });

async function cached(c: HubClient, file: string): Promise<Uint8Array | null> {
  const snap = await c.snapshot();
  const src = await c.cache.open(c.cacheKey(file, snap.id));
  if (!src) return null;
  const bytes = await src.read(0, src.size);
  await src.close?.();
  return bytes;
}

/** Transfers (not probes) of a file: GETs whose Range is not the one-byte probe. */
const transfers = (file: string) => hub.requestsFor(file).filter((r) => r.method === 'GET' && r.range !== 'bytes=0-0' && (r.status === 200 || r.status === 206));

beforeAll(async () => {
  await hub.start();
  commitA = hub.commit(REPO, {
    ...Object.fromEntries(FILES.map((f) => [f, fixtureBytes(f)])),
    // LFS but not on Xet: reached by the 302 to the CDN, no sha256 from the hub.
    'adapter/adapter_model.safetensors': { content: fixtureBytes('adapter/adapter_model.safetensors'), xet: false },
    'vocab.json': vocabJson,
    'broken/model.safetensors': modelBytes.slice(0, modelBytes.byteLength - 1000),
    'broken/config.json': new TextEncoder().encode('{"model_type": "gemma3_text", '),
  });
  hub.commit('test/gated', { 'config.json': fixtureBytes('config.json'), 'model.safetensors': modelBytes }, { gated: true });
  hub.commit('test/sharded', {
    'model.safetensors.index.json': new TextEncoder().encode(JSON.stringify({ weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors' } })),
    'model-00001-of-00002.safetensors': serializeSafetensors([{ name: 'a', shape: [2], data: new Float32Array([1, 2]) }]),
    'model-00002-of-00002.safetensors': serializeSafetensors([{ name: 'b', shape: [1], data: new Float32Array([3]) }]),
  });
});
afterAll(() => hub.stop());
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'webgrpo-hub-'));
  hub.reset();
  hub.setRef(REPO, 'main', commitA);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('HubClient URLs and keys', () => {
  it('builds resolve URLs and cache keys', () => {
    const c = new HubClient({ repo: 'google/gemma-3-1b-it' });
    expect(c.url('model.safetensors')).toBe('https://huggingface.co/google/gemma-3-1b-it/resolve/main/model.safetensors');
    expect(new HubClient({ repo: 'a/b', revision: 'refs/pr/3', baseUrl: 'http://x/' }).url('sub dir/f.json')).toBe('http://x/a/b/resolve/refs%2Fpr%2F3/sub%20dir/f.json');
    expect(new HubClient({ repo: 'b-mc2/sql-create-context', repoType: 'dataset' }).url('x.json', 'a'.repeat(40))).toBe(`https://huggingface.co/datasets/b-mc2/sql-create-context/resolve/${'a'.repeat(40)}/x.json`);
    expect(c.cacheKey('adapter/x.json', 'abc')).toBe('google/gemma-3-1b-it/abc/adapter/x.json');
    expect(new HubClient({ repo: 'a/b', repoType: 'dataset' }).cacheKey('f', 'refs/pr/3')).toBe('datasets/a/b/refs%2Fpr%2F3/f');
    expect(() => new HubClient({ repo: 'not a repo' })).toThrow(/invalid repo id/);
    expect(() => c.url('../secrets')).toThrow(/invalid file path/);
  });

  it('backs off exponentially, at least as long as Retry-After asks, capped', () => {
    const policy = { maxRetries: 5, retryDelayMs: 100, maxRetryDelayMs: 1000 };
    expect([1, 2, 3, 4, 5].map((n) => retryDelay(policy, n))).toEqual([100, 200, 400, 800, 1000]);
    expect(retryDelay(policy, 1, new TransientHubError('429', 'u', 429, 700))).toBe(700);
    expect(retryDelay(policy, 1, new TransientHubError('429', 'u', 429, 60_000))).toBe(1000);
  });
});

describe('HubClient against the test hub', () => {
  it('downloads a checkpoint at one commit: Range probes (never HEAD), gzip small files, LFS through the CDN, progress', async () => {
    const c = client();
    const events: DownloadProgress[] = [];
    await c.download(FILES, (p) => events.push(p));
    const snap = await c.snapshot();
    expect(snap.commit).toBe(commitA);

    const sizes = FILES.map((f) => fixtureBytes(f).byteLength);
    const total = sizes.reduce((a, b) => a + b, 0);
    expect(events.every((e) => e.total === total)).toBe(true);
    expect(events.at(-1)!.loaded).toBe(total);
    for (let i = 1; i < events.length; i++) expect(events[i]!.loaded).toBeGreaterThanOrEqual(events[i - 1]!.loaded);
    for (const f of FILES) expect(Buffer.from((await cached(c, f))!).equals(Buffer.from(fixtureBytes(f))), f).toBe(true);

    // What crossed the wire: no HEAD; every probe a one-byte GET; only the first at "main", then the commit.
    const hubFileRequests = hub.requests.filter((r) => r.server === 'hub' && r.path !== null);
    expect(hub.requests.some((r) => r.method === 'HEAD')).toBe(false);
    expect(hubFileRequests[0]!.url).toContain('/resolve/main/config.json');
    expect(hubFileRequests.slice(1).every((r) => r.url.includes(commitA))).toBe(true);
    // config.json really came gzip-encoded, with a Content-Length shorter than the file.
    expect(transfers('config.json').map((r) => r.encoding)).toEqual(['gzip']);
    // The weights came from the CDN (another origin), the token-less way.
    expect(transfers('model.safetensors').map((r) => r.server)).toEqual(['cdn']);
    expect(transfers('adapter/adapter_model.safetensors').map((r) => r.server)).toEqual(['cdn']);

    const statuses = await c.cacheStatus([...FILES, 'tokenizer.json']);
    expect(statuses.map((s) => s.state)).toEqual([...FILES.map(() => 'complete'), 'missing']);
    expect(statuses.every((s, i) => i === FILES.length || s.commit === commitA)).toBe(true);

    // A later load asks only which commit main is (one probe), downloads nothing, opens offline-capable weights.
    hub.reset();
    const again: DownloadProgress[] = [];
    const c2 = client();
    await c2.download(FILES, (p) => again.push(p));
    expect(again.every((e) => e.fromCache)).toBe(true);
    expect(hub.requests.map((r) => `${r.method} ${r.range}`)).toEqual(['GET bytes=0-0', 'GET bytes=0-0']); // the 307 and its target
    const weights = await c2.openWeights();
    expect(weights.tensors.length).toBe(80);
    await weights.close();
  });

  it('a model load reads the commit main had when it started, although main moves mid-download', async () => {
    const modelB = otherModel(1);
    let commitB = '';
    // Once half the weights went out, someone pushes new weights and a new config to main.
    hub.onServed('model.safetensors', modelBytes.byteLength / 2, () => {
      commitB = hub.commit(REPO, { 'model.safetensors': modelB, 'config.json': new TextEncoder().encode('{"model_type": "other"}') });
    });
    hub.dropAfter('model.safetensors', modelBytes.byteLength * 0.6); // and the connection drops after that
    const c = client();
    await c.download(FILES);
    expect(commitB).toMatch(/^[0-9a-f]{40}$/);
    expect(hub.ref(REPO)).toBe(commitB);
    expect(Buffer.from((await cached(c, 'model.safetensors'))!).equals(Buffer.from(modelBytes))).toBe(true);
    expect(await c.json('config.json')).toMatchObject({ model_type: 'gemma3_text' });
    // The resume went to the same commit.
    expect(transfers('model.safetensors')[1]!.range).toMatch(/^bytes=\d+-$/);

    // The next load sees the new commit and downloads its files; the old commit's files stay.
    const next = client();
    await next.download(['config.json', 'model.safetensors']);
    expect((await next.snapshot()).commit).toBe(commitB);
    expect(Buffer.from((await cached(next, 'model.safetensors'))!).equals(Buffer.from(modelB))).toBe(true);
    expect((await new NodeDirectoryCache(dir).status(c.cacheKey('model.safetensors', commitA))).state).toBe('complete');
  });

  it('never resumes a partial file of another commit: it restarts that file and leaves complete files alone', async () => {
    hub.dropAfter('model.safetensors', 300_000, 2);
    await expect(client({ maxRetries: 1 }).download(FILES)).rejects.toThrow(/model\.safetensors" failed after 2 attempts \(network error: .*\); \d+ bytes kept for resuming/);
    const cache = new NodeDirectoryCache(dir);
    const keyA = client().cacheKey('model.safetensors', commitA);
    const partial = await cache.status(keyA);
    expect(partial).toMatchObject({ state: 'partial', commit: commitA, size: modelBytes.byteLength });
    expect(partial.bytes).toBeGreaterThanOrEqual(300_000);

    const modelB = otherModel(2);
    const commitB = hub.commit(REPO, { 'model.safetensors': modelB });
    hub.reset();
    const c = client();
    await c.download(FILES);
    expect((await c.snapshot()).commit).toBe(commitB);
    expect(transfers('model.safetensors').map((r) => r.range)).toEqual([null]); // from zero, never Range at A's offset
    expect(Buffer.from((await cached(c, 'model.safetensors'))!).equals(Buffer.from(modelB))).toBe(true);
    expect((await cache.status(keyA)).state).toBe('missing'); // A's unfinished file cannot be resumed any more: freed
    expect((await cache.status(c.cacheKey('config.json', commitA))).state).toBe('complete'); // complete files are never deleted
  });

  it('resumes after dropped connections, keeps the partial file when retries run out, and a later call resumes it', async () => {
    hub.dropAfter('model.safetensors', 250_000, 3);
    await expect(client({ maxRetries: 1 }).download(['model.safetensors'])).rejects.toThrow(/failed after 2 attempts .* bytes kept for resuming/);
    const [status] = await client().cacheStatus(['model.safetensors']);
    expect(status!.state).toBe('partial');
    const before = status!.bytes;
    expect(before).toBeGreaterThanOrEqual(500_000);

    const events: DownloadProgress[] = [];
    const c = client();
    await c.download(['model.safetensors'], (p) => events.push(p));
    const ranges = transfers('model.safetensors').map((r) => r.range);
    expect(ranges[0]).toBeNull();
    expect(ranges[1]).toMatch(/^bytes=\d+-$/);
    expect(ranges.at(-2)).toBe(`bytes=${before}-`); // the later call continued where the first stopped
    for (let i = 1; i < events.length; i++) expect(events[i]!.fileLoaded).toBeGreaterThanOrEqual(events[i - 1]!.fileLoaded);
    expect(Buffer.from((await cached(c, 'model.safetensors'))!).equals(Buffer.from(modelBytes))).toBe(true);
  });

  it('resumes a dropped gzip-encoded small file by Range (ranges address the uncompressed bytes)', async () => {
    hub.dropAfter('vocab.json', 20_000);
    const c = client();
    await c.download(['vocab.json']);
    const t = transfers('vocab.json');
    expect(t.map((r) => r.encoding)).toEqual(['gzip', null]);
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(t[1]!.range ?? '')?.[1]);
    expect(resumedAt).toBeGreaterThan(20_000); // decoded bytes: more than the compressed ones that arrived
    expect(Buffer.from((await cached(c, 'vocab.json'))!).equals(Buffer.from(vocabJson))).toBe(true);
  });

  it('retries 429 and 5xx answers of the hub and the CDN, for probes and transfers', async () => {
    hub.failNext({ status: 429, times: 2 });
    hub.failNext({ server: 'cdn', path: 'model.safetensors', status: 503, times: 2 });
    const c = client();
    await c.download(['config.json', 'model.safetensors']);
    expect(hub.requests.filter((r) => r.status === 429).length).toBe(2);
    expect(hub.requests.filter((r) => r.status === 503).length).toBe(2);
    expect(Buffer.from((await cached(c, 'model.safetensors'))!).equals(Buffer.from(modelBytes))).toBe(true);

    hub.failNext({ status: 500, times: 10 });
    await expect(client({ maxRetries: 2 }).download(['generation_config.json'])).rejects.toThrow(/HTTP 500 .*gave up after 3 attempts/);
  });

  it('drops a stalled transfer and resumes it', async () => {
    hub.stallAfter('model.safetensors', 200_000);
    const c = client({ stallTimeoutMs: 300 });
    await c.download(['model.safetensors']);
    expect(transfers('model.safetensors').map((r) => r.range)).toEqual([null, 'bytes=200000-']);
    expect(Buffer.from((await cached(c, 'model.safetensors'))!).equals(Buffer.from(modelBytes))).toBe(true);
  });

  it('skips the stored bytes when the CDN ignores Range on a resume (the commit pins the content)', async () => {
    hub.dropAfter('model.safetensors', 400_000);
    hub.cdnIgnoresRange = true;
    const c = client();
    await c.download(['model.safetensors']);
    const t = transfers('model.safetensors');
    expect(t.map((r) => `${r.range} ${r.status}`)).toEqual(['null 200', 'bytes=400000- 200']);
    expect(Buffer.from((await cached(c, 'model.safetensors'))!).equals(Buffer.from(modelBytes))).toBe(true);
  });

  it('keeps the stored bytes when a resume gets an unusable Content-Range, and asks for the whole body instead', async () => {
    hub.dropAfter('model.safetensors', 400_000);
    const mangle: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (res.status !== 206 || res.headers.get('content-range') === `bytes 0-0/${modelBytes.byteLength}`) return res;
      const headers = new Headers(res.headers);
      headers.set('content-range', 'bytes */*');
      return new Response(res.body, { status: 206, headers });
    };
    const c = client({ fetch: mangle });
    const events: DownloadProgress[] = [];
    await c.download(['model.safetensors'], (p) => events.push(p));
    expect(transfers('model.safetensors').map((r) => r.range)).toEqual([null, 'bytes=400000-', null]);
    // Never back to zero: the whole body's first 400000 bytes were skipped, not written over the stored ones.
    for (let i = 1; i < events.length; i++) expect(events[i]!.fileLoaded).toBeGreaterThanOrEqual(events[i - 1]!.fileLoaded);
    expect(Buffer.from((await cached(c, 'model.safetensors'))!).equals(Buffer.from(modelBytes))).toBe(true);
  });

  it('checks LFS files against the sha256 the hub gives, downloading a corrupt one again, then refusing it', async () => {
    let corrupt = 1;
    const flip: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (!res.url.startsWith(hub.cdnUrl) || res.status !== 200 || corrupt-- <= 0) return res;
      const bytes = new Uint8Array(await res.arrayBuffer());
      bytes[1000] = bytes[1000]! ^ 0xff;
      return new Response(bytes, { status: 200, headers: res.headers });
    };
    const c = client({ fetch: flip });
    await c.download(['model.safetensors']);
    expect(transfers('model.safetensors').length).toBe(2);
    expect(sha256((await cached(c, 'model.safetensors'))!)).toBe(await hub.fileSha256(REPO, 'model.safetensors'));

    corrupt = 100;
    rmSync(dir, { recursive: true, force: true });
    await expect(client({ fetch: flip }).download(['model.safetensors'])).rejects.toThrow(/model\.safetensors" is corrupt, not cached: its sha256 is [0-9a-f]{64}, the hub says [0-9a-f]{64} \(3 downloads from scratch\)/);
    expect((await client().cacheStatus(['model.safetensors']))[0]!.state).toBe('missing');
  });

  it('rejects a truncated safetensors file and an invalid JSON file, caching neither', async () => {
    await expect(client().download(['broken/model.safetensors'])).rejects.toThrow(/corrupt, not cached: .*truncated file/);
    await expect(client().download(['broken/config.json'])).rejects.toThrow(/corrupt, not cached: invalid content/);
    const statuses = await client().cacheStatus(['broken/model.safetensors', 'broken/config.json']);
    expect(statuses.map((s) => s.state)).toEqual(['missing', 'missing']);
  });

  it('says clearly what is missing or forbidden, without retrying', async () => {
    await expect(client().download(['nope.bin'])).rejects.toThrow(/"nope\.bin" does not exist in test\/tiny-gemma3-a/);
    await expect(client({ revision: 'v9' }).download(['config.json'])).rejects.toThrow(/HTTP 404 Not Found: Invalid rev id: v9 \(no such revision: check the revision\)/);
    await expect(new HubClient({ repo: 'test/nope', baseUrl: hub.hubUrl, retryDelayMs: 0 }).download(['config.json'])).rejects.toThrow(/HTTP 401 Unauthorized: Repository not found \(no such repo/);
    hub.reset();
    const gated = (token?: string) => new HubClient({ repo: 'test/gated', baseUrl: hub.hubUrl, token, cache: new NodeDirectoryCache(dir), retryDelayMs: 0 });
    await expect(gated().download(['config.json'])).rejects.toThrow(/HTTP 401 Unauthorized: Access to model test\/gated is restricted.*accept its license/);
    await expect(gated('hf_wrong').download(['config.json'])).rejects.toThrow(/HTTP 403/);
    expect(hub.requests.length).toBe(2); // no retries
    hub.reset();
    await gated('hf_secret').download(['config.json', 'model.safetensors']);
    expect(hub.requests.filter((r) => r.server === 'hub').every((r) => r.authorization === 'Bearer hf_secret')).toBe(true);
    expect(hub.requests.filter((r) => r.server === 'cdn').every((r) => r.authorization === null)).toBe(true); // never leaves the hub's origin
    const e = await client().download(['x']).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(HubError);
  });

  it('opens a cached model offline, without retrying the unreachable hub', async () => {
    await client().download(FILES);
    const offline: typeof fetch = async () => {
      throw new TypeError('fetch failed');
    };
    const c = client({ fetch: offline, retryDelayMs: 10_000 });
    const weights = await c.openWeights();
    expect(weights.tensors.length).toBe(80);
    await weights.close();
    expect(await c.snapshot()).toMatchObject({ commit: commitA, offline: true });
    // A file without a cached copy: the hub is known to be out of reach, so it is reported at once, with what to do.
    await expect(client({ fetch: offline, maxRetries: 1, retryDelayMs: 10_000 }).download(['tokenizer.json'])).rejects.toThrow(/cannot reach http:\/\/127\.0\.0\.1:\d+: offline.* \(network error: fetch failed\)/);
  });

  it('opens sharded weights through the index, and streams remotely at the commit without caching', async () => {
    const c = new HubClient({ repo: 'test/sharded', baseUrl: hub.hubUrl, cache: new NodeDirectoryCache(dir), retryDelayMs: 0 });
    const w = await c.openWeights();
    expect(w.tensors.map((t) => t.name)).toEqual(['a', 'b']);
    expect(Array.from(await w.readFloat32('b'))).toEqual([3]);
    await w.close();

    const mem = client({ cache: new MemoryHubCache() });
    const remote = await mem.openRemote('model.safetensors');
    expect(remote.url).toContain(`/resolve/${commitA}/`);
    expect(remote.size).toBe(modelBytes.byteLength);
    expect(Buffer.from(await remote.read(100, 50)).equals(Buffer.from(modelBytes.subarray(100, 150)))).toBe(true);
  });
});

describe('HubClient against a server without commits (a mirror, the app itself)', () => {
  const server = new StaticFileServer({ repos: { 'test/plain': { 'model.safetensors': modelBytes } } });
  beforeAll(() => server.start());
  afterAll(() => server.stop());
  const plain = (cache: HubCache) => new HubClient({ repo: 'test/plain', baseUrl: server.baseUrl, cache, retryDelayMs: 0 });

  it('keys the cache by revision and resumes with If-Range', async () => {
    const cache = new MemoryHubCache();
    server.dropHalfway.set('model.safetensors', 1);
    server.requests.length = 0;
    const c = plain(cache);
    await c.download(['model.safetensors']);
    expect(await c.snapshot()).toMatchObject({ id: 'main', commit: null });
    const etag = `"${createHash('sha1').update(modelBytes).digest('hex')}"`;
    const gets = server.gets('model.safetensors').map((r) => `${r.range} ${r.ifRange}`);
    expect(gets).toEqual(['bytes=0-0 null', 'null null', `bytes=${Math.floor(modelBytes.byteLength / 2)}- ${etag}`]);
    const src = (await cache.open(c.cacheKey('model.safetensors', 'main')))!;
    expect(Buffer.from(await src.read(0, src.size)).equals(Buffer.from(modelBytes))).toBe(true);
  });

  it('takes the whole new file when it changed since the partial download (If-Range answered 200)', async () => {
    const cache = new MemoryHubCache();
    const c = plain(cache);
    const key = c.cacheKey('model.safetensors', 'main');
    const oldEtag = `"${createHash('sha1').update(modelBytes).digest('hex')}"`;
    const changed = otherModel(3);
    const w = await cache.beginWrite(key, 0, { commit: null, etag: oldEtag, size: changed.byteLength });
    await w.write(modelBytes.subarray(0, 1000));
    await w.close();
    server.setFile('test/plain', 'model.safetensors', changed);
    try {
      server.requests.length = 0;
      await c.download(['model.safetensors']);
      expect(server.gets('model.safetensors').map((r) => `${r.range} ${r.ifRange}`)).toEqual(['bytes=0-0 null', `bytes=1000- ${oldEtag}`]);
      const src = (await cache.open(key))!;
      expect(Buffer.from(await src.read(0, src.size)).equals(Buffer.from(changed))).toBe(true);
    } finally {
      server.setFile('test/plain', 'model.safetensors', modelBytes);
    }
  });
});
