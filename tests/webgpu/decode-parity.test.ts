import { describe, expect, it } from 'vitest';
import { decodeParity } from '../support/decode-check';

describe('KV-cache decode (WebGPU backend)', () => {
  it('matches the full-sequence forward at every step, left padding, beyond the sliding window', async () => {
    const { errors, res, greedy, greedyMismatches, oneStops, allStop, stepsPerRun } = await decodeParity('webgpu', 12);
    expect(res.completions.map((c) => c.length)).toEqual([12, 12]);
    for (const e of errors) expect(e).toBeLessThan(1e-4);
    expect(greedy.completions.map((c) => c.length)).toEqual([5, 5]);
    expect(greedyMismatches).toEqual([]);
    expect(oneStops.completions[0]).toEqual([300]);
    expect(oneStops.finished).toEqual([true, false]);
    expect(oneStops.completions[1].length).toBe(12);
    expect(allStop.completions).toEqual([[300], [105]]);
    expect(allStop.finished).toEqual([true, true]);
    // Tokens are checked one run behind: at most one run goes past the stop.
    expect(allStop.decodeSteps).toBeLessThanOrEqual(stepsPerRun);
  });
});
