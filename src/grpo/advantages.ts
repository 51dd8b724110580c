/**
 * Group-relative advantages as TRL's GRPOTrainer computes them.
 *
 * Completions are laid out group-major: the num_generations completions of prompt 0, then those of
 * prompt 1, ... (TRL's repeat_interleave order). Each completion's advantage is its reward minus
 * the mean reward of its group, divided (unless scale_rewards is 'none') by std + 1e-4 where std is
 * the unbiased (n - 1) standard deviation of its group ('group') or of the whole batch ('batch').
 * The group mean is used in every mode; 'batch' changes only the scale.
 */
import type { ScaleRewards } from './config';
import { isCloseToZero, mean, nanSum, std } from './stats';

/** Added to the std before dividing, so zero-variance groups get advantage 0 instead of NaN. */
export const ADVANTAGE_STD_EPS = 1e-4;

export interface AdvantageResult {
  /** The rewards the advantages were computed from, one per completion. */
  rewards: Float64Array;
  advantages: Float64Array;
  /** Mean reward of each completion's group (repeated per completion, as TRL's mean_grouped_rewards). */
  groupMeans: Float64Array;
  /**
   * The std each completion was scaled by (TRL's std_rewards): its group's std for 'group' and
   * 'none' (logged although not used), the batch std for 'batch'.
   */
  stds: Float64Array;
  /** Per completion: whether that std is zero (torch.isclose(std, 0)). */
  isStdZero: Uint8Array;
  /** Fraction of completions whose std is zero (TRL's frac_reward_zero_std). */
  fracRewardZeroStd: number;
}

/**
 * Weighted sum of each completion's rewards over reward functions, skipping NaN (a reward function
 * may return null/NaN for completions it does not judge; TRL uses nansum). rewardsPerFunc is one row
 * per completion, one column per reward function.
 */
export function combineRewards(rewardsPerFunc: readonly (readonly (number | null)[])[], weights: readonly number[]): Float64Array {
  return Float64Array.from(rewardsPerFunc, (row, i) => {
    if (row.length !== weights.length) throw new Error(`combineRewards: completion ${i} has ${row.length} rewards for ${weights.length} weights`);
    return nanSum(row.map((r, k) => (r === null ? NaN : r * weights[k])));
  });
}

export function computeAdvantages(rewards: ArrayLike<number>, numGenerations: number, scaleRewards: ScaleRewards): AdvantageResult {
  const n = rewards.length;
  if (!Number.isInteger(numGenerations) || numGenerations < 2) throw new Error(`computeAdvantages: num_generations must be an integer ≥ 2, got ${numGenerations}`);
  if (n === 0 || n % numGenerations !== 0) throw new Error(`computeAdvantages: ${n} rewards are not a whole number of groups of ${numGenerations}`);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(rewards[i])) throw new Error(`computeAdvantages: reward ${i} is ${rewards[i]}`);
  }
  const r = Float64Array.from(rewards);
  const groupMeans = new Float64Array(n);
  const stds = new Float64Array(n);
  const batchStd = scaleRewards === 'batch' ? std(r) : NaN;
  for (let start = 0; start < n; start += numGenerations) {
    const group = r.subarray(start, start + numGenerations);
    const m = mean(group);
    const s = scaleRewards === 'batch' ? batchStd : std(group);
    groupMeans.fill(m, start, start + numGenerations);
    stds.fill(s, start, start + numGenerations);
  }
  const advantages = new Float64Array(n);
  const isStdZero = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const centred = r[i] - groupMeans[i];
    advantages[i] = scaleRewards === 'none' ? centred : centred / (stds[i] + ADVANTAGE_STD_EPS);
    isStdZero[i] = isCloseToZero(stds[i]) ? 1 : 0;
  }
  return { rewards: r, advantages, groupMeans, stds, isStdZero, fracRewardZeroStd: mean(isStdZero) };
}
