import { describe, expect, it } from 'vitest';
import { chiSquare, drawMany, greedyRows, greedyTokens, SAMPLER_CASES, samplerCase, testRow } from '../../support/sampler-check';

describe('device sampler (wasm backend) vs the host distribution', () => {
  it.each(SAMPLER_CASES)('$name', async (c) => {
    const { fit, wrong } = await samplerCase('wasm', c);
    expect(fit.outside).toBe(0);
    expect(fit.statistic).toBeLessThan(fit.critical);
    // The same draws against a slightly different distribution: rejected (the test has power).
    expect(wrong.outside > 0 || wrong.statistic > wrong.critical).toBe(true);
  });

  it('draws across many blocks of a larger vocabulary (V = 3000, 47 blocks of 64)', async () => {
    const row = testRow(3000, 5);
    const p = { temperature: 0.5, topK: 0, topP: 1 };
    const r = await drawMany('wasm', row, p, 5000);
    const x = chiSquare(row, p, r);
    expect(x.outside).toBe(0);
    expect(x.statistic).toBeLessThan(x.critical);
  });

  it('greedy is the host argmax, lowest index on ties', async () => {
    const { rows, expected } = greedyRows(37, 64);
    expect(await greedyTokens('wasm', rows)).toEqual(expected);
  });
});
