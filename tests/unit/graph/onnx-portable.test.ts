/**
 * Dynamic axes from two builds (onnx-portable.ts): a graph with reshapes and broadcasts that mix
 * dynamic dims runs at sizes neither build had and gives what a plain JS computation gives; a
 * dynamic dim reaching a parameter the serialiser cannot express is refused naming the node.
 */
import { describe, expect, it } from 'vitest';
import { Graph, GraphError } from '../../../src/graph/graph';
import * as op from '../../../src/graph/ops';
import { toPortableModelProto } from '../../../src/graph/onnx-portable';
import { createSession, ort } from '../../../src/runtime/ort';
import { rng } from '../../support/random';

const NAMES: Record<string, [number, number]> = { batch: [2, 3], seq: [3, 5] };

/** x [B, T, 4] → pairs summed, times w, flattened to [B, 2T], plus its row mean, repeated 3 times: [B, 3, 2T]. */
function build(b: number, t: number): Graph {
  const g = new Graph('portable', { portable: true });
  const x = g.input('x', 'float32', [b, t, 4]);
  const w = g.input('w', 'float32', [2]);
  const split = op.reduceSum(op.reshape(x, [b, t, 2, 2]), -1); // [B, T, 2]
  const scaled = op.mul(split, w);
  const flat = op.reshape(scaled, [b, t * 2]); // one dynamic dim past the copy: -1
  const mean = op.reduceMean(flat, 1, true); // [B, 1]
  const grid = op.unsqueeze(op.add(flat, mean), [1]); // [B, 1, 2T]: two dynamic dims, at run time
  g.output(op.expand(grid, [b, 3, t * 2]), 'y'); // broadcast along a static axis of a dynamic-shaped tensor
  return g;
}

function reference(x: Float32Array, w: Float32Array, b: number, t: number): Float32Array {
  const out = new Float32Array(b * 3 * t * 2);
  for (let r = 0; r < b; r++) {
    const flat: number[] = [];
    for (let i = 0; i < t; i++) for (let j = 0; j < 2; j++) flat.push((x[(r * t + i) * 4 + 2 * j]! + x[(r * t + i) * 4 + 2 * j + 1]!) * w[j]!);
    const mean = flat.reduce((a, v) => a + v, 0) / flat.length;
    for (let k = 0; k < 3; k++) flat.forEach((v, i) => (out[(r * 3 + k) * 2 * t + i] = v + mean));
  }
  return out;
}

describe('portable ONNX (dynamic axes from two builds)', () => {
  it('runs at sizes neither build had, matching a plain JS computation', async () => {
    const model = toPortableModelProto(build(2, 3), build(3, 5), { dimNames: NAMES });
    const session = await createSession(model, 'wasm');
    const r = rng(3);
    for (const [b, t] of [[1, 1], [4, 7], [2, 3]]) {
      const x = Float32Array.from({ length: b * t * 4 }, () => 2 * r() - 1);
      const w = Float32Array.from({ length: 2 }, () => 2 * r() - 1);
      const out = await session.run({ x: new ort.Tensor('float32', x, [b, t, 4]), w: new ort.Tensor('float32', w, [2]) });
      expect(out.y.dims).toEqual([b, 3, 2 * t]);
      const want = reference(x, w, b, t);
      const got = out.y.data as Float32Array;
      want.forEach((v, i) => expect(got[i]).toBeCloseTo(v, 5));
    }
    await session.release();
  });

  it('refuses a Slice whose bounds depend on a dynamic dim, naming the node', () => {
    const lastRow = (b: number, t: number) => {
      const g = new Graph('slice', { portable: true });
      const x = g.input('x', 'float32', [b, t, 4]);
      g.output(op.slice(x, [t - 1], [t], [1]), 'y');
      return g;
    };
    expect(() => toPortableModelProto(lastRow(2, 3), lastRow(3, 5), { dimNames: NAMES })).toThrow(GraphError);
    expect(() => toPortableModelProto(lastRow(2, 3), lastRow(3, 5), { dimNames: NAMES })).toThrow(/Slice .*depend on a dynamic dim/);
  });

  it('refuses a dynamic axis that matches no named dim', () => {
    const g = (t: number) => {
      const h = new Graph('unnamed', { portable: true });
      h.output(op.mul(h.input('x', 'float32', [t]), 2), 'y');
      return h;
    };
    expect(() => toPortableModelProto(g(4), g(9), { dimNames: NAMES })).toThrow(/input x axis 0 is dynamic \(4 vs 9\) but matches no named dim/);
  });
});
