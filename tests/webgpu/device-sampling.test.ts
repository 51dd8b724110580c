import { describe, expect, it } from 'vitest';
import { greedyRows, greedyTokens, SAMPLER_CASES, samplerCase } from '../support/sampler-check';

describe('device sampler (WebGPU backend) vs the host distribution', () => {
  it.each(SAMPLER_CASES)('$name', async (c) => {
    // Fewer draws than on wasm (SwiftShader is slow); the wrong distributions are still far outside.
    const { fit, wrong } = await samplerCase('webgpu', c, 8000);
    expect(fit.outside).toBe(0);
    expect(fit.statistic).toBeLessThan(fit.critical);
    expect(wrong.outside > 0 || wrong.statistic > wrong.critical).toBe(true);
  });

  it('greedy is the host argmax, lowest index on ties', async () => {
    const { rows, expected } = greedyRows(37, 64);
    expect(await greedyTokens('webgpu', rows)).toEqual(expected);
  });
});
