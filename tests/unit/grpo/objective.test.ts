import { describe, expect, it } from 'vitest';
import { gradients } from '../../../src/graph/autodiff';
import { Graph, type Tensor } from '../../../src/graph/graph';
import { grpoObjective, type GrpoObjectiveOptions } from '../../../src/grpo/objective';
import { GraphSession } from '../../../src/runtime/graph-session';
import { interpret } from '../../reference/graph-interpreter';
import { relL2, rng } from '../../support/random';

/** Plain-JS float64 GRPO loss per token, straight from the formula (TRL's _compute_loss). */
function referenceTokens(d: TokenData, o: GrpoObjectiveOptions) {
  const lo = 1 - o.epsilon;
  const hi = 1 + (o.epsilonHigh ?? o.epsilon);
  return Array.from(d.logp, (lp, i) => {
    const ratio = Math.exp(lp - d.old[i]);
    const a = d.adv[i];
    const clipped = Math.min(Math.max(ratio, lo), hi);
    const kl = Math.exp(d.ref[i] - lp) - (d.ref[i] - lp) - 1;
    const policy = -Math.min(ratio * a, clipped * a);
    // d/dlogp: the unclipped branch gives -ratio·A; the clipped one is constant in logp.
    const clippedActive = clipped * a < ratio * a;
    const dPolicy = clippedActive ? 0 : -ratio * a;
    const dKl = 1 - Math.exp(d.ref[i] - lp);
    return {
      loss: policy + o.beta * kl,
      kl,
      grad: d.w[i] * (dPolicy + o.beta * dKl),
      low: ratio < lo && a < 0 ? 1 : 0,
      high: ratio > hi && a > 0 ? 1 : 0,
    };
  });
}

interface TokenData {
  logp: Float32Array;
  old: Float32Array;
  ref: Float32Array;
  adv: Float32Array;
  w: Float32Array;
}

/**
 * Random tokens whose ratios exp(logp - old) fall both inside and outside [1 - ε, 1 + ε_high], at
 * least 0.02 from either bound (so finite differences never straddle a kink), with advantages of
 * both signs and never zero.
 */
function tokenData(n: number, seed: number, o: GrpoObjectiveOptions): TokenData {
  const rand = rng(seed);
  const lo = 1 - o.epsilon;
  const hi = 1 + (o.epsilonHigh ?? o.epsilon);
  const ratioBands: [number, number][] = [
    [lo - 0.25, lo - 0.02],
    [lo + 0.02, hi - 0.02],
    [hi + 0.02, hi + 0.3],
  ];
  const d: TokenData = { logp: new Float32Array(n), old: new Float32Array(n), ref: new Float32Array(n), adv: new Float32Array(n), w: new Float32Array(n) };
  for (let i = 0; i < n; i++) {
    const [a, b] = ratioBands[i % 3];
    const ratio = a + (b - a) * rand();
    d.logp[i] = -0.1 - 3 * rand();
    d.old[i] = d.logp[i] - Math.log(ratio);
    d.ref[i] = d.logp[i] + (rand() - 0.5);
    const sign = Math.floor(i / 3) % 2 ? -1 : 1;
    d.adv[i] = sign * (0.2 + 1.3 * rand());
    d.w[i] = 0.05 + rand();
  }
  return d;
}

function buildGraph(n: number, o: GrpoObjectiveOptions, withOld: boolean) {
  const g = new Graph('grpo_objective_test');
  const x: Record<string, Tensor> = {};
  for (const name of ['logp', 'old', 'ref', 'adv', 'w']) {
    if (name === 'old' && !withOld) continue;
    x[name] = g.input(name, 'float32', [n]);
  }
  const obj = grpoObjective({ logp: x.logp, oldLogp: x.old, refLogp: x.ref, advantages: x.adv, weights: x.w }, o);
  const [dLogp] = gradients(obj.loss, [x.logp]);
  g.output(obj.loss, 'loss');
  g.output(obj.perTokenLoss, 'per_token_loss');
  g.output(obj.perTokenKl!, 'per_token_kl');
  g.output(obj.isLowClipped, 'low');
  g.output(obj.isHighClipped, 'high');
  g.output(dLogp, 'grad');
  return { g, obj };
}

function feedsOf(d: TokenData, withOld = true): Record<string, Float32Array> {
  const f: Record<string, Float32Array> = { logp: d.logp, ref: d.ref, adv: d.adv, w: d.w };
  if (withOld) f.old = d.old;
  return f;
}

const SETTINGS: [string, GrpoObjectiveOptions][] = [
  ['beta 0, symmetric clip', { epsilon: 0.2, beta: 0 }],
  ['beta 0.04, epsilon_high 0.28 (DAPO clip-higher)', { epsilon: 0.2, epsilonHigh: 0.28, beta: 0.04 }],
];

describe('grpoObjective on the wasm backend', () => {
  for (const [label, o] of SETTINGS) {
    it(`${label}: values against plain JS, d loss/d logp against float64 finite differences`, async () => {
      const n = 36;
      const d = tokenData(n, label.length, o);
      const ref = referenceTokens(d, o);
      // Both clip directions actually occur in the data.
      expect(ref.some((t) => t.low)).toBe(true);
      expect(ref.some((t) => t.high)).toBe(true);
      expect(ref.filter((t) => !t.low && !t.high).length).toBeGreaterThan(n / 3);

      const { g } = buildGraph(n, o, true);
      const session = await GraphSession.create(g, 'wasm');
      const res = await session.run(feedsOf(d));
      await session.release();

      const refLoss = ref.reduce((acc, t, i) => acc + d.w[i] * t.loss, 0);
      expect(relL2(res.loss.data as Float32Array, [refLoss])).toBeLessThan(1e-5);
      expect(relL2(res.per_token_loss.data as Float32Array, ref.map((t) => t.loss))).toBeLessThan(1e-5);
      expect(relL2(res.per_token_kl.data as Float32Array, ref.map((t) => t.kl))).toBeLessThan(1e-5);
      expect(Array.from(res.low.data as Float32Array)).toEqual(ref.map((t) => t.low));
      expect(Array.from(res.high.data as Float32Array)).toEqual(ref.map((t) => t.high));

      // Central finite differences of the loss on the float64 interpreter, every token.
      const grad = res.grad.data as Float32Array;
      const lossNode = g.outputs.find((t) => t.name === 'loss')!;
      const base = feedsOf(d) as Record<string, ArrayLike<number>>;
      const fd = Array.from({ length: n }, (_, i) => {
        const h = 1e-6;
        const plus = Float64Array.from(d.logp);
        const minus = Float64Array.from(d.logp);
        plus[i] += h;
        minus[i] -= h;
        const lp = interpret(g, { ...base, logp: plus }, [lossNode])[0].data[0];
        const lm = interpret(g, { ...base, logp: minus }, [lossNode])[0].data[0];
        return (lp - lm) / (2 * h);
      });
      expect(relL2(grad, fd)).toBeLessThan(1e-4);
      expect(relL2(grad, ref.map((t) => t.grad))).toBeLessThan(1e-5);
      // Tokens on the active clipped branch carry no policy gradient: only the KL term remains.
      ref.forEach((t, i) => {
        if (t.low || t.high) expect(grad[i]).toBeCloseTo(d.w[i] * o.beta * (1 - Math.exp(d.ref[i] - d.logp[i])), 6);
      });
    });
  }

  it('without oldLogp (num_iterations = 1): ratio 1 in value, gradient -A·w + β·w·(1 - exp(ref - logp))', async () => {
    // Finite differences cannot check this case: old = logp.detach() moves with logp, so the loss
    // value does not depend on the policy term; its gradient still does (the policy gradient).
    const o: GrpoObjectiveOptions = { epsilon: 0.2, beta: 0.04 };
    const n = 12;
    const d = tokenData(n, 5, o);
    const { g } = buildGraph(n, o, false);
    const session = await GraphSession.create(g, 'wasm');
    const res = await session.run(feedsOf(d, false));
    await session.release();
    const kl = Array.from(d.logp, (lp, i) => Math.exp(d.ref[i] - lp) - (d.ref[i] - lp) - 1);
    const expectedLoss = kl.reduce((acc, k, i) => acc + d.w[i] * (-d.adv[i] + o.beta * k), 0);
    expect(relL2(res.loss.data as Float32Array, [expectedLoss])).toBeLessThan(1e-5);
    const expectedGrad = Array.from(d.logp, (lp, i) => d.w[i] * (-d.adv[i] + o.beta * (1 - Math.exp(d.ref[i] - lp))));
    expect(relL2(res.grad.data as Float32Array, expectedGrad)).toBeLessThan(1e-5);
    expect(Array.from(res.low.data as Float32Array).every((v) => v === 0)).toBe(true);
    expect(Array.from(res.high.data as Float32Array).every((v) => v === 0)).toBe(true);
  });

  it('broadcasts per-completion advantages [B, 1] over tokens [B, L]', () => {
    const g = new Graph('broadcast');
    const logp = g.input('logp', 'float32', [2, 3]);
    const old = g.input('old', 'float32', [2, 3]);
    const adv = g.input('adv', 'float32', [2, 1]);
    const w = g.input('w', 'float32', [2, 3]);
    const obj = grpoObjective({ logp, oldLogp: old, advantages: adv, weights: w }, { epsilon: 0.2, beta: 0 });
    expect(obj.perTokenLoss.shape).toEqual([2, 3]);
    expect(obj.isHighClipped.shape).toEqual([2, 3]);
    expect(obj.perTokenKl).toBeUndefined();
    const lp = [-1, -2, -0.5, -1.5, -0.7, -3];
    const ol = [-1.1, -2, -0.8, -1.0, -0.7, -3.05];
    const [loss, high, low] = interpret(g, { logp: lp, old: ol, adv: [0.5, -1], w: [1, 1, 1, 0.5, 0.5, 0.5] }, [obj.loss, obj.isHighClipped, obj.isLowClipped]);
    const per = lp.map((x, i) => {
      const r = Math.exp(x - ol[i]);
      const a = i < 3 ? 0.5 : -1;
      return -Math.min(r * a, Math.min(Math.max(r, 0.8), 1.2) * a) * (i < 3 ? 1 : 0.5);
    });
    expect(loss.data[0]).toBeCloseTo(per.reduce((p, q) => p + q), 12);
    // exp(0.3) = 1.35 > 1.2 with A > 0 at token 2; exp(-0.5) = 0.61 < 0.8 with A < 0 at token 3.
    expect(Array.from(high.data)).toEqual([0, 0, 1, 0, 0, 0]);
    expect(Array.from(low.data)).toEqual([0, 0, 0, 1, 0, 0]);
  });

  it('rejects mismatched shapes and beta > 0 without a reference', () => {
    const g = new Graph('bad');
    const logp = g.input('logp', 'float32', [4]);
    const w = g.input('w', 'float32', [4]);
    const adv = g.input('adv', 'float32', [4]);
    expect(() => grpoObjective({ logp, advantages: adv, weights: w }, { epsilon: 0.2, beta: 0.1 })).toThrow(/needs refLogp/);
    const w3 = g.input('w3', 'float32', [3]);
    expect(() => grpoObjective({ logp, advantages: adv, weights: w3 }, { epsilon: 0.2, beta: 0 })).toThrow(/weights/);
    const adv5 = g.input('adv5', 'float32', [5]);
    expect(() => grpoObjective({ logp, advantages: adv5, weights: w }, { epsilon: 0.2, beta: 0 })).toThrow(/broadcast/);
  });
});
