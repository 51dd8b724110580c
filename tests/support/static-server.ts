/**
 * A plain static file server on 127.0.0.1 with the hub's URL layout (/{owner}/{name}/resolve/{rev}/{path})
 * but none of the hub's behaviour: no commits, no redirects, no X-Linked-* headers; files served
 * directly with Range and If-Range support and a strong ETag of their content. It stands for a
 * mirror or the app's own server (the bundled model), and for generic HTTP-source tests, with
 * fault modes (ignore Range, drop the connection halfway). The hub itself: tests/support/test-hub.ts.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';

export interface ServedRequest {
  method: string;
  path: string;
  range: string | null;
  ifRange: string | null;
  authorization: string | null;
}

export interface StaticServerOptions {
  /** repo id → (file path → contents or a function reading it). */
  repos: Record<string, Record<string, Uint8Array | (() => Uint8Array)>>;
  revision?: string;
}

export class StaticFileServer {
  readonly requests: ServedRequest[] = [];
  /** Answer 200 with the full body even when Range is asked for. */
  ignoreRange = false;
  /** path → how many more GETs of it should send half the body and then drop the connection. */
  readonly dropHalfway = new Map<string, number>();
  /** When set, requests without `Authorization: Bearer <token>` get 401. */
  requiredToken: string | null = null;
  /** Extra plain routes (e.g. a test page and its script), path → content type and body. */
  readonly pages = new Map<string, { type: string; body: string | Uint8Array }>();
  private server: Server | null = null;
  private port = 0;

  constructor(private readonly options: StaticServerOptions) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Replaces a file's content (the same URL now serves other bytes, with another ETag). */
  setFile(repo: string, path: string, bytes: Uint8Array): void {
    (this.options.repos[repo] ??= {})[path] = bytes;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  gets(path: string): ServedRequest[] {
    return this.requests.filter((r) => r.method === 'GET' && r.path === path);
  }

  private lookup(url: string): { bytes: Uint8Array; path: string } | null {
    const m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.split('?')[0]!);
    if (!m) return null;
    const [, repo, revision, path] = m.map((s) => decodeURIComponent(s ?? ''));
    if (revision !== (this.options.revision ?? 'main')) return null;
    const file = this.options.repos[repo!]?.[path!];
    if (!file) return null;
    return { bytes: typeof file === 'function' ? file() : file, path: path! };
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const method = req.method ?? 'GET';
    const page = this.pages.get((req.url ?? '').split('?')[0]!);
    if (page) {
      res.writeHead(200, { 'Content-Type': page.type, 'Cache-Control': 'no-store' }).end(page.body);
      return;
    }
    const range = req.headers.range ?? null;
    const ifRange = (req.headers['if-range'] as string | undefined) ?? null;
    const found = this.lookup(req.url ?? '');
    this.requests.push({ method, path: found?.path ?? req.url ?? '', range, ifRange, authorization: req.headers.authorization ?? null });
    if (this.requiredToken && req.headers.authorization !== `Bearer ${this.requiredToken}`) {
      res.writeHead(401).end('unauthorized');
      return;
    }
    if (!found) {
      res.writeHead(404).end('not found');
      return;
    }
    const { bytes, path } = found;
    const etag = `"${createHash('sha1').update(bytes).digest('hex')}"`;
    const headers: Record<string, string | number> = { 'Accept-Ranges': this.ignoreRange ? 'none' : 'bytes', ETag: etag };
    if (method === 'HEAD') {
      res.writeHead(200, { ...headers, 'Content-Length': bytes.byteLength }).end();
      return;
    }
    let start = 0;
    let end = bytes.byteLength - 1;
    let status = 200;
    // If-Range: the range only if the file is still the one the client has (RFC 9110 13.1.5).
    if (range && !this.ignoreRange && (ifRange === null || ifRange === etag)) {
      const m = /^bytes=(\d+)-(\d*)$/.exec(range);
      if (!m) {
        res.writeHead(400).end('bad range');
        return;
      }
      start = Number(m[1]);
      end = m[2] ? Math.min(Number(m[2]), bytes.byteLength - 1) : bytes.byteLength - 1;
      if (start >= bytes.byteLength) {
        res.writeHead(416, { 'Content-Range': `bytes */${bytes.byteLength}` }).end();
        return;
      }
      status = 206;
      headers['Content-Range'] = `bytes ${start}-${end}/${bytes.byteLength}`;
    }
    const body = bytes.subarray(start, end + 1);
    res.writeHead(status, { ...headers, 'Content-Length': body.byteLength });
    const drops = this.dropHalfway.get(path) ?? 0;
    if (drops > 0 && body.byteLength > 1) {
      this.dropHalfway.set(path, drops - 1);
      res.write(body.subarray(0, Math.floor(body.byteLength / 2)), () => {
        // Give the client time to receive the first half, then cut the connection mid-body.
        setTimeout(() => res.socket?.destroy(), 100);
      });
      return;
    }
    res.end(body);
  }
}

export function fileReader(path: string): () => Uint8Array {
  return () => new Uint8Array(readFileSync(path));
}
