import { describe, expect, it } from 'vitest';
import { cellKey, compareResults } from '../../../src/sql/result-compare';
import type { QueryResult } from '../../../src/sql/run-query';

const r = (columns: string[], rows: QueryResult['rows']): QueryResult => ({ columns, rows });

describe('compareResults', () => {
  it('ignores column names', () => {
    const c = compareResults(r(['count(*)'], [[3]]), r(['n'], [[3]]), { ordered: false });
    expect(c).toMatchObject({ equal: true, reason: '' });
  });

  it('compares rows as a multiset unless ordered', () => {
    const gold = r(['a'], [[1], [2], [2]]);
    expect(compareResults(gold, r(['a'], [[2], [1], [2]]), { ordered: false }).equal).toBe(true);
    expect(compareResults(gold, r(['a'], [[2], [1], [2]]), { ordered: true })).toMatchObject({ equal: false, reason: 'same rows in a different order' });
    // Multiplicity matters: DISTINCT versus not is a difference.
    expect(compareResults(gold, r(['a'], [[1], [2]]), { ordered: false })).toMatchObject({ equal: false, sameRowCount: false });
    expect(compareResults(gold, r(['a'], [[1], [1], [2]]), { ordered: false }).equal).toBe(false);
  });

  it('accepts a permutation of the columns unless told not to', () => {
    const gold = r(['name', 'age'], [['ann', 30], ['bob', 41]]);
    const swapped = r(['age', 'name'], [[41, 'bob'], [30, 'ann']]);
    expect(compareResults(gold, swapped, { ordered: false }).equal).toBe(true);
    expect(compareResults(gold, swapped, { ordered: false, ignoreColumnOrder: false }).equal).toBe(false);
    // A column permutation must hold row by row, not just column by column.
    const mixed = r(['name', 'age'], [['ann', 41], ['bob', 30]]);
    expect(compareResults(gold, mixed, { ordered: false }).equal).toBe(false);
  });

  it('is strict on types and NULL', () => {
    expect(compareResults(r(['a'], [[5]]), r(['a'], [['5']]), { ordered: false }).equal).toBe(false);
    expect(compareResults(r(['a'], [[null]]), r(['a'], [['']]), { ordered: false }).equal).toBe(false);
    expect(compareResults(r(['a'], [[null]]), r(['a'], [[null]]), { ordered: false }).equal).toBe(true);
    expect(compareResults(r(['a'], [[new Uint8Array([0, 255])]]), r(['a'], [[new Uint8Array([0, 255])]]), { ordered: false }).equal).toBe(true);
  });

  it('applies the float rule: 10 significant digits', () => {
    expect(cellKey(0.1 + 0.2)).toBe(cellKey(0.3));
    expect(cellKey(2)).toBe(cellKey(2.0));
    expect(cellKey(1 / 3)).toBe(cellKey(0.33333333333));
    expect(cellKey(1 / 3)).not.toBe(cellKey(0.333333333));
    expect(cellKey(-0)).toBe(cellKey(0));
  });

  it('reports column-count and row-count mismatches and a row overlap score', () => {
    const gold = r(['a', 'b'], [[1, 'x'], [2, 'y']]);
    expect(compareResults(gold, r(['a'], [[1], [2]]), { ordered: false })).toMatchObject({ equal: false, sameColumnCount: false, reason: '1 columns, expected 2', rowOverlap: 0 });
    const c = compareResults(gold, r(['a', 'b'], [[1, 'x']]), { ordered: false });
    expect(c).toMatchObject({ equal: false, sameColumnCount: true, sameRowCount: false });
    // One of one predicted row is right (precision 1), one of two gold rows found (recall 0.5): F1 = 2/3.
    expect(c.rowOverlap).toBeCloseTo(2 / 3, 10);
    expect(compareResults(r(['a'], []), r(['a'], []), { ordered: false })).toMatchObject({ equal: true, rowOverlap: 1 });
  });
});
