/**
 * How the group table colours each cell: a reward by its known range (from the registry) or, for a
 * reward the UI does not know, by the range in the group; the total by the group's range; the
 * advantage around 0 on the scale of the whole step.
 */
import { ALL_REWARDS } from '../../rewards/registry';
import { advantageColour, finiteRange, scoreColour } from '../colour-scale';
import type { GroupRecord } from '../../worker/training-api';

const KNOWN_RANGES = new Map(ALL_REWARDS.map((r) => [r.name, r.range]));

export interface GroupColours {
  reward(name: string, value: number): string;
  total(value: number): string;
  advantage(value: number): string;
}

export function groupColours(group: GroupRecord, advantageScale: number): GroupColours {
  const values = (pick: (c: GroupRecord['completions'][number]) => number) => group.completions.map(pick);
  const totalRange = finiteRange(values((c) => c.total));
  const rewardRanges = new Map<string, { min: number; max: number } | null>();
  const rangeOf = (name: string) => {
    if (!rewardRanges.has(name)) {
      const known = KNOWN_RANGES.get(name);
      rewardRanges.set(name, known ? { min: known[0], max: known[1] } : finiteRange(values((c) => c.rewards[name] ?? NaN)));
    }
    return rewardRanges.get(name)!;
  };
  return {
    reward: (name, v) => {
      const r = rangeOf(name);
      return r ? scoreColour(v, r.min, r.max) : scoreColour(v, v, v);
    },
    total: (v) => (totalRange ? scoreColour(v, totalRange.min, totalRange.max) : scoreColour(v, v, v)),
    advantage: (v) => advantageColour(v, advantageScale),
  };
}

/** The largest |advantage| in a step (the advantage colour scale). */
export function advantageScaleOf(groups: readonly GroupRecord[]): number {
  let m = 0;
  for (const g of groups) for (const c of g.completions) if (Number.isFinite(c.advantage)) m = Math.max(m, Math.abs(c.advantage));
  return m;
}

/** Reward names in the order the completions list them (the trainer's order). */
export function rewardNamesOf(groups: readonly GroupRecord[]): string[] {
  const names = new Set<string>();
  for (const g of groups) for (const c of g.completions) for (const n of Object.keys(c.rewards)) names.add(n);
  return [...names];
}
