/**
 * Host-side per-token loss weights that turn Σ weight · per_token_loss into TRL's loss for each
 * loss_type (GRPOTrainer._compute_loss), with gradient accumulation folded in.
 *
 * An optimizer step runs its micro-batches (gradient_accumulation_steps of them, TRL's
 * current_gradient_accumulation_steps = K) and sums their gradients; nothing is rescaled
 * afterwards. For micro-batch b with B_b rows, mask m (1 on completion tokens) and |o_i| tokens in
 * row i, TRL's micro-batch losses are
 *   grpo:    (1/K) · mean_i( Σ_t m·l / max(1, |o_i|) )          → w = 1 / (K · B_b · max(1, |o_i|))
 *   bnpo:    (1/K) · Σ m·l / max(1, Σ_b m)                        → w = 1 / (K · max(1, Σ_b m))
 *   dr_grpo: (1/K) · Σ m·l / (B_b · max_completion_length)        → w = 1 / (K · B_b · max_completion_length)
 *   dapo:    Σ m·l / num_items_in_batch                           → w = 1 / max(1, Σ over all K micro-batches of m)
 * where num_items_in_batch counts the completion tokens of the whole generation batch (all
 * micro-batches of the step), so dapo is a token mean over the global accumulated batch, and bnpo a
 * mean of per-micro-batch token means. Rows with no tokens still count in B_b, as in TRL.
 * (TRL leaves dapo's normaliser unclamped; we clamp it to 1 so an all-empty step gives 0, not NaN.)
 */
import type { LossType } from './config';

export interface MicroBatchMask {
  /** Completion mask, row-major [rows, cols]: 1 on tokens that count in the loss, 0 on padding. */
  mask: ArrayLike<number>;
  rows: number;
  cols: number;
}

export interface LossWeightOptions {
  loss_type: LossType;
  /** Used by dr_grpo's constant normaliser. */
  max_completion_length: number;
  /**
   * dapo's normaliser (TRL's num_items_in_batch); defaults to the number of 1s in all the masks.
   * TRL counts the step's completion tokens *before* mask_truncated_completions zeroes truncated
   * rows, so pass that count to reproduce TRL exactly when masking truncated completions.
   */
  num_items_in_batch?: number;
}

function checkMask(mb: MicroBatchMask, index: number): void {
  if (!Number.isInteger(mb.rows) || !Number.isInteger(mb.cols) || mb.rows < 1 || mb.cols < 1) {
    throw new Error(`lossWeights: micro-batch ${index} has shape [${mb.rows}, ${mb.cols}]`);
  }
  if (mb.mask.length !== mb.rows * mb.cols) throw new Error(`lossWeights: micro-batch ${index} mask has ${mb.mask.length} values for [${mb.rows}, ${mb.cols}]`);
  for (let i = 0; i < mb.mask.length; i++) {
    if (mb.mask[i] !== 0 && mb.mask[i] !== 1) throw new Error(`lossWeights: micro-batch ${index} mask value ${mb.mask[i]} at ${i} is not 0 or 1`);
  }
}

function maskSum(mask: ArrayLike<number>, from = 0, to = mask.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += mask[i];
  return s;
}

/**
 * Per-token weights for every micro-batch of one optimizer step (same layout as each mask).
 * The micro-batches passed are the step's K accumulation micro-batches, in any order.
 */
export function lossWeights(microBatches: readonly MicroBatchMask[], options: LossWeightOptions): Float32Array[] {
  if (microBatches.length === 0) throw new Error('lossWeights: no micro-batches');
  microBatches.forEach(checkMask);
  if (!Number.isInteger(options.max_completion_length) || options.max_completion_length < 1) {
    throw new Error(`lossWeights: max_completion_length must be a positive integer, got ${options.max_completion_length}`);
  }
  const k = microBatches.length;
  const stepTokens = options.num_items_in_batch ?? microBatches.reduce((acc, mb) => acc + maskSum(mb.mask), 0);
  if (!(stepTokens >= 0)) throw new Error(`lossWeights: num_items_in_batch must be ≥ 0, got ${stepTokens}`);
  return microBatches.map(({ mask, rows, cols }) => {
    const out = new Float32Array(rows * cols);
    const microTokens = maskSum(mask);
    for (let r = 0; r < rows; r++) {
      let w: number;
      switch (options.loss_type) {
        case 'grpo':
          w = 1 / (k * rows * Math.max(1, maskSum(mask, r * cols, (r + 1) * cols)));
          break;
        case 'bnpo':
          w = 1 / (k * Math.max(1, microTokens));
          break;
        case 'dr_grpo':
          w = 1 / (k * rows * options.max_completion_length);
          break;
        case 'dapo':
          w = 1 / Math.max(1, stepTokens);
          break;
      }
      for (let c = 0; c < cols; c++) out[r * cols + c] = mask[r * cols + c] * w;
    }
    return out;
  });
}

/**
 * TRL's completion mask for right-padded completions: 1 on each row's first lengths[i] tokens
 * (the tokens up to and including EOS), 0 after.
 */
export function completionMask(lengths: readonly number[], cols: number): Uint8Array {
  const mask = new Uint8Array(lengths.length * cols);
  lengths.forEach((len, r) => {
    if (!Number.isInteger(len) || len < 0 || len > cols) throw new Error(`completionMask: length ${len} of row ${r} is outside [0, ${cols}]`);
    mask.fill(1, r * cols, r * cols + len);
  });
  return mask;
}

/**
 * mask_truncated_completions: zeroes the rows of completions that ended without EOS, so they carry
 * no loss (they still count as rows, and in the metrics' completion lengths).
 */
export function maskTruncatedCompletions(mask: ArrayLike<number>, cols: number, terminated: readonly boolean[]): Uint8Array {
  if (mask.length !== terminated.length * cols) throw new Error(`maskTruncatedCompletions: mask has ${mask.length} values for ${terminated.length} rows of ${cols}`);
  const out = Uint8Array.from(mask);
  terminated.forEach((done, r) => {
    if (!done) out.fill(0, r * cols, (r + 1) * cols);
  });
  return out;
}
