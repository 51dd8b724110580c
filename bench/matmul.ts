/**
 * Engine benchmark (issue 2): an n x n x n float32 MatMul built with our graph builder, run by
 * onnxruntime-web on WebGPU with everything resident on the GPU: inputs uploaded once through
 * TensorStore, outputs left on the GPU (preferredOutputLocation 'gpu-buffer').
 *
 *   npx tsx --conditions=onnxruntime-web-use-extern-wasm bench/matmul.ts [--n 4096] [--warmup 3] [--runs 10] [--json FILE]
 *   (on the GPU machine: node --conditions=onnxruntime-web-use-extern-wasm dist-node/matmul.mjs ...)
 *
 * The graph has a second, 1-element output (C[0, 0]) so a run can be synchronised by reading back
 * 4 bytes: the queue executes in order, so when that value arrives the product is done. Two figures:
 * - per run: session.run + the 4-byte readback, median over --runs (sync latency included);
 * - back to back: --runs session runs in a row, one 4-byte readback at the end, mean per run.
 * No host transfer happens inside either timed region besides those 4 bytes. Afterwards (untimed) C
 * is read back and sampled entries are checked against float64 dot products on the host.
 */
import { gpuMemory, readTensor, TensorStore } from '../src/runtime/device';
import { GraphSession } from '../src/runtime/graph-session';
import type { ort } from '../src/runtime/ort';
import { requireNodeWebGPU } from '../scripts/lib/node-gpu';
import { intFlags, median, MiB, writeJson } from './lib/bench-util';
import { buildMatmulGraph } from './matmul-graph';

function randomMatrix(n: number, seed: number): Float32Array {
  const out = new Float32Array(n * n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < out.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 2 ** 32) * 2 - 1;
  }
  return out;
}

/** Three significant digits: GPU rates are in the thousands, SwiftShader's below one. */
const rate = (g: number) => (g >= 100 ? g.toFixed(0) : g.toPrecision(3));

async function main(): Promise<void> {
  const { ints, strings } = intFlags(process.argv.slice(2), { n: 4096, warmup: 3, runs: 10 }, ['json']);
  const { n, warmup, runs } = ints;
  const adapter = await requireNodeWebGPU();
  const store = await TensorStore.create('webgpu');
  const hostA = randomMatrix(n, 1);
  const hostB = randomMatrix(n, 2);
  const a = store.upload(hostA, [n, n]);
  const b = store.upload(hostB, [n, n]);
  const session = await GraphSession.create(buildMatmulGraph(n), 'webgpu', { preferredOutputLocation: 'gpu-buffer' });
  const release = (out: Record<string, ort.Tensor>) => Object.values(out).forEach((t) => t.dispose());
  const flop = 2 * n ** 3;

  const t0 = performance.now();
  let out = await session.run({ a, b });
  await out.probe.getData();
  const firstMs = performance.now() - t0;
  release(out);
  for (let i = 1; i < warmup; i++) {
    out = await session.run({ a, b });
    await out.probe.getData();
    release(out);
  }

  const perRun: number[] = [];
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    out = await session.run({ a, b });
    await out.probe.getData();
    perRun.push(performance.now() - s);
    release(out);
  }

  const s = performance.now();
  for (let i = 0; i < runs; i++) {
    if (i) release(out);
    out = await session.run({ a, b });
  }
  await out.probe.getData();
  const loopMs = (performance.now() - s) / runs;

  // Correctness, untimed: sampled entries of the last product against float64 dot products.
  const c = await readTensor(out.c);
  release(out);
  let worst = 0;
  for (let k = 0; k < 64; k++) {
    const i = (k * 2654435761) % n;
    const j = (k * 40503 + 17) % n;
    let ref = 0;
    let scale = 0;
    for (let t = 0; t < n; t++) {
      ref += hostA[i * n + t] * hostB[t * n + j];
      scale += Math.abs(hostA[i * n + t] * hostB[t * n + j]);
    }
    worst = Math.max(worst, Math.abs(c[i * n + j] - ref) / scale);
  }

  const medianMs = median(perRun);
  const result = {
    engine: 'webgrpo graph builder + onnxruntime-web WebGPU',
    adapter,
    n,
    warmup,
    runs,
    first_run_ms: firstMs,
    per_run_ms: perRun,
    median_ms: medianMs,
    gflops: flop / (medianMs / 1000) / 1e9,
    back_to_back_ms: loopMs,
    back_to_back_gflops: flop / (loopMs / 1000) / 1e9,
    max_rel_error_vs_float64: worst,
    gpu_peak_mib: gpuMemory.peak / MiB,
  };
  console.log(`WebGPU adapter: ${adapter.vendor} ${adapter.architecture} ${adapter.description}`.trim());
  console.log(`matmul ${n}x${n}x${n} fp32 (ours): first run ${firstMs.toFixed(1)} ms (shader compile included)`);
  console.log(`  per run (run + 4-byte readback), median of ${runs}: ${medianMs.toFixed(3)} ms = ${rate(result.gflops)} GFLOP/s`);
  console.log(`  back to back, ${runs} runs, one readback: ${loopMs.toFixed(3)} ms/run = ${rate(result.back_to_back_gflops)} GFLOP/s`);
  console.log(`  max |error| / sum|terms| on 64 sampled entries vs float64: ${worst.toExponential(2)}; GPU memory peak ${result.gpu_peak_mib.toFixed(0)} MiB`);
  writeJson(strings.json, result);
  await session.release();
  a.dispose();
  b.dispose();
  if (!(worst < 1e-5)) {
    console.error('matmul: the product is wrong (sampled entries disagree with float64 dot products)');
    process.exit(1);
  }
  process.exit(0);
}

main().catch((e: unknown) => {
  console.error(`matmul: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(2);
});
