/**
 * Deterministic train / held-out split by schema. Each example is placed by a seeded hash of its
 * context (its CREATE TABLE statements), not by its position, so the split does not change when
 * rows are reordered or others are added, and every example of one schema lands on the same side:
 * held-out examples test schemas the model never trained on, and no paraphrase of a held-out
 * question (same schema, same gold query) is trained on.
 */
import { mixSeeds } from '../common/prng';
import { DatasetError, type SqlRow } from './types';

export interface SplitOptions {
  seed: number;
  /** A fraction in (0, 1), or a count (integer >= 1) of held-out examples. */
  heldOut: number;
}

export interface Split<T> {
  train: T[];
  heldOut: T[];
}

export function splitExamples<T extends SqlRow>(examples: readonly T[], options: SplitOptions): Split<T> {
  const { heldOut, seed } = options;
  if (!(heldOut > 0) || (heldOut >= 1 && !Number.isInteger(heldOut))) {
    throw new DatasetError(`heldOut must be a fraction in (0, 1) or a whole count >= 1, got ${heldOut}`);
  }
  const target = heldOut < 1 ? Math.round(examples.length * heldOut) : Math.min(heldOut, examples.length);
  const groups = new Map<string, number[]>();
  examples.forEach((e, i) => {
    const group = groups.get(e.context);
    if (group) group.push(i);
    else groups.set(e.context, [i]);
  });
  const ranked = [...groups.entries()].map(([key, idx]) => ({ h: mixSeeds(seed, key), idx })).sort((a, b) => a.h - b.h || (a.idx[0]! - b.idx[0]!));
  const held = new Set<number>();
  for (const g of ranked) {
    if (held.size >= target) break;
    for (const i of g.idx) held.add(i);
  }
  return { train: examples.filter((_, i) => !held.has(i)), heldOut: examples.filter((_, i) => held.has(i)) };
}
