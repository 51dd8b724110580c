/**
 * Where WebGPU time goes in a linear layer at Gemma-3-1B's shapes: y = x W^T for x [m, k] and W
 * stored [n, k] as Hugging Face stores it, three ways side by side in one invocation:
 * - Gemm(transB=1) on W as stored (what src/graph/ops.ts `linear` builds);
 * - MatMul on a copy of W stored [k, n] (what a pre-transposed checkpoint would allow);
 * - MatMul(x, Transpose(W)) (transposing the stored weight inside the graph, every run).
 * Each case: the first run (shader compilation included) and the second, synchronised by reading
 * back one element; rates in GFLOP/s. Inputs are random and stay on the GPU.
 *
 *   bash scripts/with-swiftshader.sh tsx --liftoff-only --conditions=onnxruntime-web-use-extern-wasm \
 *     bench/linear-shapes.ts [--shapes 16x1152x6912,16x6912x1152] [--all]
 *
 * A shape is m x k x n (rows, in features, out features); without --all only the Gemm is timed.
 */
import { Graph, type Tensor } from '../src/graph/graph';
import * as op from '../src/graph/ops';
import { TensorStore } from '../src/runtime/device';
import { GraphSession } from '../src/runtime/graph-session';
import type { ort } from '../src/runtime/ort';
import { requireNodeWebGPU } from '../scripts/lib/node-gpu';
import { fillUniform } from './lib/random-gemma3-reader';

function random(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  fillUniform(out, seed, 0.5);
  return out;
}

async function time(label: string, build: (g: Graph) => Tensor, feeds: Record<string, ort.Tensor>, flop: number): Promise<void> {
  const g = new Graph(label.replace(/\W+/g, '_'));
  const y = build(g);
  g.output(y, 'y');
  g.output(op.slice(y, [0, 0], [1, 1], [0, 1]), 'probe');
  const s = await GraphSession.create(g, 'webgpu', { preferredOutputLocation: 'gpu-buffer' });
  const ms: number[] = [];
  for (let i = 0; i < 2; i++) {
    const t0 = performance.now();
    const out = await s.run(feeds);
    await out.probe!.getData();
    ms.push(performance.now() - t0);
    Object.values(out).forEach((t) => t.dispose());
  }
  console.log(`  ${label.padEnd(34)} first ${ms[0]!.toFixed(0).padStart(7)} ms   then ${ms[1]!.toFixed(0).padStart(7)} ms = ${(flop / ms[1]! / 1e6).toFixed(3)} GFLOP/s`);
  await s.release();
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const at = argv.indexOf('--shapes');
  const shapes = (at >= 0 ? argv[at + 1]! : '16x1152x6912,16x6912x1152').split(',').map((s) => s.split('x').map(Number) as [number, number, number]);
  if (shapes.some((s) => s.length !== 3 || s.some((d) => !Number.isSafeInteger(d) || d <= 0))) throw new Error('--shapes takes m x k x n triples, e.g. 16x1152x6912');
  const all = argv.includes('--all');
  const adapter = await requireNodeWebGPU();
  console.log(`WebGPU adapter: ${adapter.vendor} ${adapter.architecture} ${adapter.description}`.trim());
  const store = await TensorStore.create('webgpu');
  for (const [m, k, n] of shapes) {
    console.log(`y = x W^T, x [${m}, ${k}], W [${n}, ${k}] (${((2 * m * k * n) / 1e9).toFixed(2)} GFLOP):`);
    const x = store.upload(random(m * k, 1), [m, k]);
    const w = store.upload(random(n * k, 2), [n, k]);
    const input = (g: Graph, name: string, shape: number[]) => g.input(name, 'float32', shape, { gpuResident: true });
    await time('Gemm(x, W, transB=1)', (g) => op.gemm(input(g, 'x', [m, k]), input(g, 'w', [n, k]), false, true), { x, w }, 2 * m * k * n);
    if (all) {
      const wt = store.upload(random(n * k, 3), [k, n]);
      await time('MatMul(x, W stored [k, n])', (g) => op.matmul(input(g, 'x', [m, k]), input(g, 'w', [k, n])), { x, w: wt }, 2 * m * k * n);
      await time('MatMul(x, Transpose(W))', (g) => op.matmul(input(g, 'x', [m, k]), op.transpose(input(g, 'w', [n, k]), [1, 0])), { x, w }, 2 * m * k * n);
      wt.dispose();
    }
    x.dispose();
    w.dispose();
  }
  process.exit(0);
}

main().catch((e: unknown) => {
  console.error(`linear-shapes: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(2);
});
