/**
 * Gemma-3-1B at its real size in Chromium (opt-in: `npm run test:e2e:1b`; hours on SwiftShader,
 * see docs/BENCHMARKS.md). Through the dashboard, against the loopback test hub serving
 * google/gemma-3-1b-it's layout (tests/support/gemma3-1b-repo.ts: published config, real tokenizer,
 * a 2.0 GB bf16 model.safetensors of seeded random weights) and b-mc2/sql-create-context's:
 * 1. Train starts the download with progress; the weights stall part-way and the page is reloaded
 *    (the transfer dies with it): the small files and the closed segments stay in OPFS.
 * 2. Train again: the weights resume by Range from the bytes kept, nothing else is fetched again;
 *    once the model starts loading onto the GPU the page is reloaded once more.
 * 3. Train again: everything comes from OPFS (no file transfer at all), all 26 layers and the full
 *    262,144-token vocabulary load under the adapter's own limits (SwiftShader: 1 GiB buffers and
 *    bindings), one GRPO step runs on 1 prompt x 2 completions of 4 tokens, and the adapter is
 *    exported with the 1B shapes.
 * The few tokens keep SwiftShader's time in bounds; the model is not made smaller. Every buffer
 * created on the worker's GPU device is counted (GPUDevice.prototype.createBuffer, patched in the
 * engine worker before the device exists), and the peak is printed with the run's duration.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { tsImport } from 'tsx/esm/api';

export const optIn = true;

const REPO = 'google/gemma-3-1b-it';
const DATASET = 'b-mc2/sql-create-context';
const WEIGHTS = 'model.safetensors';
const SMALL_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json'];
/** Where the first download is cut: ~0.9 GB into 2.0 GB. */
const STALL_AT = 900_000_000;
const SEGMENT = 32 * 2 ** 20; // OpfsHubCache's default segment
const SETTINGS = {
  num_generations: '2',
  per_device_train_batch_size: '2',
  gradient_accumulation_steps: '1',
  max_completion_length: '4',
  max_steps: '1',
  save_steps: '0',
  eval_steps: '0',
  max_prompt_length: '256',
};
/** Short rows (one small table each): the prompt is mostly the system prompt, ~80 tokens. */
const ROWS = Array.from({ length: 24 }, (_, i) => ({
  question: `Who is ${20 + i}?`,
  context: `CREATE TABLE t${i} (name VARCHAR, age INT)`,
  answer: `SELECT name FROM t${i} WHERE age = ${20 + i}`,
}));
const HOUR = 3_600_000;

const setting = (page, name) => page.getByTestId(`setting-${name}`).locator('input, select').first();
const phaseOf = (page) => page.getByTestId('phase').first().getAttribute('data-phase');
const ctx = { hub: null, t0: 0, marks: [] };

/** Full transfers (not one-byte probes) of a file, as the test hub logged them. */
const transfers = (path) => ctx.hub.requestsFor(path).filter((r) => r.method === 'GET' && r.range !== 'bytes=0-0' && (r.status === 200 || r.status === 206));

/** Counts every GPU buffer of the engine worker's device (installed before the device is made; read with gpuPeak). */
async function meterWorkerGpu(page) {
  const deadline = Date.now() + 60_000;
  let worker;
  while (!(worker = page.workers().find((w) => /engine/.test(w.url())))) {
    if (Date.now() > deadline) throw new Error(`no engine worker among ${page.workers().map((w) => w.url()).join(', ')}`);
    await page.waitForTimeout(200);
  }
  await worker.evaluate(() => {
    const meter = (globalThis.__e2eGpu = { live: 0, peak: 0, buffers: 0, largest: 0 });
    const proto = GPUDevice.prototype;
    const create = proto.createBuffer;
    proto.createBuffer = function (desc) {
      const buffer = create.call(this, desc);
      const size = desc.size;
      meter.live += size;
      meter.buffers++;
      meter.largest = Math.max(meter.largest, size);
      meter.peak = Math.max(meter.peak, meter.live);
      const destroy = buffer.destroy;
      let gone = false;
      buffer.destroy = function () {
        if (!gone) {
          gone = true;
          meter.live -= size;
        }
        return destroy.call(this);
      };
      return buffer;
    };
  });
  return worker;
}

async function gpuMeter(worker) {
  return worker.evaluate(() => globalThis.__e2eGpu);
}

const gib = (b) => `${(b / 2 ** 30).toFixed(2)} GiB`;
const since = () => `${((Date.now() - ctx.t0) / 60_000).toFixed(1)} min`;

function mark(log, what) {
  ctx.marks.push({ what, at: Date.now() - ctx.t0 });
  log(`[${since()}] ${what}`);
}

/** The run's first error, if any, as a failure. */
async function failIfRunFailed(page) {
  const errors = await page.getByTestId('run-error').allInnerTexts();
  if (errors.length) assert.fail(`the run failed: ${errors.join(' | ')}`);
}

/** Polls until ready(); logs each new phase and progress line; fails on a run error. */
async function waitForRun(page, log, what, ready, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    await failIfRunFailed(page);
    if (await ready()) return;
    const phase = await phaseOf(page);
    const status = (await page.getByTestId('run-status-live').innerText().catch(() => '')).trim();
    const line = `${phase}: ${status.replace(/\d[\d.,]*/g, '#')}`;
    if (line !== last) {
      mark(log, `phase ${phase}${status ? `: ${status.slice(0, 120)}` : ''}`);
      last = line;
    }
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what} (phase ${phase})`);
    await page.waitForTimeout(2000);
  }
}

async function setUp(page, baseUrl) {
  await page.goto(baseUrl);
  await page.getByTestId('settings-panel').waitFor();
  await page.getByTestId('model-hub').check();
  await page.getByTestId('model-endpoint').fill(ctx.hub.hubUrl);
  await page.getByTestId('model-repo').fill(REPO);
  await page.getByTestId('dataset-hub').check();
  await page.getByTestId('dataset-id').fill(DATASET);
  const datasetEndpoint = page.getByTestId('dataset-endpoint');
  if ((await datasetEndpoint.count()) && (await datasetEndpoint.inputValue()) !== ctx.hub.hubUrl) await datasetEndpoint.fill(ctx.hub.hubUrl);
  for (const [name, value] of Object.entries(SETTINGS)) await setting(page, name).fill(value);
  assert.match(await page.getByTestId('settings-status').innerText(), /Each step: 1 prompt × 2 completions = 2; 1 steps?/);
  assert.equal(await page.getByTestId('backend').inputValue(), 'webgpu');
}

async function clickTrain(page) {
  await page.getByTestId('train').click();
  assert.equal(await page.getByTestId('start-problems').count(), 0, (await page.getByTestId('start-problems').allInnerTexts()).join(' | '));
}

/** After a reload: the setup came back from localStorage (the token is never stored; this repo needs none). */
async function afterReload(page) {
  await page.getByTestId('settings-panel').waitFor();
  assert.equal(await page.getByTestId('model-repo').inputValue(), REPO);
  assert.equal(await page.getByTestId('model-endpoint').inputValue(), ctx.hub.hubUrl);
  assert.equal(await setting(page, 'max_completion_length').inputValue(), '4');
}

export const tests = [
  {
    name: 'downloads gemma-3-1b-it (2.0 GB) with progress; a reload mid-download keeps the small files and the closed segments in OPFS',
    timeoutMs: HOUR,
    async run({ page, baseUrl, log }) {
      const { TestHub } = await tsImport('../support/test-hub.ts', import.meta.url);
      const { gemma3_1bFiles, sqlCreateContextFiles } = await tsImport('../support/gemma3-1b-repo.ts', import.meta.url);
      ctx.hub = await new TestHub().start();
      ctx.hub.commit(REPO, gemma3_1bFiles(1));
      ctx.hub.commit(DATASET, sqlCreateContextFiles(ROWS), { type: 'dataset' });
      ctx.t0 = Date.now();
      const sha = await ctx.hub.fileSha256(REPO, WEIGHTS); // hashed once here, not inside the first request
      mark(log, `test hub up, ${WEIGHTS} generated and hashed (sha256 ${sha.slice(0, 12)}…)`);

      await setUp(page, baseUrl);
      assert.match(await page.getByTestId('model-cache').innerText(), /Not cached yet/);
      let stalled;
      const reached = new Promise((resolve) => (stalled = resolve));
      ctx.hub.stallAfter(WEIGHTS, STALL_AT);
      ctx.hub.onServed(WEIGHTS, STALL_AT, () => stalled());
      await clickTrain(page);
      mark(log, 'Train (first): downloading');
      // Progress shows while the weights arrive.
      await page.getByTestId('model-panel').getByText(new RegExp(`downloading ${REPO} weights`)).first().waitFor({ state: 'attached', timeout: 10 * 60_000 });
      await Promise.race([reached, new Promise((_, reject) => setTimeout(() => reject(new Error('the download never reached the stall point')), 30 * 60_000))]);
      await page.waitForTimeout(3000); // let the page write what it received
      mark(log, `${(STALL_AT / 1e9).toFixed(1)} GB of the weights sent; reloading the page mid-download`);
      await page.reload();
      ctx.hub.releaseStalled();
      await afterReload(page);
      const cache = await page.getByTestId('model-cache').innerText();
      const mib = Number(/\((\d+) MiB stored\)/.exec(cache)?.[1] ?? NaN);
      log(`after the reload: "${cache}"`);
      assert.match(cache, /Not cached yet/);
      // The kept part: the small files plus the weights' closed 32 MiB segments (at most one segment and the stall's tail lost).
      assert.ok(mib * 2 ** 20 >= STALL_AT - 2 * SEGMENT && mib * 2 ** 20 <= STALL_AT + 40 * 2 ** 20, `${mib} MiB stored after stalling at ${STALL_AT} bytes`);
      for (const f of SMALL_FILES) assert.equal(transfers(f).length, 1, `${f} transfers: ${transfers(f).length}`);
    },
  },
  {
    name: 'Train again resumes the weights by Range from the bytes kept (nothing else fetched again); a reload as loading begins',
    timeoutMs: HOUR,
    async run({ page, log }) {
      const hub = ctx.hub;
      const before = Object.fromEntries(SMALL_FILES.map((f) => [f, transfers(f).length]));
      const weightsBefore = transfers(WEIGHTS).length;
      await clickTrain(page);
      mark(log, 'Train (second): resuming');
      await waitForRun(page, log, 'the model loading onto the GPU', async () => /loading .* onto webgpu/.test(await page.getByTestId('model-panel').innerText().catch(() => '')), HOUR);
      const resumed = transfers(WEIGHTS).slice(weightsBefore);
      log(`weights requests after the reload: ${resumed.map((r) => `${r.server} ${r.range}`).join(', ')}`);
      assert.equal(resumed.length, 1, 'the weights took more than one transfer to finish');
      const from = Number(/^bytes=(\d+)-$/.exec(resumed[0].range ?? '')?.[1]);
      assert.ok(from >= STALL_AT - 2 * SEGMENT && from % SEGMENT === 0, `resumed from byte ${from}`);
      for (const f of SMALL_FILES) assert.equal(transfers(f).length, before[f], `${f} was downloaded again`);
      mark(log, `download complete (resumed from byte ${from}); loading began: reloading`);
      await page.reload();
      await afterReload(page);
      assert.match(await page.getByTestId('model-cache').innerText(), /Cached in this browser/);
      hub.reset();
    },
  },
  {
    name: 'from the OPFS cache alone: 26 layers and 262,144 tokens onto the GPU, 2 completions of 4 tokens, one GRPO step, the adapter exported with 1B shapes',
    timeoutMs: 3 * HOUR,
    async run({ page, log }) {
      const hub = ctx.hub;
      const worker = await meterWorkerGpu(page);
      const limits = await worker.evaluate(async () => {
        const a = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
        return { adapter: a.info?.description || a.info?.vendor, maxBufferSize: a.limits.maxBufferSize, maxStorageBufferBindingSize: a.limits.maxStorageBufferBindingSize };
      });
      log(`adapter ${limits.adapter}: maxBufferSize ${gib(limits.maxBufferSize)}, maxStorageBufferBindingSize ${gib(limits.maxStorageBufferBindingSize)}`);
      const start = Date.now();
      await clickTrain(page);
      mark(log, 'Train (third): from the cache');
      await waitForRun(page, log, 'the GRPO step', async () => ['finished', 'stopped', 'failed'].includes(await phaseOf(page)), 3 * HOUR - 5 * 60_000);
      await failIfRunFailed(page);
      const runMs = Date.now() - start;
      assert.equal(await phaseOf(page), 'finished');
      assert.match(await page.getByTestId('run-status-live').innerText(), /^Training finished after step 1 of 1\.$/);
      const fileRequests = hub.requests.filter((r) => r.path !== null && r.method === 'GET' && r.range !== 'bytes=0-0');
      assert.deepEqual(fileRequests.filter((r) => r.path !== 'sql_create_context_v4.json').map((r) => `${r.path} ${r.range}`), [], 'model files were downloaded again');
      const gpu = await gpuMeter(worker);
      mark(log, `GRPO step done: run ${(runMs / 60_000).toFixed(1)} min; GPU buffers: peak ${gib(gpu.peak)}, largest ${gib(gpu.largest)}, ${gpu.buffers} made`);
      // The 1B weights alone are 3.72 GiB in fp32: a smaller peak would mean the meter missed buffers.
      assert.ok(gpu.peak > 3.7 * 2 ** 30, `measured GPU peak ${gib(gpu.peak)} is below the weights' size`);
      assert.ok(gpu.largest <= limits.maxBufferSize, `a buffer of ${gib(gpu.largest)} passed the adapter's maxBufferSize`);
      // The step applied an update: a non-finite loss or gradient norm is reported as skipped.
      assert.doesNotMatch(await page.getByTestId('notices').innerText().catch(() => ''), /step skipped/);

      // Two completions of 4 tokens (random weights do not stop early: <eos> has odds 2 in 262,144 a token).
      await page.getByTestId('tab-groups').click();
      const rows = page.getByTestId('groups-panel').getByTestId('completion-row');
      assert.equal(await rows.count(), 2);
      for (let i = 0; i < 2; i++) {
        await rows.nth(i).click();
        const detail = await page.getByTestId('completion-detail').innerText();
        const n = Number(/(\d+) tokens/.exec(detail)?.[1]);
        assert.ok(n >= 4, `completion ${i + 1}: ${n} tokens`);
        await rows.nth(i).click();
      }

      // The adapter: PEFT files with the 1B shapes on all 26 layers.
      await page.getByTestId('tab-export').click();
      const downloads = [];
      const collect = (d) => downloads.push(d);
      page.on('download', collect);
      try {
        await page.getByTestId('export-adapter').click();
        const deadline = Date.now() + 10 * 60_000;
        while (downloads.length < 2 && Date.now() < deadline) await page.waitForTimeout(500);
      } finally {
        page.off('download', collect);
      }
      const byName = Object.fromEntries(downloads.map((d) => [d.suggestedFilename(), d]));
      assert.deepEqual(Object.keys(byName).sort(), ['adapter_config.json', 'adapter_model.safetensors']);
      const config = JSON.parse(await readFile(await byName['adapter_config.json'].path(), 'utf8'));
      assert.equal(config.base_model_name_or_path, REPO);
      const weights = await readFile(await byName['adapter_model.safetensors'].path());
      const header = JSON.parse(weights.subarray(8, 8 + Number(weights.readBigUInt64LE(0))).toString('utf8'));
      const r = config.r;
      const expected = { q_proj: [1024, 1152], k_proj: [256, 1152], v_proj: [256, 1152], o_proj: [1152, 1024], gate_proj: [6912, 1152], up_proj: [6912, 1152], down_proj: [1152, 6912] };
      for (let l = 0; l < 26; l++) {
        for (const [m, [out, inp]] of Object.entries(expected)) {
          const parent = m.endsWith('_proj') && ['gate_proj', 'up_proj', 'down_proj'].includes(m) ? 'mlp' : 'self_attn';
          const key = `base_model.model.model.layers.${l}.${parent}.${m}`;
          if (!config.target_modules.includes(m)) continue;
          assert.deepEqual(header[`${key}.lora_A.weight`]?.shape, [r, inp], `${key}.lora_A`);
          assert.deepEqual(header[`${key}.lora_B.weight`]?.shape, [out, r], `${key}.lora_B`);
        }
      }
      const total = (Date.now() - ctx.t0) / 60_000;
      mark(log, `adapter exported (r=${r}, ${config.target_modules.length} modules x 26 layers); whole file ${total.toFixed(1)} min`);
      log(`summary: ${JSON.stringify({ run_min: runMs / 60_000, total_min: total, gpu_peak_bytes: gpu.peak, gpu_largest_buffer: gpu.largest, marks: ctx.marks })}`);
      await hub.stop();
    },
  },
];
