import { describe, expect, it } from 'vitest';
import { gradients } from '../../../src/graph/autodiff';
import { Graph } from '../../../src/graph/graph';
import * as op from '../../../src/graph/ops';
import { GraphSession } from '../../../src/runtime/graph-session';
import { ort } from '../../../src/runtime/ort';
import { relL2, rng, uniform } from '../../support/random';

// onnxruntime's one-node RMS norm and GELU (used by the decode graphs) against plain float64 JS.
describe('fused inference kernels on wasm', () => {
  const rows = 6;
  const d = 40;
  const eps = 1e-6;
  const rand = rng(7);
  const x = uniform(rows * d, -3, 3, rand);
  const scale = uniform(d, 0.5, 1.5, rand);

  it('RmsNorm and FastGelu match their definitions', async () => {
    const g = new Graph('fused');
    const xt = g.input('x', 'float32', [rows, d]);
    const st = g.input('scale', 'float32', [d]);
    g.output(op.rmsNormKernel(xt, st, eps), 'norm');
    g.output(op.fastGelu(xt), 'gelu');
    const s = await GraphSession.create(g, 'wasm');
    const out = await s.run({ x, scale });
    const norm = new Float64Array(rows * d);
    for (let r = 0; r < rows; r++) {
      let ms = 0;
      for (let i = 0; i < d; i++) ms += x[r * d + i] ** 2;
      const inv = 1 / Math.sqrt(ms / d + eps);
      for (let i = 0; i < d; i++) norm[r * d + i] = x[r * d + i] * inv * scale[i];
    }
    const gelu = Array.from(x, (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))));
    expect(relL2(out.norm.data as Float32Array, norm)).toBeLessThan(1e-6);
    expect(relL2(out.gelu.data as Float32Array, gelu)).toBeLessThan(1e-6);
    await s.release();
  });

  it('refuses a scale that does not match the last axis, and has no gradient', () => {
    const g = new Graph('fused_bad');
    const xt = g.input('x', 'float32', [rows, d]);
    expect(() => op.rmsNormKernel(xt, g.input('s', 'float32', [d + 1]), eps)).toThrow(/RmsNorm: scale s/);
    const y = op.reduceSum(op.fastGelu(xt), [0, 1], false);
    expect(() => gradients(y, [xt])).toThrow(/no gradient rule for FastGelu/);
  });
});

describe('GraphSession with baked inputs', () => {
  const rand = rng(11);
  const x = uniform(3 * 8, -1, 1, rand);
  const w = uniform(8 * 5, -1, 1, rand);
  const graph = () => {
    const g = new Graph('baked');
    g.output(op.matmul(g.input('x', 'float32', [3, 8]), g.input('w', 'float32', [8, 5])), 'y');
    return g;
  };

  it('gives what feeding the input gives, and refuses it as a feed', async () => {
    const fed = await GraphSession.create(graph(), 'wasm');
    const baked = await GraphSession.create(graph(), 'wasm', { baked: new Map([['w', new ort.Tensor('float32', w, [8, 5])]]) });
    const want = (await fed.run({ x, w })).y.data as Float32Array;
    const got = (await baked.run({ x })).y.data as Float32Array;
    expect(relL2(got, want)).toBeLessThan(1e-7);
    await expect(baked.run({ x, w })).rejects.toThrow(/unknown inputs w \(or inputs baked into the session\)/);
    await fed.release();
    await baked.release();
  });

  it('refuses to bake an input the graph lacks, or of another dtype', async () => {
    await expect(GraphSession.create(graph(), 'wasm', { baked: new Map([['v', new ort.Tensor('float32', w, [8, 5])]]) })).rejects.toThrow(/no input v to bake/);
    await expect(GraphSession.create(graph(), 'wasm', { baked: new Map([['w', new ort.Tensor('int32', new Int32Array(40), [8, 5])]]) })).rejects.toThrow(/from a host float32 tensor/);
  });
});
