/**
 * The OPFS hub cache in real headless Chromium (OPFS exists only in browsers): download with a
 * dropped connection and resume, verification, persistence across a page reload, corrupt files.
 * Needs /usr/bin/chromium (Debian's chromium package, which .ci/run installs).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { FIXTURE_DIR } from './fixture';
import { LocalHubServer, fileReader } from './hub-server';

const CHROMIUM = '/usr/bin/chromium';
const here = path.dirname(fileURLToPath(import.meta.url));
const modelBytes = new Uint8Array(readFileSync(path.join(FIXTURE_DIR, 'model.safetensors')));

const server = new LocalHubServer({
  repos: {
    'test/tiny': {
      'config.json': fileReader(path.join(FIXTURE_DIR, 'config.json')),
      'model.safetensors': modelBytes,
      'bad.safetensors': modelBytes.slice(0, 5000),
    },
  },
});

/** What the page exposes: a thin driver around HubClient + OpfsHubCache. */
const ENTRY = `
import { HubClient } from './src/model/hub';
import { OpfsHubCache } from './src/model/storage-opfs';
import { SafetensorsReader } from './src/model/safetensors';
async function client() {
  return new HubClient({ repo: 'test/tiny', baseUrl: location.origin, cache: await OpfsHubCache.open(), retryDelayMs: 0 });
}
window.hubTest = {
  async status(paths) { return (await client()).cacheStatus(paths); },
  async download(paths) {
    const events = [];
    try { await (await client()).download(paths, (p) => events.push(p)); } catch (e) { return { error: String(e.message), events }; }
    return { events };
  },
  async tensorCount() {
    const r = await SafetensorsReader.open(await (await client()).open('model.safetensors'));
    const emb = await r.readFloat32('model.embed_tokens.weight');
    return { count: r.tensors.length, first: emb[0] };
  },
};
`;

const chromiumAvailable = existsSync(CHROMIUM);
let browser: Browser;
let page: Page;

describe.skipIf(!chromiumAvailable)('OpfsHubCache in Chromium', () => {
  beforeAll(async () => {
    const bundle = await build({
      stdin: { contents: ENTRY, resolveDir: path.resolve(here, '../../..'), loader: 'ts' },
      bundle: true, format: 'esm', platform: 'browser', write: false, target: 'es2022',
    });
    server.pages.set('/opfs.js', { type: 'text/javascript', body: bundle.outputFiles[0]!.text });
    server.pages.set('/', { type: 'text/html', body: '<!doctype html><script type="module" src="/opfs.js"></script>' });
    await server.start();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless=new', '--no-sandbox', '--disable-background-networking', '--no-first-run'] });
    page = await browser.newPage();
    await page.goto(`${server.baseUrl}/`);
    await page.waitForFunction(() => 'hubTest' in window);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server.stop();
  });

  it('downloads into OPFS, resuming after a dropped connection, and survives a reload', async () => {
    server.dropHalfway.set('model.safetensors', 1);
    server.requests.length = 0;
    const result = await page.evaluate(() => (window as any).hubTest.download(['config.json', 'model.safetensors']));
    expect(result.error).toBeUndefined();
    const gets = server.gets('model.safetensors');
    expect(gets.length).toBe(2);
    expect(gets[1]!.range).toMatch(/^bytes=\d+-$/);
    expect(result.events.at(-1).loaded).toBe(result.events.at(-1).total);

    await page.reload();
    await page.waitForFunction(() => 'hubTest' in window);
    const status = await page.evaluate(() => (window as any).hubTest.status(['config.json', 'model.safetensors', 'other.bin']));
    expect(status.map((s: { state: string }) => s.state)).toEqual(['complete', 'complete', 'missing']);
    expect(status[1].bytes).toBe(modelBytes.byteLength);
    server.requests.length = 0;
    const t = await page.evaluate(() => (window as any).hubTest.tensorCount());
    expect(t.count).toBe(80);
    expect(t.first).toBeCloseTo(-0.5359274744987488, 7);
    expect(server.requests.filter((r) => r.method === 'GET')).toEqual([]);
  }, 60_000);

  it('does not cache a truncated safetensors file', async () => {
    const result = await page.evaluate(() => (window as any).hubTest.download(['bad.safetensors']));
    expect(result.error).toMatch(/corrupt, not cached/);
    const status = await page.evaluate(() => (window as any).hubTest.status(['bad.safetensors']));
    expect(status[0].state).toBe('missing');
  }, 60_000);
});

it.runIf(!chromiumAvailable)('OPFS cache test needs /usr/bin/chromium (apt-get install chromium)', () => {
  console.warn('skipping the OPFS cache test: /usr/bin/chromium is missing');
});
