import { describe, expect, it } from 'vitest';
import type { LossType } from '../../../src/grpo/config';
import { completionMask, lossWeights, maskTruncatedCompletions, type MicroBatchMask } from '../../../src/grpo/loss-weights';
import { rng } from '../../support/random';

/**
 * TRL's step loss for one optimizer step, transcribed loss_type by loss_type: each micro-batch's
 * loss as GRPOTrainer._compute_loss computes it, summed over the K accumulation micro-batches.
 */
function trlStepLoss(mbs: { mask: number[][]; loss: number[][] }[], lossType: LossType, maxCompletionLength: number): number {
  const k = mbs.length;
  const numItemsInBatch = mbs.reduce((acc, mb) => acc + mb.mask.flat().reduce((p, q) => p + q, 0), 0);
  let total = 0;
  for (const { mask, loss } of mbs) {
    const masked = loss.map((row, i) => row.map((l, t) => l * mask[i][t]));
    const rowSums = masked.map((row) => row.reduce((p, q) => p + q, 0));
    const rowTokens = mask.map((row) => row.reduce((p, q) => p + q, 0));
    const allSum = rowSums.reduce((p, q) => p + q, 0);
    const allTokens = rowTokens.reduce((p, q) => p + q, 0);
    const b = mask.length;
    switch (lossType) {
      case 'grpo':
        total += rowSums.map((s, i) => s / Math.max(1, rowTokens[i])).reduce((p, q) => p + q, 0) / b / k;
        break;
      case 'bnpo':
        total += allSum / Math.max(1, allTokens) / k;
        break;
      case 'dr_grpo':
        total += allSum / (b * maxCompletionLength) / k;
        break;
      case 'dapo':
        total += allSum / numItemsInBatch;
        break;
    }
  }
  return total;
}

function randomStep(seed: number, k: number, rows: number, cols: number) {
  const rand = rng(seed);
  return Array.from({ length: k }, () => {
    const lengths = Array.from({ length: rows }, () => 1 + Math.floor(rand() * cols));
    const mask = lengths.map((len) => Array.from({ length: cols }, (_, t) => (t < len ? 1 : 0)));
    const loss = mask.map((row) => row.map(() => rand() * 4 - 2));
    return { mask, loss };
  });
}

const asMicroBatch = (mask: number[][]): MicroBatchMask => ({ mask: mask.flat(), rows: mask.length, cols: mask[0].length });

function weightedLoss(weights: Float32Array[], mbs: { loss: number[][] }[]): number {
  return mbs.reduce((acc, mb, b) => acc + mb.loss.flat().reduce((p, l, i) => p + l * weights[b][i], 0), 0);
}

describe('lossWeights', () => {
  for (const lossType of ['grpo', 'bnpo', 'dr_grpo', 'dapo'] as const) {
    it(`${lossType}: Σ weight · loss equals TRL's accumulated step loss (3 micro-batches)`, () => {
      const mbs = randomStep(lossType.length, 3, 4, 7);
      const w = lossWeights(mbs.map((mb) => asMicroBatch(mb.mask)), { loss_type: lossType, max_completion_length: 9 });
      expect(weightedLoss(w, mbs)).toBeCloseTo(trlStepLoss(mbs, lossType, 9), 6);
      // Padding carries no weight.
      mbs.forEach((mb, b) => mb.mask.flat().forEach((m, i) => m === 0 && expect(w[b][i]).toBe(0)));
    });
  }

  // One micro-batch of two completions, lengths 1 and 3 in 4 columns: hand-computed weights.
  const mask = [
    [1, 0, 0, 0],
    [1, 1, 1, 0],
  ];
  const hand: Record<LossType, number[]> = {
    // mean over sequences of per-sequence token means: 1/(2·1) and 1/(2·3)
    grpo: [1 / 2, 0, 0, 0, 1 / 6, 1 / 6, 1 / 6, 0],
    // token mean over the batch: 4 tokens
    bnpo: [1 / 4, 0, 0, 0, 1 / 4, 1 / 4, 1 / 4, 0],
    // 2 sequences × max_completion_length 5
    dr_grpo: [1 / 10, 0, 0, 0, 1 / 10, 1 / 10, 1 / 10, 0],
    dapo: [1 / 4, 0, 0, 0, 1 / 4, 1 / 4, 1 / 4, 0],
  };
  for (const lossType of ['grpo', 'bnpo', 'dr_grpo', 'dapo'] as const) {
    it(`${lossType}: hand-computed weights for lengths [1, 3]`, () => {
      const [w] = lossWeights([asMicroBatch(mask)], { loss_type: lossType, max_completion_length: 5 });
      expect(Array.from(w)).toEqual(hand[lossType].map((x) => expect.closeTo(x, 7)));
    });
  }

  it('with accumulation, bnpo averages micro-batch token means while dapo takes one token mean over the step', () => {
    // Micro-batch A has 1 token, B has 3: bnpo gives A's token 1/(2·1), B's 1/(2·3); dapo 1/4 each.
    const a = asMicroBatch([[1, 0, 0]]);
    const b = asMicroBatch([[1, 1, 1]]);
    const bnpo = lossWeights([a, b], { loss_type: 'bnpo', max_completion_length: 3 });
    expect(Array.from(bnpo[0])).toEqual([0.5, 0, 0]);
    expect(Array.from(bnpo[1])).toEqual([1 / 6, 1 / 6, 1 / 6].map((x) => expect.closeTo(x, 7)));
    const dapo = lossWeights([a, b], { loss_type: 'dapo', max_completion_length: 3 });
    expect(Array.from(dapo[0])).toEqual([0.25, 0, 0]);
    expect(Array.from(dapo[1])).toEqual([0.25, 0.25, 0.25]);
    // grpo with one row per micro-batch: each sequence's mean, halved by K = 2.
    const grpo = lossWeights([a, b], { loss_type: 'grpo', max_completion_length: 3 });
    expect(Array.from(grpo[0])).toEqual([0.5, 0, 0]);
    expect(Array.from(grpo[1])).toEqual([1 / 6, 1 / 6, 1 / 6].map((x) => expect.closeTo(x, 7)));
  });

  it('empty rows still count as rows (grpo, dr_grpo); an all-empty step gives zero weights, not NaN', () => {
    const mb = asMicroBatch([
      [1, 1],
      [0, 0],
    ]);
    expect(Array.from(lossWeights([mb], { loss_type: 'grpo', max_completion_length: 2 })[0])).toEqual([0.25, 0.25, 0, 0]);
    expect(Array.from(lossWeights([mb], { loss_type: 'dr_grpo', max_completion_length: 2 })[0])).toEqual([0.25, 0.25, 0, 0]);
    const empty = asMicroBatch([[0, 0]]);
    for (const lossType of ['grpo', 'bnpo', 'dr_grpo', 'dapo'] as const) {
      expect(Array.from(lossWeights([empty], { loss_type: lossType, max_completion_length: 2 })[0])).toEqual([0, 0]);
    }
  });

  it("dapo can take TRL's num_items_in_batch (counted before truncated rows are masked)", () => {
    const mb = asMicroBatch([
      [1, 1, 0],
      [0, 0, 0], // truncated row after mask_truncated_completions: it had 3 tokens
    ]);
    const [w] = lossWeights([mb], { loss_type: 'dapo', max_completion_length: 3, num_items_in_batch: 5 });
    expect(Array.from(w)).toEqual([0.2, 0.2, 0, 0, 0, 0].map((x) => expect.closeTo(x, 7)));
  });

  it('rejects bad masks', () => {
    expect(() => lossWeights([], { loss_type: 'dapo', max_completion_length: 3 })).toThrow(/no micro-batches/);
    expect(() => lossWeights([{ mask: [1, 0], rows: 1, cols: 3 }], { loss_type: 'dapo', max_completion_length: 3 })).toThrow(/2 values/);
    expect(() => lossWeights([{ mask: [1, 0.5], rows: 1, cols: 2 }], { loss_type: 'dapo', max_completion_length: 3 })).toThrow(/not 0 or 1/);
  });
});

describe('completion masks', () => {
  it('completionMask marks each row’s first lengths[i] tokens', () => {
    expect(Array.from(completionMask([2, 0, 3], 3))).toEqual([1, 1, 0, 0, 0, 0, 1, 1, 1]);
    expect(() => completionMask([4], 3)).toThrow(/outside/);
  });

  it('maskTruncatedCompletions zeroes rows that ended without EOS', () => {
    const m = completionMask([2, 3], 3);
    expect(Array.from(maskTruncatedCompletions(m, 3, [true, false]))).toEqual([1, 1, 0, 0, 0, 0]);
  });
});
