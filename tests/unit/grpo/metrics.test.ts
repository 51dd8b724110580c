import { describe, expect, it } from 'vitest';
import { computeAdvantages } from '../../../src/grpo/advantages';
import {
  aggregateMetrics,
  completionMetrics,
  metricsFromCSV,
  metricsFromJSONL,
  metricsToCSV,
  metricsToJSONL,
  policyMetrics,
  rewardMetrics,
  stepMetrics,
  type MetricsRow,
} from '../../../src/grpo/metrics';

describe('rewardMetrics', () => {
  it('reward, reward_std, frac_reward_zero_std and per-function mean/std (skipping nulls)', () => {
    // Two groups of two. Per function: format [1, 0, 1, 1], sql [2, null, 0, 0].
    const perFunc = [
      [1, 2],
      [0, null],
      [1, 0],
      [1, 0],
    ];
    const rewards = [3, 0, 1, 1];
    const adv = computeAdvantages(rewards, 2, 'group');
    const m = rewardMetrics(perFunc, ['format', 'sql'], adv);
    expect(m['rewards/format/mean']).toBe(0.75);
    // Unbiased std of [1, 0, 1, 1]: mean 0.75, Σ dev² = 0.0625·3 + 0.5625 = 0.75, /3 = 0.25.
    expect(m['rewards/format/std']).toBeCloseTo(0.5, 15);
    expect(m['rewards/sql/mean']).toBeCloseTo(2 / 3, 15);
    // [2, 0, 0]: mean 2/3, Σ dev² = 16/9 + 4/9 + 4/9 = 24/9, /2 = 4/3.
    expect(m['rewards/sql/std']).toBeCloseTo(Math.sqrt(4 / 3), 15);
    expect(m.reward).toBe(1.25);
    // Group stds: [3, 0] → sqrt(4.5); [1, 1] → 0. reward_std is their mean over completions.
    expect(m.reward_std).toBeCloseTo(Math.sqrt(4.5) / 2, 15);
    expect(m.frac_reward_zero_std).toBe(0.5);
  });
});

describe('completionMetrics', () => {
  it('lengths, clipped ratio and terminated lengths', () => {
    const m = completionMetrics([10, 768, 30, 768], [true, false, true, false]);
    expect(m).toEqual({
      'completions/mean_length': 394,
      'completions/min_length': 10,
      'completions/max_length': 768,
      'completions/clipped_ratio': 0.5,
      'completions/mean_terminated_length': 20,
      'completions/min_terminated_length': 10,
      'completions/max_terminated_length': 30,
    });
  });

  it('reports 0 terminated length when nothing terminated, as TRL', () => {
    const m = completionMetrics([5, 5], [false, false]);
    expect(m['completions/clipped_ratio']).toBe(1);
    expect(m['completions/mean_terminated_length']).toBe(0);
  });
});

describe('policyMetrics', () => {
  it('masked token means per micro-batch, averaged over micro-batches', () => {
    const a = { mask: [1, 1, 1, 0], perTokenKl: [0.1, 0.2, 0.3, 9], isLowClipped: [1, 0, 0, 1], isHighClipped: [0, 0, 0, 0] };
    const b = { mask: [1, 0, 0, 0], perTokenKl: [0.5, 9, 9, 9], isLowClipped: [0, 0, 0, 0], isHighClipped: [1, 1, 0, 0] };
    const m = policyMetrics([a, b], { beta: 0.04 });
    expect(m.kl).toBeCloseTo((0.2 + 0.5) / 2, 15);
    expect(m['clip_ratio/low_mean']).toBeCloseTo((1 / 3 + 0) / 2, 15);
    expect(m['clip_ratio/high_mean']).toBe((0 + 1) / 2);
    expect(m['clip_ratio/region_mean']).toBeCloseTo((1 / 3 + 1) / 2, 15);
    expect(m['clip_ratio/low_min']).toBe(m['clip_ratio/low_mean']);
    expect(m['clip_ratio/high_max']).toBe(m['clip_ratio/high_mean']);
  });

  it('logs kl only when beta > 0', () => {
    const m = policyMetrics([{ mask: [1], isLowClipped: [0], isHighClipped: [0] }], { beta: 0 });
    expect('kl' in m).toBe(false);
    expect(() => policyMetrics([{ mask: [1], isLowClipped: [0], isHighClipped: [0] }], { beta: 0.1 })).toThrow(/perTokenKl/);
  });
});

describe('stepMetrics and aggregateMetrics', () => {
  const scalars = { loss: 0.25, grad_norm: 1.5, learning_rate: 1e-6, num_tokens: 4000, step_time: 8, step_tokens: 2000 };

  it('assembles a row with tokens_per_second', () => {
    const row = stepMetrics(3, scalars, { reward: 1 }, { kl: 0.01 });
    expect(row).toEqual({ step: 3, loss: 0.25, grad_norm: 1.5, learning_rate: 1e-6, num_tokens: 4000, reward: 1, kl: 0.01, step_time: 8, tokens_per_second: 250 });
    expect(Object.keys(row)).toEqual(['step', 'loss', 'grad_norm', 'learning_rate', 'num_tokens', 'reward', 'kl', 'step_time', 'tokens_per_second']);
  });

  it('averages a logging window, keeping the last step, learning_rate, grad_norm and num_tokens', () => {
    const rows = [stepMetrics(1, { ...scalars, loss: 1, grad_norm: 3 }, { reward: 0 }), stepMetrics(2, { ...scalars, loss: 3, learning_rate: 2e-6, num_tokens: 8000 }, { reward: 1 })];
    const w = aggregateMetrics(rows);
    expect(w).toMatchObject({ step: 2, loss: 2, reward: 0.5, learning_rate: 2e-6, grad_norm: 1.5, num_tokens: 8000 });
  });
});

describe('CSV and JSONL export', () => {
  const history: MetricsRow[] = [
    { step: 1, loss: 0.1, 'rewards/format,exact/mean': 3, kl: NaN, learning_rate: 5e-7 },
    { step: 2, loss: -1.25e-9, 'rewards/format,exact/mean': 1 / 3, learning_rate: 1e-6, grad_norm: Infinity },
  ];

  it('CSV: header of every column (step first), empty cells for missing values, quoted names', () => {
    const csv = metricsToCSV(history);
    expect(csv).toBe(
      ['step,loss,"rewards/format,exact/mean",kl,learning_rate,grad_norm', '1,0.1,3,NaN,5e-7,', `2,-1.25e-9,${1 / 3},,0.000001,Infinity`, ''].join('\n'),
    );
  });

  it('CSV round trip is exact', () => {
    const back = metricsFromCSV(metricsToCSV(history));
    expect(back).toHaveLength(2);
    expect(back[0]).toEqual(history[0]);
    expect(back[1]).toEqual(history[1]);
    expect(Object.is(back[0].kl, NaN)).toBe(true);
    expect('kl' in back[1]).toBe(false);
  });

  it('JSONL: one object per line; non-finite numbers are null and read back as NaN', () => {
    const text = metricsToJSONL(history);
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0])).toEqual({ step: 1, loss: 0.1, 'rewards/format,exact/mean': 3, kl: null, learning_rate: 5e-7 });
    const back = metricsFromJSONL(text);
    expect(back[0]).toEqual(history[0]);
    expect(back[1]).toEqual({ ...history[1], grad_norm: NaN });
  });

  it('rejects malformed input', () => {
    expect(() => metricsFromCSV('loss\n1\n')).toThrow(/no step column/);
    expect(() => metricsFromCSV('step,loss\n1\n')).toThrow(/1 fields/);
    expect(() => metricsFromCSV('step,loss\n1,abc\n')).toThrow(/not a number/);
    expect(() => metricsFromJSONL('{"step":1,"loss":"x"}')).toThrow(/not a number/);
    expect(metricsFromCSV('')).toEqual([]);
    expect(metricsToJSONL([])).toBe('');
  });
});
