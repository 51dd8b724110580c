import { describe, expect, it } from 'vitest';
import { ADVANTAGE_STD_EPS, combineRewards, computeAdvantages } from '../../../src/grpo/advantages';

describe('computeAdvantages', () => {
  // Document 003's worked example: one group of four SQL completions.
  const doc003 = [0.414, 0.497, 0.19, 0.34];

  it("document 003's rewards: group mean and TRL's unbiased std, by hand", () => {
    // mean = 1.441 / 4 = 0.36025; deviations 0.05375, 0.13675, -0.17025, -0.02025;
    // Σ dev² = 0.05098475; unbiased var = 0.05098475 / 3 = 0.016994917 → std = 0.130364553.
    const r = computeAdvantages(doc003, 4, 'group');
    expect(r.groupMeans[0]).toBeCloseTo(0.36025, 12);
    expect(r.stds[0]).toBeCloseTo(Math.sqrt(0.05098475 / 3), 12);
    expect(r.stds[0]).toBeCloseTo(0.130365, 6);
    const s = Math.sqrt(0.05098475 / 3) + 1e-4;
    expect(Array.from(r.advantages)).toEqual([0.05375 / s, 0.13675 / s, -0.17025 / s, -0.02025 / s].map((x) => expect.closeTo(x, 12)));
    // Rounded: +0.412, +1.048, -1.305, -0.155.
    expect(Array.from(r.advantages, (a) => Math.round(a * 1000) / 1000)).toEqual([0.412, 1.048, -1.305, -0.155]);
    expect(r.fracRewardZeroStd).toBe(0);
  });

  it("document 003's printed std 0.127 matches neither std convention; its advantages follow from that std", () => {
    // The document prints mean 0.360, std 0.127 and advantages +0.425, +1.079, -1.339, -0.157.
    // The unbiased std is 0.1304, the population std 0.1129: neither rounds to 0.127.
    const population = Math.sqrt(0.05098475 / 4);
    expect(population).toBeCloseTo(0.112899, 6);
    const r = computeAdvantages(doc003, 4, 'group');
    expect(Math.abs(r.stds[0] - 0.127)).toBeGreaterThan(0.003);
    expect(Math.abs(population - 0.127)).toBeGreaterThan(0.01);
    // The document's advantages are (r - 0.360) / 0.127 with its rounded numbers.
    expect(doc003.map((x) => Math.round(((x - 0.36) / 0.127) * 1000) / 1000)).toEqual([0.425, 1.079, -1.339, -0.157]);
    // Ours agree with them in sign and order, within 0.04.
    r.advantages.forEach((a, i) => expect(Math.abs(a - [0.425, 1.079, -1.339, -0.157][i])).toBeLessThan(0.04));
  });

  it('normalises each group separately, group-major layout', () => {
    // Group 0: [1, 2, 3] mean 2, unbiased std 1. Group 1: [10, 10, 16] mean 12, std sqrt((4+4+16)/2) = sqrt(12).
    const r = computeAdvantages([1, 2, 3, 10, 10, 16], 3, 'group');
    expect(Array.from(r.groupMeans)).toEqual([2, 2, 2, 12, 12, 12]);
    expect(r.stds[0]).toBe(1);
    expect(r.stds[3]).toBeCloseTo(Math.sqrt(12), 14);
    const s1 = 1 + ADVANTAGE_STD_EPS;
    const s2 = Math.sqrt(12) + ADVANTAGE_STD_EPS;
    expect(Array.from(r.advantages)).toEqual([-1 / s1, 0, 1 / s1, -2 / s2, -2 / s2, 4 / s2].map((x) => expect.closeTo(x, 12)));
  });

  it("'batch' keeps the group mean and scales by the std of the whole batch", () => {
    const rewards = [1, 2, 3, 10, 10, 16];
    // Batch: mean 7, deviations -6 -5 -4 3 3 9, Σ² = 36+25+16+9+9+81 = 176, unbiased var 176/5.
    const s = Math.sqrt(176 / 5);
    const r = computeAdvantages(rewards, 3, 'batch');
    expect(Array.from(r.stds)).toEqual(rewards.map(() => expect.closeTo(s, 12)));
    expect(Array.from(r.advantages)).toEqual([-1, 0, 1, -2, -2, 4].map((d) => expect.closeTo(d / (s + 1e-4), 12)));
  });

  it("'none' only centres, and still reports the group std", () => {
    const r = computeAdvantages([1, 2, 3, 10, 10, 16], 3, 'none');
    expect(Array.from(r.advantages)).toEqual([-1, 0, 1, -2, -2, 4]);
    expect(r.stds[0]).toBe(1);
  });

  it('zero-variance groups get advantage 0 and count in frac_reward_zero_std', () => {
    const r = computeAdvantages([0.5, 0.5, 0.5, 0.5, 1, 0, 1, 0, 2, 2, 2, 2], 4, 'group');
    expect(Array.from(r.advantages.subarray(0, 4))).toEqual([0, 0, 0, 0]);
    expect(Array.from(r.advantages.subarray(8))).toEqual([0, 0, 0, 0]);
    expect(Array.from(r.isStdZero)).toEqual([1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1]);
    expect(r.fracRewardZeroStd).toBeCloseTo(2 / 3, 15);
    // Under 'batch' the batch std is not zero, so no completion counts.
    expect(computeAdvantages([0.5, 0.5, 1, 1], 2, 'batch').fracRewardZeroStd).toBe(0);
  });

  it('rejects a partial group, num_generations < 2 and non-finite rewards', () => {
    expect(() => computeAdvantages([1, 2, 3], 2, 'group')).toThrow(/whole number of groups/);
    expect(() => computeAdvantages([1, 2], 1, 'group')).toThrow(/≥ 2/);
    expect(() => computeAdvantages([1, NaN], 2, 'group')).toThrow(/reward 1/);
  });
});

describe('combineRewards', () => {
  it('weights and sums reward functions, skipping null/NaN (nansum)', () => {
    const rows = [
      [3, 0.5, -1],
      [null, 1, 2],
      [NaN, null, null],
    ];
    const r = combineRewards(rows, [1, 2, 0.5]);
    expect(Array.from(r)).toEqual([3 + 1 - 0.5, 2 + 1, 0]);
  });

  it('checks row widths', () => {
    expect(() => combineRewards([[1, 2]], [1])).toThrow(/2 rewards for 1 weights/);
  });
});
