import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchHubDataset, hubDatasetUrl, type CacheLike, type DownloadProgress } from '../../../src/dataset/hub';
import { DatasetError } from '../../../src/dataset/types';

const sample = readFileSync('public/data/sql-create-context-sample.json');
const HUB_PATH = '/datasets/b-mc2/sql-create-context/resolve/main/sql_create_context_v4.json';
let server: Server;
let endpoint: string;
const hits = new Map<string, number>();

beforeAll(async () => {
  // A stand-in for the hub, with the hub's URL layout, serving the shipped sample.
  server = createServer((req, res) => {
    const path = req.url ?? '';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    if (path === HUB_PATH) {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': sample.length });
      // Several chunks, spaced out so they arrive separately and progress has steps to report.
      const step = Math.ceil(sample.length / 5);
      const send = (at: number) => {
        if (at >= sample.length) return void res.end();
        res.write(sample.subarray(at, at + step));
        setTimeout(() => send(at + step), 15);
      };
      send(0);
    } else if (path === '/datasets/me/chunked/resolve/main/sql_create_context_v4.json') {
      res.writeHead(200, { 'content-type': 'application/json' }); // no content-length
      res.end(sample);
    } else if (path === '/datasets/me/broken/resolve/main/sql_create_context_v4.json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('[{"question": "q", "context": ');
    } else if (path === '/datasets/me/gated/resolve/main/sql_create_context_v4.json') {
      res.writeHead(401, 'Unauthorized');
      res.end();
    } else {
      res.writeHead(404, 'Not Found');
      res.end('Entry not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function memoryCache(): CacheLike & { store: Map<string, Uint8Array> } {
  const store = new Map<string, Uint8Array>();
  return {
    store,
    async match(url) {
      const b = store.get(url);
      return b ? new Response(b as BodyInit, { headers: { 'content-length': String(b.length) } }) : undefined;
    },
    async put(url, response) {
      store.set(url, new Uint8Array(await response.arrayBuffer()));
    },
  };
}

describe('fetchHubDataset', () => {
  it('downloads the dataset file by id with progress, then serves it from the cache', async () => {
    const cache = memoryCache();
    const progress: DownloadProgress[] = [];
    const first = await fetchHubDataset({ endpoint, cache, onProgress: (p) => progress.push(p) });
    expect(first.url).toBe(`${endpoint}${HUB_PATH}`);
    expect(first.fromCache).toBe(false);
    expect(first.rows).toHaveLength(224);
    expect(first.rows[0]).toEqual({ question: 'Which player went to Redwood School?', context: 'CREATE TABLE table_name_12 (name VARCHAR, school VARCHAR)', answer: 'SELECT name FROM table_name_12 WHERE school = "redwood school"' });
    expect(first.bytes).toBe(sample.length);
    expect(progress[0]).toEqual({ loadedBytes: 0, totalBytes: sample.length, fromCache: false });
    expect(progress.at(-1)).toEqual({ loadedBytes: sample.length, totalBytes: sample.length, fromCache: false });
    expect(progress.length).toBeGreaterThan(2);
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.loadedBytes).toBeGreaterThanOrEqual(progress[i - 1]!.loadedBytes);

    const second = await fetchHubDataset({ endpoint, cache });
    expect(second.fromCache).toBe(true);
    expect(second.rows).toEqual(first.rows);
    expect(hits.get(HUB_PATH)).toBe(1);
  });

  it('works without a cache (Node has no Cache API) and without Content-Length', async () => {
    const progress: DownloadProgress[] = [];
    const r = await fetchHubDataset({ endpoint, datasetId: 'me/chunked', cache: 'default', onProgress: (p) => progress.push(p) });
    expect(r.rows).toHaveLength(224);
    expect(progress.every((p) => p.totalBytes === null)).toBe(true);
  });

  it.each([
    ['me/missing', /HTTP 404 Not Found for http:\/\/127\.0\.0\.1:\d+\/datasets\/me\/missing\/resolve\/main\/sql_create_context_v4\.json \(check the dataset id/],
    ['me/gated', /HTTP 401 Unauthorized .*gated or private/],
    ['me/broken', /sql_create_context_v4\.json: not valid JSON/],
  ])('fails clearly for %s', async (datasetId, message) => {
    const cache = memoryCache();
    const p = fetchHubDataset({ endpoint, datasetId, cache });
    await expect(p).rejects.toBeInstanceOf(DatasetError);
    await expect(fetchHubDataset({ endpoint, datasetId, cache })).rejects.toThrow(message);
    expect(cache.store.size).toBe(0); // nothing cached from a failed download
  });

  it('fails clearly when the server cannot be reached', async () => {
    await expect(fetchHubDataset({ endpoint: 'http://127.0.0.1:1', cache: null })).rejects.toThrow(/could not download http:\/\/127\.0\.0\.1:1\//);
  });

  it('builds hub URLs and rejects malformed ids', () => {
    expect(hubDatasetUrl('b-mc2/sql-create-context', 'sql_create_context_v4.json')).toBe(
      'https://huggingface.co/datasets/b-mc2/sql-create-context/resolve/main/sql_create_context_v4.json',
    );
    expect(() => hubDatasetUrl('sql-create-context', 'x.json')).toThrow(/owner\/name/);
    expect(() => hubDatasetUrl('a/b', '../x.json')).toThrow(/bad file path/);
  });
});
