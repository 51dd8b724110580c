/**
 * Loads a Text-to-SQL dataset file from the Hugging Face hub by dataset id, through the same hub
 * client as models (one commit per load, Range probes, resume, retries; see src/model/hub.ts), with
 * download progress and a cache (OPFS in the browser by default; pass a directory cache in Node).
 * Default: b-mc2/sql-create-context, file sql_create_context_v4.json (a JSON array of
 * {question, context, answer}) at https://huggingface.co/datasets/<id>/resolve/<revision>/<file>.
 */
import { HF_BASE_URL, HubClient, HubError, MemoryHubCache, defaultBrowserCache, type HubCache } from '../model/hub';
import { parseDatasetText, type ColumnMapping, type ParsedRows } from './parse-rows';
import { DatasetError } from './types';

export const DEFAULT_DATASET_ID = 'b-mc2/sql-create-context';
export const DEFAULT_DATASET_FILE = 'sql_create_context_v4.json';
export const DEFAULT_HUB_ENDPOINT = HF_BASE_URL;

export interface DownloadProgress {
  loadedBytes: number;
  /** The file's size; null when the server does not say. */
  totalBytes: number | null;
  fromCache: boolean;
}

export interface HubDatasetOptions {
  datasetId?: string;
  file?: string;
  revision?: string;
  endpoint?: string;
  /** Access token for gated or private datasets. */
  token?: string;
  onProgress?: (p: DownloadProgress) => void;
  /** 'default': OPFS in the browser, none elsewhere; null: no persistent cache. */
  cache?: HubCache | null | 'default';
  fetch?: typeof fetch;
  signal?: AbortSignal;
  columns?: ColumnMapping;
  /** Retry settings of the hub client (tests shorten them). */
  maxRetries?: number;
  retryDelayMs?: number;
}

export interface HubDataset extends ParsedRows {
  url: string;
  fromCache: boolean;
  bytes: number;
  /** The commit the file was read at (null when the server names none). */
  commit: string | null;
}

export function hubDatasetUrl(datasetId: string, file: string, revision = 'main', endpoint = DEFAULT_HUB_ENDPOINT): string {
  return datasetClient({ datasetId, file, revision, endpoint }).url(file);
}

function datasetClient(o: HubDatasetOptions & { datasetId: string; file: string }, cache?: HubCache): HubClient {
  if (!/^[\w.-]+\/[\w.-]+$/.test(o.datasetId)) throw new DatasetError(`dataset id must look like "owner/name", got ${JSON.stringify(o.datasetId)}`);
  if (o.file.split('/').some((p) => p === '..' || p === '.' || p === '')) throw new DatasetError(`bad file path ${JSON.stringify(o.file)}`);
  return new HubClient({
    repo: o.datasetId,
    repoType: 'dataset',
    revision: o.revision,
    baseUrl: o.endpoint ?? DEFAULT_HUB_ENDPOINT,
    token: o.token,
    cache,
    fetch: o.fetch,
    signal: o.signal,
    maxRetries: o.maxRetries,
    retryDelayMs: o.retryDelayMs,
  });
}

export async function fetchHubDataset(options: HubDatasetOptions = {}): Promise<HubDataset> {
  const datasetId = options.datasetId ?? DEFAULT_DATASET_ID;
  const file = options.file ?? DEFAULT_DATASET_FILE;
  const cache = options.cache === undefined || options.cache === 'default' ? await defaultBrowserCache() : (options.cache ?? new MemoryHubCache());
  const client = datasetClient({ ...options, datasetId, file }, cache);
  const url = client.url(file);

  let bytes: Uint8Array;
  let fromCache = false;
  try {
    await client.download([file], (p) => {
      fromCache = p.fromCache;
      options.onProgress?.({ loadedBytes: p.fileLoaded, totalBytes: p.fileTotal, fromCache: p.fromCache });
    });
    const src = await client.open(file);
    try {
      bytes = await src.read(0, src.size);
    } finally {
      await src.close?.();
    }
  } catch (e) {
    if (e instanceof HubError) throw new DatasetError(`could not download ${url}: ${e.detail}`);
    throw e;
  }
  const snap = await client.snapshot(file);
  const forget = () => client.cache.delete(client.cacheKey(file, snap.id));

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    await forget();
    throw new DatasetError(`${url} is not UTF-8 text`);
  }
  let parsed: ParsedRows;
  try {
    parsed = parseDatasetText(text, { fileName: url, ...(options.columns ? { columns: options.columns } : {}) });
  } catch (e) {
    // A file that does not parse is not kept: the next attempt downloads it again.
    await forget();
    throw new DatasetError(`${url}: ${e instanceof Error ? e.message : String(e)}`);
  }
  return { ...parsed, url, fromCache, bytes: bytes.byteLength, commit: snap.commit };
}
