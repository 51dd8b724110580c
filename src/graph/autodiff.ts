/**
 * Reverse-mode autodiff over the graph IR: gradients() appends the backward graph (a vector-Jacobian
 * product per node, in reverse topological order) and returns d(loss)/d(wrt) for each wrt tensor.
 * Composite ops (RMSNorm, attention, log-softmax, ...) are built from primitives, so they need no
 * rules of their own.
 */
import { isFloat } from './dtype';
import { GraphError } from './errors';
import type { Node, OpType } from './graph';
import { Tensor } from './graph';
import * as op from './ops';
import { sameShape } from './shape';

/** Sums `g` over the axes that broadcasting added or stretched, giving a tensor of `shape`. */
export function unbroadcast(g: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  const summed = axes.length ? op.reduceSum(g, axes, true) : g;
  return op.reshape(summed, shape);
}

export function zerosLike(t: Tensor): Tensor {
  return op.expand(t.graph.scalar(0, t.dtype), t.shape);
}

/** Reshape a reduced tensor back to keepdims form so it broadcasts against the reduce input. */
function keepdimsShape(x: Tensor, axes: number[]): number[] {
  return x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

type Vjp = (node: Node, grads: (Tensor | undefined)[], needs: boolean[]) => (Tensor | undefined)[];

const elementwise = (f: (x: Tensor, y: Tensor, g: Tensor) => Tensor): Vjp => (n, [g]) => {
  const [x] = n.inputs;
  return [f(x, n.outputs[0], g!)];
};

const RULES: Partial<Record<OpType, Vjp>> = {
  Add: (n, [g], needs) => [needs[0] ? unbroadcast(g!, n.inputs[0].shape) : undefined, needs[1] ? unbroadcast(g!, n.inputs[1].shape) : undefined],
  Sub: (n, [g], needs) => [needs[0] ? unbroadcast(g!, n.inputs[0].shape) : undefined, needs[1] ? unbroadcast(op.neg(g!), n.inputs[1].shape) : undefined],
  Mul: (n, [g], needs) => {
    const [a, b] = n.inputs;
    return [needs[0] ? unbroadcast(op.mul(g!, b), a.shape) : undefined, needs[1] ? unbroadcast(op.mul(g!, a), b.shape) : undefined];
  },
  Div: (n, [g], needs) => {
    const [a, b] = n.inputs;
    const y = n.outputs[0];
    return [
      needs[0] ? unbroadcast(op.div(g!, b), a.shape) : undefined,
      needs[1] ? unbroadcast(op.neg(op.div(op.mul(g!, y), b)), b.shape) : undefined,
    ];
  },
  Pow: (n, [g], needs) => {
    const [a, b] = n.inputs;
    const y = n.outputs[0];
    return [
      needs[0] ? unbroadcast(op.mul(op.mul(g!, b), op.pow(a, op.sub(b, 1))), a.shape) : undefined,
      needs[1] ? unbroadcast(op.mul(op.mul(g!, y), op.log(a)), b.shape) : undefined,
    ];
  },
  Max: (n, [g], needs) => {
    const [a, b] = n.inputs;
    const bWins = op.less(a, b);
    return [
      needs[0] ? unbroadcast(op.where(bWins, 0, g!), a.shape) : undefined,
      needs[1] ? unbroadcast(op.where(bWins, g!, 0), b.shape) : undefined,
    ];
  },
  Sqrt: elementwise((_x, y, g) => op.div(op.mul(g, 0.5), y)),
  Exp: elementwise((_x, y, g) => op.mul(g, y)),
  Log: elementwise((x, _y, g) => op.div(g, x)),
  Tanh: elementwise((_x, y, g) => op.mul(g, op.sub(1, op.mul(y, y)))),
  Cos: elementwise((x, _y, g) => op.neg(op.mul(g, op.sin(x)))),
  Sin: elementwise((x, _y, g) => op.mul(g, op.cos(x))),
  Erf: elementwise((x, _y, g) => op.mul(op.mul(g, 2 / Math.sqrt(Math.PI)), op.exp(op.neg(op.mul(x, x))))),
  Neg: elementwise((_x, _y, g) => op.neg(g)),
  Reciprocal: elementwise((_x, y, g) => op.neg(op.mul(g, op.mul(y, y)))),
  Sigmoid: elementwise((_x, y, g) => op.mul(g, op.mul(y, op.sub(1, y)))),
  ReduceSum: (n, [g]) => {
    const x = n.inputs[0];
    const { axes } = n.params as { axes: number[] };
    return [op.expand(op.reshape(g!, keepdimsShape(x, axes)), x.shape)];
  },
  ReduceMean: (n, [g]) => {
    const x = n.inputs[0];
    const { axes } = n.params as { axes: number[] };
    const count = axes.reduce((acc, a) => acc * x.shape[a], 1);
    return [op.expand(op.reshape(op.div(g!, count), keepdimsShape(x, axes)), x.shape)];
  },
  ReduceMax: (n, [g]) => {
    // Ties share the gradient equally.
    const x = n.inputs[0];
    const { axes } = n.params as { axes: number[] };
    const keep = keepdimsShape(x, axes);
    const mask = op.cast(op.equal(x, op.reshape(n.outputs[0], keep)), x.dtype);
    const count = op.reduceSum(mask, axes, true);
    return [op.mul(op.reshape(g!, keep), op.div(mask, count))];
  },
  Softmax: (n, [g]) => {
    const y = n.outputs[0];
    const { axis } = n.params as { axis: number };
    return [op.mul(y, op.sub(g!, op.reduceSum(op.mul(g!, y), axis, true)))];
  },
  Transpose: (n, [g]) => {
    const { perm } = n.params as { perm: number[] };
    const inverse = new Array<number>(perm.length);
    perm.forEach((p, i) => (inverse[p] = i));
    return [op.transpose(g!, inverse)];
  },
  Reshape: (n, [g]) => [op.reshape(g!, n.inputs[0].shape)],
  Identity: (n, [g]) => [(n.params as { stopGradient: boolean }).stopGradient ? undefined : g],
  Expand: (n, [g]) => [unbroadcast(g!, n.inputs[0].shape)],
  DequantizeLinear: (n, _grads, needs) => {
    // Quantized weights are frozen: x is uint8 (never differentiated); a scale must not be trained either.
    if (needs[1]) throw new GraphError(`gradients: no gradient to the quantization scale ${n.inputs[1]} (node ${n.name}); quantized weights are frozen`);
    return [undefined, undefined, undefined];
  },
  Cast: (n, [g]) => [isFloat(n.inputs[0].dtype) ? op.cast(g!, n.inputs[0].dtype) : undefined],
  Slice: (n, [g]) => {
    const x = n.inputs[0];
    const { starts, ends, axes } = n.params as { starts: number[]; ends: number[]; axes: number[] };
    const pads = new Array<number>(2 * x.rank).fill(0);
    axes.forEach((a, i) => {
      pads[a] = starts[i];
      pads[a + x.rank] = x.shape[a] - ends[i];
    });
    return [pads.every((p) => p === 0) ? g : op.pad(g!, pads)];
  },
  Pad: (n, [g]) => {
    const x = n.inputs[0];
    const { pads } = n.params as { pads: number[] };
    const axes = x.shape.map((_, i) => i);
    return [op.slice(g!, axes.map((a) => pads[a]), axes.map((a) => pads[a] + x.shape[a]), axes)];
  },
  Concat: (n, [g], needs) => {
    const { axis } = n.params as { axis: number };
    let offset = 0;
    return n.inputs.map((x, i) => {
      const start = offset;
      offset += x.shape[axis];
      return needs[i] ? op.slice(g!, [start], [offset], [axis]) : undefined;
    });
  },
  Split: (n, grads) => {
    const { axis } = n.params as { axis: number };
    return [op.concat(n.outputs.map((o, i) => grads[i] ?? zerosLike(o)), axis)];
  },
  Where: (n, [g], needs) => {
    const [cond, a, b] = n.inputs;
    return [
      undefined,
      needs[1] ? unbroadcast(op.where(cond, g!, 0), a.shape) : undefined,
      needs[2] ? unbroadcast(op.where(cond, 0, g!), b.shape) : undefined,
    ];
  },
  MatMul: (n, [g], needs) => {
    const [a, b] = n.inputs;
    return [
      needs[0] ? unbroadcast(op.matmul(g!, op.transposeLast2(b)), a.shape) : undefined,
      needs[1] ? unbroadcast(op.matmul(op.transposeLast2(a), g!), b.shape) : undefined,
    ];
  },
  Gemm: (n, [g], needs) => {
    // Y = op(A) op(B); each input's gradient is again one Gemm with the right transposes.
    const [a, b] = n.inputs;
    const { transA, transB } = n.params as { transA: boolean; transB: boolean };
    const da = transA ? op.gemm(b, g!, transB, true) : op.gemm(g!, b, false, !transB);
    const db = transB ? op.gemm(g!, a, true, transA) : op.gemm(a, g!, !transA, false);
    return [needs[0] ? da : undefined, needs[1] ? db : undefined];
  },
  Gather: (n, [g], needs) => {
    if (!needs[0]) return [undefined, undefined];
    // Scatter-add as a one-hot matmul: d(data)[p, i, q] = sum_m [idx_m == i] g[p, m, q].
    const [data, indices] = n.inputs;
    const { axis } = n.params as { axis: number };
    const count = data.shape[axis];
    const pre = data.shape.slice(0, axis).reduce((x, y) => x * y, 1);
    const post = data.shape.slice(axis + 1).reduce((x, y) => x * y, 1);
    const m = indices.size;
    const graph = data.graph;
    const flat = op.reshape(indices, [m, 1]);
    const wrapped = op.where(op.less(flat, 0), op.add(flat, count), flat);
    const range = graph.constant(Array.from({ length: count }, (_, i) => i), 'int32', [1, count], 'gather_range');
    const oneHotT = op.transposeLast2(op.cast(op.equal(wrapped, range), data.dtype)); // [count, m]
    const scattered = op.matmul(oneHotT, op.reshape(g!, [pre, m, post])); // [pre, count, post]
    return [op.reshape(scattered, data.shape), undefined];
  },
};

/** Ops whose outputs carry no gradient (comparisons). */
const NON_DIFFERENTIABLE = new Set<OpType>(['Equal', 'Less', 'Greater']);

/**
 * Appends the backward graph of `loss` and returns d(loss)/d(x) for each x in `wrt` (zeros where
 * `loss` does not depend on x). `loss` must be a float scalar unless `seed` (d(loss), same shape)
 * is given.
 */
export function gradients(loss: Tensor, wrt: Tensor[], seed?: Tensor): Tensor[] {
  const graph = loss.graph;
  if (!isFloat(loss.dtype)) throw new GraphError(`gradients: loss ${loss} is not a float tensor`);
  if (!seed && loss.size !== 1) throw new GraphError(`gradients: loss ${loss} is not a scalar; pass a seed gradient`);
  if (seed && !sameShape(seed.shape, loss.shape)) throw new GraphError(`gradients: seed ${seed} does not match loss ${loss}`);
  for (const w of wrt) {
    if (w.graph !== graph) throw new GraphError(`gradients: ${w.name} belongs to another graph`);
    if (!isFloat(w.dtype)) throw new GraphError(`gradients: cannot differentiate with respect to ${w} (not float)`);
  }

  // Nodes that lie on a path from some wrt tensor to the loss.
  const nodes = graph.nodes.slice();
  const dependsOnWrt = new Set<number>(wrt.map((w) => w.id));
  for (const n of nodes) {
    if (NON_DIFFERENTIABLE.has(n.op)) continue;
    if (n.op === 'Identity' && (n.params as { stopGradient: boolean }).stopGradient) continue;
    if (n.inputs.some((t) => dependsOnWrt.has(t.id))) for (const o of n.outputs) dependsOnWrt.add(o.id);
  }
  const feedsLoss = new Set<number>([loss.id]);
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i];
    if (n.outputs.some((o) => feedsLoss.has(o.id))) for (const t of n.inputs) feedsLoss.add(t.id);
  }
  const needsGrad = (t: Tensor) => isFloat(t.dtype) && dependsOnWrt.has(t.id) && feedsLoss.has(t.id);

  const grads = new Map<number, Tensor>();
  const accumulate = (t: Tensor, g: Tensor) => {
    if (!sameShape(g.shape, t.shape)) throw new GraphError(`gradients: internal shape mismatch for ${t}: got [${g.shape.join(', ')}]`);
    const prev = grads.get(t.id);
    grads.set(t.id, prev ? op.add(prev, g) : g);
  };
  if (!needsGrad(loss)) return wrt.map(zerosLike);
  graph.scope('grad', () => {
    accumulate(loss, seed ?? op.expand(graph.scalar(1, loss.dtype), loss.shape));
    for (let i = nodes.length - 1; i >= 0; i--) {
      const n = nodes[i];
      const outGrads = n.outputs.map((o) => grads.get(o.id));
      if (outGrads.every((g) => g === undefined)) continue;
      const needs = n.inputs.map(needsGrad);
      if (!needs.some(Boolean)) continue;
      const rule = RULES[n.op];
      if (!rule) throw new GraphError(`gradients: no gradient rule for ${n.op} (node ${n.name})`);
      const inGrads = graph.scope(n.name, () => rule(n, outGrads, needs));
      n.inputs.forEach((t, j) => {
        const g = inGrads[j];
        if (g && needs[j]) accumulate(t, g);
      });
    }
  });
  return wrt.map((w) => grads.get(w.id) ?? zerosLike(w));
}
