/**
 * Red → green colours for scores in the group tables. Light backgrounds, so dark text stays
 * readable; hue carries the value (red 0° for the worst, amber in the middle, green 130° for the best).
 */

const WORST_HUE = 0;
const BEST_HUE = 130;
/** For values that are not numbers (NaN, ±Infinity): plain grey, never a colour that suggests a score. */
export const NO_SCORE_COLOUR = 'hsl(220 10% 92%)';

function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}

function hslFor(t: number): string {
  const hue = Math.round(WORST_HUE + (BEST_HUE - WORST_HUE) * clamp01(t));
  return `hsl(${hue} 70% 86%)`;
}

/** Where value sits between min and max, as a colour; a flat range (min = max) is the midpoint. */
export function scoreColour(value: number, min: number, max: number): string {
  if (!Number.isFinite(value)) return NO_SCORE_COLOUR;
  if (!(max > min)) return hslFor(0.5);
  return hslFor((value - min) / (max - min));
}

/**
 * Advantages are centred on 0: negative is red, 0 amber, positive green; |value| ≥ scale is the
 * full colour. The scale is the largest |advantage| shown, so a table's colours use the whole range.
 */
export function advantageColour(value: number, scale: number): string {
  if (!Number.isFinite(value)) return NO_SCORE_COLOUR;
  if (!(scale > 0)) return hslFor(0.5);
  return hslFor(0.5 + value / (2 * scale));
}

/** Range of finite values (for scoreColour), or null when there are none. */
export function finiteRange(values: readonly number[]): { min: number; max: number } | null {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return min <= max ? { min, max } : null;
}
