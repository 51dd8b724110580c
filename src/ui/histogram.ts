/**
 * Equal-width binning for the advantage histogram.
 */

export interface Histogram {
  /** bins + 1 edges, ascending. */
  edges: number[];
  counts: number[];
  /** Values that were not finite numbers and so were left out. */
  dropped: number;
}

/**
 * Counts finite values in `bins` equal-width bins from the smallest to the largest value; the last
 * bin includes its right edge. All-equal values fall in one bin of width 1 centred on the value.
 */
export function histogram(values: readonly number[], bins: number): Histogram {
  if (!Number.isInteger(bins) || bins < 1) throw new Error(`histogram: bins must be a positive integer, got ${bins}`);
  const finite = values.filter((v) => Number.isFinite(v));
  const dropped = values.length - finite.length;
  if (finite.length === 0) return { edges: [], counts: [], dropped };
  let min = Infinity;
  let max = -Infinity;
  for (const v of finite) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min === max) return { edges: [min - 0.5, min + 0.5], counts: [finite.length], dropped };
  const width = (max - min) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? max : min + i * width));
  const counts = new Array<number>(bins).fill(0);
  for (const v of finite) counts[Math.min(bins - 1, Math.floor((v - min) / width))]!++;
  return { edges, counts, dropped };
}

/** A bin count that suits a sample of n values (Sturges' rule, at least 4, at most 30). */
export function binsFor(n: number): number {
  return Math.min(30, Math.max(4, Math.ceil(Math.log2(Math.max(1, n)) + 1)));
}
