/**
 * A plain-JS float64 interpreter of the graph IR, written from the ONNX operator definitions.
 * It is the independent reference for tests: forward values are compared with onnxruntime's, and
 * central finite differences on it check the gradients that autodiff builds.
 */
import type { Graph, Node, Tensor } from '../../src/graph/graph';
import { liveNodes } from '../../src/graph/onnx';
import { sizeOf, strides } from '../../src/graph/shape';

export interface Value {
  shape: number[];
  data: Float64Array;
}

function broadcastIndex(outShape: number[], inShape: readonly number[]): Int32Array {
  // For each flat output index, the flat index of the (broadcast) input element.
  const n = sizeOf(outShape);
  const map = new Int32Array(n);
  const lead = outShape.length - inShape.length;
  const inStrides = strides(inShape);
  const outStrides = strides(outShape);
  for (let i = 0; i < n; i++) {
    let rem = i;
    let j = 0;
    for (let d = 0; d < outShape.length; d++) {
      const coord = Math.floor(rem / outStrides[d]);
      rem -= coord * outStrides[d];
      if (d >= lead && inShape[d - lead] !== 1) j += coord * inStrides[d - lead];
    }
    map[i] = j;
  }
  return map;
}

function elementwise(outShape: number[], inputs: Value[], f: (...xs: number[]) => number): Value {
  const maps = inputs.map((v) => broadcastIndex(outShape, v.shape));
  const n = sizeOf(outShape);
  const data = new Float64Array(n);
  const args = new Array<number>(inputs.length);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < inputs.length; k++) args[k] = inputs[k].data[maps[k][i]];
    data[i] = f(...args);
  }
  return { shape: outShape, data };
}

function erf(x: number): number {
  // Abramowitz-Stegun 7.1.26 is too coarse for float64 finite differences; use the series /
  // continued fraction split, accurate to ~1e-15.
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let sum = x;
    let term = x;
    const x2 = x * x;
    for (let n = 1; n < 200; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc continued fraction (Lentz).
  let f = ax;
  let C = ax;
  let D = 0;
  for (let n = 1; n < 300; n++) {
    const a = n / 2;
    D = ax + a * D;
    D = 1 / D;
    C = ax + a / C;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

function evalNode(n: Node, ins: Value[]): Value[] {
  const out = n.outputs[0];
  const outShape = [...out.shape];
  const p = n.params as Record<string, unknown>;
  switch (n.op) {
    case 'Add': return [elementwise(outShape, ins, (a, b) => a + b)];
    case 'Sub': return [elementwise(outShape, ins, (a, b) => a - b)];
    case 'Mul': return [elementwise(outShape, ins, (a, b) => a * b)];
    case 'Div': return [elementwise(outShape, ins, (a, b) => (out.dtype === 'int32' ? Math.trunc(a / b) : a / b))];
    case 'Pow': return [elementwise(outShape, ins, (a, b) => Math.pow(a, b))];
    case 'Max': return [elementwise(outShape, ins, (a, b) => Math.max(a, b))];
    case 'Equal': return [elementwise(outShape, ins, (a, b) => (a === b ? 1 : 0))];
    case 'Less': return [elementwise(outShape, ins, (a, b) => (a < b ? 1 : 0))];
    case 'Greater': return [elementwise(outShape, ins, (a, b) => (a > b ? 1 : 0))];
    case 'Where': return [elementwise(outShape, ins, (c, a, b) => (c ? a : b))];
    case 'Expand': return [elementwise(outShape, ins, (a) => a)];
    case 'Sqrt': return [elementwise(outShape, ins, Math.sqrt)];
    case 'Exp': return [elementwise(outShape, ins, Math.exp)];
    case 'Log': return [elementwise(outShape, ins, Math.log)];
    case 'Tanh': return [elementwise(outShape, ins, Math.tanh)];
    case 'Cos': return [elementwise(outShape, ins, Math.cos)];
    case 'Sin': return [elementwise(outShape, ins, Math.sin)];
    case 'Erf': return [elementwise(outShape, ins, erf)];
    case 'Neg': return [elementwise(outShape, ins, (a) => -a)];
    case 'Reciprocal': return [elementwise(outShape, ins, (a) => 1 / a)];
    case 'Sigmoid': return [elementwise(outShape, ins, (a) => 1 / (1 + Math.exp(-a)))];
    case 'Identity': return [{ shape: outShape, data: Float64Array.from(ins[0].data) }];
    case 'Reshape': return [{ shape: outShape, data: Float64Array.from(ins[0].data) }];
    case 'Cast': {
      const to = p.to as string;
      const f = to === 'int32' ? Math.trunc : to === 'bool' ? (a: number) => (a ? 1 : 0) : (a: number) => a;
      return [{ shape: outShape, data: ins[0].data.map(f) }];
    }
    case 'MatMul': {
      const [a, b] = ins;
      const [m, k] = a.shape.slice(-2);
      const nn = b.shape[b.shape.length - 1];
      const batchShape = outShape.slice(0, -2);
      const batch = sizeOf(batchShape);
      const aMap = broadcastIndex(batchShape, a.shape.slice(0, -2));
      const bMap = broadcastIndex(batchShape, b.shape.slice(0, -2));
      const data = new Float64Array(batch * m * nn);
      for (let t = 0; t < batch; t++) {
        const ao = aMap[t] * m * k;
        const bo = bMap[t] * k * nn;
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < nn; j++) {
            let s = 0;
            for (let q = 0; q < k; q++) s += a.data[ao + i * k + q] * b.data[bo + q * nn + j];
            data[t * m * nn + i * nn + j] = s;
          }
        }
      }
      return [{ shape: outShape, data }];
    }
    case 'Gemm': {
      const [a, b] = ins;
      const { transA, transB } = p as { transA: boolean; transB: boolean };
      const [m, nn] = outShape;
      const k = transA ? a.shape[0] : a.shape[1];
      const at = (i: number, q: number) => (transA ? a.data[q * a.shape[1] + i] : a.data[i * a.shape[1] + q]);
      const bt = (q: number, j: number) => (transB ? b.data[j * b.shape[1] + q] : b.data[q * b.shape[1] + j]);
      const data = new Float64Array(m * nn);
      for (let i = 0; i < m; i++) for (let j = 0; j < nn; j++) {
        let s = 0;
        for (let q = 0; q < k; q++) s += at(i, q) * bt(q, j);
        data[i * nn + j] = s;
      }
      return [{ shape: outShape, data }];
    }
    case 'ReduceSum':
    case 'ReduceMean':
    case 'ReduceMax': {
      const x = ins[0];
      const axes = p.axes as number[];
      const keep = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
      const map = broadcastIndex(x.shape, keep); // input flat index -> reduced flat index
      const size = sizeOf(keep);
      const data = new Float64Array(size).fill(n.op === 'ReduceMax' ? -Infinity : 0);
      for (let i = 0; i < x.data.length; i++) {
        const j = map[i];
        data[j] = n.op === 'ReduceMax' ? Math.max(data[j], x.data[i]) : data[j] + x.data[i];
      }
      if (n.op === 'ReduceMean') {
        const count = x.data.length / size;
        for (let j = 0; j < size; j++) data[j] /= count;
      }
      return [{ shape: outShape, data }];
    }
    case 'Softmax': {
      const x = ins[0];
      const axis = p.axis as number;
      const len = x.shape[axis];
      const inner = sizeOf(x.shape.slice(axis + 1));
      const outer = sizeOf(x.shape.slice(0, axis));
      const data = new Float64Array(x.data.length);
      for (let o = 0; o < outer; o++) {
        for (let q = 0; q < inner; q++) {
          const at = (i: number) => o * len * inner + i * inner + q;
          let mx = -Infinity;
          for (let i = 0; i < len; i++) mx = Math.max(mx, x.data[at(i)]);
          let s = 0;
          for (let i = 0; i < len; i++) s += Math.exp(x.data[at(i)] - mx);
          for (let i = 0; i < len; i++) data[at(i)] = Math.exp(x.data[at(i)] - mx) / s;
        }
      }
      return [{ shape: outShape, data }];
    }
    case 'Transpose': {
      const x = ins[0];
      const perm = p.perm as number[];
      const inStrides = strides(x.shape);
      const outStrides = strides(outShape);
      const data = new Float64Array(x.data.length);
      for (let i = 0; i < data.length; i++) {
        let rem = i;
        let j = 0;
        for (let d = 0; d < outShape.length; d++) {
          const c = Math.floor(rem / outStrides[d]);
          rem -= c * outStrides[d];
          j += c * inStrides[perm[d]];
        }
        data[i] = x.data[j];
      }
      return [{ shape: outShape, data }];
    }
    case 'Slice':
    case 'Pad': {
      const x = ins[0];
      const rank = x.shape.length;
      const offset = new Array<number>(rank).fill(0); // output coord + offset = input coord
      if (n.op === 'Slice') {
        (p.axes as number[]).forEach((a, i) => (offset[a] = (p.starts as number[])[i]));
      } else {
        for (let a = 0; a < rank; a++) offset[a] = -(p.pads as number[])[a];
      }
      const inStrides = strides(x.shape);
      const outStrides = strides(outShape);
      const data = new Float64Array(sizeOf(outShape));
      for (let i = 0; i < data.length; i++) {
        let rem = i;
        let j = 0;
        let inside = true;
        for (let d = 0; d < rank; d++) {
          const c = Math.floor(rem / outStrides[d]);
          rem -= c * outStrides[d];
          const ci = c + offset[d];
          if (ci < 0 || ci >= x.shape[d]) inside = false;
          j += ci * inStrides[d];
        }
        data[i] = inside ? x.data[j] : 0;
      }
      return [{ shape: outShape, data }];
    }
    case 'Concat': {
      const axis = p.axis as number;
      const outer = sizeOf(outShape.slice(0, axis));
      const inner = sizeOf(outShape.slice(axis + 1));
      const data = new Float64Array(sizeOf(outShape));
      let w = 0;
      for (let o = 0; o < outer; o++) {
        for (const v of ins) {
          const chunk = v.shape[axis] * inner;
          data.set(v.data.subarray(o * chunk, (o + 1) * chunk), w);
          w += chunk;
        }
      }
      return [{ shape: outShape, data }];
    }
    case 'Split': {
      const x = ins[0];
      const axis = p.axis as number;
      const sizes = p.sizes as number[];
      const outer = sizeOf(x.shape.slice(0, axis));
      const inner = sizeOf(x.shape.slice(axis + 1));
      const outs = n.outputs.map((t) => ({ shape: [...t.shape], data: new Float64Array(t.size) }));
      let r = 0;
      for (let o = 0; o < outer; o++) {
        sizes.forEach((s, k) => {
          outs[k].data.set(x.data.subarray(r, r + s * inner), o * s * inner);
          r += s * inner;
        });
      }
      return outs;
    }
    case 'Gather': {
      const [x, idx] = ins;
      const axis = p.axis as number;
      const count = x.shape[axis];
      const outer = sizeOf(x.shape.slice(0, axis));
      const inner = sizeOf(x.shape.slice(axis + 1));
      const m = idx.data.length;
      const data = new Float64Array(outer * m * inner);
      for (let o = 0; o < outer; o++) {
        for (let k = 0; k < m; k++) {
          let i = idx.data[k];
          if (i < 0) i += count;
          if (i < 0 || i >= count) throw new Error(`Gather: index ${idx.data[k]} out of range`);
          data.set(x.data.subarray((o * count + i) * inner, (o * count + i + 1) * inner), (o * m + k) * inner);
        }
      }
      return [{ shape: outShape, data }];
    }
  }
  throw new Error(`interpreter: op ${n.op} not implemented`);
}

/** Evaluates the tensors `wanted` of `graph` given values for its inputs (by input name). */
export function interpret(graph: Graph, feeds: Record<string, ArrayLike<number>>, wanted: Tensor[] = graph.outputs): Value[] {
  const values = new Map<number, Value>();
  for (const { tensor } of graph.inputs) {
    const f = feeds[tensor.name];
    if (!f) throw new Error(`interpreter: missing feed ${tensor.name}`);
    if (f.length !== tensor.size) throw new Error(`interpreter: feed ${tensor.name} has ${f.length} values, expected ${tensor.size}`);
    values.set(tensor.id, { shape: [...tensor.shape], data: Float64Array.from(f) });
  }
  for (const c of graph.constants) values.set(c.id, { shape: [...c.shape], data: Float64Array.from(c.data!) });
  // Only the nodes that the wanted tensors depend on.
  for (const n of liveNodes(graph, wanted)) {
    if (n.outputs.every((o) => values.has(o.id))) continue;
    const ins = n.inputs.map((t) => values.get(t.id));
    if (ins.some((v) => !v)) continue; // depends on something not fed (unreachable here)
    const outs = evalNode(n, ins as Value[]);
    n.outputs.forEach((o, i) => values.set(o.id, outs[i]));
  }
  return wanted.map((t) => {
    const v = values.get(t.id);
    if (!v) throw new Error(`interpreter: ${t.name} was not computed`);
    return v;
  });
}
