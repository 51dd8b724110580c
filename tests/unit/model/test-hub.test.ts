/**
 * The test hub answers like huggingface.co and its CDN (see the sources in tests/support/test-hub.ts):
 * checked request by request, without following redirects, so the hub client's tests rest on it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { HUB_EXPOSED_HEADERS, TestHub, generatedFile } from '../../support/test-hub';

const hub = new TestHub({ token: 'hf_secret' });
const config = new TextEncoder().encode(JSON.stringify({ model_type: 'gemma3_text', note: 'x'.repeat(2000) }));
const weights = generatedFile(300_000, 7);
let commit: string;
const manual = (url: string, headers: Record<string, string> = {}, method = 'GET') => fetch(url, { method, headers, redirect: 'manual' });

beforeAll(async () => {
  await hub.start();
  commit = hub.commit('t/m', { 'config.json': config, 'model.safetensors': weights, 'tokenizer.model': { content: new Uint8Array(5000).fill(3), xet: false } });
  hub.commit('t/gated', { 'config.json': config }, { gated: true });
});
afterAll(() => hub.stop());

describe('TestHub', () => {
  it('answers a small file with a relative 307 to a gzip-encoded answer whose Content-Length is the compressed size', async () => {
    const r = await manual(`${hub.hubUrl}/t/m/resolve/main/config.json`, { Origin: 'http://localhost:5173' });
    expect(r.status).toBe(307);
    expect(r.headers.get('location')).toMatch(new RegExp(`^/api/resolve-cache/models/t/m/${commit}/config\\.json\\?etag=`));
    expect(r.headers.get('x-repo-commit')).toBe(commit);
    expect(r.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(r.headers.get('access-control-expose-headers')).toBe(HUB_EXPOSED_HEADERS);
    expect(r.headers.get('x-linked-size')).toBeNull();

    const target = `${hub.hubUrl}${r.headers.get('location')}`;
    const gz = await manual(target, { 'Accept-Encoding': 'gzip' });
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    expect(gz.headers.get('x-repo-commit')).toBe(commit);
    const body = new Uint8Array(await gz.arrayBuffer()); // undici decodes it
    expect(Buffer.from(body).equals(Buffer.from(config))).toBe(true);
    const head = await manual(target, { 'Accept-Encoding': 'gzip' }, 'HEAD');
    expect(Number(head.headers.get('content-length'))).toBeLessThan(config.byteLength); // what a HEAD probe would take as the size
    const raw = await rawGet(target, { 'Accept-Encoding': 'gzip' });
    expect(Number(raw.headers['content-length'])).toBe(raw.body.byteLength);
    expect(Buffer.from(gunzipSync(raw.body)).equals(Buffer.from(config))).toBe(true);

    const range = await manual(target, { Range: 'bytes=0-0' });
    expect(range.status).toBe(206);
    expect(range.headers.get('content-range')).toBe(`bytes 0-0/${config.byteLength}`);
    expect(range.headers.get('content-encoding')).toBeNull();
  });

  it('answers an LFS file with a 302 to the CDN (another origin) carrying X-Linked-* on the 302 only', async () => {
    const r = await manual(`${hub.hubUrl}/t/m/resolve/main/tokenizer.model`, { Range: 'bytes=0-0' });
    expect(r.status).toBe(302);
    expect(r.headers.get('x-linked-size')).toBe('5000');
    expect(r.headers.get('x-linked-etag')).toMatch(/^"[0-9a-f]{64}"$/);
    expect(r.headers.get('x-repo-commit')).toBe(commit);
    const location = r.headers.get('location')!;
    expect(new URL(location).origin).toBe(hub.cdnUrl);
    expect(new URL(location).origin).not.toBe(hub.hubUrl);

    const cdn = await manual(location, { Range: 'bytes=0-0' });
    expect(cdn.status).toBe(206);
    expect(cdn.headers.get('content-range')).toBe('bytes 0-0/5000');
    expect(cdn.headers.get('x-linked-size')).toBeNull();
    expect(cdn.headers.get('x-repo-commit')).toBeNull();
    expect(cdn.headers.get('access-control-allow-origin')).toBe('*');
    expect(cdn.headers.get('access-control-expose-headers')).toBe('*');
    expect(cdn.headers.get('etag')).not.toBe(r.headers.get('x-linked-etag')); // the CDN's own ETag

    // Signed URLs: each redirect a new one; a made-up signature is refused.
    const again = await manual(`${hub.hubUrl}/t/m/resolve/main/tokenizer.model`);
    expect(again.headers.get('location')).not.toBe(location);
    expect((await manual(location.replace(/Signature=[0-9a-f]+/, 'Signature=00'))).status).toBe(403);
  });

  it('answers the Xet file-info Accept header of a Xet-stored file with its info instead of a redirect', async () => {
    const r = await manual(`${hub.hubUrl}/t/m/resolve/main/model.safetensors`, { Accept: 'application/vnd.xet-fileinfo+json, */*', Range: 'bytes=0-0' });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/vnd.xet-fileinfo+json');
    expect(r.headers.get('x-linked-size')).toBe('300000');
    expect(r.headers.get('x-linked-etag')).toBe(`"${await hub.fileSha256('t/m', 'model.safetensors')}"`);
    expect(r.headers.get('link')).toMatch(/rel="xet-auth".*rel="xet-reconstruction-info"/);
    expect(await r.json()).toMatchObject({ size: '300000' });
    expect((await manual(`${hub.hubUrl}/t/m/resolve/main/model.safetensors`)).status).toBe(302);
  });

  it('allows the headers a client needs in preflights: the hub Authorization/Range/Accept, the CDN Range only', async () => {
    const pre = (url: string, headers: string) => fetch(url, { method: 'OPTIONS', headers: { Origin: 'http://localhost:5173', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': headers } });
    const h = await pre(`${hub.hubUrl}/t/m/resolve/main/config.json`, 'authorization,range,if-range');
    expect(h.status).toBe(204);
    expect(h.headers.get('access-control-allow-headers')).toBe('authorization, range');
    const c = await pre(`${hub.cdnUrl}/xet-bridge/x`, 'range,if-range,authorization');
    expect(c.headers.get('access-control-allow-headers')).toBe('range');
  });

  it('says RepoNotFound, GatedRepo, RevisionNotFound and EntryNotFound like the hub', async () => {
    const code = async (url: string, headers: Record<string, string> = {}) => {
      const r = await manual(url, headers);
      return `${r.status} ${r.headers.get('x-error-code')}`;
    };
    expect(await code(`${hub.hubUrl}/t/nope/resolve/main/config.json`)).toBe('401 RepoNotFound');
    expect(await code(`${hub.hubUrl}/datasets/t/m/resolve/main/config.json`)).toBe('401 RepoNotFound');
    expect(await code(`${hub.hubUrl}/t/gated/resolve/main/config.json`)).toBe('401 GatedRepo');
    expect(await code(`${hub.hubUrl}/t/gated/resolve/main/config.json`, { Authorization: 'Bearer nope' })).toBe('403 GatedRepo');
    expect(await code(`${hub.hubUrl}/t/gated/resolve/main/config.json`, { Authorization: 'Bearer hf_secret' })).toBe('307 null');
    expect(await code(`${hub.hubUrl}/t/m/resolve/v2/config.json`)).toBe('404 RevisionNotFound');
    expect(await code(`${hub.hubUrl}/t/m/resolve/main/nope.json`)).toBe('404 EntryNotFound');
    const api = await fetch(`${hub.hubUrl}/api/models/t/m/revision/main`);
    expect(await api.json()).toMatchObject({ id: 't/m', sha: commit });
  });

  it('serves generated files by range and keeps old commits readable after main moves', async () => {
    const next = hub.commit('t/m', { 'config.json': new TextEncoder().encode('{}') });
    expect(hub.ref('t/m')).toBe(next);
    const old = await manual(`${hub.hubUrl}/t/m/resolve/${commit}/model.safetensors`);
    const cdn = await fetch(old.headers.get('location')!, { headers: { Range: 'bytes=1000-1999' } });
    expect(Buffer.from(await cdn.arrayBuffer()).equals(Buffer.from(await weights.read(1000, 2000)))).toBe(true);
    expect((await manual(`${hub.hubUrl}/t/m/resolve/main/config.json`)).headers.get('x-repo-commit')).toBe(next);
    hub.setRef('t/m', 'main', commit);
  });
});

/** The body as sent, undecoded. */
function rawGet(url: string, headers: Record<string, string>): Promise<{ headers: Record<string, string | string[] | undefined>; body: Uint8Array }> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ headers: res.headers, body: new Uint8Array(Buffer.concat(chunks)) }));
      res.on('error', reject);
    }).on('error', reject);
  });
}
