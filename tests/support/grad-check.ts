/**
 * Gradient checks: a case builds a small graph on random inputs; we append loss = sum(out * W) for
 * a random W, differentiate with our autodiff, run forward+backward in onnxruntime (wasm or WebGPU),
 * and compare with the float64 interpreter: forward values directly, gradients against central
 * finite differences.
 */
import { gradients } from '../../src/graph/autodiff';
import type { DType } from '../../src/graph/dtype';
import { Graph, type Tensor } from '../../src/graph/graph';
import * as op from '../../src/graph/ops';
import type { Backend } from '../../src/runtime/ort';
import { GraphSession } from '../../src/runtime/graph-session';
import { interpret } from '../reference/graph-interpreter';
import { relL2, rng, uniform } from './random';

export interface CaseInput {
  name: string;
  shape: number[];
  dtype?: DType;
  /** Values generator; default uniform(-1, 1). */
  gen?: (n: number, rand: () => number) => ArrayLike<number>;
  /** Differentiate with respect to it (default: float inputs). */
  grad?: boolean;
}

export interface GradCase {
  name: string;
  inputs: CaseInput[];
  build: (g: Graph, x: Record<string, Tensor>) => Tensor;
  /** Needs float16 kernels (skipped on WebGPU adapters without shader-f16). */
  fp16?: boolean;
  gradTolerance?: number;
  /**
   * Forward and loss tolerance on WebGPU when the op's WGSL builtin is less exact than float32
   * (WGSL allows sin and cos an absolute error of 2^-11 on [-pi, pi]).
   */
  webgpuForwardTolerance?: number;
}

export interface GradCheckResult {
  forwardError: number;
  lossError: number;
  gradErrors: Record<string, number>;
}

const FD_SAMPLES = 48;

export const positive = (lo = 0.5, hi = 2) => (n: number, r: () => number) => uniform(n, lo, hi, r);

function toTyped(values: ArrayLike<number>, dtype: DType) {
  switch (dtype) {
    case 'int32': return Int32Array.from(values);
    case 'bool': return Uint8Array.from(values, (v) => (v ? 1 : 0));
    default: return Float32Array.from(values);
  }
}

export async function runGradCheck(c: GradCase, backend: Backend, seed = 1): Promise<GradCheckResult> {
  const rand = rng(seed);
  const g = new Graph(c.name);
  const x: Record<string, Tensor> = {};
  const feeds: Record<string, ArrayLike<number>> = {};
  for (const i of c.inputs) {
    const dtype = i.dtype ?? 'float32';
    x[i.name] = g.input(i.name, dtype, i.shape);
    const n = i.shape.reduce((a, b) => a * b, 1);
    // Round float feeds to float32 so both sides see the same numbers.
    feeds[i.name] = dtype === 'float32' ? Float32Array.from((i.gen ?? ((m, r) => uniform(m, -1, 1, r)))(n, rand)) : (i.gen!(n, rand));
  }
  const out = c.build(g, x);
  const w = g.input('__w', 'float32', out.shape);
  feeds.__w = uniform(out.size, -1, 1, rand);
  const outF = op.cast(out, 'float32');
  const loss = op.reduceSum(op.mul(outF, w), out.shape.map((_, i) => i));
  const wrt = c.inputs.filter((i) => (i.grad ?? ((i.dtype ?? 'float32') === 'float32'))).map((i) => x[i.name]);
  const grads = gradients(loss, wrt);
  g.output(outF, 'out');
  g.output(loss, 'loss');
  grads.forEach((gr, k) => g.output(gr, `grad.${wrt[k].name}`));

  const session = await GraphSession.create(g, backend);
  const typed: Record<string, ReturnType<typeof toTyped>> = {};
  for (const { tensor } of g.inputs) typed[tensor.name] = toTyped(feeds[tensor.name], tensor.dtype);
  const res = await session.run(typed);
  await session.release();

  const [refOut, refLoss] = interpret(g, feeds, [outF, loss]);
  const result: GradCheckResult = {
    forwardError: relL2(res.out.data as Float32Array, refOut.data),
    lossError: relL2(res.loss.data as Float32Array, refLoss.data),
    gradErrors: {},
  };
  for (const t of wrt) {
    const base = Float64Array.from(feeds[t.name]);
    // Finite differences on at most FD_SAMPLES entries per input (evenly spread) keep big cases fast.
    const picks = Array.from({ length: Math.min(base.length, FD_SAMPLES) }, (_, k) => Math.floor((k * base.length) / Math.min(base.length, FD_SAMPLES)));
    const fd = new Float64Array(picks.length);
    const analytic = res[`grad.${t.name}`].data as Float32Array;
    for (let k = 0; k < picks.length; k++) {
      const i = picks[k];
      const h = 1e-6 * Math.max(1, Math.abs(base[i]));
      const plus = Float64Array.from(base);
      plus[i] += h;
      const minus = Float64Array.from(base);
      minus[i] -= h;
      const lp = interpret(g, { ...feeds, [t.name]: plus }, [loss])[0].data[0];
      const lm = interpret(g, { ...feeds, [t.name]: minus }, [loss])[0].data[0];
      fd[k] = (lp - lm) / (2 * h);
    }
    result.gradErrors[t.name] = relL2(picks.map((i) => analytic[i]), fd);
  }
  return result;
}
