/**
 * Files from the Hugging Face hub: https://huggingface.co/{repo}/resolve/{revision}/{path}.
 *
 * Downloads go into a HubCache (OPFS in the browser, a directory in Node, memory otherwise), with
 * progress callbacks, resume by HTTP Range after a dropped connection, and integrity checks (size
 * against Content-Length / Content-Range / X-Linked-Size, JSON parses, safetensors headers and
 * offsets consistent with the file): a file that fails them is removed, never cached.
 */
import {
  HttpByteSource,
  MemoryByteSource,
  SafetensorsError,
  SafetensorsReader,
  ShardedSafetensorsReader,
  parseContentRange,
  parseShardIndex,
  type ByteSource,
  type TensorReader,
} from './safetensors';

export const HF_BASE_URL = 'https://huggingface.co';

export class HubError extends Error {
  constructor(
    message: string,
    readonly url: string,
    readonly status?: number,
  ) {
    super(`hub: ${message} (${url})`);
    this.name = 'HubError';
  }
}

// ---------------------------------------------------------------------------------------------
// Cache interface

export interface CacheEntryStatus {
  /** complete: verified and usable; partial: an interrupted download that can be resumed. */
  state: 'complete' | 'partial' | 'missing';
  bytes: number;
  etag: string | null;
}

export interface PartialWriter {
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/** Where downloads land. Keys are '/'-separated URI-encoded segments. */
export interface HubCache {
  readonly kind: string;
  status(key: string): Promise<CacheEntryStatus>;
  /** A complete entry's bytes, or null. */
  open(key: string): Promise<ByteSource | null>;
  /** Whatever bytes are stored, complete or not (to validate before committing). */
  openPartial(key: string): Promise<ByteSource | null>;
  /** Starts (resumeFrom 0) or continues writing; drops any completion mark and bytes past resumeFrom. */
  beginWrite(key: string, resumeFrom: number): Promise<PartialWriter>;
  /** Marks the stored bytes as a complete, verified file. */
  commit(key: string, etag: string | null): Promise<void>;
  delete(key: string): Promise<void>;
}

/** Cache in memory: for tests and for environments without persistent storage. */
export class MemoryHubCache implements HubCache {
  readonly kind = 'memory';
  private readonly entries = new Map<string, { chunks: Uint8Array[]; size: number; complete: boolean; etag: string | null }>();

  async status(key: string): Promise<CacheEntryStatus> {
    const e = this.entries.get(key);
    if (!e) return { state: 'missing', bytes: 0, etag: null };
    return { state: e.complete ? 'complete' : 'partial', bytes: e.size, etag: e.complete ? e.etag : null };
  }
  private bytes(key: string): Uint8Array | null {
    const e = this.entries.get(key);
    if (!e) return null;
    if (e.chunks.length !== 1) {
      const all = new Uint8Array(e.size);
      let at = 0;
      for (const c of e.chunks) {
        all.set(c, at);
        at += c.byteLength;
      }
      e.chunks = [all];
    }
    return e.chunks[0]!;
  }
  async open(key: string): Promise<ByteSource | null> {
    return this.entries.get(key)?.complete ? new MemoryByteSource(this.bytes(key)!, `memory:${key}`) : null;
  }
  async openPartial(key: string): Promise<ByteSource | null> {
    const b = this.bytes(key);
    return b ? new MemoryByteSource(b, `memory:${key}`) : null;
  }
  async beginWrite(key: string, resumeFrom: number): Promise<PartialWriter> {
    const have = this.bytes(key) ?? new Uint8Array(0);
    if (resumeFrom > have.byteLength) throw new Error(`cannot resume "${key}" at ${resumeFrom}: only ${have.byteLength} bytes are cached`);
    const entry = { chunks: [have.slice(0, resumeFrom)], size: resumeFrom, complete: false, etag: null };
    this.entries.set(key, entry);
    return {
      async write(chunk: Uint8Array) {
        entry.chunks.push(chunk.slice());
        entry.size += chunk.byteLength;
      },
      async close() {},
    };
  }
  async commit(key: string, etag: string | null): Promise<void> {
    const e = this.entries.get(key);
    if (!e) throw new Error(`cannot commit "${key}": nothing was written`);
    e.complete = true;
    e.etag = etag;
  }
  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }
}

/**
 * The browser's persistent cache: OPFS when the page has it (see storage-opfs.ts for why OPFS
 * rather than the Cache API), else memory.
 */
export async function defaultBrowserCache(): Promise<HubCache> {
  const storage = (globalThis as { navigator?: { storage?: { getDirectory?: unknown } } }).navigator?.storage;
  if (typeof storage?.getDirectory === 'function') {
    const { OpfsHubCache } = await import('./storage-opfs');
    return OpfsHubCache.open();
  }
  return new MemoryHubCache();
}

// ---------------------------------------------------------------------------------------------
// Client

export interface DownloadProgress {
  path: string;
  /** Bytes of this file present so far (cached, resumed or downloaded). */
  fileLoaded: number;
  /** This file's size, when known. */
  fileTotal: number | null;
  /** Bytes over every file of the current download call. */
  loaded: number;
  /** Size of every file of the call, when all are known. */
  total: number | null;
  /** The file was already complete in the cache. */
  fromCache: boolean;
}

export interface FileCacheStatus extends CacheEntryStatus {
  path: string;
}

export interface HubClientOptions {
  /** "owner/name". */
  repo: string;
  /** Branch, tag or commit; default 'main'. */
  revision?: string;
  /** Default https://huggingface.co; tests point it at a local server. */
  baseUrl?: string;
  /** Access token for gated/private repos (sent as Bearer). */
  token?: string;
  /** Where downloads are kept; default: a MemoryHubCache (pass OPFS / a directory cache to persist). */
  cache?: HubCache;
  fetch?: typeof fetch;
  /** Retries after a failed or interrupted transfer, each resuming where the last stopped; default 5. */
  maxRetries?: number;
  /** First retry delay, doubled each retry (capped at 30 s); default 1000 ms. */
  retryDelayMs?: number;
  signal?: AbortSignal;
}

const REPO_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)?$/;

export class HubClient {
  readonly repo: string;
  readonly revision: string;
  readonly baseUrl: string;
  readonly cache: HubCache;
  private readonly token: string | undefined;
  private readonly doFetch: typeof fetch;
  private readonly maxRetries: number;
  private readonly retryDelayMs: number;
  private readonly signal: AbortSignal | undefined;

  constructor(options: HubClientOptions) {
    if (!REPO_PATTERN.test(options.repo)) throw new Error(`hub: invalid repo id ${JSON.stringify(options.repo)} (expected "owner/name")`);
    this.repo = options.repo;
    this.revision = options.revision ?? 'main';
    if (this.revision.length === 0 || this.revision.split('/').some((s) => s === '' || s === '..' || s === '.')) {
      throw new Error(`hub: invalid revision ${JSON.stringify(this.revision)}`);
    }
    this.baseUrl = (options.baseUrl ?? HF_BASE_URL).replace(/\/+$/, '');
    this.cache = options.cache ?? new MemoryHubCache();
    this.token = options.token;
    this.doFetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.maxRetries = options.maxRetries ?? 5;
    this.retryDelayMs = options.retryDelayMs ?? 1000;
    this.signal = options.signal;
  }

  /** The resolve URL of a file. */
  url(path: string): string {
    return `${this.baseUrl}/${this.repo}/resolve/${this.revision.split('/').map(encodeURIComponent).join('/')}/${checkedPath(path).split('/').map(encodeURIComponent).join('/')}`;
  }

  /** The cache key of a file: repo, revision and path, each segment URI-encoded. */
  cacheKey(path: string): string {
    const segs = [...this.repo.split('/'), encodeURIComponent(this.revision), ...checkedPath(path).split('/')];
    return segs.map((s) => encodeURIComponent(decodeURIComponent(s))).join('/');
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return this.token ? { Authorization: `Bearer ${this.token}`, ...extra } : extra;
  }

  /** Cache state of each file (no network). */
  async cacheStatus(paths: string[]): Promise<FileCacheStatus[]> {
    return Promise.all(paths.map(async (path) => ({ path, ...(await this.cache.status(this.cacheKey(path))) })));
  }

  /** The file's size from a HEAD request (X-Linked-Size for LFS files, else Content-Length). */
  async remoteSize(path: string): Promise<number | null> {
    const url = this.url(path);
    let res: Response;
    try {
      res = await this.doFetch(url, { method: 'HEAD', headers: this.headers(), signal: this.signal });
    } catch (e) {
      throw new HubError(`HEAD failed: ${errorText(e)}`, url);
    }
    if (!res.ok) throw statusError(res, url);
    return sizeHeader(res.headers.get('x-linked-size')) ?? sizeHeader(res.headers.get('content-length'));
  }

  /**
   * Makes sure every file is complete in the cache, downloading (or resuming) what is missing.
   * Files are fetched one after the other; progress covers all of them.
   */
  async download(paths: string[], onProgress?: (p: DownloadProgress) => void): Promise<void> {
    const statuses = await this.cacheStatus(paths);
    const sizes: (number | null)[] = [];
    for (const s of statuses) sizes.push(s.state === 'complete' ? s.bytes : await this.remoteSize(s.path));
    const total = sizes.every((s) => s !== null) ? (sizes as number[]).reduce((a, b) => a + b, 0) : null;
    let finished = 0;
    for (let i = 0; i < paths.length; i++) {
      const path = paths[i]!;
      const expected = sizes[i]!;
      if (statuses[i]!.state === 'complete') {
        finished += statuses[i]!.bytes;
        onProgress?.({ path, fileLoaded: statuses[i]!.bytes, fileTotal: statuses[i]!.bytes, loaded: finished, total, fromCache: true });
        continue;
      }
      const size = await this.downloadOne(path, expected, (fileLoaded, fileTotal) =>
        onProgress?.({ path, fileLoaded, fileTotal, loaded: finished + fileLoaded, total, fromCache: false }),
      );
      finished += size;
    }
  }

  /** A cached file's bytes, downloading it first if needed. */
  async open(path: string, onProgress?: (p: DownloadProgress) => void): Promise<ByteSource> {
    const key = this.cacheKey(path);
    let source = await this.cache.open(key);
    if (!source) {
      await this.download([path], onProgress);
      source = await this.cache.open(key);
    }
    if (!source) throw new HubError(`"${path}" is not in the cache after downloading it`, this.url(path));
    return source;
  }

  async text(path: string): Promise<string> {
    const src = await this.open(path);
    try {
      return new TextDecoder().decode(await src.read(0, src.size));
    } finally {
      await src.close?.();
    }
  }

  async json(path: string): Promise<unknown> {
    return JSON.parse(await this.text(path));
  }

  /** Whether the repo has a file (HEAD; 404 → false). */
  async exists(path: string): Promise<boolean> {
    if ((await this.cache.status(this.cacheKey(path))).state === 'complete') return true;
    try {
      await this.remoteSize(path);
      return true;
    } catch (e) {
      if (e instanceof HubError && e.status === 404) return false;
      throw e;
    }
  }

  /** Streams a file straight from the server by Range requests, without caching it. */
  openRemote(path: string): Promise<HttpByteSource> {
    return HttpByteSource.open(this.url(path), { headers: this.headers(), fetch: this.doFetch, signal: this.signal });
  }

  /**
   * The model's weights (model.safetensors, or the shards of model.safetensors.index.json),
   * downloaded into the cache first; tensors are then read from the cache one at a time.
   */
  async openWeights(onProgress?: (p: DownloadProgress) => void): Promise<TensorReader> {
    // A cached single-file checkpoint opens without touching the network (offline use).
    const cachedSingle = (await this.cache.status(this.cacheKey('model.safetensors'))).state === 'complete';
    if (!cachedSingle && (await this.exists('model.safetensors.index.json'))) {
      const index = parseShardIndex(await this.json('model.safetensors.index.json'));
      await this.download(index.shards, onProgress);
      return ShardedSafetensorsReader.open(index, (file) => this.open(file));
    }
    const src = await this.open('model.safetensors', onProgress);
    return SafetensorsReader.open(src, 'model.safetensors');
  }

  private async downloadOne(path: string, expectedSize: number | null, progress: (loaded: number, total: number | null) => void): Promise<number> {
    const url = this.url(path);
    const key = this.cacheKey(path);
    let failures = 0;
    for (;;) {
      const resumeFrom = (await this.cache.status(key)).bytes;
      let outcome: TransferOutcome;
      try {
        outcome = await this.transfer(url, key, resumeFrom, expectedSize, progress);
      } catch (e) {
        if (e instanceof HubError && e.status !== undefined && !isRetryableStatus(e.status)) throw e;
        if (e instanceof CorruptDownload) {
          await this.cache.delete(key);
          throw new HubError(e.message, url);
        }
        if (this.signal?.aborted) throw e;
        outcome = { kind: 'interrupted', reason: errorText(e) };
      }
      if (outcome.kind === 'complete') {
        await this.verify(path, key, url, outcome.size);
        await this.cache.commit(key, outcome.etag);
        return outcome.size;
      }
      failures++;
      if (failures > this.maxRetries) {
        throw new HubError(`download of "${path}" failed after ${failures} attempts (${outcome.reason}); ${(await this.cache.status(key)).bytes} bytes kept for resuming`, url);
      }
      await sleep(Math.min(this.retryDelayMs * 2 ** (failures - 1), 30_000), this.signal);
    }
  }

  /** One GET (resuming at resumeFrom when > 0) streamed into the cache. */
  private async transfer(
    url: string,
    key: string,
    resumeFrom: number,
    expectedSize: number | null,
    progress: (loaded: number, total: number | null) => void,
  ): Promise<TransferOutcome> {
    const res = await this.doFetch(url, {
      headers: this.headers(resumeFrom > 0 ? { Range: `bytes=${resumeFrom}-` } : {}),
      signal: this.signal,
    });
    const etag = res.headers.get('x-linked-etag') ?? res.headers.get('etag');
    if (res.status === 416 && resumeFrom > 0 && expectedSize === resumeFrom) {
      // Everything was already there: the partial file is the whole file.
      await res.body?.cancel();
      return { kind: 'complete', size: resumeFrom, etag };
    }
    if (res.status !== 200 && res.status !== 206) {
      await res.body?.cancel();
      throw statusError(res, url);
    }
    let start = 0;
    let total: number | null;
    if (res.status === 206) {
      const cr = parseContentRange(res.headers.get('content-range'));
      if (!cr || cr.start !== resumeFrom) {
        await res.body?.cancel();
        throw new CorruptDownload(`resume at ${resumeFrom} got Content-Range ${res.headers.get('content-range')}`);
      }
      start = resumeFrom;
      total = cr.total ?? null;
    } else {
      total = sizeHeader(res.headers.get('content-length'));
    }
    if (total !== null && expectedSize !== null && total !== expectedSize) {
      await res.body?.cancel();
      throw new CorruptDownload(`size mismatch: the server announced ${expectedSize} bytes (X-Linked-Size/Content-Length) but sends ${total}`);
    }
    total ??= expectedSize;
    if (!res.body) throw new CorruptDownload('response has no body');

    const writer = await this.cache.beginWrite(key, start);
    let loaded = start;
    progress(loaded, total);
    const reader = res.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (total !== null && loaded + value.byteLength > total) {
          throw new CorruptDownload(`size mismatch: received more than the announced ${total} bytes`);
        }
        await writer.write(value);
        loaded += value.byteLength;
        progress(loaded, total);
      }
    } finally {
      await writer.close();
      reader.releaseLock();
    }
    if (total !== null && loaded < total) return { kind: 'interrupted', reason: `connection closed at ${loaded} of ${total} bytes` };
    return { kind: 'complete', size: loaded, etag };
  }

  /** Content checks before a file is marked complete; a failing file is deleted. */
  private async verify(path: string, key: string, url: string, size: number): Promise<void> {
    const src = await this.cache.openPartial(key);
    if (!src) throw new HubError(`"${path}" vanished from the cache before verification`, url);
    try {
      if (src.size !== size) throw new CorruptDownload(`size mismatch: ${src.size} bytes stored, ${size} received`);
      if (path.endsWith('.safetensors')) await SafetensorsReader.open(src, path);
      else if (path.endsWith('.json')) JSON.parse(new TextDecoder().decode(await src.read(0, src.size)));
    } catch (e) {
      await src.close?.();
      await this.cache.delete(key);
      const why = e instanceof SafetensorsError || e instanceof CorruptDownload ? e.message : `invalid content: ${errorText(e)}`;
      throw new HubError(`downloaded "${path}" is corrupt, not cached: ${why}`, url);
    }
    await src.close?.();
  }
}

type TransferOutcome = { kind: 'complete'; size: number; etag: string | null } | { kind: 'interrupted'; reason: string };

class CorruptDownload extends Error {}

function checkedPath(path: string): string {
  if (path.length === 0 || path.startsWith('/') || path.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    throw new Error(`hub: invalid file path ${JSON.stringify(path)}`);
  }
  return path;
}

function sizeHeader(v: string | null): number | null {
  if (v === null || !/^\d+$/.test(v.trim())) return null;
  return Number(v);
}

function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

function statusError(res: Response, url: string): HubError {
  const hint =
    res.status === 401 || res.status === 403
      ? ' (gated or private repo: accept its license on huggingface.co and pass a token)'
      : res.status === 404
        ? ' (no such repo, revision or file)'
        : '';
  return new HubError(`HTTP ${res.status} ${res.statusText}${hint}`, url, res.status);
}

function errorText(e: unknown): string {
  if (e instanceof Error) {
    const cause = (e as { cause?: unknown }).cause;
    return cause instanceof Error ? `${e.message}: ${cause.message}` : e.message;
  }
  return String(e);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(signal.reason);
    }, { once: true });
  });
}
