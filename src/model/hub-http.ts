/**
 * What a browser can learn about a hub file, and how hub requests fail and are retried.
 *
 * A page never sees the hub's redirect of an LFS file to its CDN (fetch follows it; a manual
 * redirect is opaque), so X-Linked-Size / X-Linked-ETag on that 302 are out of reach, and HEAD
 * answers can carry a compressed Content-Length (or none). The size therefore comes from a GET of
 * one byte (`Range: bytes=0-0`): the total of its Content-Range, on the hub or on the CDN. Asked with
 * `Accept: application/vnd.xet-fileinfo+json`, the hub answers a Xet-stored file with its file info
 * instead of a redirect, whose X-Linked-Size / X-Linked-ETag (the sha256 of an LFS file) it exposes.
 * X-Repo-Commit names the commit a hub answer describes.
 */
import { parseContentRange } from './safetensors';

export class HubError extends Error {
  constructor(
    /** What went wrong, without the URL. */
    readonly detail: string,
    readonly url: string,
    readonly status?: number,
    /** The hub's X-Error-Code (EntryNotFound, RevisionNotFound, RepoNotFound, GatedRepo, ...). */
    readonly code?: string,
  ) {
    super(`hub: ${detail} (${url})`);
    this.name = 'HubError';
  }
}

/** A failure worth retrying: network error, 408, 429, 5xx. */
export class TransientHubError extends HubError {
  constructor(
    message: string,
    url: string,
    status?: number,
    /** Retry-After, when the server sent one the page can read. */
    readonly retryAfterMs?: number,
    /** The request never got an answer (fetch rejected: offline, DNS, refused, blocked, CORS). */
    readonly network = false,
  ) {
    super(message, url, status);
    this.name = 'TransientHubError';
  }
}

/** The server could not be reached at all (every attempt failed without an answer). */
export class HubUnreachableError extends HubError {
  constructor(
    detail: string,
    url: string,
    /** The endpoint that could not be reached. */
    readonly endpoint: string,
  ) {
    super(detail, url);
    this.name = 'HubUnreachableError';
  }
}

/** What to do when `endpoint` cannot be reached: a mirror, or files that need no hub. */
export function unreachableAdvice(endpoint: string, repoType: 'model' | 'dataset'): string {
  const instead = repoType === 'model' ? 'open a model folder' : 'upload the dataset file';
  return `cannot reach ${endpoint}: offline, or blocked by a firewall or proxy? Set a mirror in Hub endpoint (the CLI: --endpoint or HF_ENDPOINT), or ${instead}`;
}

/** A network failure (a TransientHubError without an answer), however many attempts it took. */
export function isNetworkFailure(e: unknown): e is TransientHubError {
  return e instanceof TransientHubError && e.network;
}

export const XET_FILEINFO_TYPE = 'application/vnd.xet-fileinfo+json';

/** What one probe says about a file. */
export interface RemoteFile {
  /** false: the server has no such file (404 EntryNotFound, or a plain 404). */
  exists: boolean;
  /** The full (decoded) size, when the server says. */
  size: number | null;
  /**
   * The size is the file's exact size: an LFS file (Xet file info, or a Content-Range from the CDN
   * the hub redirected to). Small files come from the hub itself, compressed or not, and their size
   * is only a hint (their content is checked instead).
   */
  lfs: boolean;
  /** The server answered the probe's Range (so a transfer can be resumed by Range). */
  ranged: boolean;
  etag: string | null;
  /** X-Repo-Commit: the commit the answer describes, when the hub says. */
  commit: string | null;
  /** The file's sha256, when the hub gives it (X-Linked-ETag of an LFS file). */
  sha256: string | null;
}

/**
 * Probes a file with a one-byte GET (never HEAD: see above), bypassing the HTTP cache.
 * Throws HubError for answers that say the repo or revision is unusable, TransientHubError for
 * retryable failures.
 */
export async function probeFile(url: string, doFetch: typeof fetch, headers: Record<string, string>, signal?: AbortSignal): Promise<RemoteFile> {
  let res: Response;
  try {
    res = await doFetch(url, { method: 'GET', headers: { ...headers, Range: 'bytes=0-0', Accept: `${XET_FILEINFO_TYPE}, */*` }, cache: 'no-store', signal });
  } catch (e) {
    throw networkError(e, url, signal);
  }
  const commit = res.headers.get('x-repo-commit');
  if (res.status === 404 && (res.headers.get('x-error-code') ?? 'EntryNotFound') === 'EntryNotFound') {
    await discard(res);
    return { exists: false, size: null, lfs: false, ranged: false, etag: null, commit, sha256: null };
  }
  if (res.status === 416) {
    // Only an empty file has no byte 0.
    await discard(res);
    const total = /^bytes \*\/(\d+)$/.exec(res.headers.get('content-range') ?? '')?.[1];
    return { exists: true, size: total !== undefined ? Number(total) : 0, lfs: false, ranged: false, etag: res.headers.get('etag'), commit, sha256: null };
  }
  if (!res.ok) {
    await discard(res);
    throw statusError(res, url);
  }
  const path = fileOfUrl(url);
  if (looksLikeHtml(path, res.headers.get('content-type'), new Uint8Array(0))) {
    await discard(res);
    throw htmlAnswerError(path, url);
  }
  if ((res.headers.get('content-type') ?? '').includes(XET_FILEINFO_TYPE)) {
    const linkedEtag = res.headers.get('x-linked-etag');
    let size = sizeHeader(res.headers.get('x-linked-size'));
    if (size === null) size = await res.json().then((j: { size?: unknown }) => sizeHeader(String(j.size)), () => null);
    else await discard(res);
    return {
      exists: true,
      size,
      lfs: true,
      ranged: true,
      etag: linkedEtag ?? res.headers.get('etag'),
      commit,
      sha256: sha256FromEtag(linkedEtag),
    };
  }
  const etag = res.headers.get('etag');
  if (res.status === 206) {
    await discard(res);
    const total = parseContentRange(res.headers.get('content-range'))?.total ?? null;
    return { exists: true, size: total, lfs: total !== null && leftOrigin(res, url), ranged: total !== null, etag, commit, sha256: null };
  }
  // 200: the server ignored Range. Its Content-Length may be the compressed size: a hint only.
  await discard(res);
  return { exists: true, size: sizeHeader(res.headers.get('content-length')), lfs: false, ranged: false, etag, commit, sha256: null };
}

/** The file a resolve URL names (after /resolve/<revision>/), for messages. */
function fileOfUrl(url: string): string {
  const m = /\/resolve\/[^/]+\/([^?#]+)/.exec(url);
  try {
    return m ? decodeURIComponent(m[1]!) : url;
  } catch {
    return m![1]!;
  }
}

/** The commit a revision points at, from the hub's API (`/api/{models|datasets}/{repo}/revision/{rev}`). */
export async function fetchRevisionCommit(url: string, doFetch: typeof fetch, headers: Record<string, string>, signal?: AbortSignal): Promise<string | null> {
  let res: Response;
  try {
    res = await doFetch(url, { headers: { ...headers, Accept: 'application/json' }, cache: 'no-store', signal });
  } catch (e) {
    throw networkError(e, url, signal);
  }
  if (!res.ok) {
    await discard(res);
    if (isRetryableStatus(res.status)) throw statusError(res, url);
    return null;
  }
  try {
    const sha = ((await res.json()) as { sha?: unknown }).sha;
    return typeof sha === 'string' && COMMIT_PATTERN.test(sha) ? sha : null;
  } catch {
    return null;
  }
}

export const COMMIT_PATTERN = /^[0-9a-f]{40}$/;

/** The answer came from another origin than asked (the hub's CDN): an LFS file. */
function leftOrigin(res: Response, url: string): boolean {
  if (!res.redirected || !res.url) return false;
  try {
    return new URL(res.url).origin !== new URL(url).origin;
  } catch {
    return false;
  }
}

function sha256FromEtag(etag: string | null): string | null {
  const m = /^(?:W\/)?"?([0-9a-f]{64})"?$/.exec(etag?.trim() ?? '');
  return m ? m[1]! : null;
}

export function sizeHeader(v: string | null): number | null {
  if (v === null || !/^\d+$/.test(v.trim())) return null;
  return Number(v);
}

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Where a token goes, in the app and in the CLI. */
const TOKEN_PLACES = ' in the Model panel\'s Access token field, or --token / HF_TOKEN in the CLI';

/** An HTTP failure as a HubError (TransientHubError when retrying may help), with the hub's own words when it exposes them. */
export function statusError(res: Response, url: string): HubError {
  const code = res.headers.get('x-error-code') ?? undefined;
  const said = res.headers.get('x-error-message');
  const hint =
    res.status === 401 || res.status === 403
      ? code === 'RepoNotFound'
        ? ` (no such repo, or a private one: check the repo id, or add an access token${TOKEN_PLACES})`
        : ` (gated or private repo: accept its license on huggingface.co, then add an access token${TOKEN_PLACES})`
      : res.status === 404
        ? code === 'RevisionNotFound'
          ? ' (no such revision: check the revision)'
          : code === 'EntryNotFound'
            ? ' (no such file in the repo)'
            : ' (no such repo, revision or file: check the repo id)'
        : res.status === 429
          ? ' (rate limited)'
          : '';
  const message = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}${said ? `: ${said}` : ''}${hint}`;
  if (isRetryableStatus(res.status)) return new TransientHubError(message, url, res.status, retryAfterMs(res.headers.get('retry-after')));
  return new HubError(message, url, res.status, code);
}

function retryAfterMs(v: string | null): number | undefined {
  if (v === null) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** A rejected fetch: aborted by the caller (rethrown as is) or a network failure (retryable). */
export function networkError(e: unknown, url: string, signal?: AbortSignal): unknown {
  if (signal?.aborted) return e;
  return new TransientHubError(`network error: ${errorText(e)}`, url, undefined, undefined, true);
}

export async function discard(res: Response): Promise<void> {
  try {
    await res.body?.cancel();
  } catch {
    // already consumed or errored: nothing to release
  }
}

export function errorText(e: unknown): string {
  if (e instanceof Error) {
    const cause = (e as { cause?: unknown }).cause;
    return cause instanceof Error ? `${e.message}: ${cause.message}` : e.message;
  }
  return String(e);
}

export interface RetryPolicy {
  /** Retries after the first failure. */
  maxRetries: number;
  /** Retries of a request that got no answer at all (default maxRetries). */
  maxNetworkRetries?: number;
  /** First delay, doubled each retry. */
  retryDelayMs: number;
  maxRetryDelayMs: number;
  signal?: AbortSignal;
}

/** Delay before retry number `attempt` (1-based): exponential, at least the server's Retry-After, capped. */
export function retryDelay(policy: RetryPolicy, attempt: number, error?: unknown): number {
  const backoff = policy.retryDelayMs * 2 ** (attempt - 1);
  const asked = error instanceof TransientHubError ? (error.retryAfterMs ?? 0) : 0;
  return Math.min(Math.max(backoff, asked), policy.maxRetryDelayMs);
}

/** Runs `fn`, retrying TransientHubErrors with backoff. */
export async function withRetries<T>(policy: RetryPolicy, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      const limit = e instanceof TransientHubError && e.network ? (policy.maxNetworkRetries ?? policy.maxRetries) : policy.maxRetries;
      if (!(e instanceof TransientHubError) || attempt > limit || policy.signal?.aborted) {
        if (e instanceof TransientHubError && attempt > 1) throw new TransientHubError(`${e.detail}; gave up after ${attempt} attempts`, e.url, e.status, undefined, e.network);
        throw e;
      }
      await sleep(retryDelay(policy, attempt, e), policy.signal);
    }
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Whether an answer is a web page instead of the file asked for (a proxy's login page, a mirror or
 * static host's fallback page): Content-Type text/html, or a body that starts like markup (for a
 * JSON file any '<'; for a binary one only an unmistakable opening, since a safetensors header
 * length may begin with the byte '<').
 */
export function looksLikeHtml(path: string, contentType: string | null, head: Uint8Array): boolean {
  if (/^\s*(text\/html|application\/xhtml\+xml)\b/i.test(contentType ?? '')) return true;
  const start = new TextDecoder('latin1').decode(head.subarray(0, 64)).replace(/^[\s\ufeff]+/, '');
  if (/\.json$/i.test(path)) return start.startsWith('<');
  return /^<(!doctype|html|head|body|\?xml)\b/i.test(start);
}

/** A web page where a file was expected: not retried, nothing of it is stored. */
export function htmlAnswerError(path: string, url: string): HubError {
  let origin = url;
  try {
    origin = new URL(url).origin;
  } catch {
    // keep the URL as given
  }
  return new HubError(`${origin} answered a web page (HTML) instead of "${path}": is it a Hugging Face hub or mirror? Check the Hub endpoint (or a proxy asking for a login)`, url, undefined, 'HtmlInsteadOfFile');
}
