/**
 * Learning-rate schedules, as transformers' get_scheduler builds them: a LambdaLR whose multiplier
 * at optimizer step t (0-based: the number of updates already taken) is
 *   warmup:   t / max(1, W)                                  for t < W
 *   cosine:   max(0, 0.5 (1 + cos(π p))), p = (t - W) / max(1, T - W)
 *   linear:   max(0, (T - t) / max(1, T - W))
 *   constant: 1 (no warmup even if one is configured, as in transformers)
 * with T = max_steps and W = warmup_steps, or ceil(warmup_ratio × T) when warmup_steps is 0.
 *
 * The update that takes the run from step t to t + 1 uses learningRateAt(t); so the very first
 * update uses lr 0 when there is warmup, as in transformers. (TRL logs the lr after the scheduler
 * has stepped, i.e. learningRateAt(t + 1) at global step t + 1.)
 */
import type { GRPOConfig } from './config';

export type ScheduleConfig = Pick<GRPOConfig, 'learning_rate' | 'lr_scheduler_type' | 'warmup_ratio' | 'warmup_steps' | 'max_steps'>;

/** transformers' TrainingArguments.get_warmup_steps (including its float rounding: ceil(100 × 0.07) = 8). */
export function warmupStepCount(config: Pick<GRPOConfig, 'warmup_ratio' | 'warmup_steps' | 'max_steps'>): number {
  return config.warmup_steps > 0 ? config.warmup_steps : Math.ceil(config.max_steps * config.warmup_ratio);
}

/** The multiplier of learning_rate at optimizer step `step` (0-based). */
export function lrMultiplier(step: number, config: Omit<ScheduleConfig, 'learning_rate'>): number {
  if (!Number.isInteger(step) || step < 0) throw new Error(`lrMultiplier: step must be a non-negative integer, got ${step}`);
  const total = config.max_steps;
  const warmup = warmupStepCount(config);
  const type = config.lr_scheduler_type;
  if (type === 'constant') return 1;
  if (step < warmup) return step / Math.max(1, warmup);
  switch (type) {
    case 'constant_with_warmup':
      return 1;
    case 'linear':
      return Math.max(0, (total - step) / Math.max(1, total - warmup));
    case 'cosine': {
      const progress = (step - warmup) / Math.max(1, total - warmup);
      return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
    }
  }
}

/** The learning rate for the update at optimizer step `step` (0-based). */
export function learningRateAt(step: number, config: ScheduleConfig): number {
  return config.learning_rate * lrMultiplier(step, config);
}
