import { describe, expect, it } from 'vitest';
import { advantageColour, finiteRange, NO_SCORE_COLOUR, scoreColour } from '../../../src/ui/colour-scale';
import { binsFor, histogram } from '../../../src/ui/histogram';

const hue = (colour: string) => Number(colour.match(/^hsl\((\d+) /)![1]);

describe('colour scale', () => {
  it('runs from red at the minimum through amber to green at the maximum', () => {
    expect(hue(scoreColour(0, 0, 1))).toBe(0);
    expect(hue(scoreColour(0.5, 0, 1))).toBe(65);
    expect(hue(scoreColour(1, 0, 1))).toBe(130);
    expect(hue(scoreColour(-3, -3, 3))).toBe(0);
  });

  it('clamps values outside the range and colours a flat range as the midpoint', () => {
    expect(hue(scoreColour(5, 0, 1))).toBe(130);
    expect(hue(scoreColour(-5, 0, 1))).toBe(0);
    expect(hue(scoreColour(2, 2, 2))).toBe(65);
  });

  it('is monotone in the value', () => {
    const hues = [0, 0.1, 0.3, 0.6, 0.9, 1].map((v) => hue(scoreColour(v, 0, 1)));
    expect([...hues].sort((a, b) => a - b)).toEqual(hues);
  });

  it('centres advantages on amber: negative red, positive green', () => {
    expect(hue(advantageColour(0, 1.5))).toBe(65);
    expect(hue(advantageColour(-1.5, 1.5))).toBe(0);
    expect(hue(advantageColour(1.5, 1.5))).toBe(130);
    expect(hue(advantageColour(0.75, 1.5))).toBeGreaterThan(65);
    expect(hue(advantageColour(3, 0))).toBe(65);
  });

  it('greys out values that are not numbers', () => {
    expect(scoreColour(NaN, 0, 1)).toBe(NO_SCORE_COLOUR);
    expect(advantageColour(Infinity, 1)).toBe(NO_SCORE_COLOUR);
  });

  it('finds the range of finite values', () => {
    expect(finiteRange([3, NaN, -1, 2])).toEqual({ min: -1, max: 3 });
    expect(finiteRange([NaN])).toBeNull();
  });
});

describe('histogram', () => {
  it('counts values into equal-width bins, the last one closed', () => {
    const h = histogram([0, 0.1, 0.5, 0.9, 1], 4);
    expect(h.edges).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(h.counts).toEqual([2, 0, 1, 2]);
    expect(h.counts.reduce((a, b) => a + b)).toBe(5);
  });

  it('handles negative advantages and drops non-finite values', () => {
    const h = histogram([-1.5, -0.5, 0.5, 1.5, NaN, Infinity], 2);
    expect(h.edges).toEqual([-1.5, 0, 1.5]);
    expect(h.counts).toEqual([2, 2]);
    expect(h.dropped).toBe(2);
  });

  it('puts equal values (a group with one reward) in one unit-wide bin', () => {
    expect(histogram([0, 0, 0, 0], 5)).toEqual({ edges: [-0.5, 0.5], counts: [4], dropped: 0 });
  });

  it('returns no bins for no values and rejects a bad bin count', () => {
    expect(histogram([], 3)).toEqual({ edges: [], counts: [], dropped: 0 });
    expect(() => histogram([1], 0)).toThrow(/bins/);
  });

  it('picks a sensible bin count for the sample size', () => {
    expect(binsFor(8)).toBe(4);
    expect(binsFor(64)).toBe(7);
    expect(binsFor(1e9)).toBe(30);
  });
});
