/**
 * Deterministic train / held-out split. Each example is placed by a seeded hash of its context and
 * gold SQL, not by its position, so the split does not change when rows are reordered or others
 * are added, and rows that share a schema and gold query (paraphrased questions) land on the same
 * side (no leakage of the answer into the held-out set).
 */
import { mixSeeds } from '../sql/prng';
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
    const key = `${e.context}\u0000${e.answer}`;
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  const ranked = [...groups.entries()].map(([key, idx]) => ({ h: mixSeeds(seed, key), idx })).sort((a, b) => a.h - b.h || (a.idx[0]! - b.idx[0]!));
  const held = new Set<number>();
  for (const g of ranked) {
    if (held.size >= target) break;
    for (const i of g.idx) held.add(i);
  }
  return { train: examples.filter((_, i) => !held.has(i)), heldOut: examples.filter((_, i) => held.has(i)) };
}
