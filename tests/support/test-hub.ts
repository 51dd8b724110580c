/**
 * A loopback stand-in for huggingface.co and its file CDN that behaves toward a browser the way the
 * real ones do, for the hub client's unit tests (Node) and end-to-end tests (Chromium), and by hand
 * (scripts/test-hub.ts). Two servers on 127.0.0.1, hence two origins: the hub and the CDN.
 *
 * What the real hub does, and where that is documented (public sources, read for this module):
 * - GET /{repo}/resolve/{rev}/{path} (datasets under /datasets/): a regular (small) file is answered
 *   `307` with a relative Location `/api/resolve-cache/models/{repo}/{commit}/{path}?etag=...`, which
 *   serves it; an LFS file is answered `302` to a signed CDN URL (https://us.aws.cdn.hf.co/xet-bridge-us/...
 *   or cas-bridge.xethub.hf.co), with X-Linked-Size, X-Linked-ETag (the file's sha256) and
 *   X-Repo-Commit on that 302 only. Seen in `curl -I` logs quoted in public agent transcripts and
 *   issue threads (e.g. huggingface_hub #1405 on X-Linked-Etag; HEAD logs of
 *   huggingface.co/api/resolve-cache/models/... in auto-round runs), and in the hub's OpenAPI
 *   description (https://huggingface.co/.well-known/openapi.json: "302 Redirection to file, 307
 *   Redirection to Xet endpoint, 200 The XET file info only available if the accept header is set to
 *   application/vnd.xet-fileinfo+json").
 * - With `Accept: application/vnd.xet-fileinfo+json` a Xet-stored file is answered 200 with its file
 *   info (X-Linked-Size, X-Linked-ETag, X-Xet-Hash, Link rel="xet-auth"/"xet-reconstruction-info"):
 *   huggingface.js packages/hub/src/lib/file-download-info.ts, which probes every file with
 *   `Range: bytes=0-0` and that Accept header and reads the size from Content-Range otherwise.
 * - Every hub answer carries `access-control-allow-origin: <the request's Origin>`, `vary: Origin`,
 *   `access-control-max-age: 86400` and exactly `access-control-expose-headers: X-Repo-Commit,
 *   X-Request-Id,X-Error-Code,X-Error-Message,X-Total-Count,ETag,Link,Accept-Ranges,Content-Range,
 *   X-Linked-Size,X-Linked-ETag,X-Xet-Hash` (curl -I of resolve URLs quoted in public issue threads
 *   and transcripts, 2023-2026; hub-docs #1889 quotes `access-control-allow-headers: authorization`).
 *   So a page reads X-Repo-Commit and Content-Range from the hub, never Content-Encoding, and sees
 *   the hub's Content-Length (a CORS-safelisted header), which is the compressed one.
 * - The CDN answers `access-control-allow-origin: *` and `access-control-expose-headers: *` (a
 *   2026 report of us.aws.cdn.hf.co quoted in a public repository's notes); discuss.huggingface.co
 *   thread 172172 reports preflights to cas-bridge.xethub.hf.co failing, so this CDN allows nothing in
 *   a preflight but Range: a client must send it nothing else.
 * - Small JSON files come gzip-encoded when the client accepts it, with the compressed
 *   Content-Length; Range answers are not compressed and carry the full size in Content-Range:
 *   transformers.js src/utils/model_registry/get_file_metadata.js (v4), which probes with a
 *   one-byte Range GET (cache: 'no-store') instead of HEAD for that reason.
 * - Errors: 401 X-Error-Code RepoNotFound for an unknown repo (also without a token), 401 GatedRepo
 *   for a gated one without a token, 404 RevisionNotFound, 404 EntryNotFound, with X-Error-Message
 *   (same curl logs). Rate limits answer 429.
 *
 * Repos are made of commits of files; a file is bytes or a generator read by range (so a large
 * checkpoint is never held in memory). Faults: drop a connection after N body bytes, stall, answer
 * a status (429, 5xx) a number of times, run a callback once N bytes of a file were sent (e.g. to
 * move `main` mid-download), ignore Range on the CDN. Every request is logged.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';

/** A file's content: bytes, or a generator of byte ranges ([start, end), end exclusive). */
export type FileProvider = Uint8Array | GeneratedFile;

export interface GeneratedFile {
  size: number;
  read(start: number, end: number): Uint8Array | Promise<Uint8Array>;
}

export interface FileSpec {
  content: FileProvider;
  /** Stored with LFS (answered by a redirect to the CDN); default: .safetensors/.bin/.model/.gguf files and files over 10 MB, as the hub's default .gitattributes. */
  lfs?: boolean;
  /** An LFS file stored on Xet (answers the xet file-info Accept header); default true for LFS files. */
  xet?: boolean;
}

export interface RepoOptions {
  type?: 'model' | 'dataset';
  /** Needs `Authorization: Bearer <token>` (the hub's token option). */
  gated?: boolean;
}

export interface HubRequest {
  server: 'hub' | 'cdn';
  method: string;
  url: string;
  /** The repo file the request was about, when it was about one. */
  path: string | null;
  range: string | null;
  ifRange: string | null;
  accept: string | null;
  authorization: string | null;
  origin: string | null;
  status: number;
  /** Set when the body was gzip-encoded. */
  encoding: string | null;
}

interface StoredFile {
  path: string;
  provider: FileProvider;
  size: number;
  lfs: boolean;
  xet: boolean;
  hashes: Promise<{ sha256: string; md5: string; gitSha1: string }> | null;
}

interface Repo {
  id: string;
  type: 'model' | 'dataset';
  gated: boolean;
  commits: Map<string, Map<string, StoredFile>>;
  refs: Map<string, string>;
}

interface DropRule {
  path: string;
  afterBytes: number;
  times: number;
  stall: boolean;
}

interface StatusRule {
  path: string | null;
  server: 'hub' | 'cdn';
  status: number;
  times: number;
  retryAfter: number | null;
}

interface ServedHook {
  path: string;
  bytes: number;
  fn: () => void;
}

/** Exposed by every hub answer (see the header comment for the sources). */
export const HUB_EXPOSED_HEADERS = 'X-Repo-Commit,X-Request-Id,X-Error-Code,X-Error-Message,X-Total-Count,ETag,Link,Accept-Ranges,Content-Range,X-Linked-Size,X-Linked-ETag,X-Xet-Hash';
/** What the hub accepts in a preflight; the CDN accepts only Range. */
const HUB_ALLOWED_HEADERS = ['authorization', 'range', 'accept', 'content-type'];
const CDN_ALLOWED_HEADERS = ['range'];
const XET_FILEINFO = 'application/vnd.xet-fileinfo+json';
const LFS_PATTERN = /\.(safetensors|bin|model|gguf|onnx|pt|pth|h5|msgpack|parquet|arrow)$/;
const LFS_SIZE = 10 * 2 ** 20;
const CHUNK = 64 * 1024;
const SIGNED_URL_TTL_MS = 3600_000;
const DROP_DELAY_MS = 150;

export interface TestHubOptions {
  /** The token gated repos accept. */
  token?: string;
  /** Host to listen on; loopback only. */
  host?: '127.0.0.1' | 'localhost';
}

export class TestHub {
  readonly requests: HubRequest[] = [];
  /** Extra plain routes on the hub server (a test page and its script): path → content type and body. */
  readonly pages = new Map<string, { type: string; body: string | Uint8Array; headers?: Record<string, string> }>();
  /** When true the CDN answers 200 with the whole file to a Range request. */
  cdnIgnoresRange = false;
  private readonly repos = new Map<string, Repo>();
  private readonly blobs = new Map<string, StoredFile>();
  private readonly signatures = new Map<string, number>();
  private readonly drops: DropRule[] = [];
  private readonly statuses: StatusRule[] = [];
  private readonly hooks: ServedHook[] = [];
  private readonly served = new Map<string, number>();
  private readonly stalled = new Set<ServerResponse>();
  private hub: Server | null = null;
  private cdn: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private requestCounter = 0;

  constructor(private readonly options: TestHubOptions = {}) {}

  get hubUrl(): string {
    return this.urlOf(this.hub);
  }

  get cdnUrl(): string {
    return this.urlOf(this.cdn);
  }

  private urlOf(server: Server | null): string {
    const address = server?.address() as AddressInfo | null;
    if (!address) throw new Error('test hub: not started');
    return `http://${this.options.host ?? '127.0.0.1'}:${address.port}`;
  }

  // ------------------------------------------------------------------------------------------
  // Repos

  /**
   * Creates a commit of `repoId` (creating the repo on first use): the files of `parent` (default:
   * the ref's current commit) with `files` applied (null deletes), then moves `ref` to it.
   * Returns the 40-hex commit id.
   */
  commit(repoId: string, files: Record<string, FileProvider | FileSpec | null>, options: RepoOptions & { ref?: string; parent?: string | null } = {}): string {
    let repo = this.repos.get(repoId);
    if (!repo) {
      repo = { id: repoId, type: options.type ?? 'model', gated: options.gated ?? false, commits: new Map(), refs: new Map() };
      this.repos.set(repoId, repo);
    }
    if (options.gated !== undefined) repo.gated = options.gated;
    const ref = options.ref ?? 'main';
    const parent = options.parent === undefined ? (repo.refs.get(ref) ?? null) : options.parent;
    const tree = new Map(parent ? repo.commits.get(parent) : []);
    for (const [path, spec] of Object.entries(files)) {
      if (spec === null) {
        tree.delete(path);
        continue;
      }
      const s: FileSpec = isFileSpec(spec) ? spec : { content: spec };
      const size = s.content instanceof Uint8Array ? s.content.byteLength : s.content.size;
      const lfs = s.lfs ?? (LFS_PATTERN.test(path) || size > LFS_SIZE);
      tree.set(path, { path, provider: s.content, size, lfs, xet: lfs && (s.xet ?? true), hashes: null });
    }
    const id = createHash('sha1')
      .update(`${repoId}\n${parent ?? ''}\n${this.requestCounter}\n${randomBytes(8).toString('hex')}`)
      .update([...tree.keys()].sort().join('\n'))
      .digest('hex');
    repo.commits.set(id, tree);
    repo.refs.set(ref, id);
    return id;
  }

  /** Points a branch at a commit (e.g. moves `main` back or forward). */
  setRef(repoId: string, ref: string, commit: string): void {
    const repo = this.repoOrThrow(repoId);
    if (!repo.commits.has(commit)) throw new Error(`test hub: ${repoId} has no commit ${commit}`);
    repo.refs.set(ref, commit);
  }

  ref(repoId: string, ref = 'main'): string {
    const id = this.repoOrThrow(repoId).refs.get(ref);
    if (!id) throw new Error(`test hub: ${repoId} has no ref ${ref}`);
    return id;
  }

  /** The bytes of a file at a commit (default: main), for comparing with what a client stored. */
  async fileBytes(repoId: string, path: string, commit = this.ref(repoId)): Promise<Uint8Array> {
    const file = this.repoOrThrow(repoId).commits.get(commit)?.get(path);
    if (!file) throw new Error(`test hub: ${repoId}@${commit} has no ${path}`);
    return readRange(file, 0, file.size);
  }

  /** sha256 (hex) of a file at a commit. */
  async fileSha256(repoId: string, path: string, commit = this.ref(repoId)): Promise<string> {
    const file = this.repoOrThrow(repoId).commits.get(commit)?.get(path);
    if (!file) throw new Error(`test hub: ${repoId}@${commit} has no ${path}`);
    return (await hashes(file)).sha256;
  }

  private repoOrThrow(repoId: string): Repo {
    const repo = this.repos.get(repoId);
    if (!repo) throw new Error(`test hub: no repo ${repoId}`);
    return repo;
  }

  // ------------------------------------------------------------------------------------------
  // Faults

  /** The next `times` transfers of `path` whose body is longer than `afterBytes` are cut after that many bytes. */
  dropAfter(path: string, afterBytes: number, times = 1): void {
    this.drops.push({ path, afterBytes, times, stall: false });
  }

  /** The next transfer of `path` sends `afterBytes` bytes, then nothing, keeping the connection open until release() or stop(). */
  stallAfter(path: string, afterBytes: number): void {
    this.drops.push({ path, afterBytes, times: 1, stall: true });
  }

  /** Ends every stalled response by destroying its connection. */
  releaseStalled(): void {
    for (const res of this.stalled) res.socket?.destroy();
    this.stalled.clear();
  }

  /** The next `times` requests (of `path`, or any file when null) to `server` are answered `status`. */
  failNext(options: { path?: string | null; server?: 'hub' | 'cdn'; status: number; times?: number; retryAfter?: number }): void {
    this.statuses.push({ path: options.path ?? null, server: options.server ?? 'hub', status: options.status, times: options.times ?? 1, retryAfter: options.retryAfter ?? null });
  }

  /** Runs `fn` once, as soon as `bytes` body bytes of `path` have been sent in total (probes included). */
  onServed(path: string, bytes: number, fn: () => void): void {
    this.hooks.push({ path, bytes, fn });
  }

  /** Forgets faults, hooks, counters and the request log (repos stay). */
  reset(): void {
    this.requests.length = 0;
    this.drops.length = 0;
    this.statuses.length = 0;
    this.hooks.length = 0;
    this.served.clear();
    this.cdnIgnoresRange = false;
    this.releaseStalled();
  }

  /** Requests for a file (full downloads and probes alike), optionally of one server. */
  requestsFor(path: string, server?: 'hub' | 'cdn'): HubRequest[] {
    return this.requests.filter((r) => r.path === path && (!server || r.server === server));
  }

  // ------------------------------------------------------------------------------------------
  // Servers

  async start(ports: { hub?: number; cdn?: number } = {}): Promise<this> {
    const host = this.options.host ?? '127.0.0.1';
    const listen = async (handler: (req: IncomingMessage, res: ServerResponse) => void, port = 0) => {
      const server = createServer((req, res) => {
        Promise.resolve(handler(req, res)).catch((e: unknown) => {
          if (!res.headersSent) res.writeHead(500).end(String(e));
          else res.socket?.destroy();
        });
      });
      server.on('connection', (s) => {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve());
      });
      return server;
    };
    this.hub = await listen((req, res) => this.handleHub(req, res), ports.hub);
    this.cdn = await listen((req, res) => this.handleCdn(req, res), ports.cdn);
    return this;
  }

  async stop(): Promise<void> {
    this.releaseStalled();
    for (const s of this.sockets) s.destroy();
    await Promise.all([this.hub, this.cdn].map((s) => new Promise<void>((resolve) => (s ? s.close(() => resolve()) : resolve()))));
    this.hub = this.cdn = null;
  }

  private log(server: 'hub' | 'cdn', req: IncomingMessage, path: string | null, status: number, encoding: string | null = null): void {
    const h = (name: string) => (req.headers[name] as string | undefined) ?? null;
    this.requests.push({ server, method: req.method ?? 'GET', url: req.url ?? '', path, range: h('range'), ifRange: h('if-range'), accept: h('accept'), authorization: h('authorization'), origin: h('origin'), status, encoding });
  }

  private hubCors(req: IncomingMessage): Record<string, string> {
    const origin = req.headers.origin;
    return {
      ...(origin ? { 'Access-Control-Allow-Origin': origin } : {}),
      Vary: 'Origin, Accept',
      'Access-Control-Max-Age': '86400',
      'Access-Control-Expose-Headers': HUB_EXPOSED_HEADERS,
      'X-Request-Id': `Root=1-${(++this.requestCounter).toString(16).padStart(8, '0')}`,
    };
  }

  private preflight(req: IncomingMessage, res: ServerResponse, server: 'hub' | 'cdn'): void {
    const asked = String(req.headers['access-control-request-headers'] ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
    const allowed = asked.filter((h) => (server === 'hub' ? HUB_ALLOWED_HEADERS : CDN_ALLOWED_HEADERS).includes(h));
    const headers: Record<string, string> =
      server === 'hub'
        ? { ...this.hubCors(req), 'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS' }
        : { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Methods': 'GET, HEAD', 'Access-Control-Max-Age': '86400' };
    if (allowed.length) headers['Access-Control-Allow-Headers'] = allowed.join(', ');
    this.log(server, req, null, 204);
    res.writeHead(204, headers).end();
  }

  private async handleHub(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://hub');
    const page = this.pages.get(url.pathname);
    if (page) {
      this.log('hub', req, null, 200);
      res.writeHead(200, { 'Content-Type': page.type, 'Cache-Control': 'no-store', ...page.headers }).end(page.body);
      return;
    }
    if (req.method === 'OPTIONS') return this.preflight(req, res, 'hub');
    const cors = this.hubCors(req);
    const fail = (status: number, code: string | null, message: string, path: string | null = null) => {
      this.log('hub', req, path, status);
      res.writeHead(status, { ...cors, 'Content-Type': 'text/plain; charset=utf-8', ...(code ? { 'X-Error-Code': code } : {}), 'X-Error-Message': message }).end(message);
    };

    // /api/{models|datasets}/{owner}/{name}/revision/{rev}
    let m = /^\/api\/(models|datasets)\/([^/]+\/[^/]+)\/revision\/(.+)$/.exec(url.pathname);
    if (m) {
      const repo = this.access(req, m[2]!, m[1] === 'datasets' ? 'dataset' : 'model', fail);
      if (!repo) return;
      const rev = decodeURIComponent(m[3]!);
      const commit = repo.refs.get(rev) ?? (repo.commits.has(rev) ? rev : null);
      if (!commit) return fail(404, 'RevisionNotFound', `Invalid rev id: ${rev}`);
      this.log('hub', req, null, 200);
      const body = JSON.stringify({ id: repo.id, sha: commit, siblings: [...repo.commits.get(commit)!.keys()].map((rfilename) => ({ rfilename })) });
      res.writeHead(200, { ...cors, 'Content-Type': 'application/json; charset=utf-8', 'X-Repo-Commit': commit }).end(body);
      return;
    }

    // /api/resolve-cache/{models|datasets}/{owner}/{name}/{commit}/{path}: a small file's bytes.
    m = /^\/api\/resolve-cache\/(models|datasets)\/([^/]+\/[^/]+)\/([0-9a-f]{40})\/(.+)$/.exec(url.pathname);
    if (m) {
      const repo = this.access(req, m[2]!, m[1] === 'datasets' ? 'dataset' : 'model', fail);
      if (!repo) return;
      const path = decodeURIComponent(m[4]!);
      const file = repo.commits.get(m[3]!)?.get(path);
      if (!file) return fail(404, 'EntryNotFound', 'Entry not found', path);
      if (this.injectedStatus('hub', path, req, res, cors)) return;
      const { gitSha1 } = await hashes(file);
      return this.serveBytes('hub', req, res, file, { ...cors, ETag: `"${gitSha1}"`, 'X-Repo-Commit': m[3]!, 'Content-Type': contentType(path) }, true);
    }

    // /[datasets/]{owner}/{name}/resolve/{rev}/{path}
    m = /^\/(datasets\/)?([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    if (!m) return fail(404, null, 'Not found');
    const repo = this.access(req, m[2]!, m[1] ? 'dataset' : 'model', fail);
    if (!repo) return;
    const rev = decodeURIComponent(m[3]!);
    const path = decodeURIComponent(m[4]!);
    const commit = repo.refs.get(rev) ?? (repo.commits.has(rev) ? rev : null);
    if (!commit) return fail(404, 'RevisionNotFound', `Invalid rev id: ${rev}`, path);
    const file = repo.commits.get(commit)!.get(path);
    const withCommit = { ...cors, 'X-Repo-Commit': commit };
    if (!file) {
      this.log('hub', req, path, 404);
      res.writeHead(404, { ...withCommit, 'X-Error-Code': 'EntryNotFound', 'X-Error-Message': 'Entry not found' }).end('Entry not found');
      return;
    }
    if (this.injectedStatus('hub', path, req, res, cors)) return;
    const h = await hashes(file);
    if (!file.lfs) {
      const location = `/api/resolve-cache/${repo.type}s/${repo.id}/${commit}/${encodeURI(path)}?etag=${encodeURIComponent(`"${h.gitSha1}"`)}`;
      this.log('hub', req, path, 307);
      res.writeHead(307, { ...withCommit, Location: location, ETag: `"${h.gitSha1}"`, 'Content-Type': 'text/plain; charset=utf-8' }).end(`Temporary Redirect. Redirecting to ${location}`);
      return;
    }
    const linked = { 'X-Linked-Size': String(file.size), 'X-Linked-ETag': `"${h.sha256}"`, ETag: `"${h.sha256}"` };
    if (file.xet && String(req.headers.accept ?? '').includes(XET_FILEINFO)) {
      const xetHash = createHash('sha256').update(`xet:${h.sha256}`).digest('hex');
      const body = JSON.stringify({ casUrl: `${this.cdnUrl}/cas`, hash: xetHash, refreshUrl: `${this.hubUrl}/api/${repo.type}s/${repo.id}/xet-read-token/${commit}`, size: String(file.size), etag: h.sha256 });
      this.log('hub', req, path, 200);
      res
        .writeHead(200, {
          ...withCommit,
          ...linked,
          'Content-Type': XET_FILEINFO,
          'X-Xet-Hash': xetHash,
          Link: `<${this.hubUrl}/api/${repo.type}s/${repo.id}/xet-read-token/${commit}>; rel="xet-auth", <${this.cdnUrl}/v1/reconstructions/${xetHash}>; rel="xet-reconstruction-info"`,
        })
        .end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    this.blobs.set(h.sha256, file);
    const signature = randomBytes(16).toString('hex');
    const expires = Date.now() + SIGNED_URL_TTL_MS;
    this.signatures.set(signature, expires);
    const location = `${this.cdnUrl}/xet-bridge/${h.sha256}?Expires=${Math.floor(expires / 1000)}&Signature=${signature}`;
    this.log('hub', req, path, 302);
    res.writeHead(302, { ...withCommit, ...linked, Location: location, 'Content-Type': 'text/plain; charset=utf-8' }).end(`Found. Redirecting to ${location}`);
  }

  /** The repo, if it exists and the request may read it; else answers like the hub and returns null. */
  private access(req: IncomingMessage, id: string, type: 'model' | 'dataset', fail: (status: number, code: string | null, message: string) => void): Repo | null {
    const repo = this.repos.get(id);
    if (!repo || repo.type !== type) {
      fail(401, 'RepoNotFound', 'Repository not found');
      return null;
    }
    if (repo.gated) {
      const auth = req.headers.authorization;
      if (!auth) {
        fail(401, 'GatedRepo', `Access to ${type} ${id} is restricted. You must have access to it and be authenticated to access it. Please log in.`);
        return null;
      }
      if (auth !== `Bearer ${this.options.token}`) {
        fail(403, 'GatedRepo', `Access to ${type} ${id} is restricted and you are not in the authorized list.`);
        return null;
      }
    }
    return repo;
  }

  private injectedStatus(server: 'hub' | 'cdn', path: string, req: IncomingMessage, res: ServerResponse, cors: Record<string, string>): boolean {
    const rule = this.statuses.find((r) => r.server === server && r.times > 0 && (r.path === null || r.path === path));
    if (!rule) return false;
    rule.times--;
    this.log(server, req, path, rule.status);
    const headers: Record<string, string> = { ...cors, 'Content-Type': 'text/plain; charset=utf-8' };
    if (rule.status === 429) headers.RateLimit = '"resolvers";r=0;t=1';
    if (rule.retryAfter !== null) headers['Retry-After'] = String(rule.retryAfter);
    res.writeHead(rule.status, headers).end(rule.status === 429 ? 'Too Many Requests' : 'Server error');
    return true;
  }

  private async handleCdn(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'OPTIONS') return this.preflight(req, res, 'cdn');
    const url = new URL(req.url ?? '/', 'http://cdn');
    const cors = { 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': '*' };
    const m = /^\/xet-bridge\/([0-9a-f]{64})$/.exec(url.pathname);
    const file = m ? this.blobs.get(m[1]!) : undefined;
    const expires = this.signatures.get(url.searchParams.get('Signature') ?? '');
    if (!file || expires === undefined || expires < Date.now() || Number(url.searchParams.get('Expires')) * 1000 !== Math.floor(expires / 1000) * 1000) {
      this.log('cdn', req, file?.path ?? null, 403);
      res.writeHead(403, { ...cors, 'Content-Type': 'application/xml' }).end('<Error><Code>AccessDenied</Code></Error>');
      return;
    }
    if (this.injectedStatus('cdn', file.path, req, res, cors)) return;
    const { md5 } = await hashes(file);
    return this.serveBytes('cdn', req, res, file, { ...cors, ETag: `"${md5}"`, 'Content-Type': 'application/octet-stream', 'Cache-Control': 'public, max-age=604800, immutable' }, false);
  }

  /** A file's bytes with Range support; a small text file is gzip-encoded when the client accepts it. */
  private async serveBytes(server: 'hub' | 'cdn', req: IncomingMessage, res: ServerResponse, file: StoredFile, headers: Record<string, string>, mayCompress: boolean): Promise<void> {
    const range = req.headers.range;
    const ignoreRange = server === 'cdn' && this.cdnIgnoresRange;
    let start = 0;
    let end = file.size; // exclusive
    let status = 200;
    const out: Record<string, string> = { ...headers, 'Accept-Ranges': 'bytes' };
    if (range && !ignoreRange) {
      const m = /^bytes=(\d+)-(\d*)$/.exec(range);
      if (!m) {
        this.log(server, req, file.path, 416);
        res.writeHead(416, { ...out, 'Content-Range': `bytes */${file.size}` }).end();
        return;
      }
      start = Number(m[1]);
      end = m[2] ? Math.min(Number(m[2]) + 1, file.size) : file.size;
      if (start >= file.size || end <= start) {
        this.log(server, req, file.path, 416);
        res.writeHead(416, { ...out, 'Content-Range': `bytes */${file.size}` }).end();
        return;
      }
      status = 206;
      out['Content-Range'] = `bytes ${start}-${end - 1}/${file.size}`;
    }
    const gzip = mayCompress && status === 200 && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? '')) && /\.(json|txt|md|jinja)$/.test(file.path);
    let body: Uint8Array | null = null;
    if (gzip) {
      body = gzipSync(await readRange(file, 0, file.size));
      out['Content-Encoding'] = 'gzip';
      out['Content-Length'] = String(body.byteLength);
    } else {
      out['Content-Length'] = String(end - start);
    }
    this.log(server, req, file.path, status, gzip ? 'gzip' : null);
    res.writeHead(status, out);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const length = body ? body.byteLength : end - start;
    const rule = this.drops.find((d) => d.path === file.path && d.times > 0 && length > d.afterBytes);
    if (rule) rule.times--;
    const limit = rule ? rule.afterBytes : length;
    for (let at = 0; at < limit; ) {
      const n = Math.min(CHUNK, limit - at);
      const chunk = body ? body.subarray(at, at + n) : await readRange(file, start + at, start + at + n);
      if (res.destroyed) return;
      const flushed = res.write(chunk);
      at += n;
      this.countServed(file.path, n);
      if (!flushed) {
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off('drain', done).off('close', done);
            resolve();
          };
          res.on('drain', done).on('close', done);
        });
      }
    }
    if (!rule) {
      res.end();
      return;
    }
    if (rule.stall) {
      this.stalled.add(res);
      res.once('close', () => this.stalled.delete(res));
      return;
    }
    // Let the bytes reach the client (a fetch that errors drops what it had not handed out yet), then cut the connection mid-body.
    await new Promise((resolve) => setTimeout(resolve, DROP_DELAY_MS));
    res.socket?.destroy();
  }

  private countServed(path: string, n: number): void {
    const total = (this.served.get(path) ?? 0) + n;
    this.served.set(path, total);
    for (const hook of this.hooks.filter((h) => h.path === path && total >= h.bytes)) {
      this.hooks.splice(this.hooks.indexOf(hook), 1);
      hook.fn();
    }
  }
}

function isFileSpec(v: FileProvider | FileSpec): v is FileSpec {
  return !(v instanceof Uint8Array) && 'content' in v;
}

async function readRange(file: StoredFile, start: number, end: number): Promise<Uint8Array> {
  const p = file.provider;
  if (p instanceof Uint8Array) return p.subarray(start, end);
  const bytes = await p.read(start, end);
  if (bytes.byteLength !== end - start) throw new Error(`test hub: generator of ${file.path} gave ${bytes.byteLength} bytes for [${start}, ${end})`);
  return bytes;
}

/** sha256 (the hub's LFS oid, and X-Linked-ETag), md5 (the CDN's ETag of an LFS file) and the git blob sha1 (the hub's ETag of a small file), computed once. */
function hashes(file: StoredFile): Promise<{ sha256: string; md5: string; gitSha1: string }> {
  file.hashes ??= (async () => {
    const sha256 = createHash('sha256');
    const other = file.lfs ? createHash('md5') : createHash('sha1').update(`blob ${file.size}\0`);
    for (let at = 0; at < file.size; at += 16 * 2 ** 20) {
      const chunk = await readRange(file, at, Math.min(file.size, at + 16 * 2 ** 20));
      sha256.update(chunk);
      other.update(chunk);
    }
    const digest = other.digest('hex');
    return { sha256: sha256.digest('hex'), md5: file.lfs ? digest : '', gitSha1: file.lfs ? '' : digest };
  })();
  return file.hashes;
}

function contentType(path: string): string {
  if (path.endsWith('.json')) return 'application/json; charset=utf-8';
  if (/\.(txt|md|jinja)$/.test(path)) return 'text/plain; charset=utf-8';
  return 'application/octet-stream';
}

/** A reproducible pseudo-random file of `size` bytes read by range (for large test files that are never stored). */
export function generatedFile(size: number, seed: number): GeneratedFile {
  // Word i (4 bytes, little-endian) is a hash of (i, seed): any range is computed directly.
  const word = (i: number) => {
    let x = Math.imul(i ^ seed, 0x9e3779b1) ^ Math.imul(seed + 1, 0x85ebca6b);
    x ^= x >>> 16;
    x = Math.imul(x, 0x7feb352d);
    x ^= x >>> 15;
    x = Math.imul(x, 0x846ca68b);
    return (x ^ (x >>> 16)) >>> 0;
  };
  return {
    size,
    read(start, end) {
      const first = Math.floor(start / 4);
      const words = new Uint32Array(Math.ceil(end / 4) - first);
      for (let i = 0; i < words.length; i++) words[i] = word(first + i);
      const bytes = new Uint8Array(words.buffer);
      return bytes.slice(start - first * 4, end - first * 4);
    },
  };
}

/** Every file under `dir` (recursively) as repo files, keyed by '/'-separated relative path. */
export function filesFromDir(dir: string, options: { skip?: (path: string) => boolean } = {}): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else {
        const rel = relative(dir, full).split(sep).join('/');
        if (!options.skip?.(rel)) out[rel] = new Uint8Array(readFileSync(full));
      }
    }
  };
  walk(dir);
  return out;
}
