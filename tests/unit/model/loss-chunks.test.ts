/**
 * The loss head run one chunk per session run. (1) The chunk graph, chunk by chunk in the float64
 * interpreter, against a plain float64 head (norm, logits, log-softmax, objective) whose gradients
 * come from central finite differences; (2) the runner with small uneven chunks against the same
 * runner with one chunk (onnxruntime wasm): loss, log-probs and every gradient, LoRA and full.
 */
import { describe, expect, it } from 'vitest';
import * as op from '../../../src/graph/ops';
import type { Tensor } from '../../../src/graph/graph';
import { parseGemma3Config } from '../../../src/model/config';
import { accumulatedName, buildLossChunkGraph, embedShardGradName, embedShardName, FINAL_NORM, FINAL_NORM_GRAD, LOSS_INV_TEMPERATURE, vocabShards } from '../../../src/model/gemma3-graphs';
import { interpret } from '../../reference/graph-interpreter';
import { expectChunksMatchOneChunk, objective, objectiveRow } from '../../support/loss-chunks-check';
import { loadFixture } from '../../support/fixture-model';
import { relL2, rng, uniform } from '../../support/random';

const V = 40;
const H = 8;
const B = 2;
const T = 7;
const cfg = parseGemma3Config({
  model_type: 'gemma3_text', vocab_size: V, hidden_size: H, intermediate_size: 16, num_hidden_layers: 2, num_attention_heads: 2, num_key_value_heads: 1,
  head_dim: 4, query_pre_attn_scalar: 4, rms_norm_eps: 1e-6, sliding_window: 4, sliding_window_pattern: 2, rope_theta: 10000, rope_local_base_freq: 10000,
  max_position_embeddings: 64, final_logit_softcapping: null, attn_logit_softcapping: null, hidden_activation: 'gelu_pytorch_tanh', tie_word_embeddings: true,
  bos_token_id: 2, eos_token_id: 1, pad_token_id: 0,
});

/** Plain float64 head: loss of rows `rows` of hidden [B*T, H]. */
function refLoss(hidden: ArrayLike<number>, norm: ArrayLike<number>, embed: ArrayLike<number>, targets: Int32Array, a: Float32Array, b: Float32Array, w: Float32Array, rows: number[], temperature = 1): { loss: number; logp: number[] } {
  let loss = 0;
  const logp: number[] = [];
  for (const r of rows) {
    let ms = 0;
    for (let i = 0; i < H; i++) ms += hidden[r * H + i] ** 2;
    const inv = 1 / Math.sqrt(ms / H + cfg.rmsNormEps);
    const h = Array.from({ length: H }, (_, i) => hidden[r * H + i] * inv * (1 + norm[i]));
    const logits = Array.from({ length: V }, (_, v) => h.reduce((acc, x, i) => acc + x * embed[v * H + i], 0) / temperature);
    const max = Math.max(...logits);
    const lse = max + Math.log(logits.reduce((acc, l) => acc + Math.exp(l - max), 0));
    const lp = logits[targets[r]] - lse;
    logp.push(lp);
    loss += objectiveRow(lp, a[r], b[r], w[r]);
  }
  return { loss, logp };
}

/** Central differences of f at x (float64). */
function numericGrad(x: Float64Array, f: (x: Float64Array) => number, eps = 1e-5): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const keep = x[i];
    x[i] = keep + eps;
    const up = f(x);
    x[i] = keep - eps;
    const down = f(x);
    x[i] = keep;
    g[i] = (up - down) / (2 * eps);
  }
  return g;
}

describe('loss chunk graph (float64 interpreter)', () => {
  const rand = rng(11);
  const shards = vocabShards(V, H, 16 * H * 4); // 3 shards of at most 16 rows
  const hidden = Float64Array.from(uniform(B * T * H, -2, 2, rand));
  const norm = Float64Array.from(uniform(H, -0.5, 0.5, rand));
  const embed = Float64Array.from(uniform(V * H, -1, 1, rand));
  const targets = Int32Array.from({ length: B * T }, () => Math.floor(rand() * V));
  const [a, b, w] = [uniform(B * T, -1, 1, rand), uniform(B * T, -1, 1, rand), uniform(B * T, 0.2, 1, rand)];
  const selected = [1, 2, 3, 5, 6, 8, 9, 12]; // 8 rows, chunks of 3: 3 + 3 + 2

  // temperature undefined: the graph without the 1/T input; 0.7: with it (softmax(logits / 0.7)).
  it.each([undefined, 0.7])('sums chunk by chunk to the loss, log-probs and gradients of the whole head (temperature %s)', (temperature) => {
    expect(shards.length).toBe(3);
    const chunk = 3;
    let loss = 0;
    const logp: number[] = [];
    const gradHidden = new Float64Array(B * T * H);
    let acc: Record<string, ArrayLike<number>> = {};
    for (let s = 0; s < selected.length; s += chunk) {
      const rows = selected.slice(s, s + chunk);
      const g = buildLossChunkGraph(cfg, shards, { batch: B, seq: T, rows: rows.length, perTokenInputs: ['a', 'b', 'w'], objective, withGradient: true, weightGradients: true, accumulate: s > 0, temperature: temperature !== undefined });
      const feeds: Record<string, ArrayLike<number>> = {
        hidden,
        rows: rows,
        targets: rows.map((r) => targets[r]),
        a: rows.map((r) => a[r]),
        b: rows.map((r) => b[r]),
        w: rows.map((r) => w[r]),
        [FINAL_NORM]: norm,
      };
      if (temperature !== undefined) feeds[LOSS_INV_TEMPERATURE] = [1 / temperature];
      shards.forEach((sh, i) => (feeds[embedShardName(i)] = embed.subarray(sh.start * H, sh.end * H)));
      for (const [k, v] of Object.entries(acc)) feeds[accumulatedName(k)] = v;
      const out = Object.fromEntries(interpret(g, feeds).map((v, i) => [g.outputs[i].name, v.data]));
      loss += out.loss[0];
      logp.push(...out.logprobs);
      rows.forEach((r, i) => gradHidden.set(out.grad_rows.subarray(i * H, (i + 1) * H), r * H));
      acc = Object.fromEntries(Object.entries(out).filter(([k]) => k === FINAL_NORM_GRAD || k.startsWith('grad.embed')));
    }
    const ref = refLoss(hidden, norm, embed, targets, a, b, w, selected, temperature);
    expect(Math.abs(loss - ref.loss) / Math.abs(ref.loss)).toBeLessThan(1e-12);
    expect(relL2(logp, ref.logp)).toBeLessThan(1e-12);
    const fdHidden = numericGrad(Float64Array.from(hidden), (x) => refLoss(x, norm, embed, targets, a, b, w, selected, temperature).loss);
    expect(relL2(gradHidden, fdHidden)).toBeLessThan(1e-7);
    // Rows outside the selection get no gradient.
    expect(gradHidden.subarray(0, H).every((v) => v === 0)).toBe(true);
    const fdNorm = numericGrad(Float64Array.from(norm), (x) => refLoss(hidden, x, embed, targets, a, b, w, selected, temperature).loss);
    expect(relL2(acc[FINAL_NORM_GRAD], fdNorm)).toBeLessThan(1e-7);
    const fdEmbed = numericGrad(Float64Array.from(embed), (x) => refLoss(hidden, norm, x, targets, a, b, w, selected, temperature).loss);
    const dEmbed = new Float64Array(V * H);
    shards.forEach((sh, i) => dEmbed.set(acc[embedShardGradName(i)] as Float64Array, sh.start * H));
    expect(relL2(dEmbed, fdEmbed)).toBeLessThan(1e-7);
  });

  it('refuses accumulation without weight gradients', () => {
    expect(() => buildLossChunkGraph(cfg, shards, { batch: B, seq: T, rows: 2, perTokenInputs: [], objective: (l: Tensor) => op.reduceSum(l, [0]), withGradient: true, accumulate: true })).toThrow(/accumulate needs weightGradients/);
  });
});

describe('runner loss head: several chunks per step = one chunk (wasm)', () => {
  for (const trainable of ['lora', 'full'] as const) {
    it(`${trainable}: loss, log-probs and every gradient, with and without lossRows`, () => expectChunksMatchOneChunk('wasm', trainable, expect));
  }
});

describe('runner log-probs at a sampling temperature (wasm)', () => {
  it('equal a plain log-softmax of the full logits divided by T, with and without gradients', async () => {
    const runner = (await loadFixture('wasm', { trainable: 'lora', chunkRows: 5 })).runner;
    try {
      const rand = rng(5);
      const seq = 6;
      const inputIds = Array.from({ length: 2 }, () => Array.from({ length: seq }, () => Math.floor(rand() * 384)));
      const b = { inputIds, attentionMask: inputIds.map((row) => row.map(() => 1)) };
      const logits = await runner.logits(b);
      const vocab = logits.length / (inputIds.length * seq);
      for (const temperature of [0.6, 1.5]) {
        const ref: number[] = [];
        for (let r = 0; r < inputIds.length; r++)
          for (let t = 0; t < seq; t++) {
            if (t === seq - 1) {
              ref.push(0);
              continue;
            }
            const row = Array.from(logits.subarray((r * seq + t) * vocab, (r * seq + t + 1) * vocab), (x) => x / temperature);
            const max = Math.max(...row);
            const lse = max + Math.log(row.reduce((acc, x) => acc + Math.exp(x - max), 0));
            ref.push(row[inputIds[r][t + 1]] - lse);
          }
        const plain = await runner.logprobs(b, 1, undefined, temperature);
        expect(relL2(plain, ref)).toBeLessThan(1e-5);
        const n = inputIds.length * seq;
        const trained = await runner.lossAndGradients({ ...b, perToken: { a: uniform(n, -1, 1, rand), b: uniform(n, -1, 1, rand), w: uniform(n, 0.2, 1, rand) }, objectiveKey: 'chunks', objective, temperature });
        const masked = Array.from(trained.logprobs, (x, i) => (i % seq === seq - 1 ? 0 : x));
        expect(relL2(masked, ref)).toBeLessThan(1e-5);
        // Not the untempered policy.
        expect(relL2(await runner.logprobs(b, 1, undefined, 1), ref)).toBeGreaterThan(1e-2);
      }
      await expect(runner.logprobs(b, 1, undefined, 0)).rejects.toThrow(/temperature must be a positive number/);
    } finally {
      await runner.release();
    }
  });
});
