/**
 * Group-relative advantages for the hint layer, document 003 step 3: A_i = (r_i - mean) / std over
 * one prompt's group. The arithmetic is the shared one in src/rewards/advantages.ts; this maps the
 * hint configuration onto it and guards the cases a hint update must never see (NaN rewards, 0/0).
 *
 * Document 003's worked example (rewards 0.414, 0.497, 0.190, 0.340; "mean 0.360, std 0.127";
 * advantages +0.425, +1.079, -1.339, -0.157) is not reproduced by either standard convention: the
 * population std (divide by n) of those rewards is 0.1129 and the sample std (n - 1) is 0.1304.
 * The document's advantages follow from its printed, rounded mean and std (0.360, 0.127), which are
 * consistent with each other but not with the rewards. We default to the sample std, as TRL's
 * GRPO does (torch.std is unbiased), which gives +0.412, +1.049, -1.306, -0.155 (+0.412, +1.048,
 * -1.305, -0.155 with TRL's epsilon 1e-4): same signs, same ranking, and the same completions pass
 * the 0.3 update threshold.
 */
import { groupAdvantages as sharedGroupAdvantages } from '../rewards/advantages';
import type { HintsConfig } from './config';

export type AdvantageSettings = Pick<HintsConfig, 'scale_rewards' | 'std_convention' | 'advantage_epsilon'>;

export interface GroupAdvantageResult {
  mean: number;
  std: number;
  advantages: number[];
}

/**
 * Advantages of one group: (r - mean) / (std + epsilon) with scale_rewards, r - mean without.
 * Throws on an empty group or a non-finite reward: a NaN would silently poison every hint it touches.
 */
export function hintGroupAdvantages(rewards: readonly number[], settings: AdvantageSettings): GroupAdvantageResult {
  if (rewards.length === 0) throw new Error('a group needs at least one reward');
  rewards.forEach((r, i) => {
    if (typeof r !== 'number' || !Number.isFinite(r)) throw new Error(`reward ${i} is not a finite number: ${String(r)}`);
  });
  const result = sharedGroupAdvantages(rewards, {
    std: settings.std_convention,
    epsilon: settings.advantage_epsilon,
    scale: settings.scale_rewards,
  });
  // Equal rewards and no epsilon: nothing to prefer, and 0/0 must not become NaN.
  if (settings.scale_rewards && result.std + settings.advantage_epsilon === 0) return { ...result, advantages: rewards.map(() => 0) };
  return result;
}
