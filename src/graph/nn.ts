/**
 * Composite ops built from the primitives in ops.ts. Autodiff differentiates them through their
 * primitives, so each is only as correct as its forward definition (which the tests check).
 */
import { GraphError } from './errors';
import type { Graph, Tensor } from './graph';
import * as op from './ops';

/** Additive mask value: large enough that exp() underflows to 0, small enough to never overflow. */
export const MASK_NEG = -1e9;

/** RMSNorm over the last axis: x / sqrt(mean(x^2) + eps) * (offset + w). Gemma uses offset 1. */
export function rmsNorm(x: Tensor, weight: Tensor, eps: number, offset = 0): Tensor {
  const d = x.shape[x.rank - 1];
  if (weight.rank !== 1 || weight.shape[0] !== d) throw new GraphError(`rmsNorm: weight ${weight} does not match last axis of ${x}`);
  const ms = op.reduceMean(op.mul(x, x), -1, true);
  const normed = op.mul(x, op.reciprocal(op.sqrt(op.add(ms, eps))));
  return op.mul(normed, offset ? op.add(weight, offset) : weight);
}

/** GELU with the tanh approximation (gelu_pytorch_tanh). */
export function geluTanh(x: Tensor): Tensor {
  const inner = op.mul(op.add(x, op.mul(op.mul(op.mul(x, x), x), 0.044715)), Math.sqrt(2 / Math.PI));
  return op.mul(op.mul(x, 0.5), op.add(op.tanh(inner), 1));
}

/** rotate_half: [x1, x2] -> [-x2, x1] over the last axis. */
export function rotateHalf(x: Tensor): Tensor {
  const d = x.shape[x.rank - 1];
  if (d % 2) throw new GraphError(`rotateHalf: last axis of ${x} is odd`);
  const [x1, x2] = op.split(x, -1, [d / 2, d / 2]);
  return op.concat([op.neg(x2), x1], -1);
}

/** Rotary embedding x*cos + rotate_half(x)*sin; cos/sin broadcast against x ([..., T, D]). */
export function rope(x: Tensor, cos: Tensor, sin: Tensor): Tensor {
  return op.add(op.mul(x, cos), op.mul(rotateHalf(x), sin));
}

/** logsumexp over `axis`, shifted by the (constant) max for stability. */
export function logsumexp(x: Tensor, axis = -1, keepdims = false): Tensor {
  const m = op.stopGradient(op.reduceMax(x, axis, true));
  const lse = op.add(op.log(op.reduceSum(op.exp(op.sub(x, m)), axis, true)), m);
  return keepdims ? lse : op.squeeze(lse, [axis < 0 ? axis + x.rank : axis]);
}

/** log_softmax composed from primitives (the WebGPU EP runs no fp32 LogSoftmax). */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return op.sub(x, logsumexp(x, axis, true));
}

export interface AttentionOptions {
  /** Additive mask broadcastable to [B, 1, T, S] (0 = visible, MASK_NEG = hidden). */
  mask: Tensor;
  scale: number;
}

/**
 * Scaled dot-product attention with grouped query heads.
 * q: [B, Hq, T, D], k/v: [B, Hkv, S, D], Hq a multiple of Hkv. Returns [B, Hq, T, D].
 * Query heads that share a KV head are folded into one matmul instead of copying K and V.
 */
export function attention(q: Tensor, k: Tensor, v: Tensor, { mask, scale }: AttentionOptions): Tensor {
  const [b, hq, t, d] = q.shape;
  const [, hkv, s] = k.shape;
  if (k.rank !== 4 || v.rank !== 4 || q.rank !== 4) throw new GraphError('attention: q, k, v must be [B, H, T, D]');
  if (hq % hkv) throw new GraphError(`attention: ${hq} query heads are not a multiple of ${hkv} KV heads`);
  const groups = hq / hkv;
  const qg = op.reshape(q, [b, hkv, groups * t, d]);
  let scores = op.mul(op.matmul(qg, op.transposeLast2(k)), scale); // [B, Hkv, G*T, S]
  scores = op.reshape(scores, [b, hkv, groups, t, s]);
  scores = op.add(scores, op.unsqueeze(mask.rank === 4 ? mask : op.reshape(mask, [b, 1, t, s]), [2]));
  const probs = op.reshape(op.softmax(scores, -1), [b, hkv, groups * t, s]);
  return op.reshape(op.matmul(probs, v), [b, hq, t, d]);
}

/** Additive causal mask [T, S] for queries at positions offset..offset+T-1 over keys 0..S-1. */
export function causalMaskValues(t: number, s: number, offset = 0, slidingWindow?: number): Float32Array {
  const m = new Float32Array(t * s);
  for (let i = 0; i < t; i++) {
    const qi = i + offset;
    for (let j = 0; j < s; j++) {
      const visible = j <= qi && (slidingWindow === undefined || qi - j < slidingWindow);
      m[i * s + j] = visible ? 0 : MASK_NEG;
    }
  }
  return m;
}

/**
 * Log-probabilities of `targets` under logits = hidden @ weight^T, computed `chunkRows` rows at a
 * time so the full [N, V] logits never exist at once. hidden [N, H], weight [V, H], targets int32
 * token ids [N]. The target logit is picked by a Gather on the flattened chunk (no one-hot).
 */
export function chunkedTokenLogprobs(hidden: Tensor, weight: Tensor, targets: Tensor, chunkRows: number): Tensor {
  const [n, h] = hidden.shape;
  const [vocab, h2] = weight.shape;
  if (h !== h2) throw new GraphError(`chunkedTokenLogprobs: hidden ${hidden} and weight ${weight} differ in width`);
  if (targets.dtype !== 'int32' || targets.rank !== 1 || targets.shape[0] !== n) throw new GraphError(`chunkedTokenLogprobs: targets ${targets} must be int32 [${n}]`);
  const g = hidden.graph;
  const wT = op.transposeLast2(weight);
  const sizes: number[] = [];
  for (let start = 0; start < n; start += chunkRows) sizes.push(Math.min(chunkRows, n - start));
  // One Split rather than several Slices: onnxruntime fuses int32 Slices into a Split that its
  // WebGPU EP does not take, which would push the node to the CPU.
  const hiddenChunks = sizes.length > 1 ? op.split(hidden, 0, sizes) : [hidden];
  const targetChunks = sizes.length > 1 ? op.split(targets, 0, sizes) : [targets];
  const pieces = sizes.map((rows, c) => {
    const logits = op.matmul(hiddenChunks[c], wT); // [rows, V]
    const lse = logsumexp(logits, -1); // [rows]
    const rowBase = g.constant(Array.from({ length: rows }, (_, r) => r * vocab), 'int32', [rows], 'row_base');
    const picked = op.gather(op.reshape(logits, [rows * vocab]), op.add(targetChunks[c], rowBase), 0);
    return op.sub(picked, lse);
  });
  return op.concat(pieces, 0);
}

/** Zero point of 8-bit weights: a symmetric int8 value q in [-127, 127] is stored as the byte q + 128. */
export const INT8_ZERO_POINT = 128;

const zeroPoints = new WeakMap<Graph, Map<number, Tensor>>();

/**
 * float32 rows of an 8-bit matrix: (q[r, :] - 128) * scale[r] for q uint8 [rows, cols] and scale
 * [rows] (one DequantizeLinear along axis 0; the zero-point constant is shared per length).
 */
export function dequantizeRows(q: Tensor, scale: Tensor): Tensor {
  if (q.rank !== 2) throw new GraphError(`dequantizeRows: ${q} must be [rows, cols]`);
  const rows = q.shape[0];
  let byLength = zeroPoints.get(q.graph);
  if (!byLength) zeroPoints.set(q.graph, (byLength = new Map()));
  let zp = byLength.get(rows);
  if (!zp) byLength.set(rows, (zp = q.graph.constant(new Array<number>(rows).fill(INT8_ZERO_POINT), 'uint8', [rows], 'int8_zero_point')));
  return op.dequantizeLinear(q, scale, zp, 0);
}
