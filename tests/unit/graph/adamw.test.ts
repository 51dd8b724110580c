import { describe, expect, it } from 'vitest';
import { adamwNames, buildAdamWGraph, type AdamWConfig } from '../../../src/graph/adamw';
import { GraphSession } from '../../../src/runtime/graph-session';
import { relL2, rng, uniform } from '../../support/random';

/** Plain-JS AdamW (torch.optim.AdamW semantics) with global-norm clipping, in float64. */
function referenceStep(params: Float64Array[], grads: Float64Array[], m: Float64Array[], v: Float64Array[], step: number, lr: number, c: AdamWConfig, decays: boolean[]) {
  let sq = 0;
  for (const g of grads) for (const x of g) sq += x * x;
  const norm = Math.sqrt(sq);
  const clip = c.maxGradNorm > 0 ? Math.min(1, c.maxGradNorm / (norm + 1e-6)) : 1;
  const bc1 = 1 - c.beta1 ** step;
  const bc2 = 1 - c.beta2 ** step;
  params.forEach((p, k) => {
    for (let i = 0; i < p.length; i++) {
      const g = grads[k][i] * clip;
      if (decays[k]) p[i] *= 1 - lr * c.weightDecay;
      m[k][i] = c.beta1 * m[k][i] + (1 - c.beta1) * g;
      v[k][i] = c.beta2 * v[k][i] + (1 - c.beta2) * g * g;
      p[i] -= (lr * (m[k][i] / bc1)) / (Math.sqrt(v[k][i] / bc2) + c.eps);
    }
  });
  return norm;
}

describe('AdamW graph', () => {
  for (const [maxGradNorm, decayB] of [[0.1, true], [0, true], [0.1, false]] as const) {
    it(`matches a plain JS AdamW over 5 steps (max_grad_norm ${maxGradNorm || 'off'}, ${decayB ? 'every tensor decayed' : 'one tensor exempt from decay'})`, async () => {
      const cfg: AdamWConfig = { beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1, maxGradNorm };
      const shapes = [{ name: 'a', shape: [3, 4] }, { name: 'b', shape: [5], decay: decayB }];
      const session = await GraphSession.create(buildAdamWGraph(shapes, cfg), 'wasm');
      const rand = rng(7);
      let p: Float32Array[] = shapes.map((s) => uniform(s.shape.reduce((x, y) => x * y), -1, 1, rand));
      let m: Float32Array[] = shapes.map((s) => new Float32Array(s.shape.reduce((x, y) => x * y)));
      let v: Float32Array[] = m.map((x) => x.slice());
      const rp = p.map((x) => Float64Array.from(x));
      const rm = m.map((x) => Float64Array.from(x));
      const rv = v.map((x) => Float64Array.from(x));
      for (let step = 1; step <= 5; step++) {
        const grads = shapes.map((s) => uniform(s.shape.reduce((x, y) => x * y), -2, 2, rand));
        const lr = 1e-3 * step;
        const feeds: Record<string, Float32Array> = {
          [adamwNames.lr]: new Float32Array([lr]),
          [adamwNames.biasCorrection1]: new Float32Array([1 - cfg.beta1 ** step]),
          [adamwNames.biasCorrection2]: new Float32Array([1 - cfg.beta2 ** step]),
        };
        shapes.forEach((s, k) => {
          feeds[adamwNames.param(s.name)] = p[k];
          feeds[adamwNames.grad(s.name)] = grads[k];
          feeds[adamwNames.m(s.name)] = m[k];
          feeds[adamwNames.v(s.name)] = v[k];
        });
        const out = await session.run(feeds);
        const norm = referenceStep(rp, grads.map((g) => Float64Array.from(g)), rm, rv, step, lr, cfg, [true, decayB]);
        expect(relL2(out[adamwNames.gradNorm].data as Float32Array, [norm])).toBeLessThan(1e-6);
        p = shapes.map((s) => out[adamwNames.newParam(s.name)].data as Float32Array);
        m = shapes.map((s) => out[adamwNames.newM(s.name)].data as Float32Array);
        v = shapes.map((s) => out[adamwNames.newV(s.name)].data as Float32Array);
        shapes.forEach((_, k) => {
          expect(relL2(p[k], rp[k])).toBeLessThan(1e-6);
          expect(relL2(m[k], rm[k])).toBeLessThan(1e-5);
          expect(relL2(v[k], rv[k])).toBeLessThan(1e-5);
        });
      }
    });
  }
});
