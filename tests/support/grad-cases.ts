/** Gradient-check cases: every op of the builder, and composed blocks the model is made of. */
import type { Tensor } from '../../src/graph/graph';
import * as op from '../../src/graph/ops';
import * as nn from '../../src/graph/nn';
import type { GradCase } from './grad-check';
import { positive } from './grad-check';
import { uniform } from './random';

const ints = (values: number[]) => () => values;

export const OP_CASES: GradCase[] = [
  { name: 'matmul_2d', inputs: [{ name: 'a', shape: [3, 4] }, { name: 'b', shape: [4, 5] }], build: (_g, x) => op.matmul(x.a, x.b) },
  {
    name: 'matmul_batched_broadcast',
    inputs: [{ name: 'a', shape: [2, 1, 3, 4] }, { name: 'b', shape: [3, 4, 2] }],
    build: (_g, x) => op.matmul(x.a, x.b),
  },
  ...[[false, false], [false, true], [true, false], [true, true]].map(([ta, tb]): GradCase => ({
    name: `gemm_transA${+ta}_transB${+tb}`,
    inputs: [{ name: 'a', shape: ta ? [4, 3] : [3, 4] }, { name: 'b', shape: tb ? [5, 4] : [4, 5] }],
    build: (_g, x) => op.gemm(x.a, x.b, ta, tb),
  })),
  { name: 'linear_3d', inputs: [{ name: 'x', shape: [2, 3, 4] }, { name: 'w', shape: [5, 4] }], build: (_g, x) => op.linear(x.x, x.w) },
  { name: 'add_broadcast', inputs: [{ name: 'a', shape: [2, 3, 4] }, { name: 'b', shape: [4] }], build: (_g, x) => op.add(x.a, x.b) },
  { name: 'sub_broadcast_both', inputs: [{ name: 'a', shape: [3, 1] }, { name: 'b', shape: [2, 1, 4] }], build: (_g, x) => op.sub(x.a, x.b) },
  { name: 'mul_broadcast', inputs: [{ name: 'a', shape: [2, 3, 4] }, { name: 'b', shape: [3, 1] }], build: (_g, x) => op.mul(x.a, x.b) },
  { name: 'div_broadcast', inputs: [{ name: 'a', shape: [3, 4] }, { name: 'b', shape: [4], gen: positive() }], build: (_g, x) => op.div(x.a, x.b) },
  {
    name: 'pow_both',
    inputs: [{ name: 'a', shape: [3, 4], gen: positive() }, { name: 'b', shape: [4], gen: positive(0.5, 2.5) }],
    build: (_g, x) => op.pow(x.a, x.b),
  },
  { name: 'pow_const_exponent', inputs: [{ name: 'a', shape: [3, 4] }], build: (_g, x) => op.pow(x.a, 3) },
  { name: 'max_broadcast', inputs: [{ name: 'a', shape: [3, 4] }, { name: 'b', shape: [4] }], build: (_g, x) => op.maximum(x.a, x.b) },
  { name: 'sqrt', inputs: [{ name: 'a', shape: [3, 4], gen: positive() }], build: (_g, x) => op.sqrt(x.a) },
  { name: 'exp', inputs: [{ name: 'a', shape: [3, 4] }], build: (_g, x) => op.exp(x.a) },
  { name: 'log', inputs: [{ name: 'a', shape: [3, 4], gen: positive() }], build: (_g, x) => op.log(x.a) },
  { name: 'tanh', inputs: [{ name: 'a', shape: [3, 4], gen: (n, r) => uniform(n, -2, 2, r) }], build: (_g, x) => op.tanh(x.a) },
  { name: 'cos', webgpuForwardTolerance: 1e-3, inputs: [{ name: 'a', shape: [3, 4], gen: (n, r) => uniform(n, -3, 3, r) }], build: (_g, x) => op.cos(x.a) },
  { name: 'sin', webgpuForwardTolerance: 1e-3, inputs: [{ name: 'a', shape: [3, 4], gen: (n, r) => uniform(n, -3, 3, r) }], build: (_g, x) => op.sin(x.a) },
  { name: 'erf', inputs: [{ name: 'a', shape: [3, 4], gen: (n, r) => uniform(n, -2, 2, r) }], build: (_g, x) => op.erf(x.a) },
  { name: 'neg', inputs: [{ name: 'a', shape: [3, 4] }], build: (_g, x) => op.neg(x.a) },
  { name: 'reciprocal', inputs: [{ name: 'a', shape: [3, 4], gen: positive() }], build: (_g, x) => op.reciprocal(x.a) },
  { name: 'sigmoid', inputs: [{ name: 'a', shape: [3, 4], gen: (n, r) => uniform(n, -3, 3, r) }], build: (_g, x) => op.sigmoid(x.a) },
  { name: 'reduce_sum', inputs: [{ name: 'a', shape: [2, 3, 4] }], build: (_g, x) => op.reduceSum(x.a, 1) },
  { name: 'reduce_sum_keepdims_2axes', inputs: [{ name: 'a', shape: [2, 3, 4] }], build: (_g, x) => op.reduceSum(x.a, [0, 2], true) },
  { name: 'reduce_mean', inputs: [{ name: 'a', shape: [2, 3, 4] }], build: (_g, x) => op.reduceMean(x.a, -1) },
  { name: 'reduce_max', inputs: [{ name: 'a', shape: [2, 3, 4] }], build: (_g, x) => op.reduceMax(x.a, 1) },
  { name: 'softmax_mid_axis', inputs: [{ name: 'a', shape: [2, 3, 4] }], build: (_g, x) => op.softmax(x.a, 1) },
  { name: 'softmax_last_axis', inputs: [{ name: 'a', shape: [2, 3, 4], gen: (n, r) => uniform(n, -3, 3, r) }], build: (_g, x) => op.softmax(x.a, -1) },
  { name: 'transpose', inputs: [{ name: 'a', shape: [2, 3, 4] }], build: (_g, x) => op.transpose(x.a, [2, 0, 1]) },
  { name: 'reshape', inputs: [{ name: 'a', shape: [2, 3, 4] }], build: (_g, x) => op.mul(op.reshape(x.a, [6, 4]), op.reshape(x.a, [4, 6]).shape.length) },
  { name: 'slice', inputs: [{ name: 'a', shape: [3, 5] }], build: (_g, x) => op.slice(x.a, [1, 1], [3, 4]) },
  { name: 'slice_negative', inputs: [{ name: 'a', shape: [2, 6] }], build: (_g, x) => op.slice(x.a, [-4], [-1], [1]) },
  { name: 'pad', inputs: [{ name: 'a', shape: [2, 3] }], build: (_g, x) => op.pad(x.a, [1, 0, 0, 2]) },
  {
    name: 'concat',
    inputs: [{ name: 'a', shape: [2, 3] }, { name: 'b', shape: [2, 1] }, { name: 'c', shape: [2, 2] }],
    build: (_g, x) => op.concat([x.a, x.b, x.c], 1),
  },
  {
    name: 'split_partial_use',
    inputs: [{ name: 'a', shape: [2, 6] }],
    build: (_g, x) => {
      const [p, , r] = op.split(x.a, 1, [1, 2, 3]);
      return op.mul(p, op.reduceSum(r, 1, true));
    },
  },
  {
    name: 'gather_axis0_repeated',
    inputs: [{ name: 'data', shape: [5, 3] }, { name: 'idx', shape: [2, 2], dtype: 'int32', gen: ints([0, 2, 2, 4]) }],
    build: (_g, x) => op.gather(x.data, x.idx, 0),
  },
  {
    name: 'gather_axis1_negative',
    inputs: [{ name: 'data', shape: [2, 5, 3] }, { name: 'idx', shape: [4], dtype: 'int32', gen: ints([-1, 0, 3, -1]) }],
    build: (_g, x) => op.gather(x.data, x.idx, 1),
  },
  {
    name: 'where',
    inputs: [{ name: 'c', shape: [3, 1], grad: false }, { name: 'a', shape: [3, 4] }, { name: 'b', shape: [4] }],
    build: (_g, x) => op.where(op.greater(x.c, 0), x.a, x.b),
  },
  { name: 'expand', inputs: [{ name: 'a', shape: [3, 1] }], build: (_g, x) => op.expand(x.a, [2, 3, 4]) },
  { name: 'cast_f16_roundtrip', fp16: true, gradTolerance: 2e-3, inputs: [{ name: 'a', shape: [3, 4] }], build: (_g, x) => op.cast(op.mul(op.cast(x.a, 'float16'), op.cast(x.a, 'float16')), 'float32') },
  { name: 'identity_fanout', inputs: [{ name: 'a', shape: [3, 4] }], build: (_g, x) => op.mul(op.identity(x.a), op.exp(x.a)) },
];

/** Composites and composed blocks (what the Gemma-3 graphs are made of). */
export const COMPOSITE_CASES: GradCase[] = [
  {
    name: 'rms_norm_offset1',
    inputs: [{ name: 'x', shape: [2, 3, 8] }, { name: 'w', shape: [8] }],
    build: (_g, x) => nn.rmsNorm(x.x, x.w, 1e-6, 1),
  },
  { name: 'gelu_tanh', inputs: [{ name: 'x', shape: [3, 4], gen: (n, r) => uniform(n, -3, 3, r) }], build: (_g, x) => nn.geluTanh(x.x) },
  {
    name: 'rope',
    inputs: [{ name: 'x', shape: [1, 2, 4, 8] }, { name: 'cos', shape: [4, 8], grad: false }, { name: 'sin', shape: [4, 8], grad: false }],
    build: (_g, x) => nn.rope(x.x, x.cos, x.sin),
  },
  { name: 'logsumexp', inputs: [{ name: 'x', shape: [3, 7], gen: (n, r) => uniform(n, -4, 4, r) }], build: (_g, x) => nn.logsumexp(x.x, -1) },
  { name: 'log_softmax', inputs: [{ name: 'x', shape: [3, 7], gen: (n, r) => uniform(n, -4, 4, r) }], build: (_g, x) => nn.logSoftmax(x.x, -1) },
  {
    name: 'attention_gqa_sliding_window',
    inputs: [{ name: 'q', shape: [1, 4, 5, 8] }, { name: 'k', shape: [1, 2, 5, 8] }, { name: 'v', shape: [1, 2, 5, 8] }],
    build: (g, x) => {
      const mask = g.constant(nn.causalMaskValues(5, 5, 0, 3), 'float32', [1, 1, 5, 5], 'mask');
      return nn.attention(x.q, x.k, x.v, { mask, scale: 8 ** -0.5 });
    },
  },
  {
    // RMSNorm -> attention (2 query heads, 1 KV head, RoPE) -> residual -> RMSNorm -> GELU-tanh MLP -> residual.
    name: 'block_rmsnorm_attention_mlp',
    gradTolerance: 2e-3,
    inputs: [
      { name: 'x', shape: [1, 5, 16] },
      { name: 'n1', shape: [16] },
      { name: 'wq', shape: [16, 16], gen: (n, r) => uniform(n, -0.5, 0.5, r) },
      { name: 'wk', shape: [16, 8], gen: (n, r) => uniform(n, -0.5, 0.5, r) },
      { name: 'wv', shape: [16, 8], gen: (n, r) => uniform(n, -0.5, 0.5, r) },
      { name: 'wo', shape: [16, 16], gen: (n, r) => uniform(n, -0.5, 0.5, r) },
      { name: 'n2', shape: [16] },
      { name: 'wg', shape: [16, 24], gen: (n, r) => uniform(n, -0.5, 0.5, r) },
      { name: 'wu', shape: [16, 24], gen: (n, r) => uniform(n, -0.5, 0.5, r) },
      { name: 'wd', shape: [24, 16], gen: (n, r) => uniform(n, -0.5, 0.5, r) },
    ],
    build: (g, x) => {
      const t = 5;
      const h = nn.rmsNorm(x.x, x.n1, 1e-6, 1);
      const heads = (y: Tensor, n: number) => op.transpose(op.reshape(y, [1, t, n, 8]), [0, 2, 1, 3]);
      const angles = Array.from({ length: t * 8 }, (_, i) => Math.floor(i / 8) * 10000 ** (-((i % 4) * 2) / 8));
      const cos = g.constant(angles.map(Math.cos), 'float32', [t, 8], 'cos');
      const sin = g.constant(angles.map(Math.sin), 'float32', [t, 8], 'sin');
      const q = nn.rope(heads(op.matmul(h, x.wq), 2), cos, sin);
      const k = nn.rope(heads(op.matmul(h, x.wk), 1), cos, sin);
      const v = heads(op.matmul(h, x.wv), 1);
      const mask = g.constant(nn.causalMaskValues(t, t), 'float32', [1, 1, t, t], 'mask');
      const a = op.reshape(op.transpose(nn.attention(q, k, v, { mask, scale: 8 ** -0.5 }), [0, 2, 1, 3]), [1, t, 16]);
      const r1 = op.add(x.x, op.matmul(a, x.wo));
      const h2 = nn.rmsNorm(r1, x.n2, 1e-6, 1);
      const mlp = op.matmul(op.mul(nn.geluTanh(op.matmul(h2, x.wg)), op.matmul(h2, x.wu)), x.wd);
      return op.add(r1, mlp);
    },
  },
  {
    name: 'chunked_log_softmax_cross_entropy',
    inputs: [
      { name: 'hidden', shape: [7, 8] },
      { name: 'weight', shape: [11, 8] },
      { name: 'targets', shape: [7], dtype: 'int32', gen: ints([3, 0, 10, 7, 7, 1, 5]) },
    ],
    build: (_g, x) => {
      const logp = nn.chunkedTokenLogprobs(x.hidden, x.weight, x.targets, 3);
      return op.neg(op.reduceMean(logp, 0, true));
    },
  },
];

export const ALL_CASES = [...OP_CASES, ...COMPOSITE_CASES];
