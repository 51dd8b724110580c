/**
 * Gemma-3 1B benchmark (issue 3) on our engine: random weights in the exact gemma-3-1b-it shapes,
 * synthesised on demand and streamed to the GPU tensor by tensor; LoRA r=16 on all seven
 * projections. Measures, after warm-up:
 * - decode: batch 8 x 256 new tokens through src/generate/generator.ts (KV cache, sampling on the
 *   host), tokens/s and ms per step;
 * - a training step on 8 x 512 tokens: runner.lossAndGradients (forward, chunked loss head,
 *   recomputing backward) + the AdamW graph, median wall time (synchronised on the GPU queue);
 * - gpuMemory.peak: every GPU buffer made on the app's device, onnxruntime's included;
 * - a profile per graph kind (embed, layer fwd, loss head, layer bwd, adamw; prefill vs decode
 *   step; host readbacks and sampling), from separate passes in which each run waits for the GPU.
 *
 *   npx tsx --conditions=onnxruntime-web-use-extern-wasm bench/gemma3-1b.ts [flags] [--json FILE]
 *   (GPU machine: node --conditions=onnxruntime-web-use-extern-wasm dist-node/gemma3-1b.mjs)
 *
 * Flags (defaults = the workload): --layers 26 --seq 512 --batch 8 --new-tokens 256
 * --vocab 262144 --prompt 64 --train-steps 3 --rank 16 --chunk-rows 512 --micro-batch <batch>
 * --profile-steps 16; to shrink the width too: --hidden --intermediate --heads --kv-heads --head-dim.
 * --only decode|train runs one half.
 */
import { Generator } from '../src/generate/generator';
import { Rng } from '../src/grpo/rng';
import type { LoraSpec } from '../src/model/gemma3-layer';
import { Gemma3Runner } from '../src/model/gemma3-runner';
import { LORA_MODULES } from '../src/model/peft';
import { projectionShape } from '../src/model/peft';
import * as op from '../src/graph/ops';
import { gpuMemory, TensorStore, webgpuDevice } from '../src/runtime/device';
import type { ort } from '../src/runtime/ort';
import { requireNodeWebGPU } from '../scripts/lib/node-gpu';
import { GiB, intFlags, median, writeJson } from './lib/bench-util';
import { benchConfig } from './gemma3-config';
import { LoraAdamW } from './lib/lora-adamw';
import { fillUniform, RandomGemma3Reader } from './lib/random-gemma3-reader';
import { SessionProfiler } from './lib/session-profile';

const DEFAULTS = {
  layers: 26, seq: 512, batch: 8, 'new-tokens': 256, vocab: 262_144, prompt: 64, 'train-steps': 3, rank: 16, 'chunk-rows': 512, 'profile-steps': 16, seed: 1,
};
const SHAPE_FLAGS = ['hidden', 'intermediate', 'heads', 'kv-heads', 'head-dim', 'micro-batch', 'only'];

function randomIds(rng: Rng, rows: number, len: number, vocab: number): number[][] {
  // Ids from 3 up: never pad (0), eos (1) or bos (2).
  return Array.from({ length: rows }, () => Array.from({ length: len }, () => 3 + Math.floor(rng.next() * (vocab - 3))));
}

const gib = (b: number) => b / GiB;

async function main(): Promise<void> {
  const { ints, strings } = intFlags(process.argv.slice(2), DEFAULTS, ['json', ...SHAPE_FLAGS]);
  const widths: Record<string, number> = {};
  for (const k of ['hidden', 'intermediate', 'heads', 'kv-heads', 'head-dim', 'micro-batch']) {
    if (strings[k] === undefined) continue;
    const n = Number(strings[k]);
    if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`--${k} must be a positive integer, got ${strings[k]}`);
    widths[k] = n;
  }
  const only = strings.only ?? 'all';
  if (!['all', 'decode', 'train'].includes(only)) throw new Error(`--only must be decode or train, got ${only}`);
  const { batch, seq, rank } = ints;
  const micro = widths['micro-batch'] ?? batch;
  if (batch % micro) throw new Error(`--micro-batch ${micro} must divide --batch ${batch}`);
  const cfg = benchConfig(ints.layers, ints.vocab, widths);

  const adapter = await requireNodeWebGPU();
  const device = await webgpuDevice();
  const profiler = new SessionProfiler(device);
  profiler.install();
  console.log(`WebGPU adapter: ${adapter.vendor} ${adapter.architecture} ${adapter.description}`.trim());
  console.log(`model: ${cfg.numLayers} layers, hidden ${cfg.hiddenSize}, intermediate ${cfg.intermediateSize}, ${cfg.numHeads}/${cfg.numKvHeads} heads of ${cfg.headDim}, vocab ${cfg.vocabSize}; LoRA r=${rank} on ${LORA_MODULES.length} projections`);

  // Weights: synthesised and streamed to GPU tensors one chunk at a time.
  const reader = new RandomGemma3Reader(cfg, ints.seed);
  const lora: LoraSpec = { modules: Object.fromEntries(LORA_MODULES.map((m) => [m, { rank, scale: 2 }])) };
  const store = await TensorStore.create('webgpu');
  let t0 = performance.now();
  const runner = await Gemma3Runner.load(cfg, reader, store, { lora, chunkRows: ints['chunk-rows'] });
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
  await device.queue.onSubmittedWorkDone();
  const loadMs = performance.now() - t0;
  const weightsLive = gpuMemory.live;
  console.log(`loaded ${(reader.totalBytes / GiB).toFixed(2)} GiB of fp32 weights + LoRA in ${(loadMs / 1000).toFixed(1)} s; GPU live ${gib(weightsLive).toFixed(2)} GiB`);
  const result: Record<string, unknown> = {
    engine: 'webgrpo on onnxruntime-web WebGPU',
    adapter,
    config: { layers: cfg.numLayers, hidden: cfg.hiddenSize, intermediate: cfg.intermediateSize, heads: cfg.numHeads, kv_heads: cfg.numKvHeads, head_dim: cfg.headDim, vocab: cfg.vocabSize, rank },
    workload: { batch, seq, micro_batch: micro, new_tokens: ints['new-tokens'], prompt: ints.prompt, chunk_rows: ints['chunk-rows'] },
    load: { ms: loadMs, weight_bytes: reader.totalBytes, live_bytes_after_load: weightsLive },
  };

  if (only !== 'train') result.decode = await benchDecode(runner, profiler, rng, ints);
  if (only !== 'decode') result.train = await benchTrain(runner, profiler, rng, device, { batch, seq, micro, steps: ints['train-steps'] });

  result.memory = { peak_bytes: gpuMemory.peak, peak_gib: gib(gpuMemory.peak), weights_live_gib: gib(weightsLive) };
  console.log(`GPU memory peak (every buffer on the device, onnxruntime's included): ${gib(gpuMemory.peak).toFixed(2)} GiB = ${(gpuMemory.peak / 2 ** 20).toFixed(1)} MiB; first run of each session:`);
  for (const line of profiler.firstRunTable()) console.log(`  ${line}`);
  result.first_runs = Object.fromEntries(profiler.firstRuns);
  writeJson(strings.json, result);
  // No teardown: disposing tensors that onnxruntime produced after their session was released
  // crashes inside its wasm, and the process ends here anyway.
  process.exit(0);
}

async function benchDecode(runner: Gemma3Runner, profiler: SessionProfiler, rng: Rng, ints: typeof DEFAULTS) {
  const batch = ints.batch;
  const newTokens = ints['new-tokens'];
  const gen = new Generator(runner);
  const prompts = randomIds(rng, batch, ints.prompt, runner.cfg.vocabSize);
  const opts = { temperature: 1, topK: 0, topP: 1, maxNewTokens: newTokens, stopTokenIds: [] as number[] };
  const stopAfter = (steps: number) => {
    const ac = new AbortController();
    return { signal: ac.signal, onStep: (s: number) => void (s >= steps && ac.abort()) };
  };
  // Warm-up with the same shapes (sessions are keyed by cache length), stopped after 3 steps.
  const t0 = performance.now();
  await gen.generate(prompts, { ...opts, ...stopAfter(3) }, rng);
  const warmupMs = performance.now() - t0;

  gpuMemory.resetPeak();
  profiler.reset();
  // Step times from onStep: step 1 ends when the prefill's logits are back and sampled; each later
  // step is one decode run + logits readback + sampling. (The generator's prefillMs only times the
  // submission, not the GPU work.)
  const stamps: number[] = [];
  const start = performance.now();
  const res = await gen.generate(prompts, { ...opts, onStep: () => void stamps.push(performance.now()) }, rng);
  const steps = res.completions[0].length;
  const msPerStep = (stamps[stamps.length - 1] - stamps[0]) / Math.max(1, steps - 1);
  const decode = {
    warmup_ms: warmupMs,
    prefill_to_first_token_ms: stamps[0] - start,
    decode_ms: stamps[stamps.length - 1] - stamps[0],
    steps,
    ms_per_step: msPerStep,
    tokens_per_s: (batch * 1000) / msPerStep,
    peak_bytes: gpuMemory.peak,
    profile: {} as Record<string, unknown>,
  };
  console.log(`decode: batch ${batch}, prompt ${ints.prompt}, ${steps} new tokens: prefill + first token ${(stamps[0] - start).toFixed(0)} ms, ${msPerStep.toFixed(1)} ms/step = ${decode.tokens_per_s.toFixed(1)} tok/s (warm-up ${(warmupMs / 1000).toFixed(1)} s incl. compile); peak ${gib(gpuMemory.peak).toFixed(2)} GiB`);

  // Profile: every run waits for the GPU; a few steps are enough for per-step averages.
  profiler.reset();
  profiler.sync = true;
  const prof = await gen.generate(prompts, { ...opts, ...stopAfter(ints['profile-steps']) }, rng);
  profiler.sync = false;
  const profSteps = prof.completions[0].length;
  const stepRuns = profiler.kinds.get('gemma3_decode');
  const hostMs = prof.decodeMs - (stepRuns?.ms ?? 0) - profiler.readback.ms;
  decode.profile = {
    ...profiler.toJson(),
    steps: profSteps,
    decode_loop_ms: prof.decodeMs,
    host_sampling_and_feeds_ms_per_step: hostMs / profSteps,
  };
  console.log(`decode profile (${profSteps} steps, each run synchronised):`);
  for (const line of profiler.table()) console.log(`  ${line}`);
  console.log(`  ${'host sampling + feeds'.padEnd(24)} ${(hostMs / profSteps).toFixed(2)} ms/step (decode loop time less decode runs and readbacks)`);
  await gen.release();
  return decode;
}

async function benchTrain(runner: Gemma3Runner, profiler: SessionProfiler, rng: Rng, device: GPUDevice, o: { batch: number; seq: number; micro: number; steps: number }) {
  const { batch, seq, micro } = o;
  const opt = new LoraAdamW(runner);
  const ids = randomIds(rng, batch, seq, runner.cfg.vocabSize);
  // A GRPO-shaped objective: per-token weights on the second half (the "completion") of each row.
  const promptLen = seq >> 1;
  const coef = new Float32Array(batch * seq);
  for (let b = 0; b < batch; b++) for (let t = promptLen - 1; t < seq - 1; t++) coef[b * seq + t] = (rng.next() * 2 - 1) / (seq - promptLen) / batch;
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
      });
      acc = await opt.accumulate(acc, res.grads);
    }
    await opt.step(acc!);
    await device.queue.onSubmittedWorkDone();
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

  profiler.reset();
  profiler.sync = true;
  t0 = performance.now();
  await step();
  const profMs = performance.now() - t0;
  profiler.sync = false;
  const runMs = [...profiler.kinds.values()].reduce((a, s) => a + s.ms, 0);
  train.profile = { ...profiler.toJson(), step_ms: profMs, host_other_ms: profMs - runMs - profiler.readback.ms };
  console.log(`train profile (one step, each run synchronised, ${profMs.toFixed(0)} ms):`);
  for (const line of profiler.table()) console.log(`  ${line}`);
  console.log(`  ${'host: feeds, glue'.padEnd(24)} ${(profMs - runMs - profiler.readback.ms).toFixed(1)} ms`);
  await opt.release();
  return train;
}

main().catch((e: unknown) => {
  console.error(`gemma3-1b: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(2);
});

