/**
 * Which metrics each plot shows (TRL's metric names) and the columnar buffers uPlot draws from.
 * Buffers grow by appending the rows that arrived since the last frame, so a plot with thousands of
 * steps never rebuilds its arrays on each new step.
 */
import type { MetricsRow } from '../grpo/metrics';

export interface SeriesSpec {
  key: string;
  label: string;
}

export interface ChartSpec {
  id: string;
  title: string;
  /** Series to draw, given every metric name logged so far. */
  series(keys: ReadonlySet<string>): SeriesSpec[];
  /** Shown instead of a plot when none of its series has been logged. */
  emptyNote: string;
}

const REWARD_MEAN = /^rewards\/(.+)\/mean$/;

function single(key: string, label = key): (keys: ReadonlySet<string>) => SeriesSpec[] {
  return (keys) => (keys.has(key) ? [{ key, label }] : []);
}

export const CHARTS: readonly ChartSpec[] = [
  {
    id: 'reward',
    title: 'Reward',
    // The total first, then each reward function's mean in name order.
    series: (keys) => [
      ...(keys.has('reward') ? [{ key: 'reward', label: 'total (weighted)' }] : []),
      ...[...keys].filter((k) => REWARD_MEAN.test(k)).sort().map((k) => ({ key: k, label: k.match(REWARD_MEAN)![1]! })),
    ],
    emptyNote: 'No reward logged yet.',
  },
  { id: 'reward_std', title: 'Reward std (within groups)', series: single('reward_std'), emptyNote: 'No reward_std logged yet.' },
  { id: 'loss', title: 'Loss', series: single('loss'), emptyNote: 'No loss logged yet.' },
  { id: 'kl', title: 'KL to the base model', series: single('kl'), emptyNote: 'KL is logged only when beta > 0.' },
  { id: 'grad_norm', title: 'Gradient norm (before clipping)', series: single('grad_norm'), emptyNote: 'No grad_norm logged yet.' },
  {
    id: 'completion_length',
    title: 'Completion length (tokens)',
    series: (keys) =>
      (
        [
          ['completions/mean_length', 'mean'],
          ['completions/min_length', 'min'],
          ['completions/max_length', 'max'],
        ] as const
      )
        .filter(([k]) => keys.has(k))
        .map(([key, label]) => ({ key, label })),
    emptyNote: 'No completion lengths logged yet.',
  },
  { id: 'learning_rate', title: 'Learning rate', series: single('learning_rate'), emptyNote: 'No learning rate logged yet.' },
];

/** Columns for uPlot: x (steps) and one y array per series; non-finite values become gaps (null). */
export class SeriesBuffer {
  readonly x: number[] = [];
  readonly ys: (number | null)[][];
  private epoch: number;

  constructor(
    readonly keys: readonly string[],
    epoch = 0,
  ) {
    this.ys = keys.map(() => []);
    this.epoch = epoch;
  }

  get length(): number {
    return this.x.length;
  }

  /**
   * Brings the buffer up to `rows`. Returns 'appended' (new rows added), 'unchanged', or 'reset'
   * when the rows are not an extension of what it holds (a new epoch or fewer rows): the caller
   * then makes a new buffer.
   */
  sync(rows: readonly MetricsRow[], epoch: number): 'appended' | 'unchanged' | 'reset' {
    if (epoch !== this.epoch || rows.length < this.x.length) return 'reset';
    if (rows.length === this.x.length) return 'unchanged';
    for (let i = this.x.length; i < rows.length; i++) {
      const row = rows[i]!;
      this.x.push(row.step);
      this.keys.forEach((k, s) => {
        const v = row[k];
        this.ys[s]!.push(typeof v === 'number' && Number.isFinite(v) ? v : null);
      });
    }
    return 'appended';
  }

  /** uPlot's AlignedData: [x, ...ys]. */
  data(): [number[], ...(number | null)[][]] {
    return [this.x, ...this.ys];
  }
}

/** Every metric name in rows[from..], added to `into` (grows as rows arrive, never shrinks within an epoch). */
export function collectKeys(rows: readonly MetricsRow[], from: number, into: Set<string>): boolean {
  const before = into.size;
  for (let i = from; i < rows.length; i++) for (const k of Object.keys(rows[i]!)) if (k !== 'step') into.add(k);
  return into.size !== before;
}

/** Axis labels that stay short for any magnitude: 5e-6, 0.25, 1,200, 3.4e+5. */
export function formatTick(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs < 1e-3 || abs >= 1e5) return value.toExponential(1).replace('.0e', 'e');
  return Number(value.toPrecision(4)).toLocaleString('en-US', { maximumFractionDigits: 4 });
}

/** Union of the metric names in the first and last rows: a cheap, value-comparable signature for re-rendering. */
export function metricKeySignature(rows: readonly MetricsRow[]): string {
  const keys = new Set<string>();
  collectKeys(rows.slice(0, 1), 0, keys);
  collectKeys(rows.slice(-1), 0, keys);
  return [...keys].sort().join('|');
}

/** Tick steps for a step axis: whole steps only (no "1.5" between step 1 and step 2). */
export const STEP_INCREMENTS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10_000, 20_000, 50_000, 100_000];

/**
 * A y range with a little room around the data. A flat series gets a range around its value (uPlot
 * would draw a flat 0 on a 0–100 axis).
 */
export function paddedRange(min: number | null, max: number | null): [number, number] {
  if (min === null || max === null || !Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.5;
    return [min - pad, max + pad];
  }
  const pad = (max - min) * 0.05;
  return [min - pad, max + pad];
}
