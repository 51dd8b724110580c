/**
 * Compares a candidate query's result with the gold result on one database.
 *
 * Rules (documented in docs/BENCHMARKS.md too):
 *  - Column names are ignored (aliases, T1.name vs name, count(*) vs cnt all match).
 *  - Column order is ignored by default: a permutation of the gold columns is accepted.
 *  - Rows are compared as a multiset, or as an ordered list when the gold query has a top-level
 *    ORDER BY (order is then part of the answer).
 *  - Values are strict: NULL only equals NULL, text never equals a number ('5' is not 5), blobs
 *    compare bytewise. Float rule: numbers are equal when they agree to 10 significant digits
 *    (so 0.1 + 0.2 equals 0.3, and an AVG summed in another order still matches); integers and
 *    integral reals are the same number (SQLite itself has 2 = 2.0).
 */
import type { SqlValue } from 'sql.js';
import type { QueryResult } from './run-query';

export interface CompareOptions {
  /** Compare rows in order (gold has a top-level ORDER BY). */
  ordered: boolean;
  /** Accept the gold columns in any order (default true). */
  ignoreColumnOrder?: boolean;
}

export interface Comparison {
  equal: boolean;
  /** Why they differ (empty when equal). */
  reason: string;
  sameColumnCount: boolean;
  sameRowCount: boolean;
  /** F1 of the row multisets (cells of a row taken in any order); 1 when both are empty. */
  rowOverlap: number;
}

function hex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** Canonical text of a cell under the value rules above. */
export function cellKey(v: SqlValue): string {
  if (v === null) return 'n:';
  if (typeof v === 'number') {
    if (Number.isInteger(v) || !Number.isFinite(v)) return `f:${v === 0 ? 0 : v}`;
    return `f:${Number(v.toPrecision(10))}`;
  }
  if (typeof v === 'string') return `s:${v}`;
  return `b:${hex(v)}`;
}

function countKeys(keys: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
}

function sameMultiset(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const m = countKeys(a);
  for (const k of b) {
    const n = m.get(k);
    if (!n) return false;
    m.set(k, n - 1);
  }
  return true;
}

function multisetF1(gold: readonly string[], pred: readonly string[]): number {
  if (gold.length === 0 && pred.length === 0) return 1;
  if (gold.length === 0 || pred.length === 0) return 0;
  const m = countKeys(gold);
  let hits = 0;
  for (const k of pred) {
    const n = m.get(k);
    if (n) {
      hits++;
      m.set(k, n - 1);
    }
  }
  if (hits === 0) return 0;
  const p = hits / pred.length;
  const r = hits / gold.length;
  return (2 * p * r) / (p + r);
}

const SEP = '\u0001';

function rowKeys(rows: readonly (readonly string[])[], perm: readonly number[]): string[] {
  return rows.map((r) => perm.map((j) => r[j]!).join(SEP));
}

function rowsEqual(gold: string[], pred: string[], ordered: boolean): boolean {
  if (!ordered) return sameMultiset(gold, pred);
  return gold.length === pred.length && gold.every((k, i) => k === pred[i]);
}

/** Column signature: the column's values as a sorted multiset (or a sequence when ordered). */
function columnSignature(cells: readonly (readonly string[])[], j: number, ordered: boolean): string {
  const col = cells.map((r) => r[j]!);
  if (!ordered) col.sort();
  return col.join(SEP);
}

/** Searches pred-column permutations whose columns match gold's column by column; at most `budget` tries. */
function findPermutation(goldCells: string[][], predCells: string[][], ncol: number, ordered: boolean, goldRows: string[]): boolean {
  const goldSig = Array.from({ length: ncol }, (_, j) => columnSignature(goldCells, j, ordered));
  const predSig = Array.from({ length: ncol }, (_, j) => columnSignature(predCells, j, ordered));
  const candidates = goldSig.map((g) => predSig.flatMap((p, j) => (p === g ? [j] : [])));
  if (candidates.some((c) => c.length === 0)) return false;
  let budget = 5000;
  const perm: number[] = [];
  const used = new Set<number>();
  const search = (j: number): boolean => {
    if (budget-- <= 0) return false;
    if (j === ncol) return rowsEqual(goldRows, rowKeys(predCells, perm), ordered);
    for (const p of candidates[j]!) {
      if (used.has(p)) continue;
      used.add(p);
      perm.push(p);
      if (search(j + 1)) return true;
      perm.pop();
      used.delete(p);
    }
    return false;
  };
  return search(0);
}

export function compareResults(gold: QueryResult, pred: QueryResult, options: CompareOptions): Comparison {
  const ordered = options.ordered;
  const ignoreColumnOrder = options.ignoreColumnOrder ?? true;
  const ncol = gold.columns.length;
  const sameColumnCount = pred.columns.length === ncol;
  const sameRowCount = pred.rows.length === gold.rows.length;
  const goldCells = gold.rows.map((r) => r.map(cellKey));
  const predCells = pred.rows.map((r) => r.map(cellKey));
  if (!sameColumnCount) {
    return { equal: false, reason: `${pred.columns.length} columns, expected ${ncol}`, sameColumnCount, sameRowCount, rowOverlap: 0 };
  }
  const sortedRow = (r: string[]) => r.slice().sort().join(SEP);
  const rowOverlap = multisetF1(goldCells.map(sortedRow), predCells.map(sortedRow));
  const identity = Array.from({ length: ncol }, (_, j) => j);
  const goldRows = rowKeys(goldCells, identity);
  let equal = sameRowCount && rowsEqual(goldRows, rowKeys(predCells, identity), ordered);
  if (!equal && sameRowCount && ignoreColumnOrder && ncol > 1) equal = findPermutation(goldCells, predCells, ncol, ordered, goldRows);
  let reason = '';
  if (!equal) {
    if (!sameRowCount) reason = `${pred.rows.length} rows, expected ${gold.rows.length}`;
    else if (ordered && rowOverlap === 1) reason = 'same rows in a different order';
    else reason = 'different values';
  }
  return { equal, reason, sameColumnCount, sameRowCount, rowOverlap };
}
