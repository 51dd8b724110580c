import { describe, expect, it } from 'vitest';
import type { MetricsRow } from '../../../src/grpo/metrics';
import { CHARTS, collectKeys, formatTick, metricKeySignature, paddedRange, SeriesBuffer } from '../../../src/ui/metric-series';

const chart = (id: string) => CHARTS.find((c) => c.id === id)!;

describe('plot series', () => {
  it('the reward plot shows the total, then each reward function by name', () => {
    const keys = new Set(['reward', 'rewards/match_format_exactly/mean', 'rewards/check_answer/mean', 'rewards/check_answer/std', 'loss']);
    expect(chart('reward').series(keys)).toEqual([
      { key: 'reward', label: 'total (weighted)' },
      { key: 'rewards/check_answer/mean', label: 'check_answer' },
      { key: 'rewards/match_format_exactly/mean', label: 'match_format_exactly' },
    ]);
  });

  it('plots exactly the metrics the brief asks for', () => {
    const keys = new Set(['reward', 'reward_std', 'loss', 'kl', 'grad_norm', 'completions/mean_length', 'learning_rate']);
    const plotted = CHARTS.flatMap((c) => c.series(keys).map((s) => s.key)).sort();
    expect(plotted).toEqual([...keys].sort());
    expect(chart('kl').series(new Set(['loss']))).toEqual([]);
    expect(chart('kl').emptyNote).toMatch(/beta > 0/);
  });

  it('a buffer appends only new rows and turns non-finite values into gaps', () => {
    const buffer = new SeriesBuffer(['reward', 'kl']);
    const rows = [{ step: 1, reward: 0.5 }];
    expect(buffer.sync(rows, 0)).toBe('appended');
    expect(buffer.sync(rows, 0)).toBe('unchanged');
    const more = [...rows, { step: 2, reward: NaN, kl: 0.01 }, { step: 3, reward: 1, kl: Infinity }];
    expect(buffer.sync(more, 0)).toBe('appended');
    expect(buffer.data()).toEqual([
      [1, 2, 3],
      [0.5, null, 1],
      [null, 0.01, null],
    ]);
  });

  it('a buffer asks to be rebuilt on a new epoch or fewer rows', () => {
    const buffer = new SeriesBuffer(['reward'], 2);
    buffer.sync([{ step: 1, reward: 0 }, { step: 2, reward: 0 }], 2);
    expect(buffer.sync([{ step: 1, reward: 0 }, { step: 2, reward: 0 }, { step: 3, reward: 0 }], 3)).toBe('reset');
    expect(buffer.sync([{ step: 1, reward: 0 }], 2)).toBe('reset');
  });

  it('collects metric names as rows arrive and says when new ones appeared', () => {
    const keys = new Set<string>();
    const rows: MetricsRow[] = [{ step: 1, reward: 1 }, { step: 2, reward: 1, kl: 0 }];
    expect(collectKeys(rows, 0, keys)).toBe(true);
    expect([...keys]).toEqual(['reward', 'kl']);
    expect(collectKeys(rows, 1, keys)).toBe(false);
  });
});

describe('axis ticks', () => {
  it('stay short at every magnitude', () => {
    expect(formatTick(0)).toBe('0');
    expect(formatTick(5e-6)).toBe('5e-6');
    expect(formatTick(2.5e-5)).toBe('2.5e-5');
    expect(formatTick(0.25)).toBe('0.25');
    expect(formatTick(-1.23456)).toBe('-1.235');
    expect(formatTick(1200)).toBe('1,200');
    expect(formatTick(340000)).toBe('3.4e+5');
  });

  it('the key signature changes only when a new metric name appears', () => {
    const a = metricKeySignature([{ step: 1, reward: 0 }]);
    expect(metricKeySignature([{ step: 1, reward: 0 }, { step: 2, reward: 1 }])).toBe(a);
    expect(metricKeySignature([{ step: 1, reward: 0 }, { step: 2, reward: 1, kl: 0 }])).not.toBe(a);
    expect(metricKeySignature([])).toBe('');
  });
});

describe('y range', () => {
  it('pads the data a little, and puts a flat series in the middle of a range around it', () => {
    expect(paddedRange(0, 10)).toEqual([-0.5, 10.5]);
    expect(paddedRange(0, 0)).toEqual([-1, 1]);
    expect(paddedRange(-2, -2)).toEqual([-3, -1]);
    expect(paddedRange(null, null)).toEqual([0, 1]);
  });
});
