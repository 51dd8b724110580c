/**
 * Group-relative advantages, document 003 step 3: A_i = (r_i - mean) / std over one prompt's group.
 *
 * Document 003's worked example (rewards 0.414, 0.497, 0.190, 0.340; "mean 0.360, std 0.127";
 * advantages +0.425, +1.079, -1.339, -0.157) is not reproduced by either standard convention: the
 * population std (divide by n) of those rewards is 0.1129 and the sample std (n - 1) is 0.1304.
 * The document's advantages follow from its printed, rounded mean and std (0.360, 0.127), which are
 * consistent with each other but not with the rewards. We default to the sample std, as TRL's
 * GRPO does (torch.std is unbiased), which gives +0.412, +1.049, -1.306, -0.155: same signs, same
 * ranking, and the same completions pass the 0.3 update threshold.
 */
import type { HintsConfig, StdConvention } from './config';

export interface GroupStats {
  mean: number;
  std: number;
}

export function groupStats(rewards: readonly number[], convention: StdConvention = 'sample'): GroupStats {
  const n = rewards.length;
  if (n === 0) return { mean: 0, std: 0 };
  const mean = rewards.reduce((a, r) => a + r, 0) / n;
  const squares = rewards.reduce((a, r) => a + (r - mean) ** 2, 0);
  const divisor = convention === 'sample' ? n - 1 : n;
  return { mean, std: divisor > 0 ? Math.sqrt(squares / divisor) : 0 };
}

export type AdvantageSettings = Pick<HintsConfig, 'scale_rewards' | 'std_convention' | 'advantage_epsilon'>;

/**
 * Advantages of one group. With scale_rewards, (r - mean) / (std + epsilon); without, r - mean.
 * Throws on a non-finite reward: a NaN would silently poison every hint it touches.
 */
export function groupAdvantages(rewards: readonly number[], settings: AdvantageSettings): number[] {
  rewards.forEach((r, i) => {
    if (typeof r !== 'number' || !Number.isFinite(r)) throw new Error(`reward ${i} is not a finite number: ${String(r)}`);
  });
  const { mean, std } = groupStats(rewards, settings.std_convention);
  if (!settings.scale_rewards) return rewards.map((r) => r - mean);
  // Equal rewards with no epsilon: nothing to prefer, and 0/0 must not become NaN.
  if (std + settings.advantage_epsilon === 0) return rewards.map(() => 0);
  return rewards.map((r) => (r - mean) / (std + settings.advantage_epsilon));
}
