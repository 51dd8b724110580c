import { describe, expect, it } from 'vitest';
import { splitExamples } from '../../../src/dataset/split';

// 150 schemas; 50 of them carry a second question with a different gold query.
const rows = Array.from({ length: 200 }, (_, i) => ({ id: `r#${i}`, question: `q${i}`, context: `CREATE TABLE t${i % 150} (a INT, b INT)`, answer: i < 150 ? `SELECT a FROM t${i % 150}` : `SELECT b FROM t${i % 150}` }));

describe('splitExamples', () => {
  it('is deterministic in the seed and does not depend on row order', () => {
    const a = splitExamples(rows, { seed: 1, heldOut: 0.2 });
    const b = splitExamples([...rows].reverse(), { seed: 1, heldOut: 0.2 });
    expect(new Set(b.heldOut.map((r) => r.id))).toEqual(new Set(a.heldOut.map((r) => r.id)));
    const c = splitExamples(rows, { seed: 2, heldOut: 0.2 });
    expect(new Set(c.heldOut.map((r) => r.id))).not.toEqual(new Set(a.heldOut.map((r) => r.id)));
  });

  it('partitions the rows, close to the requested size, and keeps input order', () => {
    const s = splitExamples(rows, { seed: 7, heldOut: 0.2 });
    expect(s.train.length + s.heldOut.length).toBe(200);
    expect(new Set([...s.train, ...s.heldOut].map((r) => r.id)).size).toBe(200);
    // Schemas of two rows may overshoot by one.
    expect(s.heldOut.length).toBeGreaterThanOrEqual(40);
    expect(s.heldOut.length).toBeLessThanOrEqual(41);
    const idx = (r: { id: string }) => Number(r.id.slice(2));
    expect(s.heldOut.map(idx)).toEqual([...s.heldOut.map(idx)].sort((x, y) => x - y));
  });

  it('puts every row of one schema on the same side, whatever its gold query', () => {
    for (const seed of [3, 4, 5]) {
      const s = splitExamples(rows, { seed, heldOut: 50 });
      const heldContexts = new Set(s.heldOut.map((r) => r.context));
      expect(s.train.filter((r) => heldContexts.has(r.context))).toEqual([]);
      // Some held-out schema has two questions with different gold queries, both held out.
      const pairs = s.heldOut.filter((r) => Number(r.id.slice(2)) >= 150);
      expect(pairs.length).toBeGreaterThan(0);
      for (const p of pairs) expect(s.heldOut.some((r) => r.context === p.context && r.answer !== p.answer)).toBe(true);
    }
  });

  it('accepts a count and rejects nonsense', () => {
    expect(splitExamples(rows, { seed: 0, heldOut: 1 }).heldOut.length).toBeGreaterThanOrEqual(1);
    expect(() => splitExamples(rows, { seed: 0, heldOut: 0 })).toThrow(/fraction in \(0, 1\) or a whole count/);
    expect(() => splitExamples(rows, { seed: 0, heldOut: 2.5 })).toThrow(/whole count/);
  });
});
