import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fetchHubDataset, hubDatasetUrl, type DownloadProgress } from '../../../src/dataset/hub';
import { DatasetError } from '../../../src/dataset/types';
import { NodeDirectoryCache } from '../../../src/model/storage-node';
import { TestHub } from '../../support/test-hub';

const sample = new Uint8Array(readFileSync('public/data/sql-create-context-sample.json'));
const FILE = 'sql_create_context_v4.json';
const hub = new TestHub({ token: 'hf_secret' });
let endpoint: string;
let dir: string;
const fast = { retryDelayMs: 0, maxRetries: 2 };

beforeAll(async () => {
  await hub.start();
  endpoint = hub.hubUrl;
  // The real file is LFS (over 10 MB); the sample stands in for it, stored the same way.
  hub.commit('b-mc2/sql-create-context', { [FILE]: { content: sample, lfs: true } }, { type: 'dataset' });
  hub.commit('me/small', { [FILE]: sample }, { type: 'dataset' });
  hub.commit('me/broken', { [FILE]: new TextEncoder().encode('[{"question": "q", "context": ') }, { type: 'dataset' });
  hub.commit('me/gated', { [FILE]: sample }, { type: 'dataset', gated: true });
  hub.commit('me/a-model', { [FILE]: sample }); // a model repo, not a dataset
});
afterAll(() => hub.stop());
beforeEach(() => {
  hub.reset();
  dir = mkdtempSync(path.join(tmpdir(), 'webgrpo-dataset-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('fetchHubDataset', () => {
  it('downloads the dataset file by id at one commit with progress, then serves it from the cache', async () => {
    const cache = new NodeDirectoryCache(dir);
    const progress: DownloadProgress[] = [];
    hub.dropAfter(FILE, 20_000); // and resumes
    const first = await fetchHubDataset({ endpoint, cache, onProgress: (p) => progress.push(p), ...fast });
    expect(first.url).toBe(`${endpoint}/datasets/b-mc2/sql-create-context/resolve/main/${FILE}`);
    expect(first.commit).toBe(hub.ref('b-mc2/sql-create-context'));
    expect(first.fromCache).toBe(false);
    expect(first.rows).toHaveLength(224);
    expect(first.rows[0]).toEqual({ question: 'Which player went to Redwood School?', context: 'CREATE TABLE table_name_12 (name VARCHAR, school VARCHAR)', answer: 'SELECT name FROM table_name_12 WHERE school = "redwood school"' });
    expect(first.bytes).toBe(sample.length);
    expect(progress.every((p) => p.totalBytes === sample.length)).toBe(true);
    expect(progress.at(-1)).toEqual({ loadedBytes: sample.length, totalBytes: sample.length, fromCache: false });
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.loadedBytes).toBeGreaterThanOrEqual(progress[i - 1]!.loadedBytes);
    const transfers = hub.requestsFor(FILE, 'cdn').filter((r) => r.range !== 'bytes=0-0');
    expect(transfers.map((r) => r.range)).toEqual([null, expect.stringMatching(/^bytes=\d+-$/)]);

    hub.reset();
    const second = await fetchHubDataset({ endpoint, cache, ...fast });
    expect(second.fromCache).toBe(true);
    expect(second.rows).toEqual(first.rows);
    expect(hub.requests.filter((r) => r.server === 'cdn')).toEqual([]);
  });

  it('reads a small gzip-encoded file (Content-Length shorter than the file) without a persistent cache', async () => {
    const r = await fetchHubDataset({ endpoint, datasetId: 'me/small', cache: null, ...fast });
    expect(r.rows).toHaveLength(224);
    expect(hub.requestsFor(FILE).some((q) => q.encoding === 'gzip')).toBe(true);
  });

  it.each([
    ['me/missing', /could not download .*HTTP 401 Unauthorized: Repository not found \(no such repo/],
    ['me/a-model', /Repository not found/],
    ['me/gated', /HTTP 401 Unauthorized: Access to dataset me\/gated is restricted.*accept its license/],
    ['me/broken', /corrupt, not cached: invalid content/],
  ])('fails clearly for %s, caching nothing', async (datasetId, message) => {
    const cache = new NodeDirectoryCache(dir);
    const p = fetchHubDataset({ endpoint, datasetId, cache, ...fast });
    await expect(p).rejects.toBeInstanceOf(DatasetError);
    await expect(fetchHubDataset({ endpoint, datasetId, cache, ...fast })).rejects.toThrow(message);
    const stored = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && !path.relative(dir, e.parentPath).startsWith('.refs'));
    expect(stored.map((e) => e.name)).toEqual([]);
  });

  it('reads a gated dataset with its token', async () => {
    const r = await fetchHubDataset({ endpoint, datasetId: 'me/gated', token: 'hf_secret', cache: null, ...fast });
    expect(r.rows).toHaveLength(224);
  });

  it('retries, then fails clearly when the server cannot be reached', async () => {
    await expect(fetchHubDataset({ endpoint: 'http://127.0.0.1:1', cache: null, ...fast })).rejects.toThrow(/could not download http:\/\/127\.0\.0\.1:1\/.*network error: .*gave up after 3 attempts/);
  });

  it('builds hub URLs and rejects malformed ids', () => {
    expect(hubDatasetUrl('b-mc2/sql-create-context', FILE)).toBe(`https://huggingface.co/datasets/b-mc2/sql-create-context/resolve/main/${FILE}`);
    expect(() => hubDatasetUrl('sql-create-context', 'x.json')).toThrow(/owner\/name/);
    expect(() => hubDatasetUrl('a/b', '../x.json')).toThrow(/bad file path/);
  });
});
