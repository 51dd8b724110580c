/**
 * Primitive ops. Each checks dtypes and shapes, infers the output type, and appends one node.
 * The op set is limited to what onnxruntime-web's WebGPU EP runs on the GPU (see GPU_DTYPES);
 * anything else is composed from these (nn.ts), never left to a silent CPU fallback.
 */
import type { DType } from './dtype';
import { GraphError } from './errors';
import type { OpParams, OpType } from './graph';
import { Tensor } from './graph';
import { broadcastShapes, normalizeAxis, sameShape, sizeOf } from './shape';

export type Operand = Tensor | number;

const FLOATS: DType[] = ['float32', 'float16'];
const NUMERIC: DType[] = ['float32', 'float16', 'int32'];
const ANY_DATA: DType[] = ['float32', 'float16', 'int32', 'bool'];

/** Element types each op accepts on the WebGPU EP (int64 tensors are not supported there). */
export const GPU_DTYPES: Record<OpType, DType[]> = {
  MatMul: FLOATS,
  Gemm: FLOATS,
  Add: NUMERIC,
  Sub: NUMERIC,
  Mul: NUMERIC,
  Div: NUMERIC,
  Pow: FLOATS,
  Max: NUMERIC,
  Sqrt: FLOATS,
  Exp: FLOATS,
  Log: FLOATS,
  Tanh: FLOATS,
  Cos: FLOATS,
  Sin: FLOATS,
  Erf: FLOATS,
  Neg: NUMERIC,
  Reciprocal: FLOATS,
  Sigmoid: FLOATS,
  ReduceSum: FLOATS,
  ReduceMean: FLOATS,
  ReduceMax: FLOATS,
  ReduceMin: FLOATS,
  Softmax: FLOATS,
  Transpose: ANY_DATA,
  Reshape: ANY_DATA,
  Slice: ANY_DATA,
  Pad: FLOATS,
  Concat: ANY_DATA,
  Split: ANY_DATA,
  Gather: ['float32', 'float16', 'int32', 'uint8'],
  ScatterElements: ['float32', 'float16', 'int32'],
  CumSum: FLOATS,
  TopK: FLOATS,
  Where: ['float32', 'float16', 'int32'],
  Expand: ANY_DATA,
  Cast: ANY_DATA,
  DequantizeLinear: ['uint8'],
  Equal: NUMERIC,
  Less: NUMERIC,
  Greater: NUMERIC,
  Identity: ANY_DATA,
  RmsNorm: ['float32'],
  FastGelu: ['float32'],
};

function checkDtype(op: OpType, t: Tensor, allowed: DType[] = GPU_DTYPES[op]): void {
  if (!allowed.includes(t.dtype)) {
    throw new GraphError(`${op}: input ${t.name} has dtype ${t.dtype}; the WebGPU EP runs ${op} on ${allowed.join('/')} only`);
  }
}

function node<K extends OpType>(op: K, inputs: Tensor[], params: OpParams[K], dtype: DType, shape: readonly number[]): Tensor {
  return inputs[0].graph.addNode(op, inputs, params, [{ dtype, shape }])[0];
}

const NO_PARAMS = {} as Record<string, never>;

function lift(a: Operand, b: Operand, op: string): [Tensor, Tensor] {
  if (typeof a === 'number' && typeof b === 'number') throw new GraphError(`${op}: at least one operand must be a tensor`);
  const ta = typeof a === 'number' ? (b as Tensor).graph.scalar(a, (b as Tensor).dtype) : a;
  const tb = typeof b === 'number' ? ta.graph.scalar(b, ta.dtype) : b;
  return [ta, tb];
}

function binary(op: 'Add' | 'Sub' | 'Mul' | 'Div' | 'Pow' | 'Max', a: Operand, b: Operand): Tensor {
  const [ta, tb] = lift(a, b, op);
  checkDtype(op, ta);
  checkDtype(op, tb);
  if (ta.dtype !== tb.dtype) throw new GraphError(`${op}: dtypes differ (${ta} vs ${tb})`);
  const shape = broadcastShapes(ta.shape, tb.shape, `${op}(${ta.name}, ${tb.name})`);
  return node(op, [ta, tb], NO_PARAMS, ta.dtype, shape);
}

export const add = (a: Operand, b: Operand) => binary('Add', a, b);
export const sub = (a: Operand, b: Operand) => binary('Sub', a, b);
export const mul = (a: Operand, b: Operand) => binary('Mul', a, b);
export const div = (a: Operand, b: Operand) => binary('Div', a, b);
export const pow = (a: Operand, b: Operand) => binary('Pow', a, b);
/** Elementwise maximum of two tensors. */
export const maximum = (a: Operand, b: Operand) => binary('Max', a, b);

function compare(op: 'Equal' | 'Less' | 'Greater', a: Operand, b: Operand): Tensor {
  const [ta, tb] = lift(a, b, op);
  checkDtype(op, ta);
  checkDtype(op, tb);
  if (ta.dtype !== tb.dtype) throw new GraphError(`${op}: dtypes differ (${ta} vs ${tb})`);
  return node(op, [ta, tb], NO_PARAMS, 'bool', broadcastShapes(ta.shape, tb.shape, `${op}(${ta.name}, ${tb.name})`));
}
export const equal = (a: Operand, b: Operand) => compare('Equal', a, b);
export const less = (a: Operand, b: Operand) => compare('Less', a, b);
export const greater = (a: Operand, b: Operand) => compare('Greater', a, b);

function unary(op: 'Sqrt' | 'Exp' | 'Log' | 'Tanh' | 'Cos' | 'Sin' | 'Erf' | 'Neg' | 'Reciprocal' | 'Sigmoid', x: Tensor): Tensor {
  checkDtype(op, x);
  return node(op, [x], NO_PARAMS, x.dtype, x.shape);
}
export const sqrt = (x: Tensor) => unary('Sqrt', x);
export const exp = (x: Tensor) => unary('Exp', x);
export const log = (x: Tensor) => unary('Log', x);
export const tanh = (x: Tensor) => unary('Tanh', x);
export const cos = (x: Tensor) => unary('Cos', x);
export const sin = (x: Tensor) => unary('Sin', x);
export const erf = (x: Tensor) => unary('Erf', x);
export const neg = (x: Tensor) => unary('Neg', x);
export const reciprocal = (x: Tensor) => unary('Reciprocal', x);
export const sigmoid = (x: Tensor) => unary('Sigmoid', x);

/** One-node RMS norm over the last axis (inference only: no gradient rule); scale [last]. */
export function rmsNormKernel(x: Tensor, scale: Tensor, epsilon: number): Tensor {
  checkDtype('RmsNorm', x);
  checkDtype('RmsNorm', scale);
  if (scale.rank !== 1 || scale.shape[0] !== x.shape[x.rank - 1]) throw new GraphError(`RmsNorm: scale ${scale} does not match the last axis of ${x}`);
  return node('RmsNorm', [x, scale], { epsilon }, x.dtype, x.shape);
}

/** One-node tanh-approximated GELU (inference only: no gradient rule). */
export function fastGelu(x: Tensor): Tensor {
  checkDtype('FastGelu', x);
  return node('FastGelu', [x], NO_PARAMS, x.dtype, x.shape);
}

/**
 * Batched matrix product with broadcasting over leading dims. Both operands must have rank >= 2
 * (reshape vectors first), which keeps the backward pass free of ONNX's 1-D special cases.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  checkDtype('MatMul', a);
  checkDtype('MatMul', b);
  const where = `MatMul(${a}, ${b})`;
  if (a.dtype !== b.dtype) throw new GraphError(`${where}: dtypes differ`);
  if (a.rank < 2 || b.rank < 2) throw new GraphError(`${where}: operands must have rank >= 2`);
  const [m, k] = a.shape.slice(-2);
  const [k2, n] = b.shape.slice(-2);
  if (k !== k2) throw new GraphError(`${where}: inner dimensions ${k} and ${k2} differ`);
  const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), where);
  return node('MatMul', [a, b], NO_PARAMS, a.dtype, [...batch, m, n]);
}

/**
 * 2-D product op(a) @ op(b) where op transposes when asked. With transB it is a linear layer on a
 * weight stored as [out, in] (Hugging Face's layout), with no transpose materialised.
 */
export function gemm(a: Tensor, b: Tensor, transA = false, transB = false): Tensor {
  checkDtype('Gemm', a);
  checkDtype('Gemm', b);
  const where = `Gemm(${a}, ${b}, transA=${transA}, transB=${transB})`;
  if (a.rank !== 2 || b.rank !== 2) throw new GraphError(`${where}: operands must be 2-D`);
  if (a.dtype !== b.dtype) throw new GraphError(`${where}: dtypes differ`);
  const [m, k] = transA ? [a.shape[1], a.shape[0]] : a.shape;
  const [k2, n] = transB ? [b.shape[1], b.shape[0]] : b.shape;
  if (k !== k2) throw new GraphError(`${where}: inner dimensions ${k} and ${k2} differ`);
  return node('Gemm', [a, b], { transA, transB }, a.dtype, [m, n]);
}

/** x @ w^T for x [..., in] and w [out, in]: flattens the leading axes into one Gemm. */
export function linear(x: Tensor, w: Tensor): Tensor {
  const inDim = x.shape[x.rank - 1];
  const lead = x.shape.slice(0, -1);
  const y = gemm(reshape(x, [-1, inDim]), w, false, true);
  return reshape(y, [...lead, w.shape[0]]);
}

function reduce(op: 'ReduceSum' | 'ReduceMean' | 'ReduceMax' | 'ReduceMin', x: Tensor, axes: number | number[], keepdims: boolean): Tensor {
  checkDtype(op, x);
  const list = (Array.isArray(axes) ? axes : [axes]).map((a) => normalizeAxis(a, x.rank, `${op}(${x.name})`));
  if (new Set(list).size !== list.length) throw new GraphError(`${op}(${x.name}): repeated axes [${list.join(', ')}]`);
  const sorted = [...list].sort((p, q) => p - q);
  const shape = keepdims ? x.shape.map((d, i) => (sorted.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !sorted.includes(i));
  return node(op, [x], { axes: sorted, keepdims }, x.dtype, shape);
}
export const reduceSum = (x: Tensor, axes: number | number[], keepdims = false) => reduce('ReduceSum', x, axes, keepdims);
export const reduceMean = (x: Tensor, axes: number | number[], keepdims = false) => reduce('ReduceMean', x, axes, keepdims);
export const reduceMax = (x: Tensor, axes: number | number[], keepdims = false) => reduce('ReduceMax', x, axes, keepdims);
export const reduceMin = (x: Tensor, axes: number | number[], keepdims = false) => reduce('ReduceMin', x, axes, keepdims);

export function softmax(x: Tensor, axis = -1): Tensor {
  checkDtype('Softmax', x);
  return node('Softmax', [x], { axis: normalizeAxis(axis, x.rank, `Softmax(${x.name})`) }, x.dtype, x.shape);
}

export function transpose(x: Tensor, perm: number[]): Tensor {
  checkDtype('Transpose', x);
  const sorted = [...perm].sort((p, q) => p - q);
  if (perm.length !== x.rank || sorted.some((p, i) => p !== i)) {
    throw new GraphError(`Transpose(${x}): perm [${perm.join(', ')}] is not a permutation of its ${x.rank} axes`);
  }
  return node('Transpose', [x], { perm: [...perm] }, x.dtype, perm.map((p) => x.shape[p]));
}

/** Swaps the last two axes. */
export function transposeLast2(x: Tensor): Tensor {
  const perm = x.shape.map((_, i) => i);
  [perm[x.rank - 2], perm[x.rank - 1]] = [perm[x.rank - 1], perm[x.rank - 2]];
  return transpose(x, perm);
}

/** Reshape to a static shape; one -1 is inferred. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  checkDtype('Reshape', x);
  const target = [...shape];
  const free = target.filter((d) => d === -1).length;
  if (free > 1) throw new GraphError(`Reshape(${x}): more than one -1 in [${shape.join(', ')}]`);
  if (free === 1) {
    const known = sizeOf(target.filter((d) => d !== -1));
    if (known === 0 || x.size % known !== 0) throw new GraphError(`Reshape(${x}): cannot infer -1 in [${shape.join(', ')}]`);
    target[target.indexOf(-1)] = x.size / known;
  }
  if (sizeOf(target) !== x.size) throw new GraphError(`Reshape(${x}): [${shape.join(', ')}] has ${sizeOf(target)} elements, input has ${x.size}`);
  if (sameShape(target, x.shape)) return x;
  return node('Reshape', [x], { shape: target }, x.dtype, target);
}

/** Slice with unit steps; starts/ends are clamped like ONNX, negative values count from the end. */
export function slice(x: Tensor, starts: number[], ends: number[], axes?: number[]): Tensor {
  checkDtype('Slice', x);
  const where = `Slice(${x})`;
  const ax = (axes ?? starts.map((_, i) => i)).map((a) => normalizeAxis(a, x.rank, where));
  if (starts.length !== ax.length || ends.length !== ax.length) throw new GraphError(`${where}: starts, ends and axes differ in length`);
  const shape = [...x.shape];
  const s: number[] = [];
  const e: number[] = [];
  ax.forEach((a, i) => {
    const d = x.shape[a];
    const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + d : v, 0), d);
    s.push(clamp(starts[i]));
    e.push(Math.max(clamp(ends[i]), clamp(starts[i])));
    shape[a] = e[i] - s[i];
  });
  return node('Slice', [x], { starts: s, ends: e, axes: ax }, x.dtype, shape);
}

/** Zero padding: pads = [begin_0, ..., begin_n-1, end_0, ..., end_n-1] as in ONNX. */
export function pad(x: Tensor, pads: number[]): Tensor {
  checkDtype('Pad', x);
  if (pads.length !== 2 * x.rank || pads.some((p) => !Number.isInteger(p) || p < 0)) {
    throw new GraphError(`Pad(${x}): pads must be ${2 * x.rank} non-negative integers, got [${pads.join(', ')}]`);
  }
  return node('Pad', [x], { pads: [...pads] }, x.dtype, x.shape.map((d, i) => d + pads[i] + pads[i + x.rank]));
}

export function concat(xs: Tensor[], axis: number): Tensor {
  if (xs.length === 0) throw new GraphError('Concat: no inputs');
  const first = xs[0];
  const a = normalizeAxis(axis, first.rank, `Concat(${first.name}, ...)`);
  for (const x of xs) {
    checkDtype('Concat', x);
    if (x.dtype !== first.dtype || x.rank !== first.rank || x.shape.some((d, i) => i !== a && d !== first.shape[i])) {
      throw new GraphError(`Concat on axis ${a}: ${x} does not match ${first}`);
    }
  }
  if (xs.length === 1) return first;
  const shape = [...first.shape];
  shape[a] = xs.reduce((acc, x) => acc + x.shape[a], 0);
  return node('Concat', xs, { axis: a }, first.dtype, shape);
}

export function split(x: Tensor, axis: number, sizes: number[]): Tensor[] {
  checkDtype('Split', x);
  const a = normalizeAxis(axis, x.rank, `Split(${x.name})`);
  if (sizes.reduce((p, q) => p + q, 0) !== x.shape[a] || sizes.some((s) => s <= 0)) {
    throw new GraphError(`Split(${x}): sizes [${sizes.join(', ')}] do not partition axis ${a} of length ${x.shape[a]}`);
  }
  return x.graph.addNode('Split', [x], { axis: a, sizes: [...sizes] }, sizes.map((s) => ({ dtype: x.dtype, shape: x.shape.map((d, i) => (i === a ? s : d)) })));
}

/** ONNX Gather: out.shape = data.shape[:axis] + indices.shape + data.shape[axis+1:]. Indices are int32. */
export function gather(data: Tensor, indices: Tensor, axis = 0): Tensor {
  checkDtype('Gather', data);
  if (indices.dtype !== 'int32') throw new GraphError(`Gather(${data.name}): indices ${indices} must be int32 (int64 does not run on the WebGPU EP)`);
  const a = normalizeAxis(axis, data.rank, `Gather(${data.name})`);
  return node('Gather', [data, indices], { axis: a }, data.dtype, [...data.shape.slice(0, a), ...indices.shape, ...data.shape.slice(a + 1)]);
}

/**
 * ONNX ScatterElements (no reduction): a copy of `data` with `updates` written at `indices` along
 * `axis` (indices int32, same shape as updates). When the output is bound to the input's buffer the
 * copy is skipped and only the updated elements are written (in-place KV-cache writes).
 */
export function scatterElements(data: Tensor, indices: Tensor, updates: Tensor, axis: number): Tensor {
  checkDtype('ScatterElements', data);
  const where = `ScatterElements(${data.name})`;
  const a = normalizeAxis(axis, data.rank, where);
  if (indices.dtype !== 'int32') throw new GraphError(`${where}: indices ${indices} must be int32`);
  if (updates.dtype !== data.dtype) throw new GraphError(`${where}: updates ${updates} do not match data ${data}`);
  if (!sameShape(indices.shape, updates.shape) || indices.rank !== data.rank) throw new GraphError(`${where}: indices ${indices} and updates ${updates} must have the same shape, of data's rank`);
  if (indices.shape.some((d, i) => i !== a && d > data.shape[i])) throw new GraphError(`${where}: updates ${updates} larger than data ${data} off axis ${a}`);
  return node('ScatterElements', [data, indices, updates], { axis: a }, data.dtype, data.shape);
}

/** Running sum along `axis` (exclusive: element i gets the sum of elements before it). */
export function cumSum(x: Tensor, axis: number, exclusive = false): Tensor {
  checkDtype('CumSum', x);
  return node('CumSum', [x], { axis: normalizeAxis(axis, x.rank, `CumSum(${x.name})`), exclusive }, x.dtype, x.shape);
}

/** The k largest values along `axis`, sorted descending (ONNX TopK; its int64 indices are not exposed). */
export function topKValues(x: Tensor, k: number, axis = -1): Tensor {
  checkDtype('TopK', x);
  const a = normalizeAxis(axis, x.rank, `TopK(${x.name})`);
  if (!Number.isInteger(k) || k < 1 || k > x.shape[a]) throw new GraphError(`TopK(${x}): k = ${k} must be in 1..${x.shape[a]}`);
  const shape = x.shape.map((d, i) => (i === a ? k : d));
  return x.graph.addNode('TopK', [x], { k, axis: a }, [{ dtype: x.dtype, shape }, { dtype: 'int64', shape }])[0];
}

export function where(cond: Tensor, a: Operand, b: Operand): Tensor {
  if (cond.dtype !== 'bool') throw new GraphError(`Where: condition ${cond} must be bool`);
  const [ta, tb] = lift(a, b, 'Where');
  checkDtype('Where', ta);
  if (ta.dtype !== tb.dtype) throw new GraphError(`Where: branch dtypes differ (${ta} vs ${tb})`);
  const where = `Where(${cond.name}, ${ta.name}, ${tb.name})`;
  const shape = broadcastShapes(broadcastShapes(cond.shape, ta.shape, where), tb.shape, where);
  return node('Where', [cond, ta, tb], NO_PARAMS, ta.dtype, shape);
}

export function expand(x: Tensor, shape: readonly number[]): Tensor {
  checkDtype('Expand', x);
  const out = broadcastShapes(x.shape, shape, `Expand(${x})`);
  if (!sameShape(out, shape)) throw new GraphError(`Expand(${x}): cannot expand to [${shape.join(', ')}]`);
  if (sameShape(out, x.shape)) return x;
  return node('Expand', [x], { shape: [...shape] }, x.dtype, out);
}

export function cast(x: Tensor, to: DType): Tensor {
  // int64 inputs of an exported model (token ids, masks) are cast to int32 / float32 first thing.
  checkDtype('Cast', x, x.graph.options.portable ? [...ANY_DATA, 'int64'] : ANY_DATA);
  if (!ANY_DATA.includes(to)) throw new GraphError(`Cast(${x}): target ${to} does not run on the WebGPU EP`);
  if (x.dtype === to) return x;
  return node('Cast', [x], { to }, to, x.shape);
}

/**
 * Per-axis dequantization (ONNX DequantizeLinear): (x - zeroPoint[i]) * scale[i], i the index along
 * `axis`, uint8 x -> float32. Symmetric int8 weights are stored as uint8 offset by 128 (zero point
 * 128): onnxruntime-web binds no int8 GPU buffers, and the WebGPU EP's DequantizeLinear unpacks
 * 8-bit values in its shader (no shader-f16 needed). No gradient flows to x or the scales.
 */
export function dequantizeLinear(x: Tensor, scale: Tensor, zeroPoint: Tensor, axis: number): Tensor {
  checkDtype('DequantizeLinear', x);
  const a = normalizeAxis(axis, x.rank, `DequantizeLinear(${x.name})`);
  const n = x.shape[a];
  if (scale.dtype !== 'float32' || scale.rank !== 1 || scale.shape[0] !== n) throw new GraphError(`DequantizeLinear(${x}): scale ${scale} must be float32 [${n}] (one per index of axis ${a})`);
  if (zeroPoint.dtype !== 'uint8' || zeroPoint.rank !== 1 || zeroPoint.shape[0] !== n) throw new GraphError(`DequantizeLinear(${x}): zero point ${zeroPoint} must be uint8 [${n}]`);
  return node('DequantizeLinear', [x, scale, zeroPoint], { axis: a }, 'float32', x.shape);
}

export function identity(x: Tensor): Tensor {
  return node('Identity', [x], { stopGradient: false }, x.dtype, x.shape);
}

/** The value of x, treated as a constant by autodiff. */
export function stopGradient(x: Tensor): Tensor {
  return node('Identity', [x], { stopGradient: true }, x.dtype, x.shape);
}

/** Inserts unit axes (as a Reshape: shapes are static). */
export function unsqueeze(x: Tensor, axes: number[]): Tensor {
  const rank = x.rank + axes.length;
  const ax = axes.map((a) => normalizeAxis(a, rank, `Unsqueeze(${x.name})`));
  const shape: number[] = [];
  let j = 0;
  for (let i = 0; i < rank; i++) shape.push(ax.includes(i) ? 1 : x.shape[j++]);
  return reshape(x, shape);
}

/** Removes the given unit axes (as a Reshape). */
export function squeeze(x: Tensor, axes: number[]): Tensor {
  const ax = axes.map((a) => normalizeAxis(a, x.rank, `Squeeze(${x.name})`));
  for (const a of ax) if (x.shape[a] !== 1) throw new GraphError(`Squeeze(${x}): axis ${a} has length ${x.shape[a]}`);
  return reshape(x, x.shape.filter((_, i) => !ax.includes(i)));
}
