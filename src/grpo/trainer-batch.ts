/**
 * Training micro-batches of a GRPO step: each row is prompt + completion token ids, right-padded to
 * a bucketed length so that sessions are reused across steps. The per-token inputs of the objective
 * live at the position that *predicts* a token: row b*T + t holds the values for ids[t + 1], which
 * is where the loss head puts log p(ids[t + 1]).
 *
 * Completion tokens (up to and including the stop token) are the only positions in the loss; the
 * loss_type normalisation and gradient accumulation are folded into per-token weights by
 * lossWeights, computed once for all micro-batches of the step.
 */
import { lossWeights, maskTruncatedCompletions } from './loss-weights';
import type { GRPOConfig } from './config';

/** Padded lengths are rounded up to this, so a run compiles a handful of step graphs. */
export const SEQUENCE_BUCKET = 32;

export interface TrainingRow {
  promptIds: readonly number[];
  /** Sampled ids, the stop token included when one ended the completion. */
  completionIds: readonly number[];
  /** Ended by a stop token (false: cut at max_completion_length). */
  terminated: boolean;
  advantage: number;
}

export interface MicroBatch {
  /** Indices of the rows (completions of the step, group-major) in this micro-batch. */
  rowIndices: number[];
  inputIds: number[][];
  attentionMask: number[][];
  rows: number;
  seq: number;
  /** 1 where the position predicts a completion token that counts in the loss ([rows*seq]). */
  mask: Uint8Array;
  /** lossWeights for this micro-batch (0 off the mask). */
  weights: Float32Array;
  /** The row's advantage at every position. */
  advantages: Float32Array;
  /** Positions in the loss (the mask's 1s), for the runner's loss head; [0] when none. */
  lossRows: Int32Array;
  /** Prompt + completion tokens of the real (unpadded) rows. */
  tokens: number;
}

export function bucketLength(n: number, bucket = SEQUENCE_BUCKET): number {
  return Math.max(bucket, Math.ceil(n / bucket) * bucket);
}

/**
 * Splits the step's completions into gradient_accumulation_steps micro-batches of
 * per_device_train_batch_size rows, in order, and computes every per-token input.
 */
export function buildMicroBatches(
  rows: readonly TrainingRow[],
  config: Pick<GRPOConfig, 'per_device_train_batch_size' | 'gradient_accumulation_steps' | 'loss_type' | 'max_completion_length' | 'mask_truncated_completions'>,
  padTokenId: number,
): MicroBatch[] {
  const per = config.per_device_train_batch_size;
  const k = config.gradient_accumulation_steps;
  if (rows.length !== per * k) throw new Error(`buildMicroBatches: ${rows.length} completions for ${k} micro-batches of ${per}`);
  const layouts = Array.from({ length: k }, (_, m) => {
    const rowIndices = Array.from({ length: per }, (_, i) => m * per + i);
    const seq = bucketLength(Math.max(...rowIndices.map((r) => rows[r].promptIds.length + rows[r].completionIds.length)));
    const inputIds: number[][] = [];
    const attentionMask: number[][] = [];
    const shifted = new Uint8Array(per * seq);
    let tokens = 0;
    rowIndices.forEach((r, i) => {
      const { promptIds, completionIds } = rows[r];
      if (promptIds.length === 0) throw new Error(`buildMicroBatches: completion ${r} has an empty prompt`);
      const ids = [...promptIds, ...completionIds];
      tokens += ids.length;
      inputIds.push([...ids, ...new Array<number>(seq - ids.length).fill(padTokenId)]);
      attentionMask.push([...new Array<number>(ids.length).fill(1), ...new Array<number>(seq - ids.length).fill(0)]);
      // Completion token j sits at position P + j and is predicted at P + j - 1.
      shifted.fill(1, i * seq + promptIds.length - 1, i * seq + promptIds.length - 1 + completionIds.length);
    });
    const mask = config.mask_truncated_completions ? maskTruncatedCompletions(shifted, seq, rowIndices.map((r) => rows[r].terminated)) : shifted;
    return { rowIndices, inputIds, attentionMask, seq, tokens, fullMask: shifted, mask };
  });
  // TRL counts num_items_in_batch before mask_truncated_completions zeroes rows.
  const numItems = layouts.reduce((acc, l) => acc + l.fullMask.reduce((a, b) => a + b, 0), 0);
  const weights = lossWeights(
    layouts.map((l) => ({ mask: l.mask, rows: per, cols: l.seq })),
    { loss_type: config.loss_type, max_completion_length: config.max_completion_length, num_items_in_batch: numItems },
  );
  return layouts.map((l, m) => {
    const advantages = new Float32Array(per * l.seq);
    l.rowIndices.forEach((r, i) => advantages.fill(rows[r].advantage, i * l.seq, (i + 1) * l.seq));
    const positions: number[] = [];
    l.mask.forEach((v, i) => v && positions.push(i));
    const lossRows = Int32Array.from(positions.length ? positions : [0]);
    return { rowIndices: l.rowIndices, inputIds: l.inputIds, attentionMask: l.attentionMask, rows: per, seq: l.seq, mask: l.mask, weights: weights[m], advantages, lossRows, tokens: l.tokens };
  });
}

/** TRL's policy metrics inputs, computed on the host from the log-probs the loss head returned. */
export function clipIndicators(
  logp: Float32Array,
  oldLogp: Float32Array | undefined,
  advantages: Float32Array,
  epsilons: { low: number; high: number },
): { isLowClipped: Float32Array; isHighClipped: Float32Array } {
  const low = new Float32Array(logp.length);
  const high = new Float32Array(logp.length);
  if (!oldLogp) return { isLowClipped: low, isHighClipped: high }; // ratio is exactly 1
  for (let i = 0; i < logp.length; i++) {
    const ratio = Math.exp(logp[i] - oldLogp[i]);
    if (ratio < 1 - epsilons.low && advantages[i] < 0) low[i] = 1;
    if (ratio > 1 + epsilons.high && advantages[i] > 0) high[i] = 1;
  }
  return { isLowClipped: low, isHighClipped: high };
}

/** The k3 estimate exp(ref - logp) - (ref - logp) - 1 per token. */
export function perTokenKl(logp: Float32Array, refLogp: Float32Array): Float32Array {
  const out = new Float32Array(logp.length);
  for (let i = 0; i < logp.length; i++) {
    const d = refLogp[i] - logp[i];
    out[i] = Math.exp(d) - d - 1;
  }
  return out;
}
