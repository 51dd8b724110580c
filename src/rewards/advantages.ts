/**
 * GRPO's group-relative advantage: (reward − mean) / std within the group of G completions for
 * one prompt. TRL computes std with torch.std (the unbiased, n − 1 estimate) and adds 1e-4; the
 * options allow the population std instead, or no scaling at all (Dr. GRPO).
 */
export interface AdvantageOptions {
  /** 'sample' (n − 1, TRL's default) or 'population' (n). */
  std?: 'sample' | 'population';
  /** Added to std before dividing. Default 1e-4 (TRL). */
  epsilon?: number;
  /** Divide by std (default true); false gives reward − mean. */
  scale?: boolean;
}

export interface GroupAdvantages {
  mean: number;
  std: number;
  advantages: number[];
}

/** (r − mean) / std for given statistics. */
export function standardize(rewards: readonly number[], mean: number, std: number): number[] {
  return rewards.map((r) => (r - mean) / std);
}

export function groupAdvantages(rewards: readonly number[], options: AdvantageOptions = {}): GroupAdvantages {
  if (rewards.length === 0) throw new Error('groupAdvantages: empty group');
  const n = rewards.length;
  const mean = rewards.reduce((a, b) => a + b, 0) / n;
  const ss = rewards.reduce((a, r) => a + (r - mean) ** 2, 0);
  const denom = (options.std ?? 'sample') === 'sample' ? n - 1 : n;
  const std = denom > 0 ? Math.sqrt(ss / denom) : 0;
  if (options.scale === false) return { mean, std, advantages: rewards.map((r) => r - mean) };
  return { mean, std, advantages: standardize(rewards, mean, std + (options.epsilon ?? 1e-4)) };
}
