/**
 * Files from the Hugging Face hub: https://huggingface.co/[datasets/]{repo}/resolve/{revision}/{path}.
 *
 * What it guarantees, against the real hub and its CDN as a browser sees them (see hub-http.ts):
 * - One commit per client: the revision is resolved once (X-Repo-Commit of the first answer, else
 *   the hub's revision API) and every file is fetched at that commit, so a branch that moves during
 *   a download cannot mix two versions. Cache entries are keyed by commit; the branch → commit ref
 *   is kept so a cached model opens offline.
 * - Sizes from one-byte Range probes, never HEAD; a small file's announced size is a hint (it may
 *   be served compressed), an LFS file's is exact and checked, as is its sha256 when the hub gives it.
 * - Resume by HTTP Range of an interrupted download, only when the stored bytes are of the same
 *   commit, size and ETag (If-Range where no commit pins the URL); otherwise that file restarts.
 *   Files already complete are never touched.
 * - Retries with exponential backoff on network errors, stalls, 408/429/5xx, for probes and
 *   transfers; partial data is kept across failures; other failures say what happened.
 * Content checks before a file is marked complete: JSON parses, safetensors header consistent.
 */
import { HttpByteSource, SafetensorsError, SafetensorsReader, ShardedSafetensorsReader, parseContentRange, parseShardIndex, type ByteSource, type TensorReader } from './safetensors';
import { MemoryHubCache, type CacheEntryStatus, type HubCache } from './hub-cache';
import { Sha256 } from './sha256';
import {
  COMMIT_PATTERN,
  HubError,
  HubUnreachableError,
  TransientHubError,
  discard,
  errorText,
  fetchRevisionCommit,
  htmlAnswerError,
  isNetworkFailure,
  looksLikeHtml,
  networkError,
  probeFile,
  retryDelay,
  sleep,
  statusError,
  withRetries,
  type RemoteFile,
  type RetryPolicy,
  unreachableAdvice,
} from './hub-http';
import { DEFAULT_HUB_ENDPOINT } from './hub-endpoint';
import { isStorageFull, storageFullError, type StorageEstimate } from './storage-quota';

export { HubError, HubUnreachableError, TransientHubError, type RemoteFile } from './hub-http';
export { MemoryHubCache, type CacheEntryStatus, type FileIdentity, type HubCache, type PartialWriter } from './hub-cache';
export { defaultBrowserCache } from './storage-opfs';

export const HF_BASE_URL = DEFAULT_HUB_ENDPOINT;

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
  /** Default 'model'; datasets live under /datasets/ on the hub. */
  repoType?: 'model' | 'dataset';
  /** Branch, tag or commit; default 'main'. */
  revision?: string;
  /** Default https://huggingface.co; tests point it at a local server. */
  baseUrl?: string;
  /** Access token for gated/private repos (sent as Bearer). */
  token?: string;
  /** Where downloads are kept; default: a MemoryHubCache (pass OPFS / a directory cache to persist). */
  cache?: HubCache;
  fetch?: typeof fetch;
  /** Retries after a failed request or interrupted transfer (each resuming where the last stopped); default 5. */
  maxRetries?: number;
  /** First retry delay, doubled each retry; default 1000 ms. */
  retryDelayMs?: number;
  /** Longest retry delay; default 30 s. */
  maxRetryDelayMs?: number;
  /** A transfer that receives nothing for this long is dropped and retried; default 60 s (0: never). */
  stallTimeoutMs?: number;
  /** Free storage, for the message when the cache is full; default navigator.storage.estimate() where it exists. */
  storageEstimate?: () => Promise<StorageEstimate>;
  signal?: AbortSignal;
}

/** Retries of the first request when it gets no answer at all: offline is told in seconds, not after the full backoff. */
const FIRST_CONTACT_NETWORK_RETRIES = 2;

/** The commit every file of a client is fetched at. */
export interface Snapshot {
  /** The cache key segment: the commit, or the revision when the server names no commit. */
  id: string;
  /** The commit; null when the server names none (then ETags guard resumes). */
  commit: string | null;
  /** Resolved from the cached ref because the hub could not be reached. */
  offline: boolean;
  /** The snapshot the ref pointed at before, when it moved (its partial downloads are dropped). */
  previous: string | null;
}

const REPO_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)?$/;
/** Restarts of one file from zero (changed on the server, or corrupt) before giving up. */
const MAX_RESTARTS = 2;
/** JSON files up to this size are parsed before being marked complete. */
const JSON_CHECK_LIMIT = 32 * 2 ** 20;
const HASH_CHUNK = 8 * 2 ** 20;

interface FileJob {
  path: string;
  url: string;
  key: string;
  remote: RemoteFile;
  snap: Snapshot;
}

type TransferOutcome =
  | { kind: 'complete'; size: number; etag: string | null }
  | { kind: 'interrupted'; reason: string; error?: unknown }
  /** The server answered a range it was not asked for: ask for the whole body next time. */
  | { kind: 'bad-range'; reason: string }
  /** The stored bytes are not of this file version (or the download was corrupt): start over. */
  | { kind: 'restart'; reason: string };

export class HubClient {
  readonly repo: string;
  readonly repoType: 'model' | 'dataset';
  readonly revision: string;
  readonly baseUrl: string;
  readonly cache: HubCache;
  private readonly token: string | undefined;
  private readonly doFetch: typeof fetch;
  private readonly retry: RetryPolicy;
  private readonly stallTimeoutMs: number;
  private readonly signal: AbortSignal | undefined;
  private readonly storageEstimate: (() => Promise<StorageEstimate>) | undefined;
  private snapshotPromise: Promise<Snapshot> | null = null;
  private readonly probes = new Map<string, Promise<RemoteFile>>();

  constructor(options: HubClientOptions) {
    if (!REPO_PATTERN.test(options.repo)) throw new Error(`hub: invalid repo id ${JSON.stringify(options.repo)} (expected "owner/name")`);
    this.repo = options.repo;
    this.repoType = options.repoType ?? 'model';
    if (this.repoType === 'dataset' && !this.repo.includes('/')) throw new Error(`hub: invalid dataset id ${JSON.stringify(options.repo)} (expected "owner/name")`);
    this.revision = options.revision ?? 'main';
    if (this.revision.length === 0 || this.revision.split('/').some((s) => s === '' || s === '..' || s === '.')) {
      throw new Error(`hub: invalid revision ${JSON.stringify(this.revision)}`);
    }
    this.baseUrl = (options.baseUrl ?? HF_BASE_URL).replace(/\/+$/, '');
    this.cache = options.cache ?? new MemoryHubCache();
    this.token = options.token;
    this.doFetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.signal = options.signal;
    this.retry = { maxRetries: options.maxRetries ?? 5, retryDelayMs: options.retryDelayMs ?? 1000, maxRetryDelayMs: options.maxRetryDelayMs ?? 30_000, signal: this.signal };
    this.stallTimeoutMs = options.stallTimeoutMs ?? 60_000;
    this.storageEstimate = options.storageEstimate;
  }

  /** A network failure as what to do about it; anything else unchanged. */
  private explainFailure(e: unknown, kept = ''): unknown {
    if (!isNetworkFailure(e) || this.signal?.aborted) return e;
    return new HubUnreachableError(`${unreachableAdvice(this.baseUrl, this.repoType)}${kept} (${e.detail})`, e.url, this.baseUrl);
  }

  private get repoPrefix(): string {
    return this.repoType === 'dataset' ? 'datasets/' : '';
  }

  /** The resolve URL of a file at a revision (default: the client's revision, unresolved). */
  url(path: string, revision = this.revision): string {
    return `${this.baseUrl}/${this.repoPrefix}${this.repo}/resolve/${encodeURIComponent(revision)}/${encodePath(checkedPath(path))}`;
  }

  /** The cache key of a file in a snapshot (a commit, or a revision on servers without commits). */
  cacheKey(path: string, snapshot: string): string {
    return [...this.repoPrefix.split('/').filter(Boolean), ...this.repo.split('/'), snapshot, ...checkedPath(path).split('/')].map(encodeSegment).join('/');
  }

  private refKey(): string {
    return [`${this.repoType}s`, ...this.repo.split('/'), this.revision].map(encodeSegment).join('/');
  }

  private headers(): Record<string, string> {
    return this.token ? { Authorization: `Bearer ${this.token}` } : {};
  }

  /**
   * The snapshot this client reads: the revision resolved to a commit on first use (by probing
   * `hintPath`), then fixed for the client's life.
   */
  snapshot(hintPath = 'config.json'): Promise<Snapshot> {
    this.snapshotPromise ??= this.resolveSnapshot(hintPath).catch((e: unknown) => {
      this.snapshotPromise = null;
      throw e;
    });
    return this.snapshotPromise;
  }

  private async resolveSnapshot(hintPath: string): Promise<Snapshot> {
    const previous = await this.cache.getRef(this.refKey());
    if (COMMIT_PATTERN.test(this.revision)) return { id: this.revision, commit: this.revision, offline: false, previous: null };
    // With a cached ref, a failure to reach the hub means offline use: no retries.
    const policy: RetryPolicy = previous !== null ? { ...this.retry, maxRetries: 0 } : { ...this.retry, maxNetworkRetries: Math.min(FIRST_CONTACT_NETWORK_RETRIES, this.retry.maxRetries) };
    let commit: string | null;
    let probed: RemoteFile;
    try {
      probed = await withRetries(policy, () => probeFile(this.url(hintPath), this.doFetch, this.headers(), this.signal));
      commit = probed.commit;
      if (commit === null || !COMMIT_PATTERN.test(commit)) {
        const api = `${this.baseUrl}/api/${this.repoType}s/${this.repo}/revision/${encodeURIComponent(this.revision)}`;
        commit = await withRetries(policy, () => fetchRevisionCommit(api, this.doFetch, this.headers(), this.signal));
      }
    } catch (e) {
      if (previous !== null && e instanceof TransientHubError && !this.signal?.aborted) {
        return { id: previous, commit: COMMIT_PATTERN.test(previous) ? previous : null, offline: true, previous: null };
      }
      throw this.explainFailure(e);
    }
    const id = commit ?? encodeSegment(this.revision);
    // The probe's answer is about the file at this very commit (or at the unpinned revision): no need to ask again.
    if (probed.commit === commit) this.probes.set(this.url(hintPath, commit ?? this.revision), Promise.resolve(probed));
    if (id !== previous) await this.cache.setRef(this.refKey(), id);
    return { id, commit, offline: false, previous: previous !== null && previous !== id ? previous : null };
  }

  /** The snapshot the cache holds for this revision, without asking the network. */
  private async cachedSnapshotId(): Promise<string> {
    if (COMMIT_PATTERN.test(this.revision)) return this.revision;
    return (await this.cache.getRef(this.refKey())) ?? encodeSegment(this.revision);
  }

  private snapshotUrl(snap: Snapshot, path: string): string {
    return this.url(path, snap.commit ?? this.revision);
  }

  /** Cache state of each file in the snapshot last resolved for this revision (no network). */
  async cacheStatus(paths: string[]): Promise<FileCacheStatus[]> {
    const id = this.snapshotPromise ? (await this.snapshotPromise).id : await this.cachedSnapshotId();
    return Promise.all(paths.map(async (path) => ({ path, ...(await this.cache.status(this.cacheKey(path, id))) })));
  }

  /** What the server says about a file at the client's snapshot (probed once per client). */
  async remoteFile(path: string): Promise<RemoteFile> {
    const snap = await this.snapshot(path);
    const url = this.snapshotUrl(snap, path);
    let probe = this.probes.get(url);
    if (!probe) {
      // Already found offline (the snapshot came from the cached ref): say so at once, without the backoff.
      const policy = snap.offline ? { ...this.retry, maxNetworkRetries: 0 } : this.retry;
      probe = withRetries(policy, () => probeFile(url, this.doFetch, this.headers(), this.signal)).catch((e: unknown) => {
        throw this.explainFailure(e);
      });
      this.probes.set(url, probe);
      probe.catch(() => this.probes.delete(url));
    }
    return probe;
  }

  /** The file's size (exact for LFS files, a hint for small ones), or null when the server does not say. */
  async remoteSize(path: string): Promise<number | null> {
    const remote = await this.remoteFile(path);
    if (!remote.exists) throw new HubError(`"${path}" does not exist in ${this.repo} at ${this.revision}`, this.url(path), 404, 'EntryNotFound');
    return remote.size;
  }

  /**
   * Makes sure every file is complete in the cache, downloading (or resuming) what is missing.
   * Files are fetched one after the other; progress covers all of them.
   */
  async download(paths: string[], onProgress?: (p: DownloadProgress) => void): Promise<void> {
    if (paths.length === 0) return;
    const snap = await this.snapshot(paths[0]);
    const keys = paths.map((p) => this.cacheKey(p, snap.id));
    const statuses = await Promise.all(keys.map((k) => this.cache.status(k)));
    const remotes = await Promise.all(
      paths.map(async (path, i) => {
        if (statuses[i]!.state === 'complete') return null;
        const remote = await this.remoteFile(path);
        if (!remote.exists) throw new HubError(`"${path}" does not exist in ${this.repo} at ${this.revision} (no such file)`, this.snapshotUrl(snap, path), 404, 'EntryNotFound');
        return remote;
      }),
    );
    const sizes = paths.map((_, i) => (statuses[i]!.state === 'complete' ? statuses[i]!.bytes : remotes[i]!.size));
    const total = sizes.every((s) => s !== null) ? (sizes as number[]).reduce((a, b) => a + b, 0) : null;
    let finished = 0;
    for (const [i, path] of paths.entries()) {
      if (statuses[i]!.state === 'complete') {
        finished += statuses[i]!.bytes;
        onProgress?.({ path, fileLoaded: statuses[i]!.bytes, fileTotal: statuses[i]!.bytes, loaded: finished, total, fromCache: true });
        continue;
      }
      const job: FileJob = { path, url: this.snapshotUrl(snap, path), key: keys[i]!, remote: remotes[i]!, snap };
      finished += await this.fetchFile(job, (fileLoaded) => onProgress?.({ path, fileLoaded, fileTotal: job.remote.size, loaded: finished + fileLoaded, total, fromCache: false }));
    }
  }

  /** A cached file's bytes, downloading it first if needed. */
  async open(path: string, onProgress?: (p: DownloadProgress) => void): Promise<ByteSource> {
    await this.download([path], onProgress);
    const snap = await this.snapshot(path);
    const source = await this.cache.open(this.cacheKey(path, snap.id));
    if (!source) throw new HubError(`"${path}" is not in the cache after downloading it`, this.snapshotUrl(snap, path));
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

  /** Whether the repo has a file (a cached copy, or the server's answer to a probe). */
  async exists(path: string): Promise<boolean> {
    const snap = await this.snapshot(path);
    if ((await this.cache.status(this.cacheKey(path, snap.id))).state === 'complete') return true;
    return (await this.remoteFile(path)).exists;
  }

  /** Streams a file straight from the server (at the client's commit) by Range requests, without caching it. */
  async openRemote(path: string): Promise<HttpByteSource> {
    const snap = await this.snapshot(path);
    return HttpByteSource.open(this.snapshotUrl(snap, path), { headers: this.headers(), fetch: this.doFetch, signal: this.signal });
  }

  /**
   * The model's weights (model.safetensors, or the shards of model.safetensors.index.json),
   * downloaded into the cache first; tensors are then read from the cache one at a time.
   */
  async openWeights(onProgress?: (p: DownloadProgress) => void): Promise<TensorReader> {
    const snap = await this.snapshot('model.safetensors');
    // A cached single-file checkpoint opens without asking about an index (offline use).
    const cachedSingle = (await this.cache.status(this.cacheKey('model.safetensors', snap.id))).state === 'complete';
    if (!cachedSingle && (await this.exists('model.safetensors.index.json'))) {
      const index = parseShardIndex(await this.json('model.safetensors.index.json'));
      await this.download(index.shards, onProgress);
      return ShardedSafetensorsReader.open(index, (file) => this.open(file));
    }
    const src = await this.open('model.safetensors', onProgress);
    return SafetensorsReader.open(src, 'model.safetensors');
  }

  /** Downloads one file into the cache (resuming, retrying), verifies and commits it; returns its size. */
  private async fetchFile(job: FileJob, progress: (loaded: number) => void): Promise<number> {
    await this.dropStalePartial(job);
    let failures = 0;
    let restarts = 0;
    let fresh = false;
    let wholeBody = false;
    for (;;) {
      const stored = await this.cache.status(job.key);
      const resumeFrom = !fresh && stored.state === 'partial' && canResume(job, stored) ? stored.bytes : 0;
      fresh = false;
      let outcome: TransferOutcome;
      try {
        outcome = await this.transfer(job, resumeFrom, stored, wholeBody, progress);
      } catch (e) {
        if (this.signal?.aborted) throw e;
        if (e instanceof CorruptDownload) outcome = { kind: 'restart', reason: e.message };
        else if (isStorageFull(e)) throw await storageFullError({ path: job.path, url: job.url, needed: await this.bytesStillNeeded(job), error: e, estimate: this.storageEstimate });
        else if (e instanceof HubError && !(e instanceof TransientHubError)) throw e;
        else outcome = { kind: 'interrupted', reason: e instanceof HubError ? e.detail : errorText(e), error: e };
      }
      if (outcome.kind === 'complete') {
        const problem = await this.verify(job, outcome.size);
        if (problem === null) {
          await this.cache.commit(job.key, { commit: job.snap.commit, etag: outcome.etag, size: outcome.size });
          return outcome.size;
        }
        outcome = { kind: 'restart', reason: `downloaded "${job.path}" is corrupt, not cached: ${problem}` };
      }
      if (outcome.kind === 'bad-range') wholeBody = true;
      if (outcome.kind === 'restart') {
        restarts++;
        fresh = true;
        if (restarts > MAX_RESTARTS) throw new HubError(`${outcome.reason} (${restarts} downloads from scratch)`, job.url);
      }
      failures++;
      if (failures > this.retry.maxRetries) {
        const kept = (await this.cache.status(job.key)).bytes;
        if (outcome.kind === 'interrupted' && isNetworkFailure(outcome.error)) {
          throw this.explainFailure(new TransientHubError(`${outcome.reason}; gave up after ${failures} attempts`, job.url, undefined, undefined, true), `; ${kept} bytes of "${job.path}" kept for resuming`);
        }
        throw new HubError(`download of "${job.path}" failed after ${failures} attempts (${outcome.reason}); ${kept} bytes kept for resuming`, job.url);
      }
      await sleep(retryDelay(this.retry, failures, outcome.kind === 'interrupted' ? outcome.error : undefined), this.signal);
    }
  }

  /** What the rest of this file needs in storage: its size less what is stored (unknown: null). */
  private async bytesStillNeeded(job: FileJob): Promise<number | null> {
    if (job.remote.size === null) return null;
    return Math.max(0, job.remote.size - (await this.cache.status(job.key)).bytes);
  }

  /** When the branch moved since the last download, an unfinished file of the old commit can never be resumed: free its space. */
  private async dropStalePartial(job: FileJob): Promise<void> {
    if (job.snap.previous === null) return;
    const oldKey = this.cacheKey(job.path, job.snap.previous);
    if ((await this.cache.status(oldKey)).state === 'partial') await this.cache.delete(oldKey);
  }

  /** One GET (resuming at resumeFrom when > 0) streamed into the cache. */
  private async transfer(job: FileJob, resumeFrom: number, stored: CacheEntryStatus, wholeBody: boolean, progress: (loaded: number) => void): Promise<TransferOutcome> {
    const { url, remote, snap } = job;
    const headers = this.headers();
    if (resumeFrom > 0 && !wholeBody) {
      headers.Range = `bytes=${resumeFrom}-`;
      // Without a commit nothing pins what the URL serves: let the server refuse a changed file.
      // (Never sent to the hub: its CDN need not allow the header in a CORS preflight.)
      if (snap.commit === null && stored.etag !== null && !stored.etag.startsWith('W/')) headers['If-Range'] = stored.etag;
    }
    const watchdog = new Watchdog(this.stallTimeoutMs, this.signal);
    try {
      let res: Response;
      try {
        res = await this.doFetch(url, { headers, cache: 'no-store', signal: watchdog.signal });
      } catch (e) {
        throw watchdog.explain(e, url) ?? networkError(e, url, this.signal);
      }
      const etag = res.headers.get('etag');
      if (res.status === 416 && resumeFrom > 0 && remote.size === resumeFrom) {
        await discard(res); // everything was already there
        return { kind: 'complete', size: resumeFrom, etag: stored.etag };
      }
      if (res.status !== 200 && res.status !== 206) {
        await discard(res);
        throw statusError(res, url);
      }
      let start = 0;
      let skip = 0;
      if (res.status === 206) {
        const range = parseContentRange(res.headers.get('content-range'));
        if (!range || range.start !== resumeFrom || resumeFrom === 0 || wholeBody) {
          await discard(res);
          return { kind: 'bad-range', reason: `asked for bytes from ${resumeFrom}, the server answered Content-Range ${JSON.stringify(res.headers.get('content-range'))}` };
        }
        if (remote.size !== null && range.total !== undefined && range.total !== remote.size) {
          await discard(res);
          return { kind: 'restart', reason: `"${job.path}" changed on the server while downloading: it is now ${range.total} bytes, not ${remote.size}` };
        }
        if (stored.etag !== null && etag !== null && etag !== stored.etag) {
          await discard(res);
          return { kind: 'restart', reason: `"${job.path}" changed on the server while downloading (ETag ${etag}, the stored part is ${stored.etag})` };
        }
        start = resumeFrom;
      } else if (resumeFrom > 0) {
        // The whole file although bytes from resumeFrom were asked for: skip what is stored if it is
        // provably the same version (same ETag, or the URL is pinned to a commit); else start over.
        const same = stored.etag !== null && etag !== null ? etag === stored.etag : snap.commit !== null;
        if (same) start = skip = resumeFrom;
      }
      if (!res.body) throw new TransientHubError('the response has no body', url, res.status);
      if (looksLikeHtml(job.path, res.headers.get('content-type'), new Uint8Array(0))) {
        await discard(res);
        throw htmlAnswerError(job.path, url);
      }
      const reader = res.body.getReader();
      const readChunk = () =>
        reader.read().catch((e: unknown) => {
          throw watchdog.explain(e, url) ?? connectionLost(e, url, this.signal);
        });
      // The first bytes are looked at before anything is written: a web page must not replace stored bytes.
      let pending: ReadableStreamReadResult<Uint8Array> | null = await readChunk();
      if (res.status === 200 && !pending.done && looksLikeHtml(job.path, null, pending.value)) {
        await reader.cancel().catch(() => {});
        throw htmlAnswerError(job.path, url);
      }

      const writer = await this.cache.beginWrite(job.key, start, { commit: snap.commit, etag: etag ?? (start > 0 ? stored.etag : null), size: remote.ranged ? remote.size : null }).catch(async (e: unknown) => {
        await reader.cancel().catch(() => {});
        throw e;
      });
      let loaded = start;
      progress(loaded);
      try {
        for (;;) {
          const { done, value } = pending ?? (await readChunk());
          pending = null;
          if (done) break;
          watchdog.kick();
          let chunk = value;
          if (skip > 0) {
            const drop = Math.min(skip, chunk.byteLength);
            skip -= drop;
            chunk = chunk.subarray(drop);
            if (chunk.byteLength === 0) continue;
          }
          if (remote.lfs && remote.size !== null && loaded + chunk.byteLength > remote.size) {
            throw new CorruptDownload(`"${job.path}" is longer than the ${remote.size} bytes the server announced`);
          }
          await writer.write(chunk);
          loaded += chunk.byteLength;
          progress(loaded);
        }
      } catch (e) {
        await reader.cancel().catch(() => {});
        throw e;
      } finally {
        await writer.close();
      }
      if (skip > 0) return { kind: 'interrupted', reason: `the connection closed before reaching byte ${resumeFrom}` };
      if (remote.lfs && remote.size !== null && loaded < remote.size) return { kind: 'interrupted', reason: `connection closed at ${loaded} of ${remote.size} bytes` };
      return { kind: 'complete', size: loaded, etag: etag ?? (start > 0 ? stored.etag : null) };
    } finally {
      watchdog.stop();
    }
  }

  /** Content checks before a file is marked complete; a failing file is deleted. Returns the problem, or null. */
  private async verify(job: FileJob, size: number): Promise<string | null> {
    const src = await this.cache.openPartial(job.key);
    if (!src) return `it vanished from the cache before verification`;
    let problem: string | null = null;
    try {
      const { remote, path } = job;
      if (src.size !== size) problem = `${src.size} bytes stored, ${size} received`;
      else if (remote.lfs && remote.size !== null && src.size !== remote.size) problem = `${src.size} bytes, the server announced ${remote.size}`;
      else if (remote.sha256 !== null) {
        const hash = new Sha256();
        for (let at = 0; at < src.size; at += HASH_CHUNK) hash.update(await src.read(at, Math.min(HASH_CHUNK, src.size - at)));
        const got = hash.digestHex();
        if (got !== remote.sha256) problem = `its sha256 is ${got}, the hub says ${remote.sha256}`;
      }
      if (problem === null && path.endsWith('.safetensors')) await SafetensorsReader.open(src, path);
      else if (problem === null && path.endsWith('.json') && src.size <= JSON_CHECK_LIMIT) JSON.parse(new TextDecoder().decode(await src.read(0, src.size)));
    } catch (e) {
      problem = e instanceof SafetensorsError ? e.message : `invalid content: ${errorText(e)}`;
    } finally {
      await src.close?.();
    }
    if (problem !== null) await this.cache.delete(job.key);
    return problem;
  }
}

/**
 * Whether stored bytes continue this file: the server serves it by ranges (its probe was answered
 * with a Content-Range; ranges address the uncompressed bytes, so a compressed transfer resumes
 * too), and the stored bytes are of the same commit and size.
 */
function canResume(job: FileJob, stored: CacheEntryStatus): boolean {
  const { remote, snap } = job;
  if (!remote.ranged || remote.size === null) return false;
  if (stored.commit !== snap.commit) return false;
  if (stored.size !== null && stored.size !== remote.size) return false;
  return stored.bytes > 0 && stored.bytes <= remote.size;
}

/** Aborts a request that receives nothing for `ms` (a stalled connection), and forwards the caller's abort. */
class Watchdog {
  private readonly controller = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stalled = false;
  private readonly onAbort: () => void;

  constructor(
    private readonly ms: number,
    private readonly parent?: AbortSignal,
  ) {
    this.onAbort = () => this.controller.abort(parent?.reason);
    if (parent?.aborted) this.onAbort();
    else parent?.addEventListener('abort', this.onAbort, { once: true });
    this.kick();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  kick(): void {
    clearTimeout(this.timer);
    if (this.ms > 0) {
      this.timer = setTimeout(() => {
        this.stalled = true;
        this.controller.abort(new Error('stalled'));
      }, this.ms);
    }
  }

  /** A TransientHubError for an abort caused by a stall; null for anything else. */
  explain(_e: unknown, url: string): TransientHubError | null {
    return this.stalled && !this.parent?.aborted ? new TransientHubError(`no data for ${this.ms / 1000} s`, url) : null;
  }

  stop(): void {
    clearTimeout(this.timer);
    this.parent?.removeEventListener('abort', this.onAbort);
  }
}

class CorruptDownload extends Error {}

/** A body that broke off: the server was reached, so this is an interruption to resume, not "unreachable". */
function connectionLost(e: unknown, url: string, signal?: AbortSignal): unknown {
  if (signal?.aborted) return e;
  return new TransientHubError(`network error: ${errorText(e)}`, url);
}


function checkedPath(path: string): string {
  if (path.length === 0 || path.startsWith('/') || path.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    throw new Error(`hub: invalid file path ${JSON.stringify(path)}`);
  }
  return path;
}

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/** One key segment: URI-encoded once, whatever it was given as. */
function encodeSegment(s: string): string {
  let plain = s;
  try {
    plain = decodeURIComponent(s);
  } catch {
    // not an encoded string: use it as is
  }
  return encodeURIComponent(plain);
}
