/**
 * Small float64 statistics with PyTorch's conventions, so that numbers we log and normalise by are
 * the ones TRL would compute: std is the unbiased (n - 1) estimator, as torch.std by default, and the
 * nan* variants skip NaN entries as torch.nanmean and TRL's nanstd do.
 */

export function sum(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s;
}

export function mean(xs: ArrayLike<number>): number {
  return xs.length ? sum(xs) / xs.length : NaN;
}

/** Unbiased standard deviation (torch.std): NaN for fewer than two values. */
export function std(xs: ArrayLike<number>): number {
  const n = xs.length;
  if (n < 2) return NaN;
  const m = mean(xs);
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (xs[i] - m) ** 2;
  return Math.sqrt(ss / (n - 1));
}

function withoutNaN(xs: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < xs.length; i++) if (!Number.isNaN(xs[i])) out.push(xs[i]);
  return out;
}

/** Mean of the non-NaN values (torch.nanmean): NaN when all are NaN. */
export function nanMean(xs: ArrayLike<number>): number {
  return mean(withoutNaN(xs));
}

/** Unbiased std of the non-NaN values (TRL's nanstd). */
export function nanStd(xs: ArrayLike<number>): number {
  return std(withoutNaN(xs));
}

/** Sum of the non-NaN values (torch.nansum): 0 when all are NaN. */
export function nanSum(xs: ArrayLike<number>): number {
  return sum(withoutNaN(xs));
}

/** torch.isclose(x, 0) with its default tolerances (atol 1e-8, rtol 1e-5 of 0). */
export function isCloseToZero(x: number): boolean {
  return Math.abs(x) <= 1e-8;
}
