/**
 * The runner's loss head with small uneven chunks (5 rows, several session runs) against the same
 * runner with one chunk: loss, log-probs and every gradient (LoRA, or every weight with trainable
 * 'full'), with and without lossRows. Shared by the wasm and WebGPU tests.
 */
import * as op from '../../src/graph/ops';
import type { TokenObjective } from '../../src/model/gemma3-graphs';
import { readTensor } from '../../src/runtime/device';
import type { Backend } from '../../src/runtime/ort';
import { loadFixture } from './fixture-model';
import { relL2, rng, uniform } from './random';

// A non-linear objective, a sum over rows, zero where the per-token inputs are zero.
export const objective: TokenObjective = (logp, x) => op.reduceSum(op.mul(op.add(op.mul(op.exp(logp), x.a), op.mul(logp, x.b)), x.w), [0]);
export const objectiveRow = (logp: number, a: number, b: number, w: number) => (Math.exp(logp) * a + logp * b) * w;

type Expect = (value: unknown, message?: string) => { toBeLessThan(n: number): void; toEqual(v: unknown): void };

export async function expectChunksMatchOneChunk(backend: Backend, trainable: 'lora' | 'full', expect: Expect, tol = 1e-5): Promise<void> {
  const one = (await loadFixture(backend, { trainable, chunkRows: 512 })).runner;
  const many = (await loadFixture(backend, { trainable, chunkRows: 5 })).runner; // 5 rows: uneven last chunk
  try {
    const rand = rng(trainable === 'lora' ? 3 : 4);
    const inputIds = Array.from({ length: 3 }, () => Array.from({ length: 9 }, () => Math.floor(rand() * 384)));
    const attentionMask = inputIds.map((row) => row.map(() => 1));
    const n = inputIds.length * 9;
    const req = { inputIds, attentionMask, perToken: { a: uniform(n, -1, 1, rand), b: uniform(n, -1, 1, rand), w: uniform(n, 0.2, 1, rand) }, objectiveKey: 'chunks', objective };
    const lossRows = Int32Array.from([0, 1, 2, 4, 7, 10, 11, 12, 13, 15, 20, 21, 22, 23, 24]);
    for (const rows of [undefined, lossRows]) {
      const perToken = rows ? Object.fromEntries(Object.entries(req.perToken).map(([k, v]) => [k, v.map((x, i) => (rows.includes(i) ? x : 0))])) : req.perToken;
      const r1 = await one.lossAndGradients({ ...req, perToken, lossRows: rows });
      const r2 = await many.lossAndGradients({ ...req, perToken, lossRows: rows });
      expect(Math.abs(r2.loss - r1.loss) / Math.abs(r1.loss), 'loss').toBeLessThan(tol);
      expect(relL2(r2.logprobs, r1.logprobs), 'logprobs').toBeLessThan(tol);
      expect([...r2.grads.keys()].sort()).toEqual([...r1.grads.keys()].sort());
      for (const [k, g] of r1.grads) expect(relL2(await readTensor(r2.grads.get(k)!), await readTensor(g)), k).toBeLessThan(tol);
      const lp1 = await one.logprobs(req, 1, rows);
      const lp2 = await many.logprobs(req, 1, rows);
      expect(relL2(lp2, lp1), 'logprobs without gradient').toBeLessThan(tol);
      expect(relL2(lp2, r1.logprobs), 'logprobs of both paths').toBeLessThan(tol);
    }
  } finally {
    await one.release();
    await many.release();
  }
}
