/**
 * Synthetic rows for an example's tables, seeded and type-aware. The point is the "distilled test
 * suite" idea: two queries are judged equivalent only if they agree on every database, so the
 * databases must make the gold query's WHERE clauses, joins and groups actually select rows. To that
 * end the generator reads facts from the gold query (query-analysis.ts) and:
 *  - puts the gold query's literals into the constrained columns (and values next to them for < >);
 *  - gives joined columns (and same-named / foreign-key columns) one shared pool of values;
 *  - keeps key-like columns unique within their table and values of ORDER BY columns distinct;
 *  - writes VARCHAR columns that the query treats as numbers as numeric strings, like the dataset;
 *  - on top of these random rows, plants rows on and next to every literal, HAVING threshold and
 *    LIMIT of the gold query (boundary-rows.ts), so near misses of it give other results.
 * Profiles vary size, duplicate rate, literal rate and NULLs across the databases of one example.
 */
import type { SqlValue } from 'sql.js';
import { createRng, mixSeeds, type Rng } from '../common/prng';
import { refKey, type ColumnConstraint, type ColumnRef, type Literal, type QueryFacts } from './query-analysis';
import { boundaryRows, type BoundaryStyle } from './boundary-rows';
import { findTable, type Schema, type TableDef } from './schema';
import { coerce, columnKind, freshValue, instantiatePattern, isKeyName, isOwnKey, KIND_RANK, nameRange, numericOf, UnionFind, type ValueKind } from './synthetic-values';

export interface SyntheticProfile {
  /** Rows per table, inclusive range. */
  rows: [number, number];
  /** Probability that a constrained column's value comes from the gold query's literals. */
  literalRate: number;
  /** Probability of NULL in an ordinary (non-key, non-literal) cell. */
  nullRate: number;
  /** Distinct values per column relative to the row count (small means many duplicates, so groups). */
  distinctRatio: number;
  /** Draw pool values unevenly (a few common, many rare), so group sizes differ. */
  skew: boolean;
  /** Plant rows on and next to the gold query's literals (boundary-rows.ts), in this style. */
  boundary?: BoundaryStyle;
}

/**
 * Five databases per example by default: tiny, small, larger, literal-heavy with NULLs, and
 * edge-size. The first four also hold the boundary rows, in four styles (free values above or
 * below the random ones; the literal's own group, or the lowest / highest neighbour's, on top;
 * ordered by an aggregate, the top group the largest, or the smallest).
 */
export const DEFAULT_PROFILES: readonly SyntheticProfile[] = [
  { rows: [4, 7], literalRate: 0.5, nullRate: 0, distinctRatio: 0.5, skew: false, boundary: { extremes: 'high', top: 'literal', firstConditionTop: true, sizes: 'grow' } },
  { rows: [8, 14], literalRate: 0.3, nullRate: 0, distinctRatio: 0.6, skew: true, boundary: { extremes: 'low', top: 'literal', firstConditionTop: true, sizes: 'shrink' } },
  { rows: [15, 25], literalRate: 0.2, nullRate: 0.05, distinctRatio: 0.8, skew: false, boundary: { extremes: 'low', top: 'first', firstConditionTop: false, sizes: 'grow' } },
  { rows: [6, 10], literalRate: 0.6, nullRate: 0.1, distinctRatio: 0.4, skew: true, boundary: { extremes: 'high', top: 'last', firstConditionTop: false, sizes: 'grow' } },
  { rows: [1, 3], literalRate: 0.5, nullRate: 0, distinctRatio: 1, skew: false },
];

export interface SyntheticTable {
  table: TableDef;
  rows: SqlValue[][];
}

export interface GenerationHints {
  /** Numbers and quoted phrases from the question, used now and then as values. */
  questionLiterals?: Literal[];
}

interface Domain {
  members: ColumnRef[];
  kind: ValueKind;
  keyLike: boolean;
  range: [number, number];
  /** Values every member may share (so joins match); built per database. */
  pool: Literal[];
}

/** A value that satisfies (or nearly satisfies) one gold-query constraint. */
function valueForConstraint(c: ColumnConstraint, kind: ValueKind, rng: Rng): Literal {
  const v = rng.pick(c.values);
  switch (c.op) {
    case '=':
    case '!=':
    case 'IN':
      return v;
    case 'LIKE':
    case 'GLOB':
      return typeof v === 'string' ? instantiatePattern(v, c.op, rng) : v;
    case 'BETWEEN': {
      const lo = numericOf(c.values[0]!);
      const hi = numericOf(c.values[1] ?? c.values[0]!);
      if (lo === undefined || hi === undefined) return v;
      const n = rng.chance(0.3) ? rng.pick([lo, hi, lo - 1, hi + 1]) : lo + Math.round(rng.next() * (hi - lo));
      return kind === 'numeric-text' || typeof v === 'string' ? String(n) : n;
    }
    default: {
      // < <= > >=: values on both sides of the bound, the bound itself included.
      const n = numericOf(v);
      if (n === undefined) return v;
      const step = Number.isInteger(n) ? Math.max(1, Math.round(Math.abs(n) * 0.05)) : Math.abs(n) * 0.05 || 0.5;
      const out = n + rng.pick([-2, -1, 0, 1, 2, 3]) * step;
      const rounded = Number.isInteger(n) ? Math.round(out) : Math.round(out * 100) / 100;
      return kind === 'numeric-text' || typeof v === 'string' ? String(rounded) : rounded;
    }
  }
}

/**
 * Generates rows for every table of `schema`. Deterministic in (schema, facts, profile, seed).
 */
export function generateRows(schema: Schema, facts: QueryFacts, profile: SyntheticProfile, seed: number, hints: GenerationHints = {}): SyntheticTable[] {
  const rng = createRng(seed);
  const numericUse = new Set(facts.numericColumns.map(refKey));
  const orderBy = new Set(facts.orderByColumns.map(refKey));
  const constraintsByColumn = new Map<string, ColumnConstraint[]>();
  for (const c of facts.constraints) {
    const k = refKey(c.ref);
    constraintsByColumn.set(k, [...(constraintsByColumn.get(k) ?? []), c]);
  }

  // Domains: joined, foreign-key and same-named columns share values.
  const uf = new UnionFind();
  const byName = new Map<string, string>();
  for (const t of schema.tables) {
    for (const c of t.columns) {
      const k = refKey({ table: t.name, column: c.name });
      uf.find(k);
      const n = c.name.toLowerCase();
      if (byName.has(n)) uf.union(k, byName.get(n)!);
      else byName.set(n, k);
    }
    for (const fk of t.foreignKeys) {
      const ref = findTable(schema, fk.refTable);
      if (!ref) continue;
      const refCols = fk.refColumns.length > 0 ? fk.refColumns : ref.primaryKey;
      fk.columns.forEach((c, i) => {
        if (refCols[i]) uf.union(refKey({ table: t.name, column: c }), refKey({ table: ref.name, column: refCols[i]! }));
      });
    }
  }
  const joined = new Set<string>();
  for (const [a, b] of facts.equalities) {
    uf.union(refKey(a), refKey(b));
    joined.add(refKey(a));
    joined.add(refKey(b));
  }

  // HAVING count(*) > N needs groups of N+1 rows: more rows, fewer distinct values.
  const groupRows = facts.minGroupRows;
  const rowRange: [number, number] = groupRows > 1 ? [Math.max(profile.rows[0], groupRows + 1), Math.max(profile.rows[1], groupRows * 2 + 2)] : profile.rows;
  const rowCounts = new Map<string, number>(schema.tables.map((t) => [t.name, rng.int(rowRange[0], rowRange[1])]));
  const maxRows = Math.max(...rowCounts.values());
  const domains = new Map<string, Domain>();
  for (const t of schema.tables) {
    for (const c of t.columns) {
      const ref = { table: t.name, column: c.name };
      const k = refKey(ref);
      const root = uf.find(k);
      const kind = columnKind(c, numericUse.has(k));
      const d = domains.get(root);
      const keyLike = c.primaryKey || isKeyName(c.name) || joined.has(k) || t.foreignKeys.some((f) => f.columns.some((fc) => fc.toLowerCase() === c.name.toLowerCase()));
      if (!d) {
        domains.set(root, { members: [ref], kind, keyLike, range: nameRange(c.name) ?? [0, 100], pool: [] });
      } else {
        d.members.push(ref);
        if (KIND_RANK[kind] > KIND_RANK[d.kind]) d.kind = kind;
        d.keyLike ||= keyLike;
      }
    }
  }
  for (const d of domains.values()) {
    const shared = d.members.length > 1;
    if (d.keyLike && (d.kind === 'integer' || d.kind === 'numeric-text' || shared)) {
      // Keys: small integers so that joins across tables hit; kept numeric even in VARCHAR columns.
      d.range = [1, Math.max(2, maxRows + 1)];
      if (d.kind === 'text' || d.kind === 'date') d.kind = 'numeric-text';
    }
    let size = Math.max(2, Math.round(maxRows * profile.distinctRatio) + 1);
    if (groupRows > 1) size = Math.max(2, Math.min(size, Math.floor(maxRows / groupRows)));
    const seen = new Set<string>();
    for (let i = 0; i < size * 4 && d.pool.length < size; i++) {
      const v = freshValue(d.kind, d.range, rng);
      if (!seen.has(String(v))) {
        seen.add(String(v));
        d.pool.push(v);
      }
    }
    // Equality literals on any member join the shared pool, so joined tables carry them too.
    for (const m of d.members) {
      for (const c of constraintsByColumn.get(refKey(m)) ?? []) {
        if (c.op !== '=' && c.op !== 'IN') continue;
        for (const v of c.values) {
          if (seen.has(String(v))) continue;
          seen.add(String(v));
          d.pool.push(v);
        }
      }
    }
  }

  // Boundary rows first: INSERT OR IGNORE keeps the first of two rows that share a key.
  const planted = profile.boundary
    ? boundaryRows(schema, facts, (ref) => {
        const d = domains.get(uf.find(refKey(ref)))!;
        return { kind: d.kind, keyLike: d.keyLike, range: d.range };
      }, profile.boundary, createRng(mixSeeds(seed, 'boundary')))
    : undefined;

  // HAVING count(...) thresholds are only tested when some groups fall short of them.
  const skew = profile.skew || groupRows > 1;
  const questionLiterals = hints.questionLiterals ?? [];
  const out: SyntheticTable[] = [];
  for (const t of schema.tables) {
    const n = rowCounts.get(t.name)!;
    const columns = t.columns.map((c) => {
      const k = refKey({ table: t.name, column: c.name });
      const d = domains.get(uf.find(k))!;
      const unique = isOwnKey(t, c) || orderBy.has(k);
      return { c, k, d, unique, constraints: constraintsByColumn.get(k) ?? [] };
    });
    const rows: SqlValue[][] = Array.from({ length: n }, () => []);
    for (const { k, d, unique, constraints } of columns) {
      const values = unique ? uniqueValues(d, n, rng, planted?.used.get(k)) : [];
      for (let r = 0; r < n; r++) {
        let v: SqlValue;
        if (constraints.length > 0 && rng.chance(profile.literalRate)) v = valueForConstraint(rng.pick(constraints), d.kind, rng);
        else if (unique) v = values[r]!;
        else if (!d.keyLike && rng.chance(profile.nullRate)) v = null;
        else if (questionLiterals.length > 0 && !d.keyLike && rng.chance(0.05)) v = coerce(rng.pick(questionLiterals), d.kind);
        else v = skew ? d.pool[Math.floor(d.pool.length * rng.next() ** 2)]! : rng.pick(d.pool);
        rows[r]!.push(v);
      }
    }
    out.push({ table: t, rows: [...(planted?.rows.get(t.name.toLowerCase()) ?? []), ...rows] });
  }
  return out;
}

/** Distinct values for a unique column: the domain pool first (so joins hit), then fresh values. */
function uniqueValues(d: Domain, n: number, rng: Rng, avoid: ReadonlySet<string> = new Set()): Literal[] {
  const out: Literal[] = [];
  const seen = new Set<string>(avoid);
  for (const v of rng.shuffle(d.pool)) {
    if (out.length >= n) break;
    if (seen.has(String(v))) continue;
    seen.add(String(v));
    out.push(v);
  }
  // Widen the range as needed: a column of 25 distinct months does not exist, 25 distinct numbers do.
  let range = d.range;
  for (let tries = 0; out.length < n; tries++) {
    if (tries > 0 && tries % 20 === 0) range = [range[0], range[1] * 2 + 10];
    const v = freshValue(d.kind, range, rng);
    const key = d.kind === 'text' && tries > 40 ? `${v} ${tries}` : v;
    if (!seen.has(String(key))) {
      seen.add(String(key));
      out.push(key);
    }
  }
  return out;
}

/** Numbers and quoted phrases in a question ("... after 1995", "... named 'Ann Lee'"). */
export function questionLiterals(question: string): Literal[] {
  const out: Literal[] = [];
  for (const m of question.matchAll(/(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])/g)) out.push(Number(m[0]));
  for (const m of question.matchAll(/"([^"]{1,60})"|(?<!\w)'([^']{1,60})'(?!\w)/g)) out.push((m[1] ?? m[2])!);
  return out;
}

/** Seed for database `index` of an example, from the example's content and a run seed. */
export function databaseSeed(runSeed: number, context: string, gold: string, index: number): number {
  return mixSeeds(runSeed, context, gold, index);
}
