import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { buildMatMulAddModel, matMulAddReference, maxAbsDifference, seededUniform } from '../../../src/worker/smoke-graph';

const { onnx } = onnxProto;

describe('smoke graph', () => {
  it('encodes Y = MatMul(A, B) + C with the requested shapes', () => {
    const model = onnx.ModelProto.decode(buildMatMulAddModel({ m: 2, k: 3, n: 5 }));
    const graph = model.graph ?? {};
    // Built by the project's graph builder: MatMul, then Add, then the Identity that names Y.
    const nodes = graph.node ?? [];
    expect(nodes.map((n) => n.opType)).toEqual(['MatMul', 'Add', 'Identity']);
    expect(nodes[0].input).toEqual(['A', 'B']);
    expect(nodes[1].input).toEqual([nodes[0].output![0], 'C']);
    expect(nodes[2].output).toEqual(['Y']);
    const shapes = (infos: typeof graph.input) =>
      (infos ?? []).map((v) => [v.name, v.type?.tensorType?.elemType, (v.type?.tensorType?.shape?.dim ?? []).map((d) => Number(d.dimValue))]);
    const FLOAT = onnx.TensorProto.DataType.FLOAT;
    expect(shapes(graph.input)).toEqual([
      ['A', FLOAT, [2, 3]],
      ['B', FLOAT, [3, 5]],
      ['C', FLOAT, [5]],
    ]);
    expect(shapes(graph.output)).toEqual([['Y', FLOAT, [2, 5]]]);
    expect(model.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 18]]);
  });

  it('reference: a hand-computed 2x2 · 2x3 + bias', () => {
    const a = Float32Array.of(1, 2, 3, 4);
    const b = Float32Array.of(1, 0, -1, 2, 1, 0.5);
    const c = Float32Array.of(10, 20, 30);
    expect([...matMulAddReference(a, b, c, { m: 2, k: 2, n: 3 })]).toEqual([15, 22, 30, 21, 24, 29]);
  });

  it('maxAbsDifference finds the worst element and does not let NaN pass', () => {
    expect(maxAbsDifference([1, 2, 3], [1, 2.5, 2.9])).toBeCloseTo(0.5);
    expect(maxAbsDifference([1, Number.NaN], [1, 2])).toBe(Number.POSITIVE_INFINITY);
    expect(() => maxAbsDifference([1], [1, 2])).toThrow(/1 values, expected 2/);
  });

  it('seededUniform is reproducible, in [-1, 1), and not constant', () => {
    const x = seededUniform(1000, 7);
    expect(seededUniform(1000, 7)).toEqual(x);
    expect(seededUniform(1000, 8)).not.toEqual(x);
    expect(Math.min(...x)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...x)).toBeLessThan(1);
    const mean = x.reduce((s, v) => s + v, 0) / x.length;
    expect(Math.abs(mean)).toBeLessThan(0.1);
    expect(Math.max(...x) - Math.min(...x)).toBeGreaterThan(1.5);
  });
});
