import { describe, expect, it } from 'vitest';
import { gradients } from '../../../src/graph/autodiff';
import { Graph, GraphError } from '../../../src/graph/graph';
import * as op from '../../../src/graph/ops';
import { toModelProto, liveNodes, float32ToFloat16Bits } from '../../../src/graph/onnx';
import { GraphSession } from '../../../src/runtime/graph-session';
import onnxProto from 'onnx-proto';

describe('graph builder checks shapes and dtypes at build time', () => {
  it('names the node and shapes on a broadcast error', () => {
    const g = new Graph();
    const a = g.input('a', 'float32', [3, 4]);
    const b = g.input('b', 'float32', [5]);
    expect(() => op.add(a, b)).toThrow(/Add\(a, b\): shapes \[3, 4\] and \[5\] do not broadcast/);
  });
  it('rejects a matmul with mismatched inner dimensions', () => {
    const g = new Graph();
    expect(() => op.matmul(g.input('a', 'float32', [2, 3]), g.input('b', 'float32', [4, 5]))).toThrow(/inner dimensions 3 and 4/);
  });
  it('rejects int64 data, which the WebGPU EP cannot run', () => {
    const g = new Graph();
    const t = g.input('t', 'int64', [4]);
    expect(() => op.add(t, t)).toThrow(/WebGPU EP runs Add on float32\/float16\/int32 only/);
    expect(() => op.gather(g.input('d', 'float32', [4, 2]), g.input('i', 'int64', [2]))).toThrow(GraphError);
  });
  it('rejects reshape to a different size and bad permutations', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [2, 3]);
    expect(() => op.reshape(x, [4, 2])).toThrow(/has 8 elements, input has 6/);
    expect(() => op.transpose(x, [0, 0])).toThrow(/not a permutation/);
    expect(() => op.split(x, 1, [1, 1])).toThrow(/do not partition/);
  });
  it('infers shapes for reductions, gather, slices and batched matmul', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [2, 3, 4]);
    expect(op.reduceSum(x, [0, 2]).shape).toEqual([3]);
    expect(op.reduceMax(x, -1, true).shape).toEqual([2, 3, 1]);
    expect(op.gather(x, g.input('i', 'int32', [5, 6]), 1).shape).toEqual([2, 5, 6, 4]);
    expect(op.slice(x, [-2], [100], [2]).shape).toEqual([2, 3, 2]);
    expect(() => op.matmul(x, g.input('w2', 'float32', [5, 4, 7]))).toThrow(/do not broadcast/);
    expect(op.matmul(x, g.input('w3', 'float32', [1, 4, 7])).shape).toEqual([2, 3, 7]);
  });
  it('rejects duplicate input names and constants of the wrong size', () => {
    const g = new Graph();
    g.input('x', 'float32', [2]);
    expect(() => g.input('x', 'float32', [2])).toThrow(/already used/);
    expect(() => g.constant([1, 2, 3], 'float32', [2, 2])).toThrow(/3 values for shape \[2, 2\]/);
  });
});

describe('serialisation', () => {
  it('drops nodes no output needs and writes opset 18', () => {
    const g = new Graph('dead');
    const x = g.input('x', 'float32', [2]);
    op.exp(x); // dead
    g.output(op.neg(x), 'y');
    expect(liveNodes(g).map((n) => n.op)).toEqual(['Neg', 'Identity']); // Identity names the output
    const model = onnxProto.onnx.ModelProto.decode(toModelProto(g));
    expect(Number(model.opsetImport![0].version)).toBe(18);
    expect(model.graph!.node!.map((n) => n.opType)).toEqual(['Neg', 'Identity']);
  });
  it('encodes float16 constants exactly', () => {
    expect(float32ToFloat16Bits(1)).toBe(0x3c00);
    expect(float32ToFloat16Bits(-2)).toBe(0xc000);
    expect(float32ToFloat16Bits(65504)).toBe(0x7bff);
    expect(float32ToFloat16Bits(1e-7)).toBe(0x0002); // subnormal
    expect(float32ToFloat16Bits(Infinity)).toBe(0x7c00);
  });
});

describe('stopGradient', () => {
  it('treats its input as a constant: d/dx [x * stop(x)] = stop(x)', async () => {
    const g = new Graph('stop');
    const x = g.input('x', 'float32', [4]);
    const loss = op.reduceSum(op.mul(x, op.stopGradient(x)), 0);
    const [dx] = gradients(loss, [x]);
    g.output(dx, 'dx');
    const s = await GraphSession.create(g, 'wasm');
    const xs = new Float32Array([0.5, -1.25, 2, 3.5]);
    const out = (await s.run({ x: xs })).dx.data as Float32Array;
    expect(Array.from(out)).toEqual(Array.from(xs)); // not 2x, which the full derivative would give
  });
  it('gives zeros for inputs the loss does not depend on', async () => {
    const g = new Graph('unconnected');
    const x = g.input('x', 'float32', [3]);
    const y = g.input('y', 'float32', [2, 2]);
    const [dx, dy] = gradients(op.reduceSum(op.exp(x), 0), [x, y]);
    expect(dy.shape).toEqual([2, 2]);
    g.output(dx, 'dx');
    g.output(dy, 'dy');
    const s = await GraphSession.create(g, 'wasm');
    const r = await s.run({ x: new Float32Array([0.1, 0.2, 0.3]), y: new Float32Array([1, 2, 3, 4]) });
    expect(Array.from(r.dy.data as Float32Array)).toEqual([0, 0, 0, 0]);
    expect((r.dx.data as Float32Array)[1]).toBeCloseTo(Math.exp(0.2), 6);
  });
  it('refuses non-scalar losses without a seed and non-float wrt', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [3]);
    expect(() => gradients(op.exp(x), [x])).toThrow(/not a scalar/);
    expect(() => gradients(op.reduceSum(x, 0), [g.input('i', 'int32', [2])])).toThrow(/not float/);
  });
});
