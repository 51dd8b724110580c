/**
 * The runner's loss head restricted to the rows in the loss (lossRows) must give the same loss,
 * log-probs on those rows and LoRA gradients as the full head, whose other rows carry weight 0.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as op from '../../../src/graph/ops';
import type { Gemma3Runner } from '../../../src/model/gemma3-runner';
import { readTensor } from '../../../src/runtime/device';
import { loadFixture } from '../../support/fixture-model';
import { relL2, rng, uniform } from '../../support/random';

let runner: Gemma3Runner;
beforeAll(async () => {
  ({ runner } = await loadFixture('wasm'));
});
afterAll(async () => runner?.release());

describe('Gemma3Runner lossRows', () => {
  it('equals the full loss head when the objective is zero off the selected rows', async () => {
    const rand = rng(7);
    const B = 3;
    const T = 12;
    const inputIds = Array.from({ length: B }, () => Array.from({ length: T }, () => Math.floor(rand() * 384)));
    const attentionMask = inputIds.map((row, b) => row.map((_, t) => (t < T - b ? 1 : 0)));
    // Completion-like rows: positions 5..(len-2) of each sequence.
    const rows: number[] = [];
    for (let b = 0; b < B; b++) for (let t = 5; t < T - b - 1; t++) rows.push(b * T + t);
    const weights = new Float32Array(B * T);
    const coef = uniform(B * T, -1, 1, rand);
    for (const r of rows) weights[r] = 0.1 + rand();
    const objective = (logp: import('../../../src/graph/graph').Tensor, x: Record<string, import('../../../src/graph/graph').Tensor>) =>
      op.reduceSum(op.mul(op.mul(op.exp(logp), x.coef), x.weights), [0]);
    const req = { inputIds, attentionMask, perToken: { weights, coef }, objectiveKey: 'rows-test', objective };
    const full = await runner.lossAndGradients(req);
    const part = await runner.lossAndGradients({ ...req, lossRows: Int32Array.from(rows) });
    expect(Math.abs(part.loss - full.loss) / Math.abs(full.loss)).toBeLessThan(1e-6);
    const at = (lp: Float32Array) => rows.map((r) => lp[r]);
    expect(relL2(at(part.logprobs), at(full.logprobs))).toBeLessThan(1e-6);
    expect(part.grads.size).toBe(full.grads.size);
    for (const [k, g] of full.grads) expect(relL2(await readTensor(part.grads.get(k)!), await readTensor(g)), k).toBeLessThan(1e-5);

    const lpFull = await runner.logprobs({ inputIds, attentionMask }, 0);
    const lpPart = await runner.logprobs({ inputIds, attentionMask }, 0, Int32Array.from(rows));
    expect(relL2(at(lpPart), at(lpFull))).toBeLessThan(1e-6);
    // LoRA off differs from LoRA on (the fixture adapter is not zero): the scale reached the graph.
    expect(relL2(at(lpFull), at(full.logprobs))).toBeGreaterThan(1e-4);
  });

  it('rejects rows that are not ascending indices of the batch', async () => {
    const batch = { inputIds: [[1, 2, 3, 4]], attentionMask: [[1, 1, 1, 1]] };
    await expect(runner.logprobs(batch, 1, Int32Array.from([2, 1]))).rejects.toThrow(/ascending/);
    await expect(runner.logprobs(batch, 1, Int32Array.from([4]))).rejects.toThrow(/\[0, 4\)/);
  });
});
