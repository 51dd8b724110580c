/**
 * Generation speed on the shipped tiny model (Gemma-3 shape, real 262,144-token vocabulary,
 * hidden 16, 2 layers): batch 8 prompts of --prompt random tokens, --new-tokens new tokens each,
 * LoRA r=8 on every projection, TRL's sampling defaults (temperature 1, no top-k/top-p) unless
 * flags say otherwise. Prints, after a warm-up generation (session compiles), the wall time of
 * each timed `Generator.generate` call and its split into prefill (+ first token) and decode steps.
 *
 *   npx tsx --conditions=onnxruntime-web-use-extern-wasm bench/generate-tiny.ts [--backend wasm|webgpu]
 *     [--batch 8] [--prompt 160] [--new-tokens 16] [--runs 3] [--threads N] [--top-k K] [--top-p P]
 *     [--temperature T] [--json FILE]
 */
import os from 'node:os';
import { Generator } from '../src/generate/generator';
import { Rng } from '../src/common/rng';
import { Gemma3Runner } from '../src/model/gemma3-runner';
import { loraSpecOf } from '../src/model/parity';
import { createLoraAdapter, LORA_MODULES } from '../src/model/peft';
import { MemoryByteSource, SafetensorsReader } from '../src/model/safetensors';
import { tinyModelConfig, tinyModelSafetensors } from '../src/model/tiny-model';
import { TensorStore } from '../src/runtime/device';
import { ort, type Backend } from '../src/runtime/ort';
import { median, writeJson } from './lib/bench-util';

function flags(argv: string[]): Record<string, string> {
  const known = ['backend', 'batch', 'prompt', 'new-tokens', 'runs', 'threads', 'top-k', 'top-p', 'temperature', 'json'];
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, '');
    if (!argv[i].startsWith('--') || !known.includes(name)) throw new Error(`unknown flag ${argv[i]} (known: ${known.map((k) => `--${k}`).join(', ')})`);
    if (argv[i + 1] === undefined) throw new Error(`${argv[i]} needs a value`);
    out[name] = argv[i + 1];
  }
  return out;
}

async function main(): Promise<void> {
  const f = flags(process.argv.slice(2));
  const backend = (f.backend ?? 'wasm') as Backend;
  if (backend !== 'wasm' && backend !== 'webgpu') throw new Error(`--backend must be wasm or webgpu, got ${backend}`);
  const num = (k: string, d: number) => (f[k] === undefined ? d : Number(f[k]));
  const batch = num('batch', 8);
  const promptLen = num('prompt', 160);
  const newTokens = num('new-tokens', 16);
  const runs = num('runs', 3);
  const threads = num('threads', 1);
  if (backend === 'wasm') ort.env.wasm.numThreads = threads;
  if (backend === 'webgpu') {
    const { requireNodeWebGPU } = await import('../scripts/lib/node-gpu');
    const a = await requireNodeWebGPU();
    console.log(`WebGPU adapter: ${a.vendor} ${a.architecture} ${a.description}`.trim());
  }
  const sampling = { temperature: num('temperature', 1), topK: num('top-k', 0), topP: num('top-p', 1) };

  const cfg = tinyModelConfig();
  const reader = await SafetensorsReader.open(new MemoryByteSource(tinyModelSafetensors(), 'tiny-gemma3'));
  const rng = Rng.fromSeed(1, 'bench');
  const adapter = createLoraAdapter(cfg, { r: 8, alpha: 16, random: () => rng.next() });
  const runner = await Gemma3Runner.load(cfg, reader, await TensorStore.create(backend), { lora: loraSpecOf(adapter) });
  adapter.tensors.forEach((mods, l) => {
    for (const m of LORA_MODULES) {
      runner.setLora(l, m, 'A', mods[m]!.A);
      // PEFT starts B at 0; random B makes the LoRA path count.
      runner.setLora(l, m, 'B', mods[m]!.B.map(() => (rng.next() - 0.5) * 0.1));
    }
  });
  const gen = new Generator(runner);
  const prompts = Array.from({ length: batch }, (_, b) => Array.from({ length: promptLen - (b % 3) }, () => 3 + Math.floor(rng.next() * (cfg.vocabSize - 3))));
  const opts = { ...sampling, maxNewTokens: newTokens, stopTokenIds: [] as number[] };
  console.log(`tiny model on ${backend} (threads ${backend === 'wasm' ? threads : '-'}, node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')})`);
  console.log(`batch ${batch}, prompt ~${promptLen}, ${newTokens} new tokens, temperature ${sampling.temperature}, top_k ${sampling.topK}, top_p ${sampling.topP}`);

  let t0 = performance.now();
  await gen.generate(prompts, opts, rng);
  const warmupMs = performance.now() - t0;
  console.log(`warm-up (compiles sessions): ${warmupMs.toFixed(0)} ms`);
  const rows: { total_ms: number; first_token_ms: number; ms_per_step: number }[] = [];
  for (let r = 0; r < runs; r++) {
    const stamps: number[] = [];
    t0 = performance.now();
    const res = await gen.generate(prompts, { ...opts, onStep: () => void stamps.push(performance.now()) }, rng);
    const total = performance.now() - t0;
    const steps = res.completions[0].length;
    const row = { total_ms: total, first_token_ms: stamps[0] - t0, ms_per_step: (stamps[stamps.length - 1] - stamps[0]) / Math.max(1, steps - 1) };
    rows.push(row);
    console.log(`run ${r + 1}: ${total.toFixed(0)} ms for ${steps} tokens x ${batch} rows (prefill + first token ${row.first_token_ms.toFixed(0)} ms, then ${row.ms_per_step.toFixed(1)} ms per decode step)`);
  }
  const summary = {
    backend, threads, batch, prompt: promptLen, new_tokens: newTokens, sampling, load_average: os.loadavg(), warmup_ms: warmupMs,
    runs: rows, median_total_ms: median(rows.map((r) => r.total_ms)), median_ms_per_step: median(rows.map((r) => r.ms_per_step)),
  };
  console.log(`median: ${summary.median_total_ms.toFixed(0)} ms per generation, ${summary.median_ms_per_step.toFixed(1)} ms per decode step; load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  writeJson(f.json, summary);
  process.exit(0);
}

main().catch((e: unknown) => {
  console.error(`generate-tiny: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(2);
});
