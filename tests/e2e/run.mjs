#!/usr/bin/env node
/**
 * End-to-end tests in real headless Chromium with WebGPU on SwiftShader.
 *
 *   npx vite build && node tests/e2e/run.mjs          # against the production build (vite preview)
 *   node tests/e2e/run.mjs --dev                      # against the Vite dev server
 *   node tests/e2e/run.mjs no-webgpu                  # only the files whose name contains "no-webgpu"
 *
 * Each tests/e2e/*.e2e.mjs exports `tests`, an array of { name, timeoutMs?, run(t) }, and may export
 * `browserArgs` (extra Chromium flags), `webgpu = false` (no SwiftShader WebGPU flags: Chromium
 * then offers navigator.gpu but no adapter, as on a machine without a usable GPU) and `optIn = true`
 * (runs only when a filter names it: hours-long runs such as gemma3-1b, `npm run test:e2e:1b`). A file gets its own browser (fresh profile) and one page that
 * its tests share, in order, so a later test can build on what an earlier one did (e.g. reuse a
 * loaded model instead of paying onnxruntime-web's shader compilation on SwiftShader again). `t` is
 * { page, baseUrl, repoRoot, log(...) }. A test fails by throwing (node:assert is handy).
 *
 * Prints one line per test and ends with "N passed, M failed"; exits 1 if anything failed. The
 * server and the browsers are closed in every case (failure, timeout, Ctrl-C).
 * E2E_VERBOSE=1 echoes the browser console as it happens.
 */
import { mkdtemp, readdir, rm, access } from 'node:fs/promises';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { createServer as createViteDevServer, preview as createVitePreviewServer } from 'vite';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const e2eDir = join(repoRoot, 'tests/e2e');
const CHROMIUM = '/usr/bin/chromium';
/** Headless Chromium with nothing that reaches the network on its own. */
const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** WebGPU on SwiftShader (the CPU Vulkan that Debian's chromium ships); a file can opt out. */
const WEBGPU_ARGS = ['--enable-unsafe-webgpu', '--enable-unsafe-swiftshader', '--use-webgpu-adapter=swiftshader', '--enable-features=Vulkan'];
const DEFAULT_TEST_TIMEOUT_MS = 60_000;
/** A hard ceiling for the whole run, so a wedged browser can never hang CI (raised to the selected tests' own timeouts when those add up to more). */
const RUN_TIMEOUT_MS = 40 * 60_000;
const CONSOLE_LINES_ON_FAILURE = 40;
const verbose = process.env.E2E_VERBOSE === '1';

const args = process.argv.slice(2);
const devMode = args.includes('--dev');
const filters = args.filter((a) => !a.startsWith('--'));

/** Everything to close on the way out, most recent first. */
const cleanups = [];
let cleaningUp = null;
/** Set on Ctrl-C or the run timeout: start nothing new. */
let aborted = false;
function cleanup() {
  cleaningUp ??= (async () => {
    while (cleanups.length) {
      const fn = cleanups.pop();
      await Promise.race([fn().catch((e) => console.error(`e2e: cleanup: ${e.message}`)), sleep(10_000)]);
    }
  })();
  return cleaningUp;
}
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]]) {
  process.on(signal, () => {
    aborted = true;
    console.error(`\ne2e: ${signal}, closing browser and server`);
    void cleanup().finally(() => process.exit(code));
  });
}
function startWatchdog(ms) {
  const watchdog = setTimeout(() => {
    aborted = true;
    console.error(`e2e: the whole run exceeded ${Math.round(ms / 60_000)} min, giving up`);
    void cleanup().finally(() => process.exit(1));
  }, ms);
  watchdog.unref();
}

async function main() {
  const files = await loadTestFiles();
  // Whole files only: a file's tests share a page and build on each other.
  const selected = files.filter((f) => (filters.length === 0 ? !f.optIn : filters.some((name) => f.name.includes(name))));
  if (selected.length === 0) throw new Error(`No e2e test files found${filters.length ? ` matching ${filters.join(', ')}` : ''}`);
  const skipped = files.filter((f) => f.optIn && !selected.includes(f)).map((f) => f.name);
  if (skipped.length) console.log(`e2e: opt-in, not run unless named: ${skipped.join(', ')}`);
  const own = selected.reduce((a, f) => a + f.tests.reduce((b, t) => b + (t.timeoutMs ?? DEFAULT_TEST_TIMEOUT_MS), 0), 0);
  startWatchdog(Math.max(RUN_TIMEOUT_MS, own + 5 * 60_000));

  const baseUrl = await startServer();
  let passed = 0;
  let failed = 0;
  for (const file of selected) {
    if (aborted) break;
    console.log(`\n${file.name}`);
    const result = await runFile(file, baseUrl);
    passed += result.passed;
    failed += result.failed;
  }
  if (aborted) return false;
  console.log(`\n${passed} passed, ${failed} failed`);
  return failed === 0;
}

async function loadTestFiles() {
  const names = (await readdir(e2eDir)).filter((n) => n.endsWith('.e2e.mjs')).sort();
  const files = [];
  for (const name of names) {
    const mod = await import(pathToFileURL(join(e2eDir, name)).href);
    if (!Array.isArray(mod.tests)) throw new Error(`${name} must export an array named "tests"`);
    for (const t of mod.tests) {
      if (typeof t.name !== 'string' || typeof t.run !== 'function') throw new Error(`${name}: every test needs a name and a run(t) function`);
    }
    files.push({ name, tests: mod.tests, browserArgs: mod.browserArgs ?? [], webgpu: mod.webgpu ?? true, optIn: mod.optIn === true });
  }
  return files;
}

async function startServer() {
  const port = await freePort();
  // Served from localhost: WebGPU needs a secure context, and http://localhost is one.
  const serverOptions = { host: 'localhost', port, strictPort: true };
  let server;
  if (devMode) {
    server = await createViteDevServer({ root: repoRoot, logLevel: 'warn', server: serverOptions });
    cleanups.push(() => server.close());
    await server.listen();
  } else {
    await access(join(repoRoot, 'dist/index.html')).catch(() => {
      throw new Error('dist/index.html is missing: run `npx vite build` first (or pass --dev)');
    });
    server = await createVitePreviewServer({ root: repoRoot, logLevel: 'warn', preview: serverOptions });
    cleanups.push(() => server.close());
  }
  const baseUrl = `http://localhost:${port}/`;
  console.log(`e2e: ${devMode ? 'Vite dev server' : 'production build (vite preview)'} at ${baseUrl}`);
  return baseUrl;
}

function freePort() {
  return new Promise((resolvePort, reject) => {
    const probe = createNetServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, 'localhost', () => {
      const { port } = probe.address();
      probe.close(() => resolvePort(port));
    });
  });
}

async function runFile(file, baseUrl) {
  const counts = { passed: 0, failed: 0 };
  const consoleLines = [];
  let context;
  let profileDir;
  let closing = null;
  // Called by the finally below and by a signal's cleanup, possibly both: close once.
  const closeBrowser = () =>
    (closing ??= (async () => {
      await context?.close();
      if (profileDir) await rm(profileDir, { recursive: true, force: true });
    })());
  cleanups.push(closeBrowser);
  try {
    profileDir = await mkdtemp(join(tmpdir(), 'webgrpo-e2e-profile-'));
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true, // the real switch is --headless=new below; this only stops Playwright adding its own
      args: [...CHROMIUM_ARGS, ...(file.webgpu ? WEBGPU_ARGS : []), ...file.browserArgs],
      viewport: { width: 1280, height: 800 },
      timeout: 60_000,
      handleSIGINT: false, // our own handler closes everything in order
      handleSIGTERM: false,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const record = (line) => {
      consoleLines.push(line);
      if (verbose) console.log(`    [browser] ${line}`);
    };
    page.on('console', (msg) => record(`${msg.type()}: ${msg.text()}`));
    page.on('pageerror', (err) => record(`pageerror: ${err.message}`));
    page.on('worker', (worker) => record(`worker started: ${worker.url()}`));

    const t = { page, baseUrl, repoRoot, log: (...parts) => console.log('    ', ...parts) };
    for (const test of file.tests) {
      if (aborted) break;
      const timeoutMs = test.timeoutMs ?? DEFAULT_TEST_TIMEOUT_MS;
      const start = Date.now();
      const consoleStart = consoleLines.length;
      try {
        await withTimeout(Promise.resolve().then(() => test.run(t)), timeoutMs, `timed out after ${timeoutMs / 1000} s`);
        counts.passed++;
        console.log(`  ✓ ${test.name} (${seconds(start)})`);
      } catch (e) {
        if (aborted) break;
        counts.failed++;
        console.log(`  ✗ ${test.name} (${seconds(start)})`);
        console.log(indent(e instanceof Error ? (e.stack ?? e.message) : String(e), 6));
        const lines = consoleLines.slice(consoleStart).slice(-CONSOLE_LINES_ON_FAILURE);
        if (lines.length && !verbose) console.log(indent(`browser console during this test:\n${lines.join('\n')}`, 6));
      }
    }
  } catch (e) {
    // The browser did not start: every test of the file counts as failed.
    const untried = file.tests.length - counts.passed - counts.failed;
    counts.failed += untried;
    console.log(`  ✗ could not run ${basename(file.name)}: ${e instanceof Error ? e.message : e}`);
  } finally {
    const i = cleanups.indexOf(closeBrowser);
    if (i >= 0) cleanups.splice(i, 1);
    await closeBrowser();
  }
  return counts;
}

function withTimeout(promise, ms, message) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function seconds(start) {
  return `${((Date.now() - start) / 1000).toFixed(1)} s`;
}

function indent(text, n) {
  return text.replace(/^/gm, ' '.repeat(n));
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms).unref());
}

let ok = false;
try {
  ok = await main();
} catch (e) {
  console.error(`e2e: ${e instanceof Error ? e.message : e}`);
} finally {
  await cleanup();
}
process.exit(ok ? 0 : 1);
