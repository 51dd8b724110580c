/**
 * Full-weight training graphs (trainable 'full'): the gradients of every kind of weight — the tied
 * embedding (lookup + output head), the final norm and each of a layer's thirteen weights, on a
 * sliding and the full-attention layer — against float64 central differences of the reference
 * forward, under the supervised objective -sum(w * log p) on completion rows only, with the
 * fixture's LoRA adapter active (so its gradients come along too).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tensor } from '../../../src/graph/graph';
import * as op from '../../../src/graph/ops';
import { embedShardName, FINAL_NORM } from '../../../src/model/gemma3-graphs';
import { LAYER_WEIGHTS, layerWeightKey } from '../../../src/model/gemma3-layer';
import { EMBED_KEY, loraKeyOf, type Gemma3Runner } from '../../../src/model/gemma3-runner';
import { readTensor } from '../../../src/runtime/device';
import { finiteDifference, gemma3Forward, relL2, tokenLogprobs, weightedNllLoss, type RefLora, type RefWeights } from '../../reference/gemma3-ref';
import { loadFixture } from '../../support/fixture-model';
import { rng } from '../../support/random';
import type { Gemma3Config } from '../../../src/model/config';

let runner: Gemma3Runner;
let cfg: Gemma3Config;
let refWeights: RefWeights;
let refLora: RefLora;
let grads: Map<string, Float32Array>;
let loss: number;

const B = 2;
const T = 11;
const rand = rng(2026);
const inputIds = Array.from({ length: B }, () => Array.from({ length: T }, () => Math.floor(rand() * 384)));
const attentionMask = inputIds.map((row, b) => row.map((_, t) => (t < T - 2 * b ? 1 : 0)));
/** Completion rows: positions 4.. of each real sequence (predicting tokens 5..). */
const rows: number[] = [];
for (let b = 0; b < B; b++) for (let t = 4; t < T - 2 * b - 1; t++) rows.push(b * T + t);
const weights = new Float32Array(B * T);
for (const r of rows) weights[r] = 0.05 + 0.1 * rand();

/** The same weights on the reference's [B, T - 1] layout. */
const refWeightsOf = () => {
  const out = new Float64Array(B * (T - 1));
  for (let b = 0; b < B; b++) for (let t = 0; t < T - 1; t++) out[b * (T - 1) + t] = weights[b * T + t]!;
  return out;
};
const refLoss = () => weightedNllLoss(tokenLogprobs(gemma3Forward(cfg, refWeights, { inputIds, attentionMask }, { lora: refLora }), inputIds, cfg.vocabSize), refWeightsOf());

beforeAll(async () => {
  ({ runner, cfg, refWeights, refLora } = await loadFixture('wasm', { trainable: 'full' }));
  const objective = (logp: Tensor, x: Record<string, Tensor>) => op.neg(op.reduceSum(op.mul(logp, x.weights), [0]));
  const res = await runner.lossAndGradients({ inputIds, attentionMask, perToken: { weights }, objectiveKey: 'sft-test', objective, lossRows: Int32Array.from(rows) });
  loss = res.loss;
  grads = new Map();
  for (const [k, t] of res.grads) grads.set(k, (await readTensor(t)).slice());
});
afterAll(async () => runner?.release());

/** 8 distinct seeded entries of an array of `n`. */
function sample(n: number, seed: number): number[] {
  const r = rng(seed);
  const out = new Set<number>();
  while (out.size < Math.min(8, n)) out.add(Math.floor(r() * n));
  return [...out];
}

describe('full-weight gradients vs float64 finite differences (fixture, wasm)', () => {
  it('the loss equals the reference', () => {
    const want = refLoss();
    expect(Math.abs(loss - want) / Math.abs(want)).toBeLessThan(1e-5);
  });

  it('has a gradient for every weight and every LoRA matrix, of its shape', () => {
    const expected = [FINAL_NORM, embedShardName(0)];
    for (let l = 0; l < cfg.numLayers; l++) for (const n of LAYER_WEIGHTS) expected.push(layerWeightKey(l, n));
    for (const k of expected) expect(grads.get(k)?.length, k).toBe(runner.weights.get(k)!.dims.reduce((a, b) => a * b, 1));
    expect(grads.has(loraKeyOf(0, 'q_proj', 'A'))).toBe(true);
    expect(grads.size).toBe(expected.length + runner.lora.size);
  });

  const cases: [string, string][] = [
    [EMBED_KEY, embedShardName(0)],
    [FINAL_NORM, FINAL_NORM],
    ...[0, 5].flatMap((l) => LAYER_WEIGHTS.map((n) => [layerWeightKey(l, n), layerWeightKey(l, n)] as [string, string])),
  ];
  it.each(cases)('d loss / d %s (8 entries, rel L2 < 1e-3)', (refKey, key) => {
    const ours = grads.get(key)!;
    const idx = sample(ours.length, refKey.length * 31 + refKey.charCodeAt(refKey.length - 8));
    const fd = finiteDifference(refLoss, refWeights.get(refKey)!, idx);
    expect(fd.some((x) => Math.abs(x) > 1e-6), 'the sampled entries carry gradient').toBe(true);
    expect(relL2(idx.map((i) => ours[i]!), fd)).toBeLessThan(1e-3);
  });

  it('the embedding gradient covers the lookup: rows of input-only tokens are non-zero', () => {
    // Token at position 0 of row 0 is never a target (targets are positions >= 5), so its
    // embedding row gets gradient only through the lookup path.
    const targets = new Set(rows.map((r) => inputIds[Math.floor(r / T)]![(r % T) + 1]));
    const tok = inputIds[0]![0]!;
    if (targets.has(tok)) return;
    const H = cfg.hiddenSize;
    const g = grads.get(embedShardName(0))!;
    const rowNorm = Math.hypot(...g.subarray(tok * H, (tok + 1) * H));
    expect(rowNorm).toBeGreaterThan(0);
  });
});
