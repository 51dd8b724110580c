/**
 * The smoke-test model: Y = MatMul(A, B) + C, with A [m, k], B [k, n], C [n] broadcast over rows,
 * built with the project's graph builder, the same path every step graph takes to onnxruntime.
 */
import { Graph } from '../graph/graph';
import { toModelProto } from '../graph/onnx';
import * as op from '../graph/ops';

export interface MatMulAddDims {
  m: number;
  k: number;
  n: number;
}

export function buildMatMulAddGraph({ m, k, n }: MatMulAddDims): Graph {
  const g = new Graph('matmul_add');
  const a = g.input('A', 'float32', [m, k]);
  const b = g.input('B', 'float32', [k, n]);
  const c = g.input('C', 'float32', [n]);
  g.output(op.add(op.matmul(a, b), c), 'Y');
  return g;
}

export function buildMatMulAddModel(dims: MatMulAddDims): Uint8Array {
  return toModelProto(buildMatMulAddGraph(dims));
}

/** The same computation in plain JS, accumulated in float64: the reference the GPU result is checked against. */
export function matMulAddReference(a: Float32Array, b: Float32Array, c: Float32Array, { m, k, n }: MatMulAddDims): Float64Array {
  const y = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = c[j];
      for (let p = 0; p < k; p++) sum += a[i * k + p] * b[p * n + j];
      y[i * n + j] = sum;
    }
  }
  return y;
}

export function maxAbsDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) {
    throw new Error(`Result has ${actual.length} values, expected ${expected.length}`);
  }
  let max = 0;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    // NaN must not hide behind Math.max (which would return NaN) or a `>` comparison (which is false).
    if (Number.isNaN(d)) return Number.POSITIVE_INFINITY;
    if (d > max) max = d;
  }
  return max;
}

/** Deterministic uniform values in [-1, 1) (mulberry32), so a failing run can be reproduced from its seed. */
export function seededUniform(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let state = seed >>> 0;
  for (let i = 0; i < count; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    out[i] = u * 2 - 1;
  }
  return out;
}
