/**
 * Model downloads in Chromium against the loopback test hub (tests/support/test-hub.ts), the way a
 * browser meets huggingface.co: the app's page (localhost, cross-origin isolated) fetches from the
 * hub (127.0.0.1, one port) and is redirected to its CDN (another port, so another origin) for LFS
 * files; small files come gzip-encoded; X-Linked-* stay on the redirect, out of the page's reach.
 * The real hub client (src/model/hub.ts) with the OPFS cache runs in the page, bundled by esbuild
 * and injected into the app's own origin. The tests share the page, in order.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { tsImport } from 'tsx/esm/api';
import { stopRun } from './helpers/run-control.mjs';

/** Downloads need no GPU. */
export const webgpu = false;

const REPO = 'webgrpo/tiny-gemma3-test';
const FILES = ['config.json', 'generation_config.json', 'tokenizer_config.json', 'tokenizer.json', 'model.safetensors'];
const SEGMENT = 2 ** 20;

/** In the page: HubClient + OpfsHubCache, driven from here; sha256 of what was stored, by WebCrypto. */
const ENTRY = `
import { HubClient } from './src/model/hub';
import { OpfsHubCache } from './src/model/storage-opfs';
import { SafetensorsReader } from './src/model/safetensors';
import { parseGemma3Config } from './src/model/config';
let run = null;
const events = [];
async function client(o) {
  const cache = await OpfsHubCache.open({ segmentBytes: ${SEGMENT}, rootDir: o.rootDir });
  return new HubClient({ repo: o.repo, revision: o.revision, baseUrl: o.baseUrl, token: o.token, cache, retryDelayMs: 50, maxRetries: o.maxRetries ?? 5 });
}
const hex = async (bytes) => Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)), (x) => x.toString(16).padStart(2, '0')).join('');
window.hubE2E = {
  start(o) {
    events.length = 0;
    run = (async () => {
      const c = await client(o);
      await c.download(o.files, (p) => events.push({ path: p.path, fileLoaded: p.fileLoaded, loaded: p.loaded, total: p.total, fromCache: p.fromCache }));
      return c;
    })();
    run.catch(() => {});
    return true;
  },
  progress(path) {
    const mine = events.filter((e) => e.path === path);
    return mine.length ? mine[mine.length - 1].fileLoaded : 0;
  },
  async finish() {
    try {
      const c = await run;
      return { commit: (await c.snapshot()).commit, events: events.slice() };
    } catch (e) {
      return { error: String(e && e.message), events: events.slice() };
    }
  },
  async inspect(o) {
    const c = await client(o);
    const statuses = await c.cacheStatus(o.files);
    const out = {};
    for (const s of statuses) {
      let sha256 = null;
      if (s.state === 'complete') {
        const src = await c.open(s.path);
        sha256 = await hex(await src.read(0, src.size));
      }
      out[s.path] = { state: s.state, bytes: s.bytes, commit: s.commit, sha256 };
    }
    return out;
  },
  async loadModel(o) {
    const c = await client(o);
    const config = parseGemma3Config(await c.json('config.json'));
    const weights = await c.openWeights();
    const emb = await weights.readFloat32('model.embed_tokens.weight');
    return { vocab: config.vocabSize, hidden: config.hiddenSize, tensors: weights.tensors.length, embLength: emb.length, commit: (await c.snapshot()).commit };
  },
};
`;

/** Shared between the tests of this file. */
const ctx = { hub: null, bundle: null, commitA: null };

async function inject(page, baseUrl) {
  await page.goto(baseUrl);
  await page.addScriptTag({ type: 'module', content: ctx.bundle });
  await page.waitForFunction(() => 'hubE2E' in window);
}

function opts(extra = {}) {
  return { baseUrl: ctx.hub.hubUrl, repo: REPO, revision: 'main', files: FILES, rootDir: 'e2e', ...extra };
}

/** Full transfers (not one-byte probes) of a file, as the test hub logged them. */
const transfers = (path) => ctx.hub.requestsFor(path).filter((r) => r.method === 'GET' && r.range !== 'bytes=0-0' && (r.status === 200 || r.status === 206));

async function assertStoredAt(page, options, commit) {
  const stored = await page.evaluate((o) => window.hubE2E.inspect(o), { ...options, revision: commit });
  for (const f of options.files) {
    assert.equal(stored[f].state, 'complete', `${f}: ${JSON.stringify(stored[f])}`);
    assert.equal(stored[f].commit, commit, `${f} is of commit ${stored[f].commit}, expected ${commit}`);
    assert.equal(stored[f].sha256, await ctx.hub.fileSha256(REPO, f, commit), `${f}: stored bytes differ from the hub's at ${commit}`);
  }
}

async function waitFor(what, fn, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const tests = [
  {
    name: 'downloads the tiny checkpoint across hub and CDN origins through 429, 503, drops, gzip, and main moving mid-download',
    timeoutMs: 120_000,
    async run({ page, baseUrl, repoRoot, log }) {
      const modelDir = join(repoRoot, 'public/models/tiny-gemma3');
      assert.ok(existsSync(join(modelDir, 'model.safetensors')), 'the tiny model is missing: run npx tsx scripts/make-tiny-model.ts');
      const { TestHub, filesFromDir } = await tsImport('../support/test-hub.ts', import.meta.url);
      ctx.hub = await new TestHub({ token: 'hf_e2e' }).start();
      ctx.commitA = ctx.hub.commit(REPO, filesFromDir(modelDir, { skip: (p) => p === 'manifest.json' }));
      ctx.hub.commit('webgrpo/gated-test', filesFromDir(modelDir, { skip: (p) => p !== 'config.json' && p !== 'model.safetensors' }), { gated: true });
      const bundle = await build({
        stdin: { contents: ENTRY, resolveDir: repoRoot, loader: 'ts' },
        bundle: true, format: 'esm', platform: 'browser', write: false, target: 'es2022',
      });
      ctx.bundle = bundle.outputFiles[0].text;
      await inject(page, baseUrl);
      assert.equal(await page.evaluate(() => crossOriginIsolated), true, 'the app page is not cross-origin isolated');

      const hub = ctx.hub;
      const modelSize = (await hub.fileBytes(REPO, 'model.safetensors')).byteLength;
      let commitB = null;
      hub.failNext({ status: 429, times: 1 }); // the very first request is rate limited
      hub.failNext({ server: 'cdn', path: 'tokenizer.json', status: 503, times: 1 });
      hub.dropAfter('tokenizer_config.json', 20_000); // a gzip-encoded small file
      hub.dropAfter('tokenizer.json', 9_000_000); // a plain LFS file behind the 302
      hub.dropAfter('model.safetensors', 3_000_000, 2); // a Xet LFS file
      hub.onServed('model.safetensors', 2_000_000, () => {
        commitB = hub.commit(REPO, { 'config.json': new TextEncoder().encode('{"model_type": "changed"}'), 'model.safetensors': new Uint8Array(4096).fill(7) });
      });

      await page.evaluate((o) => window.hubE2E.start(o), opts());
      const result = await page.evaluate(() => window.hubE2E.finish());
      assert.equal(result.error, undefined, `download failed: ${result.error}`);
      assert.ok(commitB, 'main never moved: the test proves nothing');
      assert.equal(hub.ref(REPO), commitB);
      assert.equal(result.commit, ctx.commitA, 'the load did not stay on the commit main had when it started');
      await assertStoredAt(page, opts(), ctx.commitA);

      // What the browser did on the wire.
      assert.ok(hub.requests.some((r) => r.status === 429) && hub.requests.some((r) => r.status === 503), 'the 429 and 503 were not met');
      assert.equal(hub.requests.filter((r) => r.method === 'HEAD').length, 0, 'HEAD requests were sent');
      assert.equal(hub.requests.filter((r) => r.ifRange !== null).length, 0, 'If-Range was sent to the hub or its CDN');
      assert.deepEqual(transfers('config.json').map((r) => `${r.server} ${r.encoding}`), ['hub gzip']);
      assert.equal(transfers('tokenizer.json').every((r) => r.server === 'cdn'), true);
      const modelRanges = transfers('model.safetensors').map((r) => `${r.server} ${r.range}`);
      assert.equal(modelRanges.length, 3, `model transfers: ${modelRanges}`);
      assert.match(modelRanges[1], /^cdn bytes=\d+-$/);
      assert.match(modelRanges[2], /^cdn bytes=\d+-$/);
      // The gzip-encoded small file resumed by Range at its decoded length.
      assert.match(transfers('tokenizer_config.json').map((r) => `${r.range} ${r.encoding}`).join(', '), /^null gzip, bytes=\d+- null$/);
      const afterProbe = hub.requests.filter((r) => r.server === 'hub' && r.path !== null && r.status !== 429).slice(1);
      assert.equal(afterProbe.every((r) => r.url.includes(ctx.commitA)), true, 'a request after the first was not pinned to the commit');
      const last = result.events.at(-1);
      assert.equal(last.loaded, last.total);
      // Nothing sent needs a CORS preflight (a single Range is CORS-safelisted): preflights to the
      // hub's CDN have been reported failing (discuss.huggingface.co thread 172172).
      assert.deepEqual(hub.requests.filter((r) => r.method === 'OPTIONS').map((r) => r.server), [], 'a request needed a preflight');
      log(`${FILES.length} files, ${last.total} bytes, model ${modelSize} bytes; main moved to ${commitB.slice(0, 8)} mid-download, stored ${ctx.commitA.slice(0, 8)}`);

      // The model opens from OPFS at that commit (config, weights).
      const loaded = await page.evaluate((o) => window.hubE2E.loadModel({ ...o, revision: o.commit }), { ...opts(), commit: ctx.commitA });
      assert.deepEqual({ vocab: loaded.vocab, hidden: loaded.hidden, embLength: loaded.embLength }, { vocab: 262144, hidden: 16, embLength: 262144 * 16 });
    },
  },
  {
    name: 'a reload mid-download keeps the finished files and the written segments; the next load resumes without downloading them again',
    timeoutMs: 120_000,
    async run({ page, baseUrl }) {
      const hub = ctx.hub;
      hub.reset();
      hub.setRef(REPO, 'main', ctx.commitA);
      const o = opts({ rootDir: 'e2e-reload' });
      hub.stallAfter('model.safetensors', 5_000_000);
      await page.evaluate((x) => window.hubE2E.start(x), o);
      await waitFor('5 MB of the weights in the page', () => page.evaluate(() => window.hubE2E.progress('model.safetensors') >= 5_000_000));
      await page.reload(); // the transfer dies with the page
      hub.releaseStalled();
      await page.addScriptTag({ type: 'module', content: ctx.bundle });
      await page.waitForFunction(() => 'hubE2E' in window);

      const before = await page.evaluate((x) => window.hubE2E.inspect(x), o);
      for (const f of FILES.slice(0, -1)) assert.equal(before[f].state, 'complete', `${f} after the reload: ${JSON.stringify(before[f])}`);
      const kept = before['model.safetensors'];
      assert.equal(kept.state, 'partial');
      assert.equal(kept.bytes, 4 * SEGMENT, `kept ${kept.bytes} bytes: the closed 1 MiB segments of 5 MB written`);
      assert.equal(kept.commit, ctx.commitA);

      hub.reset();
      await page.evaluate((x) => window.hubE2E.start(x), o);
      const result = await page.evaluate(() => window.hubE2E.finish());
      assert.equal(result.error, undefined, `resumed download failed: ${result.error}`);
      assert.deepEqual(transfers('model.safetensors').map((r) => r.range), [`bytes=${4 * SEGMENT}-`]);
      for (const f of FILES.slice(0, -1)) assert.deepEqual(transfers(f), [], `${f} was downloaded again`);
      assert.ok(result.events.filter((e) => e.path !== 'model.safetensors').every((e) => e.fromCache));
      await assertStoredAt(page, o, ctx.commitA);
    },
  },
  {
    name: 'refuses to mix revisions: a partial file of an older commit is not resumed, complete files of it stay',
    timeoutMs: 120_000,
    async run({ page }) {
      const hub = ctx.hub;
      hub.reset();
      hub.setRef(REPO, 'main', ctx.commitA);
      const o = opts({ rootDir: 'e2e-mix' });
      hub.dropAfter('model.safetensors', 3_000_000, 10);
      await page.evaluate((x) => window.hubE2E.start({ ...x, maxRetries: 1 }), o);
      const failed = await page.evaluate(() => window.hubE2E.finish());
      assert.match(failed.error ?? '', /model\.safetensors" failed after 2 attempts .* bytes kept for resuming/);

      const weightsC = new Uint8Array(await hub.fileBytes(REPO, 'model.safetensors', ctx.commitA));
      weightsC[1_000_000] ^= 0xff; // the same size, a byte changed inside the part already stored: only the commit tells them apart
      const commitC = hub.commit(REPO, { 'model.safetensors': weightsC }, { parent: ctx.commitA });
      hub.reset();
      await page.evaluate((x) => window.hubE2E.start(x), o);
      const result = await page.evaluate(() => window.hubE2E.finish());
      assert.equal(result.error, undefined, result.error);
      assert.equal(result.commit, commitC);
      assert.deepEqual(transfers('model.safetensors').map((r) => r.range), [null], 'the other commit\'s partial file was resumed');
      await assertStoredAt(page, o, commitC);
      // The first commit's complete files are still there (never deleted), its partial file is gone.
      const old = await page.evaluate((x) => window.hubE2E.inspect(x), { ...o, revision: ctx.commitA });
      for (const f of FILES.slice(0, -1)) assert.equal(old[f].state, 'complete', f);
      assert.equal(old['model.safetensors'].state, 'missing');
    },
  },
  {
    name: 'a gated repo with a token: the token goes to the hub only, never to the CDN',
    timeoutMs: 60_000,
    async run({ page }) {
      const hub = ctx.hub;
      hub.reset();
      const o = opts({ repo: 'webgrpo/gated-test', files: ['config.json', 'model.safetensors'], rootDir: 'e2e-gated' });
      await page.evaluate((x) => window.hubE2E.start(x), o);
      const denied = await page.evaluate(() => window.hubE2E.finish());
      assert.match(denied.error ?? '', /HTTP 401.*GatedRepo|HTTP 401.*restricted/);
      hub.reset();
      await page.evaluate((x) => window.hubE2E.start(x), { ...o, token: 'hf_e2e' });
      const result = await page.evaluate(() => window.hubE2E.finish());
      assert.equal(result.error, undefined, result.error);
      const files = hub.requests.filter((r) => r.path !== null && r.method === 'GET');
      assert.ok(files.filter((r) => r.server === 'hub').every((r) => r.authorization === 'Bearer hf_e2e'));
      assert.ok(files.some((r) => r.server === 'cdn'));
      assert.ok(files.filter((r) => r.server === 'cdn').every((r) => r.authorization === null), 'the token reached the CDN');
      assert.ok(hub.requests.some((r) => r.method === 'OPTIONS' && r.server === 'hub'), 'no preflight for the Authorization header?');
    },
  },
  {
    name: 'the dashboard\'s Hub endpoint: checked inline, kept across a reload; an unreachable one ends Train with what to do, a mirror serves the model',
    timeoutMs: 120_000,
    async run({ page, baseUrl, log }) {
      const hub = ctx.hub;
      hub.reset();
      hub.setRef(REPO, 'main', ctx.commitA);
      await page.goto(baseUrl);
      await page.getByTestId('model-hub').check();
      const endpoint = page.getByTestId('model-endpoint');
      await endpoint.fill('hf-mirror.com');
      assert.match(await page.getByTestId('model-panel').locator('.field__error').innerText(), /Hub endpoint must be an http\(s\) URL such as https:\/\/hf-mirror\.com, got "hf-mirror\.com"/);
      await page.getByTestId('train').click();
      assert.match(await page.getByTestId('start-problems').innerText(), /Model: Hub endpoint must be an http\(s\) URL/);

      // Offline or blocked: nothing answers at this endpoint (a port just closed).
      const { createServer } = await import('node:net');
      const closed = await new Promise((resolve) => {
        const srv = createServer().listen(0, '127.0.0.1', () => {
          const { port } = srv.address();
          srv.close(() => resolve(`http://127.0.0.1:${port}`));
        });
      });
      await endpoint.fill(closed);
      await page.getByTestId('model-repo').fill(REPO);
      await page.getByTestId('train').click();
      await page.getByTestId('run-error').first().waitFor({ timeout: 30_000 });
      const error = await page.getByTestId('run-error').first().innerText();
      assert.match(error, new RegExp(`cannot reach ${closed.replace(/[.:/]/g, '\\$&')}: offline, or blocked by a firewall or proxy\\? Set a mirror in Hub endpoint .*or open a model folder`));
      assert.doesNotMatch(error, /^hub: network error|HEAD failed/);
      log(`offline: ${error.slice(0, 160)}…`);

      // The setting survives a reload; pointed at a mirror (the test hub), the model comes from there.
      await page.reload();
      assert.equal(await page.getByTestId('model-endpoint').inputValue(), closed);
      await page.getByTestId('model-endpoint').fill(hub.hubUrl);
      await page.getByTestId('train').click();
      await waitFor('the weights requested from the mirror', async () => transfers('model.safetensors').length > 0, 60_000);
      await stopRun(page);
      const asked = new Set(hub.requests.filter((r) => r.server === 'hub').map((r) => r.url.split('/resolve/')[0]));
      assert.deepEqual([...asked].filter((u) => !u.startsWith('/api')), [`/${REPO}`]);
      await hub.stop();
    },
  },
  {
    name: 'a model folder opened in the dashboard (folder input): missing files named at once, the worker reads the File objects in place (no network); a copy kept on request opens after a reload',
    timeoutMs: 240_000,
    async run({ page, baseUrl, repoRoot, log }) {
      await page.goto(baseUrl);
      await page.getByTestId('model-files').check();
      const { mkdtemp, copyFile, rm } = await import('node:fs/promises');
      const { tmpdir } = await import('node:os');
      const modelDir = join(repoRoot, 'public/models/tiny-gemma3');
      const half = await mkdtemp(join(tmpdir(), 'webgrpo-half-'));
      await copyFile(join(modelDir, 'config.json'), join(half, 'config.json'));
      try {
        await page.getByTestId('model-folder-input').setInputFiles(half);
        assert.match(await page.getByTestId('model-folder-status').innerText(), /lacks tokenizer\.json, tokenizer_config\.json, model\.safetensors \(or model\.safetensors\.index\.json and its shards\)/);
      } finally {
        await rm(half, { recursive: true, force: true });
      }
      const requests = [];
      page.on('request', (r) => requests.push(r.url()));
      await page.getByTestId('model-folder-input').setInputFiles(modelDir);
      assert.match(await page.getByTestId('model-folder-status').innerText(), /"tiny-gemma3": \d+ files, \d+ MiB, read in place/);
      await page.getByTestId('train').click();
      // The weights go onto the backend tensor by tensor: the worker opened the folder's files.
      await page.getByTestId('model-panel').getByText(/loading tiny-gemma3 onto/).waitFor({ state: 'attached', timeout: 60_000 }); // the setup folds away once a run starts
      assert.equal(await page.getByTestId('run-error').count(), 0, (await page.getByTestId('run-error').allInnerTexts()).join(' | '));
      await stopRun(page);
      assert.deepEqual(requests.filter((u) => /models\/|resolve\//.test(u)), [], 'model files were fetched instead of read from the folder');
      log('tiny-gemma3 opened from the folder input');

      // Asked to keep a copy: it is written to OPFS while the run loads, and after a reload (no access
      // to the folder any more) the same choice opens the copy.
      if (!(await page.getByTestId('setup-panels').isVisible())) await page.getByTestId('setup-toggle').click();
      await page.getByTestId('model-folder-keep').check();
      await page.getByTestId('model-folder-input').setInputFiles(modelDir);
      await page.getByTestId('train').click();
      await page.getByTestId('model-panel').getByText(/copying tiny-gemma3 into site storage \(OPFS\)/).waitFor({ state: 'attached', timeout: 60_000 });
      await page.getByTestId('model-panel').getByText(/loading tiny-gemma3 onto/).waitFor({ state: 'attached', timeout: 60_000 });
      await stopRun(page);
      await page.reload();
      assert.match(await page.getByTestId('model-folder-reload').innerText(), /Uses the copy of "tiny-gemma3" kept in this browser/);
      await page.getByTestId('train').click();
      await page.getByTestId('model-panel').getByText(/loading tiny-gemma3 onto/).waitFor({ state: 'attached', timeout: 60_000 });
      assert.equal(await page.getByTestId('run-error').count(), 0, (await page.getByTestId('run-error').allInnerTexts()).join(' | '));
      await stopRun(page);
      log('after a reload, the copy kept in OPFS opened');
    },
  },
];
