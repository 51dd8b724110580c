/**
 * Per-step training metrics under TRL GRPOTrainer's names, and their export as CSV and JSONL.
 *
 * Each function computes one family of metrics from what the trainer has at hand; stepMetrics
 * assembles a row. Where TRL averages per-micro-batch values at log time (kl, clip_ratio/*), we do
 * the same over the step's micro-batches. With one process, TRL's cross-process min/max
 * (clip_ratio/low_min, clip_ratio/high_max) equal the corresponding means.
 */
import type { AdvantageResult } from './advantages';
import { mean, nanMean, nanStd } from './stats';

import type { MetricValues, MetricsRow } from '../common/records';

export type { MetricValues, MetricsRow };

/** reward, reward_std, frac_reward_zero_std, rewards/<name>/mean and rewards/<name>/std. */
export function rewardMetrics(rewardsPerFunc: readonly (readonly (number | null)[])[], rewardNames: readonly string[], advantages: AdvantageResult): MetricValues {
  const out: MetricValues = {};
  rewardNames.forEach((name, k) => {
    // A reward function may return null for completions it does not judge: skipped, as torch.nanmean.
    const column = rewardsPerFunc.map((row) => row[k] ?? NaN);
    out[`rewards/${name}/mean`] = nanMean(column);
    out[`rewards/${name}/std`] = nanStd(column);
  });
  out.reward = mean(advantages.groupMeans);
  out.reward_std = mean(advantages.stds);
  out.frac_reward_zero_std = advantages.fracRewardZeroStd;
  return out;
}

/**
 * completions/*: lengths are completion tokens up to and including EOS; terminated says whether
 * a completion ended with EOS (the others were cut at max_completion_length).
 */
export function completionMetrics(lengths: readonly number[], terminated: readonly boolean[]): MetricValues {
  if (lengths.length === 0 || lengths.length !== terminated.length) throw new Error(`completionMetrics: ${lengths.length} lengths and ${terminated.length} terminated flags`);
  const ended = lengths.filter((_, i) => terminated[i]);
  // TRL reports 0 for the terminated lengths when no completion terminated.
  const endedOrZero = ended.length ? ended : [0];
  return {
    'completions/mean_length': mean(lengths),
    'completions/min_length': Math.min(...lengths),
    'completions/max_length': Math.max(...lengths),
    'completions/clipped_ratio': 1 - ended.length / lengths.length,
    'completions/mean_terminated_length': mean(endedOrZero),
    'completions/min_terminated_length': Math.min(...endedOrZero),
    'completions/max_terminated_length': Math.max(...endedOrZero),
  };
}

/** What the step graph returns per micro-batch for the policy metrics (all over the same tokens). */
export interface PolicyMicroBatch {
  /** Completion mask (1 on tokens in the loss). */
  mask: ArrayLike<number>;
  /** k3 KL per token; needed when beta > 0. */
  perTokenKl?: ArrayLike<number>;
  isLowClipped: ArrayLike<number>;
  isHighClipped: ArrayLike<number>;
}

function maskedMean(x: ArrayLike<number>, mask: ArrayLike<number>): number {
  if (x.length !== mask.length) throw new Error(`policyMetrics: ${x.length} values for a mask of ${mask.length}`);
  let s = 0;
  let n = 0;
  for (let i = 0; i < x.length; i++) {
    if (mask[i]) {
      s += x[i];
      n += 1;
    }
  }
  return s / Math.max(1, n);
}

/** kl (only when beta > 0, as TRL) and clip_ratio/{low_mean, low_min, high_mean, high_max, region_mean}. */
export function policyMetrics(microBatches: readonly PolicyMicroBatch[], options: { beta: number }): MetricValues {
  if (microBatches.length === 0) throw new Error('policyMetrics: no micro-batches');
  const per = (f: (mb: PolicyMicroBatch) => number) => mean(microBatches.map(f));
  const out: MetricValues = {};
  if (options.beta !== 0) {
    out.kl = per((mb) => {
      if (!mb.perTokenKl) throw new Error('policyMetrics: beta > 0 but a micro-batch has no perTokenKl');
      return maskedMean(mb.perTokenKl, mb.mask);
    });
  }
  const low = per((mb) => maskedMean(mb.isLowClipped, mb.mask));
  const high = per((mb) => maskedMean(mb.isHighClipped, mb.mask));
  // Low and high clipping are exclusive (they need advantages of opposite signs), so the region is their sum.
  const region = per((mb) => maskedMean(Array.from(mb.isLowClipped, (v, i) => (v || mb.isHighClipped[i] ? 1 : 0)), mb.mask));
  out['clip_ratio/low_mean'] = low;
  out['clip_ratio/low_min'] = low;
  out['clip_ratio/high_mean'] = high;
  out['clip_ratio/high_max'] = high;
  out['clip_ratio/region_mean'] = region;
  return out;
}

export interface StepScalars {
  /** Σ over the step's micro-batches of the weighted loss (what was differentiated). */
  loss: number;
  /** Global gradient norm before clipping. */
  grad_norm: number;
  /** The learning rate of this step's update. */
  learning_rate: number;
  /** Prompt + completion tokens seen so far in the run (TRL's num_tokens). */
  num_tokens: number;
  /** Wall time of the step in seconds (generation, scoring, forward/backward, update). */
  step_time: number;
  /** Prompt + completion tokens processed in this step, for tokens_per_second. */
  step_tokens: number;
}

/** A full row in a stable order: scalars, completions, rewards, policy, timing. */
export function stepMetrics(step: number, scalars: StepScalars, ...families: MetricValues[]): MetricsRow {
  const row: MetricsRow = {
    step,
    loss: scalars.loss,
    grad_norm: scalars.grad_norm,
    learning_rate: scalars.learning_rate,
    num_tokens: scalars.num_tokens,
  };
  for (const family of families) Object.assign(row, family);
  row.step_time = scalars.step_time;
  row.tokens_per_second = scalars.step_time > 0 ? scalars.step_tokens / scalars.step_time : NaN;
  return row;
}

/** Keys whose logged value over a window is the last one, not the mean (as transformers logs them). */
const LAST_VALUE_KEYS = new Set(['step', 'learning_rate', 'grad_norm', 'num_tokens']);

/** One row for a logging window of logging_steps rows: means of each metric, last value of the keys above. */
export function aggregateMetrics(rows: readonly MetricsRow[]): MetricsRow {
  if (rows.length === 0) throw new Error('aggregateMetrics: no rows');
  const values = new Map<string, number[]>();
  for (const row of rows) {
    for (const [k, v] of Object.entries(row)) {
      if (!values.has(k)) values.set(k, []);
      values.get(k)!.push(v);
    }
  }
  const out: MetricValues = {};
  for (const [k, vs] of values) out[k] = LAST_VALUE_KEYS.has(k) ? vs[vs.length - 1] : mean(vs);
  return out as MetricsRow;
}

// ---- Export ----

/** Columns in first-seen order across rows, step first. */
function columnsOf(rows: readonly MetricsRow[]): string[] {
  const cols = new Set<string>(['step']);
  for (const row of rows) for (const k of Object.keys(row)) cols.add(k);
  return [...cols];
}

function csvField(s: string): string {
  return /[",\r\n]/.test(s) || s.trim() !== s ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Numbers as JavaScript prints them (shortest round-trip form), NaN and ±Infinity by name, missing as empty. */
export function metricsToCSV(rows: readonly MetricsRow[]): string {
  const cols = columnsOf(rows);
  const lines = [cols.map(csvField).join(',')];
  for (const row of rows) lines.push(cols.map((c) => (c in row ? String(row[c]) : '')).join(','));
  return lines.join('\n') + '\n';
}

function parseCsvLine(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) throw new Error(`metricsFromCSV: unterminated quote in ${JSON.stringify(line)}`);
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += line[i++];
      }
    } else {
      while (i < line.length && line[i] !== ',') field += line[i++];
    }
    fields.push(field);
    if (i >= line.length) return fields;
    if (line[i] !== ',') throw new Error(`metricsFromCSV: unexpected ${JSON.stringify(line[i])} after a quoted field`);
    i++;
  }
}

function parseNumber(s: string, where: string): number {
  const v = s === 'NaN' ? NaN : Number(s);
  if (Number.isNaN(v) && s !== 'NaN') throw new Error(`${where}: ${JSON.stringify(s)} is not a number`);
  return v;
}

export function metricsFromCSV(text: string): MetricsRow[] {
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  if (lines.length === 0) return [];
  const cols = parseCsvLine(lines[0]);
  if (!cols.includes('step')) throw new Error('metricsFromCSV: no step column');
  return lines.slice(1).map((line, r) => {
    const cells = parseCsvLine(line);
    if (cells.length !== cols.length) throw new Error(`metricsFromCSV: row ${r + 1} has ${cells.length} fields, header has ${cols.length}`);
    const row: MetricValues = {};
    cells.forEach((cell, c) => {
      if (cell !== '') row[cols[c]] = parseNumber(cell, `metricsFromCSV: row ${r + 1}, ${cols[c]}`);
    });
    return row as MetricsRow;
  });
}

/** One JSON object per line; NaN and ±Infinity become null (JSON has no such numbers) and read back as NaN. */
export function metricsToJSONL(rows: readonly MetricsRow[]): string {
  return rows.map((row) => JSON.stringify(row, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))).join('\n') + (rows.length ? '\n' : '');
}

export function metricsFromJSONL(text: string): MetricsRow[] {
  return text
    .split(/\r?\n/)
    .filter((l) => l.trim().length > 0)
    .map((line, r) => {
      const obj: unknown = JSON.parse(line);
      if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new Error(`metricsFromJSONL: line ${r + 1} is not an object`);
      const row: MetricValues = {};
      for (const [k, v] of Object.entries(obj)) {
        if (v === null) row[k] = NaN;
        else if (typeof v === 'number') row[k] = v;
        else throw new Error(`metricsFromJSONL: line ${r + 1}, ${k} is ${JSON.stringify(v)}, not a number`);
      }
      if (typeof row.step !== 'number') throw new Error(`metricsFromJSONL: line ${r + 1} has no step`);
      return row as MetricsRow;
    });
}
