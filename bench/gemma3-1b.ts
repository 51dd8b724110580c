/**
 * Gemma-3 1B benchmark (issue 3) on our engine: random weights in the exact gemma-3-1b-it shapes,
 * synthesised on demand and streamed to the device tensor by tensor; LoRA r=16 on all seven
 * projections. Measures, after warm-up:
 * - decode: batch 8 x 256 new tokens through src/generate/generator.ts (KV cache, sampling on the
 *   device), tokens/s, ms per step, and of it the host's share (feeds, token bookkeeping: neither
 *   inside a session run nor waiting for tokens);
 * - a training step on --train-batch x --seq tokens (default 8 x 512) shaped like GRPO's: the second
 *   half of each row is the completion, whose positions alone carry per-token weights and go
 *   through the loss head (as the trainer's lossRows); runner.lossAndGradients (forward, chunked
 *   loss head, recomputing backward) + the AdamW graph, median wall time (synchronised on the GPU
 *   queue);
 * - gpuMemory.peak: every GPU buffer made on the app's device, onnxruntime's included;
 * - a profile per graph kind (embed, layer fwd, loss head, layer bwd, adamw; prefill vs decode
 *   step; host readbacks and sampling), from separate passes in which each run waits for the GPU.
 *
 *   npx tsx --conditions=onnxruntime-web-use-extern-wasm bench/gemma3-1b.ts [flags] [--json FILE]
 *   (GPU machine: node --conditions=onnxruntime-web-use-extern-wasm dist-node/gemma3-1b.mjs)
 *
 * Flags (defaults = the issue's workload): --layers 26 --seq 512 --batch 8 --new-tokens 256
 * --vocab 262144 --prompt 64 --train-steps 3 --rank 16 --chunk-rows 512 --micro-batch <batch>
 * --profile-steps 16; to shrink the width too: --hidden --intermediate --heads --kv-heads --head-dim.
 * --only decode|train runs one half; --train-batch N trains on N rows (default --batch);
 * --backend wasm runs on the CPU (onnxruntime-web's wasm backend, --threads, default 1);
 * --steps-per-run K sets the generator's decode steps per session run; --weight-dtype int8 stores the
 * frozen weights in 8 bits (RunnerOptions.weightDtype).
 */
import { Generator } from '../src/generate/generator';
import { Rng } from '../src/common/rng';
import type { LoraSpec } from '../src/model/gemma3-layer';
import { Gemma3Runner } from '../src/model/gemma3-runner';
import { LORA_MODULES } from '../src/model/peft';
import { checkWeightDtype } from '../src/model/weight-dtype';
import { projectionShape } from '../src/model/peft';
import * as op from '../src/graph/ops';
import { gpuMemory, TensorStore, webgpuDevice } from '../src/runtime/device';
import os from 'node:os';
import { ort, type Backend } from '../src/runtime/ort';
import { requireNodeWebGPU } from '../scripts/lib/node-gpu';
import { GiB, intFlags, median, writeJson } from './lib/bench-util';
import { benchConfig } from './gemma3-config';
import { LoraAdamW } from './lib/lora-adamw';
import { fillUniform, RandomGemma3Reader } from './lib/random-gemma3-reader';
import { SessionProfiler } from './lib/session-profile';

const DEFAULTS = {
  layers: 26, seq: 512, batch: 8, 'new-tokens': 256, vocab: 262_144, prompt: 64, 'train-steps': 3, rank: 16, 'chunk-rows': 512, 'profile-steps': 16, seed: 1,
};
const SHAPE_FLAGS = ['hidden', 'intermediate', 'heads', 'kv-heads', 'head-dim', 'micro-batch', 'only', 'backend', 'threads', 'train-batch', 'steps-per-run', 'weight-dtype'];

function randomIds(rng: Rng, rows: number, len: number, vocab: number): number[][] {
  // Ids from 3 up: never pad (0), eos (1) or bos (2).
  return Array.from({ length: rows }, () => Array.from({ length: len }, () => 3 + Math.floor(rng.next() * (vocab - 3))));
}

const gib = (b: number) => b / GiB;

async function main(): Promise<void> {
  const { ints, strings } = intFlags(process.argv.slice(2), DEFAULTS, ['json', ...SHAPE_FLAGS]);
  const widths: Record<string, number> = {};
  for (const k of ['hidden', 'intermediate', 'heads', 'kv-heads', 'head-dim', 'micro-batch', 'threads', 'train-batch', 'steps-per-run']) {
    if (strings[k] === undefined) continue;
    const n = Number(strings[k]);
    if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`--${k} must be a positive integer, got ${strings[k]}`);
    widths[k] = n;
  }
  const only = strings.only ?? 'all';
  if (!['all', 'decode', 'train'].includes(only)) throw new Error(`--only must be decode or train, got ${only}`);
  const backend = (strings.backend ?? 'webgpu') as Backend;
  if (backend !== 'webgpu' && backend !== 'wasm') throw new Error(`--backend must be webgpu or wasm, got ${backend}`);
  const { batch, seq, rank } = ints;
  const trainBatch = widths['train-batch'] ?? batch;
  const micro = widths['micro-batch'] ?? trainBatch;
  if (trainBatch % micro) throw new Error(`--micro-batch ${micro} must divide the training batch ${trainBatch}`);
  const cfg = benchConfig(ints.layers, ints.vocab, widths);
  const weightDtype = checkWeightDtype(strings['weight-dtype'] ?? 'float32');

  let adapter: unknown = 'cpu';
  let device: GPUDevice | undefined;
  const threads = widths.threads ?? 1;
  if (backend === 'webgpu') {
    const a = await requireNodeWebGPU();
    adapter = a;
    device = await webgpuDevice();
    console.log(`WebGPU adapter: ${a.vendor} ${a.architecture} ${a.description}`.trim());
  } else {
    // onnxruntime-web's threaded wasm starts its workers from a Blob URL of its own script, which
    // Node cannot fetch from file://: one thread here (and the PyTorch side is run with as many).
    if (threads !== 1) throw new Error(`--threads ${threads}: onnxruntime-web runs its wasm backend single-threaded under Node`);
    ort.env.wasm.numThreads = threads;
    console.log(`wasm backend, ${threads} thread; ${os.cpus().length} CPUs (${os.cpus()[0]?.model}), load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}, node ${process.version} ${process.execArgv.join(' ')}`);
  }
  const profiler = new SessionProfiler(device);
  profiler.install();
  console.log(`model: ${cfg.numLayers} layers, hidden ${cfg.hiddenSize}, intermediate ${cfg.intermediateSize}, ${cfg.numHeads}/${cfg.numKvHeads} heads of ${cfg.headDim}, vocab ${cfg.vocabSize}; LoRA r=${rank} on ${LORA_MODULES.length} projections; ${weightDtype} weights`);

  // Weights: synthesised and streamed to GPU tensors one chunk at a time.
  const reader = new RandomGemma3Reader(cfg, ints.seed);
  const lora: LoraSpec = { modules: Object.fromEntries(LORA_MODULES.map((m) => [m, { rank, scale: 2 }])) };
  const store = await TensorStore.create(backend);
  let t0 = performance.now();
  const runner = await Gemma3Runner.load(cfg, reader, store, { lora, chunkRows: ints['chunk-rows'], weightDtype });
  const rng = Rng.fromSeed(ints.seed, 'bench');
  for (let l = 0; l < cfg.numLayers; l++) {
    for (const m of LORA_MODULES) {
      const [inF, outF] = projectionShape(cfg, m);
      const a = new Float32Array(rank * inF);
      const b = new Float32Array(outF * rank);
      fillUniform(a, 1000 + l * 16 + LORA_MODULES.indexOf(m), 1 / Math.sqrt(inF));
      fillUniform(b, 5000 + l * 16 + LORA_MODULES.indexOf(m), 0.01);
      runner.setLora(l, m, 'A', a);
      runner.setLora(l, m, 'B', b);
    }
  }
  await device?.queue.onSubmittedWorkDone();
  const loadMs = performance.now() - t0;
  const weightsLive = gpuMemory.live;
  console.log(`loaded ${(reader.totalBytes / GiB).toFixed(2)} GiB of fp32 weights + LoRA in ${(loadMs / 1000).toFixed(1)} s${device ? `; GPU live ${gib(weightsLive).toFixed(2)} GiB` : ''}`);
  const result: Record<string, unknown> = {
    engine: `webgrpo on onnxruntime-web ${backend === 'webgpu' ? 'WebGPU' : `wasm (${threads} thread)`}`,
    backend,
    threads: backend === 'wasm' ? threads : undefined,
    load_average: os.loadavg(),
    adapter,
    config: { layers: cfg.numLayers, hidden: cfg.hiddenSize, intermediate: cfg.intermediateSize, heads: cfg.numHeads, kv_heads: cfg.numKvHeads, head_dim: cfg.headDim, vocab: cfg.vocabSize, rank, weight_dtype: weightDtype },
    workload: { batch, train_batch: trainBatch, seq, micro_batch: micro, new_tokens: ints['new-tokens'], prompt: ints.prompt, chunk_rows: ints['chunk-rows'] },
    load: { ms: loadMs, weight_bytes: reader.totalBytes, live_bytes_after_load: weightsLive },
  };

  if (only !== 'train') result.decode = await benchDecode(runner, profiler, rng, ints, widths['steps-per-run']);
  if (only !== 'decode') result.train = await benchTrain(runner, profiler, rng, device, { batch: trainBatch, seq, micro, steps: ints['train-steps'] });
  result.load_average_end = os.loadavg();

  result.memory = { peak_bytes: gpuMemory.peak, peak_gib: gib(gpuMemory.peak), weights_live_gib: gib(weightsLive) };
  if (device) {
    console.log(`GPU memory peak (every buffer on the device, onnxruntime's included): ${gib(gpuMemory.peak).toFixed(2)} GiB = ${(gpuMemory.peak / 2 ** 20).toFixed(1)} MiB; first run of each session:`);
    for (const line of profiler.firstRunTable()) console.log(`  ${line}`);
  }
  result.first_runs = Object.fromEntries(profiler.firstRuns);
  writeJson(strings.json, result);
  // No teardown: disposing tensors that onnxruntime produced after their session was released
  // crashes inside its wasm, and the process ends here anyway.
  process.exit(0);
}

async function benchDecode(runner: Gemma3Runner, profiler: SessionProfiler, rng: Rng, ints: typeof DEFAULTS, stepsPerRun: number | undefined) {
  const batch = ints.batch;
  const newTokens = ints['new-tokens'];
  const gen = new Generator(runner, { stepsPerRun });
  const prompts = randomIds(rng, batch, ints.prompt, runner.cfg.vocabSize);
  const opts = { temperature: 1, topK: 0, topP: 1, maxNewTokens: newTokens, stopTokenIds: [] as number[] };
  // Warm-up with the same shapes (sessions are keyed by shape): compiles both sessions.
  const t0 = performance.now();
  await gen.generate(prompts, opts, rng);
  const warmupMs = performance.now() - t0;

  gpuMemory.resetPeak();
  profiler.reset();
  const start = performance.now();
  const res = await gen.generate(prompts, opts, rng);
  const totalMs = performance.now() - start;
  // Per decode step (every step runs the whole batch): time of the decode runs after the first
  // tokens are back, split into session runs, waits for token readbacks, and the host's own work.
  // Per useful step (tokens - 1 of them; a run may take a step past the last token, counted in
  // the time), as PyTorch's figure: (generate(n) - generate(1)) / (n - 1).
  const tokens = res.completions[0].length;
  const steps = Math.max(1, tokens - 1);
  const msPerStep = res.decodeMs / steps;
  const hostMs = res.decodeMs - res.decodeRunMs - res.decodeWaitMs;
  const decode = {
    warmup_ms: warmupMs,
    generate_ms: totalMs,
    prefill_to_first_token_ms: res.prefillMs,
    decode_ms: res.decodeMs,
    steps,
    steps_run: res.decodeSteps,
    steps_per_run: gen.stepsPerRun,
    tokens,
    ms_per_step: msPerStep,
    tokens_per_s: (batch * 1000) / msPerStep,
    session_run_ms_per_step: res.decodeRunMs / steps,
    readback_wait_ms_per_step: res.decodeWaitMs / steps,
    host_ms_per_step: hostMs / steps,
    peak_bytes: gpuMemory.peak,
    profile: profiler.toJson(),
  };
  console.log(`decode: batch ${batch}, prompt ${ints.prompt}, ${decode.tokens} new tokens (${res.decodeSteps} decode steps run, up to ${gen.stepsPerRun} per run): prefill + first token ${res.prefillMs.toFixed(0)} ms, ${msPerStep.toFixed(1)} ms/step = ${decode.tokens_per_s.toFixed(1)} tok/s (warm-up ${(warmupMs / 1000).toFixed(1)} s incl. compile); peak ${gib(gpuMemory.peak).toFixed(2)} GiB`);
  console.log(`  per decode step: ${decode.session_run_ms_per_step.toFixed(2)} ms in session runs, ${decode.readback_wait_ms_per_step.toFixed(2)} ms waiting for tokens, ${decode.host_ms_per_step.toFixed(3)} ms host (feeds, token bookkeeping)`);
  if (runner.store.backend === 'webgpu') {
    // Where the GPU time goes: a pass in which each run waits for the GPU.
    profiler.reset();
    profiler.sync = true;
    await gen.generate(prompts, { ...opts, maxNewTokens: Math.min(newTokens, ints['profile-steps'] + 1) }, rng);
    profiler.sync = false;
    decode.profile = profiler.toJson();
    console.log('decode profile (each run synchronised):');
  }
  for (const line of profiler.table()) console.log(`  ${line}`);
  await gen.release();
  return decode;
}

async function benchTrain(runner: Gemma3Runner, profiler: SessionProfiler, rng: Rng, device: GPUDevice | undefined, o: { batch: number; seq: number; micro: number; steps: number }) {
  const { batch, seq, micro } = o;
  const opt = new LoraAdamW(runner);
  const ids = randomIds(rng, batch, seq, runner.cfg.vocabSize);
  // A GRPO-shaped objective: per-token weights on the second half (the "completion") of each row;
  // only those positions go through the loss head, as in the trainer (lossRows).
  const promptLen = seq >> 1;
  const coef = new Float32Array(batch * seq);
  for (let b = 0; b < batch; b++) for (let t = promptLen - 1; t < seq - 1; t++) coef[b * seq + t] = (rng.next() * 2 - 1) / (seq - promptLen) / batch;
  const lossRows = Int32Array.from({ length: micro * (seq - promptLen) }, (_, i) => Math.floor(i / (seq - promptLen)) * seq + promptLen - 1 + (i % (seq - promptLen)));
  const step = async () => {
    let acc: Map<string, ort.Tensor> | undefined;
    for (let s = 0; s < batch; s += micro) {
      const rows = ids.slice(s, s + micro);
      const res = await runner.lossAndGradients({
        inputIds: rows,
        attentionMask: rows.map((r) => r.map(() => 1)),
        perToken: { coef: coef.subarray(s * seq, (s + micro) * seq) },
        objectiveKey: 'bench',
        objective: (logp, x) => op.neg(op.reduceSum(op.mul(logp, x.coef), 0)),
        lossRows,
      });
      acc = await opt.accumulate(acc, res.grads);
    }
    await opt.step(acc!);
    await device?.queue.onSubmittedWorkDone();
  };
  let t0 = performance.now();
  await step();
  const warmupMs = performance.now() - t0;
  gpuMemory.resetPeak();
  profiler.reset();
  const times: number[] = [];
  for (let i = 0; i < o.steps; i++) {
    t0 = performance.now();
    await step();
    times.push(performance.now() - t0);
  }
  const train = { warmup_ms: warmupMs, step_ms_all: times, step_ms: median(times), peak_bytes: gpuMemory.peak, tokens: batch * seq, lora_bytes: opt.stateBytes, profile: {} as Record<string, unknown> };
  console.log(`train: ${batch} x ${seq} tokens (micro-batch ${micro}): ${train.step_ms.toFixed(0)} ms/step (median of ${o.steps}; warm-up ${(warmupMs / 1000).toFixed(1)} s incl. compile); peak ${gib(gpuMemory.peak).toFixed(2)} GiB`);

  // On WebGPU a separate step in which each run waits for the GPU; on wasm runs are synchronous,
  // so the timed steps' own profile is used (divided by their count).
  let profMs = times.reduce((a, b) => a + b, 0);
  let profSteps = o.steps;
  if (device) {
    profiler.reset();
    profiler.sync = true;
    t0 = performance.now();
    await step();
    profMs = performance.now() - t0;
    profSteps = 1;
    profiler.sync = false;
  }
  const runMs = [...profiler.kinds.values()].reduce((a, s) => a + s.ms, 0);
  train.profile = { ...profiler.toJson(), steps: profSteps, step_ms: profMs / profSteps, host_other_ms: (profMs - runMs - profiler.readback.ms) / profSteps };
  console.log(`train profile (${profSteps} step(s)${device ? ', each run synchronised' : ''}, ${(profMs / profSteps).toFixed(0)} ms per step; totals below):`);
  for (const line of profiler.table()) console.log(`  ${line}`);
  console.log(`  ${'host: feeds, glue'.padEnd(24)} ${(profMs - runMs - profiler.readback.ms).toFixed(1)} ms`);
  await opt.release();
  return train;
}

main().catch((e: unknown) => {
  console.error(`gemma3-1b: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(2);
});

