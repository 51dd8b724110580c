/**
 * Loads a Text-to-SQL dataset file from the Hugging Face hub by dataset id, with download progress
 * and a cache (the browser's Cache API when there is one; none otherwise, unless one is passed).
 * Default: b-mc2/sql-create-context, file sql_create_context_v4.json (a JSON array of
 * {question, context, answer}) at https://huggingface.co/datasets/<id>/resolve/<revision>/<file>.
 */
import { parseDatasetText, type ColumnMapping, type ParsedRows } from './parse-rows';
import { DatasetError } from './types';

export const DEFAULT_DATASET_ID = 'b-mc2/sql-create-context';
export const DEFAULT_DATASET_FILE = 'sql_create_context_v4.json';
export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';
export const DATASET_CACHE_NAME = 'webgrpo-datasets';

/** The part of the Cache API this module uses (so tests can pass an in-memory one). */
export interface CacheLike {
  match(url: string): Promise<Response | undefined>;
  put(url: string, response: Response): Promise<void>;
}

export interface DownloadProgress {
  loadedBytes: number;
  /** From Content-Length; null when the server does not say. */
  totalBytes: number | null;
  fromCache: boolean;
}

export interface HubDatasetOptions {
  datasetId?: string;
  file?: string;
  revision?: string;
  endpoint?: string;
  onProgress?: (p: DownloadProgress) => void;
  /** 'default': the Cache API if available; null: no cache. */
  cache?: CacheLike | null | 'default';
  fetch?: typeof fetch;
  signal?: AbortSignal;
  columns?: ColumnMapping;
}

export interface HubDataset extends ParsedRows {
  url: string;
  fromCache: boolean;
  bytes: number;
}

export function hubDatasetUrl(datasetId: string, file: string, revision = 'main', endpoint = DEFAULT_HUB_ENDPOINT): string {
  if (!/^[\w.-]+\/[\w.-]+$/.test(datasetId)) throw new DatasetError(`dataset id must look like "owner/name", got ${JSON.stringify(datasetId)}`);
  if (file.split('/').some((p) => p === '..' || p === '')) throw new DatasetError(`bad file path ${JSON.stringify(file)}`);
  return `${endpoint.replace(/\/+$/, '')}/datasets/${datasetId}/resolve/${encodeURIComponent(revision)}/${file.split('/').map(encodeURIComponent).join('/')}`;
}

async function defaultCache(): Promise<CacheLike | null> {
  if (typeof caches === 'undefined') return null;
  try {
    return await caches.open(DATASET_CACHE_NAME);
  } catch {
    return null; // e.g. an opaque origin, where the Cache API refuses
  }
}

/** Reads a body to bytes, reporting progress per chunk. */
async function readBody(response: Response, fromCache: boolean, onProgress?: (p: DownloadProgress) => void): Promise<Uint8Array> {
  const lengthHeader = response.headers.get('content-length');
  const totalBytes = lengthHeader !== null && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : null;
  onProgress?.({ loadedBytes: 0, totalBytes, fromCache });
  if (!response.body) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    onProgress?.({ loadedBytes: bytes.length, totalBytes, fromCache });
    return bytes;
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    onProgress?.({ loadedBytes: loaded, totalBytes, fromCache });
  }
  const out = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

export async function fetchHubDataset(options: HubDatasetOptions = {}): Promise<HubDataset> {
  const url = hubDatasetUrl(options.datasetId ?? DEFAULT_DATASET_ID, options.file ?? DEFAULT_DATASET_FILE, options.revision, options.endpoint);
  const doFetch = options.fetch ?? globalThis.fetch;
  const cache = options.cache === undefined || options.cache === 'default' ? await defaultCache() : options.cache;

  let bytes: Uint8Array | undefined;
  let fromCache = false;
  const cached = await cache?.match(url);
  if (cached) {
    bytes = await readBody(cached, true, options.onProgress);
    fromCache = true;
  } else {
    let response: Response;
    try {
      response = await doFetch(url, options.signal ? { signal: options.signal } : {});
    } catch (e) {
      throw new DatasetError(`could not download ${url}: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (!response.ok) {
      const hint = response.status === 401 || response.status === 403 ? ' (the dataset may be gated or private)' : response.status === 404 ? ' (check the dataset id, file and revision)' : '';
      throw new DatasetError(`HTTP ${response.status} ${response.statusText} for ${url}${hint}`);
    }
    bytes = await readBody(response, false, options.onProgress);
  }

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new DatasetError(`${url} is not UTF-8 text`);
  }
  let parsed: ParsedRows;
  try {
    parsed = parseDatasetText(text, { fileName: url, ...(options.columns ? { columns: options.columns } : {}) });
  } catch (e) {
    throw new DatasetError(`${url}: ${e instanceof Error ? e.message : String(e)}`);
  }
  // Cache only a complete download that parsed.
  if (!fromCache && cache) {
    await cache.put(url, new Response(bytes as BodyInit, { headers: { 'content-type': 'application/json', 'content-length': String(bytes.length) } }));
  }
  return { ...parsed, url, fromCache, bytes: bytes.length };
}
