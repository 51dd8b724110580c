/**
 * Token sampling inside a graph, so a decode step returns token ids ([B] int32) instead of
 * [B, vocab] logits for the host to sample from.
 *
 * - greedy: the first index holding the row's maximum (lowest index on ties, as the host argmax);
 * - sample: softmax(logits / T) with optional top-k then top-p (nucleus), as the host sampler and
 *   Hugging Face apply them. 1/T is an input, so one graph serves every temperature.
 *
 * Filtering keeps every token whose scaled logit is >= a per-row threshold:
 * - top-k: the k-th largest value (TopK). Tokens tied with it are all kept (Hugging Face's rule).
 * - top-p after top-k: over the k sorted values, the smallest kept value of the shortest prefix
 *   whose probability reaches top_p (CumSum over k values).
 * - top-p alone: the largest threshold t whose kept mass sum(p[x >= t]) still reaches top_p, found
 *   by bisection over [max - 40, max + 1] nats (NUCLEUS_ITERATIONS halvings; a full sort of a
 *   262,144 vocabulary per step would cost far more). After 32 halvings the interval is 1e-8 nats:
 *   the kept set is the host's, except that a token within 1e-8 nats below the last kept one is
 *   kept too. Tokens more than 40 nats below the max carry < 4e-18 of the mass each.
 *
 * The draw is an inverse CDF in index order with two uniforms per row, done in two levels so no
 * running sum spans the whole vocabulary: the vocabulary is cut into blocks of `bs` tokens (bs about
 * sqrt(V), a power of two), a block is chosen with probability (block mass) / (total) using u1, then
 * a token inside it with probability (weight) / (block mass) using u2. Each level sums at most a few
 * hundred float32 values, and each uniform only has to resolve that level's probabilities (a single
 * float32 uniform over 262,144 tokens of ~4e-6 each would skew them by up to 1.6%). The chosen index
 * is clamped to the block's first/last non-zero weight, so float32 rounding can never pick a token
 * that was filtered out. Greedy uses the same draw with 0/1 weights (1 where the row's max is) and
 * u = 0, which picks the first maximum.
 */
import { GraphError } from './errors';
import type { Tensor } from './graph';
import * as op from './ops';

export type SamplerSpec = { kind: 'greedy' } | { kind: 'sample'; topK: number; topP: number };

export interface SamplerInputs {
  /** [B, 2] uniforms in [0, 1): block choice, token choice (sample only). */
  uniforms?: Tensor;
  /**
   * Scalar 1 / temperature (sample only), or 'applied' when the logits given are already divided
   * by the temperature (the caller scaled a smaller tensor, e.g. the hidden state before the head).
   */
  invTemperature?: Tensor | 'applied';
}

/** Bisection halvings of the top-p threshold interval (41 nats wide). */
export const NUCLEUS_ITERATIONS = 32;
/** Tokens this many nats below the row's max are outside any top-p threshold search. */
const NUCLEUS_RANGE = 40;
const BIG = 3e38;

/** Block size of the two-level draw: a power of two near sqrt(V). */
export function drawBlockSize(vocab: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(1, Math.ceil(Math.sqrt(vocab)))));
}

export function checkSamplerSpec(spec: SamplerSpec, vocab: number): void {
  if (spec.kind === 'greedy') return;
  if (!Number.isInteger(spec.topK) || spec.topK < 0) throw new GraphError(`sampler: top_k must be an integer >= 0, got ${spec.topK}`);
  if (!(spec.topP > 0 && spec.topP <= 1)) throw new GraphError(`sampler: top_p must be in (0, 1], got ${spec.topP}`);
  if (vocab < 1) throw new GraphError(`sampler: empty vocabulary`);
}

/** Token ids int32 [B] drawn from `logits` [B, V]. */
export function sampleTokens(logits: Tensor, spec: SamplerSpec, inputs: SamplerInputs = {}): Tensor {
  if (logits.rank !== 2 || logits.dtype !== 'float32') throw new GraphError(`sampler: logits ${logits} must be float32 [B, V]`);
  const [b, v] = logits.shape;
  checkSamplerSpec(spec, v);
  if (spec.kind === 'greedy') {
    const max = op.reduceMax(logits, 1, true);
    const weights = op.sub(1, op.cast(op.less(logits, max), 'float32'));
    return draw(weights, undefined);
  }
  const { uniforms, invTemperature } = inputs;
  if (!uniforms || uniforms.dtype !== 'float32' || uniforms.shape.join() !== `${b},2`) throw new GraphError(`sampler: uniforms must be float32 [${b}, 2], got ${uniforms}`);
  if (!invTemperature || (invTemperature !== 'applied' && invTemperature.size !== 1)) throw new GraphError(`sampler: inverse temperature must be a float32 scalar, got ${invTemperature}`);
  const x = invTemperature === 'applied' ? logits : op.mul(logits, op.reshape(invTemperature, []));
  // Softmax: one fused kernel for max, exp and sum (the draw only needs weights proportional to p).
  const e = op.softmax(x, 1);
  const threshold = keepThreshold(x, e, spec);
  const weights = threshold ? op.where(op.less(x, threshold), 0, e) : e;
  return draw(weights, uniforms);
}

/** Per-row threshold [B, 1] (keep x >= it), or undefined when nothing is filtered. */
function keepThreshold(x: Tensor, e: Tensor, spec: { topK: number; topP: number }): Tensor | undefined {
  const v = x.shape[1];
  const topK = spec.topK > 0 && spec.topK < v ? spec.topK : 0;
  if (topK) {
    const top = op.topKValues(x, topK, 1); // [B, k], descending
    if (spec.topP >= 1) return op.slice(top, [topK - 1], [topK], [1]);
    const p = op.exp(op.sub(top, op.slice(top, [0], [1], [1]))); // relative to the row's max
    const before = op.cumSum(p, 1, true); // mass of the more likely candidates
    const inNucleus = op.less(before, op.mul(op.reduceSum(p, 1, true), spec.topP));
    return op.reduceMin(op.where(inNucleus, top, BIG), 1, true);
  }
  if (spec.topP >= 1) return undefined;
  const max = op.reduceMax(x, 1, true);
  const target = op.mul(op.reduceSum(e, 1, true), spec.topP);
  let lo = op.sub(max, NUCLEUS_RANGE); // keeps mass >= target
  let hi = op.add(max, 1); // keeps nothing
  for (let i = 0; i < NUCLEUS_ITERATIONS; i++) {
    const mid = op.mul(op.add(lo, hi), 0.5);
    const mass = op.reduceSum(op.where(op.less(x, mid), 0, e), 1, true);
    const short = op.less(mass, target);
    lo = op.where(short, lo, mid);
    hi = op.where(short, mid, hi);
  }
  return lo;
}

/**
 * Index drawn with probability weights[i] / sum(weights) per row ([B, V] -> int32 [B]); with no
 * uniforms, the first index of non-zero weight.
 */
function draw(weights: Tensor, uniforms: Tensor | undefined): Tensor {
  const g = weights.graph;
  const [b, v] = weights.shape;
  const bs = drawBlockSize(v);
  const nb = Math.ceil(v / bs);
  const padded = nb * bs > v ? op.pad(weights, [0, 0, 0, nb * bs - v]) : weights;
  const blocks = op.reshape(padded, [b, nb, bs]);
  const [u1, u2] = uniforms ? op.split(uniforms, 1, [1, 1]) : [undefined, undefined];

  // Level 1: the block.
  const blockMass = op.reduceSum(blocks, 2); // [B, nb]
  const block = pick(blockMass, u1, g.constant(range(nb), 'float32', [1, nb], 'block_iota'));
  const flat = op.add(op.reshape(op.cast(block, 'int32'), [b]), g.constant(range(b).map((r) => r * nb), 'int32', [b], 'block_row_base'));
  // Level 2: the token inside it.
  const rows = op.gather(op.reshape(blocks, [b * nb, bs]), flat, 0); // [B, bs]
  const inner = pick(rows, u2, g.constant(range(bs), 'float32', [1, bs], 'token_iota'));
  return op.reshape(op.cast(op.add(op.mul(block, bs), inner), 'int32'), [b]);
}

/**
 * Per row of w [B, n] (non-negative, some positive): the first index whose running sum exceeds
 * u * total (u = 0 without uniforms), clamped to the row's first and last positive weight. [B, 1] float.
 */
function pick(w: Tensor, u: Tensor | undefined, iota: Tensor): Tensor {
  const n = w.shape[1];
  const running = op.cumSum(w, 1);
  const total = op.slice(running, [n - 1], [n], [1]);
  const target = u ? op.mul(u, total) : op.mul(total, 0);
  const index = op.sub(n, op.reduceSum(op.cast(op.less(target, running), 'float32'), 1, true));
  const positive = op.greater(w, 0);
  const first = op.reduceMin(op.where(positive, iota, n), 1, true);
  const last = op.reduceMax(op.where(positive, iota, -1), 1, true);
  return op.maximum(first, op.where(op.less(last, index), last, index));
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
