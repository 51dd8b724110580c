import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/common/rng';

const draw = (r: Rng, n: number) => Array.from({ length: n }, () => r.nextUint32());

describe('Rng', () => {
  it('is xoshiro128**: outputs from state [1, 2, 3, 4], computed by hand', () => {
    // out = rotl(s1·5, 7)·9: rotl(10, 7)·9 = 1280·9 = 11520. The update gives [7, 0, 1026, 12288],
    // so the next output is 0; then [12295, 1029, 1029, 25165824] and rotl(5145, 7)·9 = 5927040.
    const r = Rng.fromState({ algorithm: 'xoshiro128**', s: [1, 2, 3, 4] });
    expect(draw(r, 2)).toEqual([11520, 0]);
    expect(r.getState().s).toEqual([12295, 1029, 1029, 25165824]);
    expect(r.nextUint32()).toBe(5927040);
  });

  it('same seed, same stream; different seeds or stream labels, different streams', () => {
    expect(draw(Rng.fromSeed(42), 8)).toEqual(draw(Rng.fromSeed(42), 8));
    expect(draw(Rng.fromSeed(42), 8)).not.toEqual(draw(Rng.fromSeed(43), 8));
    expect(draw(Rng.fromSeed(42, 'prompts'), 8)).toEqual(draw(Rng.fromSeed(42, 'prompts'), 8));
    expect(draw(Rng.fromSeed(42, 'prompts'), 8)).not.toEqual(draw(Rng.fromSeed(42, 'tokens'), 8));
    expect(draw(Rng.fromSeed(42, 'prompts'), 8)).not.toEqual(draw(Rng.fromSeed(42), 8));
    // Seeds that differ only above bit 32 differ too.
    expect(draw(Rng.fromSeed(5), 4)).not.toEqual(draw(Rng.fromSeed(5 + 2 ** 32), 4));
  });

  it('saving the state mid-stream and restoring it (through JSON) continues the same stream', () => {
    const a = Rng.fromSeed(7, 'tokens');
    draw(a, 13);
    a.next();
    const saved = JSON.stringify(a.getState());
    const expected = [...draw(a, 20), a.next(), a.int(0, 99), a.categorical([1, 2, 3])];
    const b = Rng.fromState(JSON.parse(saved));
    const got = [...draw(b, 20), b.next(), b.int(0, 99), b.categorical([1, 2, 3])];
    expect(got).toEqual(expected);
  });

  it('getState returns a copy; clone continues independently', () => {
    const a = Rng.fromSeed(1);
    const s = a.getState();
    s.s[0] = 0;
    const c = a.clone();
    expect(draw(a, 5)).toEqual(draw(c, 5));
  });

  it('rejects invalid states and seeds', () => {
    expect(() => Rng.fromState({ algorithm: 'xoshiro128**', s: [0, 0, 0, 0] })).toThrow(/all-zero/);
    expect(() => Rng.fromState({ algorithm: 'xoshiro128**', s: [1, 2, 3] } as never)).toThrow(/four uint32/);
    expect(() => Rng.fromState({ algorithm: 'xoshiro128**', s: [1, 2, 3, 2 ** 32] })).toThrow(/four uint32/);
    expect(() => Rng.fromState({ algorithm: 'mt19937', s: [1, 2, 3, 4] } as never)).toThrow(/unsupported/);
    expect(() => Rng.fromSeed(-1)).toThrow(/seed/);
    expect(() => Rng.fromSeed(1.5)).toThrow(/seed/);
  });

  it('next() is in [0, 1) with mean ≈ 1/2 and variance ≈ 1/12', () => {
    const r = Rng.fromSeed(3);
    const n = 100_000;
    let s = 0;
    let ss = 0;
    for (let i = 0; i < n; i++) {
      const u = r.next();
      expect(u >= 0 && u < 1).toBe(true);
      s += u;
      ss += u * u;
    }
    const mean = s / n;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.005); // ~5 standard errors
    expect(Math.abs(ss / n - mean * mean - 1 / 12)).toBeLessThan(0.003);
  });

  it('int(lo, hi) covers the inclusive range evenly (chi-square)', () => {
    const r = Rng.fromSeed(11);
    const counts = new Array(7).fill(0);
    const n = 70_000;
    for (let i = 0; i < n; i++) counts[r.int(-3, 3) + 3]++;
    const expected = n / 7;
    const chi2 = counts.reduce((acc, c) => acc + (c - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(22.46); // 6 degrees of freedom, p = 0.001
    expect(r.int(5, 5)).toBe(5);
    expect(() => r.int(2, 1)).toThrow(/bad range/);
  });

  it('categorical draws indices in proportion to weights and never a zero-weight index', () => {
    const r = Rng.fromSeed(5);
    const weights = [0.1, 0, 0.6, 0.3];
    const counts = [0, 0, 0, 0];
    const n = 50_000;
    for (let i = 0; i < n; i++) counts[r.categorical(weights)]++;
    expect(counts[1]).toBe(0);
    weights.forEach((w, i) => expect(Math.abs(counts[i] / n - w)).toBeLessThan(0.01));
    expect(() => r.categorical([0, 0])).toThrow(/sum to 0/);
    expect(() => r.categorical([1, -1])).toThrow(/weight 1/);
  });

  it('shuffle returns a permutation and is deterministic per seed', () => {
    const items = Array.from({ length: 20 }, (_, i) => i);
    const a = Rng.fromSeed(9).shuffle(items);
    expect([...a].sort((x, y) => x - y)).toEqual(items);
    expect(a).not.toEqual(items);
    expect(Rng.fromSeed(9).shuffle(items)).toEqual(a);
  });

  it('fork derives a deterministic child stream and advances the parent by one draw', () => {
    const p1 = Rng.fromSeed(21);
    const p2 = Rng.fromSeed(21);
    expect(draw(p1.fork('eval'), 4)).toEqual(draw(p2.fork('eval'), 4));
    expect(draw(p1, 4)).toEqual(draw(p2, 4));
    const p3 = Rng.fromSeed(21);
    p3.nextUint32();
    expect(draw(p3, 4)).toEqual(draw(Rng.fromSeed(21).clone(), 5).slice(1));
  });
});
