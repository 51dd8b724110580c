import { describe, expect, it } from 'vitest';
import type { LrSchedulerType } from '../../../src/grpo/config';
import { learningRateAt, lrMultiplier, warmupStepCount } from '../../../src/grpo/schedule';

const cfg = (lr_scheduler_type: LrSchedulerType, max_steps = 10, warmup_ratio = 0.1, warmup_steps = 0) => ({
  learning_rate: 1e-3,
  lr_scheduler_type,
  max_steps,
  warmup_ratio,
  warmup_steps,
});

describe('warmupStepCount', () => {
  it('is ceil(warmup_ratio × max_steps), or warmup_steps when set', () => {
    expect(warmupStepCount({ max_steps: 50, warmup_ratio: 0.1, warmup_steps: 0 })).toBe(5); // document 000's run
    expect(warmupStepCount({ max_steps: 55, warmup_ratio: 0.1, warmup_steps: 0 })).toBe(6); // 5.5 rounds up
    expect(warmupStepCount({ max_steps: 50, warmup_ratio: 0, warmup_steps: 0 })).toBe(0);
    expect(warmupStepCount({ max_steps: 50, warmup_ratio: 0.1, warmup_steps: 3 })).toBe(3);
    // Python's math.ceil(100 * 0.07) is 8 too: 100 * 0.07 = 7.000000000000001 in binary floating point.
    expect(warmupStepCount({ max_steps: 100, warmup_ratio: 0.07, warmup_steps: 0 })).toBe(8);
  });
});

describe('lrMultiplier (transformers schedules), by hand for max_steps 10, warmup 1', () => {
  // W = ceil(0.1 × 10) = 1; after warmup, progress p = (t - 1) / 9.
  it('cosine: 0.5 (1 + cos(π p))', () => {
    const c = cfg('cosine');
    expect(lrMultiplier(0, c)).toBe(0); // the first update has lr 0, as in transformers
    expect(lrMultiplier(1, c)).toBe(1); // p = 0
    expect(lrMultiplier(4, c)).toBeCloseTo(0.75, 15); // p = 1/3: 0.5 (1 + 1/2)
    expect(lrMultiplier(7, c)).toBeCloseTo(0.25, 15); // p = 2/3: 0.5 (1 - 1/2)
    expect(lrMultiplier(10, c)).toBe(0); // p = 1
    // Past max_steps transformers' formula rises again (cos beyond π); the trainer never goes there.
    expect(lrMultiplier(12, c)).toBeCloseTo(0.5 * (1 + Math.cos((11 * Math.PI) / 9)), 15);
  });

  it('linear: (T - t) / (T - W)', () => {
    const c = cfg('linear');
    expect(lrMultiplier(0, c)).toBe(0);
    expect(lrMultiplier(1, c)).toBe(1);
    expect(lrMultiplier(4, c)).toBeCloseTo(6 / 9, 15);
    expect(lrMultiplier(10, c)).toBe(0);
    expect(lrMultiplier(12, c)).toBe(0);
  });

  it('constant_with_warmup: t / W, then 1; constant: always 1', () => {
    expect([0, 1, 5, 10].map((t) => lrMultiplier(t, cfg('constant_with_warmup')))).toEqual([0, 1, 1, 1]);
    expect([0, 1, 5, 10].map((t) => lrMultiplier(t, cfg('constant')))).toEqual([1, 1, 1, 1]);
  });

  it('warmup ramps linearly over W steps', () => {
    const c = cfg('cosine', 50, 0.1); // W = 5
    expect([0, 1, 2, 3, 4, 5].map((t) => lrMultiplier(t, c))).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    // Halfway through the decay (t = 5 + 22.5 is not a step; t = 5 + 45/3 = 20 has p = 1/3).
    expect(lrMultiplier(20, c)).toBeCloseTo(0.75, 15);
    expect(lrMultiplier(35, c)).toBeCloseTo(0.25, 15); // p = 2/3
  });

  it('no warmup: cosine starts at 1', () => {
    const c = cfg('cosine', 4, 0); // p = t / 4
    expect([0, 1, 2, 3, 4].map((t) => lrMultiplier(t, c))).toEqual([1, 0.5 * (1 + Math.SQRT1_2), 0.5, 0.5 * (1 - Math.SQRT1_2), 0].map((x) => expect.closeTo(x, 15)));
  });
});

describe('learningRateAt', () => {
  it("is learning_rate × multiplier; document 000's run peaks at 5e-6 on step 5", () => {
    const c = { learning_rate: 5e-6, lr_scheduler_type: 'cosine' as const, max_steps: 50, warmup_ratio: 0.1, warmup_steps: 0 };
    expect(learningRateAt(0, c)).toBe(0);
    expect(learningRateAt(1, c)).toBeCloseTo(1e-6, 20);
    expect(learningRateAt(5, c)).toBe(5e-6);
    expect(learningRateAt(49, c)).toBeCloseTo(5e-6 * 0.5 * (1 + Math.cos((Math.PI * 44) / 45)), 20);
  });

  it('rejects fractional and negative steps', () => {
    expect(() => learningRateAt(-1, cfg('cosine'))).toThrow(/non-negative integer/);
    expect(() => learningRateAt(1.5, cfg('cosine'))).toThrow(/non-negative integer/);
  });
});
