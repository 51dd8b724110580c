/**
 * The transformers.js export in Chromium: the demo model exported by our exporter loads in
 * transformers.js (its browser build, on its own onnxruntime-web, wasm), and its greedy generation
 * equals our engine's tokens (computed in Node by tests/e2e/helpers/transformersjs-reference.ts)
 * for SQL prompts longer than the model's sliding window. Everything is served from a route on a
 * made-up origin: the page reaches nothing outside.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { promisify } from 'node:util';

export const webgpu = false;
const ORIGIN = 'http://transformersjs.test';
const TYPES = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json', '.html': 'text/html' };

export const tests = [
  {
    name: 'transformers.js in Chromium loads the export; greedy tokens = our engine\'s',
    timeoutMs: 600_000,
    async run({ page, repoRoot, log }) {
      const dir = await mkdtemp(join(tmpdir(), 'tjs-e2e-'));
      try {
        const { stdout } = await promisify(execFile)('npx', ['tsx', '--conditions=onnxruntime-web-use-extern-wasm', 'tests/e2e/helpers/transformersjs-reference.ts', join(dir, 'model')], { cwd: repoRoot, maxBuffer: 1 << 24 });
        const ref = JSON.parse(stdout.trim().split('\n').pop());
        assert.ok(Math.min(...ref.prompts.map((p) => p.length)) > ref.slidingWindow, 'prompts longer than the sliding window');
        const tjs = join(repoRoot, 'node_modules/@huggingface/transformers');
        const files = {
          '/index.html': '<!doctype html><title>transformers.js export</title>',
          '/transformers.js': join(tjs, 'dist/transformers.min.js'),
        };
        await page.route(`${ORIGIN}/**`, async (route) => {
          const path = new URL(route.request().url()).pathname;
          let file = files[path];
          if (path.startsWith('/ort/')) file = join(tjs, 'node_modules/onnxruntime-web/dist', path.slice(5));
          if (path.startsWith('/models/')) file = join(dir, path.slice(8));
          if (file === undefined) return route.fulfill({ status: 404, body: 'not found' });
          if (file.startsWith('<')) return route.fulfill({ status: 200, contentType: 'text/html', body: file });
          try {
            return route.fulfill({ status: 200, contentType: TYPES[extname(file)] ?? 'application/octet-stream', body: await readFile(file) });
          } catch {
            return route.fulfill({ status: 404, body: 'not found' });
          }
        });
        await page.goto(`${ORIGIN}/index.html`);
        const theirs = await page.evaluate(
          async ({ origin, prompts, stop }) => {
            const { AutoModelForCausalLM, env, Tensor } = await import(`${origin}/transformers.js`);
            env.allowRemoteModels = false;
            env.allowLocalModels = true;
            env.localModelPath = `${origin}/models/`;
            env.useBrowserCache = false;
            env.backends.onnx.wasm.wasmPaths = `${origin}/ort/`;
            env.backends.onnx.wasm.numThreads = 1;
            const model = await AutoModelForCausalLM.from_pretrained('model', { dtype: 'fp32', device: 'wasm' });
            const out = [];
            for (const p of prompts) {
              const ids = new Tensor('int64', BigInt64Array.from(p.map(BigInt)), [1, p.length]);
              const mask = new Tensor('int64', BigInt64Array.from(p.map(() => 1n)), [1, p.length]);
              const res = await model.generate({ input_ids: ids, attention_mask: mask, max_new_tokens: 24, do_sample: false, eos_token_id: stop });
              const row = res.tolist()[0].slice(p.length).map(Number);
              const at = row.findIndex((id) => stop.includes(id));
              out.push(at < 0 ? row : row.slice(0, at + 1));
            }
            return out;
          },
          { origin: ORIGIN, prompts: ref.prompts, stop: ref.stop },
        );
        log(`prompts ${ref.prompts.map((p) => p.length).join('/')} tokens; ours ${JSON.stringify(ref.ours[0])}`);
        assert.deepEqual(theirs, ref.ours);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  },
];
