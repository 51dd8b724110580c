/**
 * Synthetic rows for an example's tables, seeded and type-aware. The point is the "distilled test
 * suite" idea: two queries are judged equivalent only if they agree on every database, so the
 * databases must make the gold query's WHERE clauses, joins and groups actually select rows. To that
 * end the generator reads facts from the gold query (query-analysis.ts) and:
 *  - puts the gold query's literals into the constrained columns (and values next to them for < >);
 *  - gives joined columns (and same-named / foreign-key columns) one shared pool of values;
 *  - keeps key-like columns unique within their table and values of ORDER BY columns distinct;
 *  - writes VARCHAR columns that the query treats as numbers as numeric strings, like the dataset.
 * Profiles vary size, duplicate rate, literal rate and NULLs across the databases of one example.
 */
import type { SqlValue } from 'sql.js';
import { createRng, mixSeeds, type Rng } from './prng';
import { refKey, type ColumnConstraint, type ColumnRef, type Literal, type QueryFacts } from './query-analysis';
import { findTable, type ColumnDef, type Schema, type TableDef } from './schema';

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
}

/** Five databases per example by default: tiny, small, larger, literal-heavy with NULLs, and edge-size. */
export const DEFAULT_PROFILES: readonly SyntheticProfile[] = [
  { rows: [4, 7], literalRate: 0.5, nullRate: 0, distinctRatio: 0.5, skew: false },
  { rows: [8, 14], literalRate: 0.3, nullRate: 0, distinctRatio: 0.6, skew: true },
  { rows: [15, 25], literalRate: 0.2, nullRate: 0.05, distinctRatio: 0.8, skew: false },
  { rows: [6, 10], literalRate: 0.6, nullRate: 0.1, distinctRatio: 0.4, skew: true },
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

type ValueKind = 'integer' | 'real' | 'numeric-text' | 'date' | 'text';

interface Domain {
  members: ColumnRef[];
  kind: ValueKind;
  keyLike: boolean;
  range: [number, number];
  /** Values every member may share (so joins match); built per database. */
  pool: Literal[];
}

const WORDS = [
  'amber', 'birch', 'cedar', 'delta', 'ember', 'falcon', 'granite', 'harbor', 'iris', 'juniper', 'kestrel', 'linden', 'maple',
  'nova', 'oak', 'pine', 'quartz', 'raven', 'sierra', 'tundra', 'umber', 'violet', 'willow', 'yarrow', 'zephyr', 'aspen',
  'brook', 'coral', 'dune', 'elm', 'fern', 'glen', 'hazel', 'ivy', 'jade', 'kelp', 'lark', 'moss', 'north', 'opal',
];

/** Numeric ranges suggested by column names (lower-cased substrings), first match wins. */
const NAME_RANGES: [RegExp, [number, number]][] = [
  [/year|season|founded|elected|established/, [1950, 2024]],
  [/age/, [16, 80]],
  [/month/, [1, 12]],
  [/day/, [1, 28]],
  [/week/, [1, 17]],
  [/round|heat|lane/, [1, 10]],
  [/rank|position|place|pos\b|seed/, [1, 20]],
  [/pick|overall|number|no\b|num/, [1, 60]],
  [/attendance|crowd|population|capacity|enrollment|seats/, [1000, 90000]],
  [/price|cost|salary|budget|amount|revenue|sales|income|pay/, [10, 100000]],
  [/height/, [150, 210]],
  [/weight/, [50, 120]],
  [/score|points|pts|goals|wins|losses|draws|games|apps|total|votes|gold|silver|bronze/, [0, 120]],
];
const NUMERIC_NAME = /year|season|founded|elected|age|month|week|round|rank|position|place|pick|overall|number|\bno\b|attendance|crowd|population|capacity|price|cost|salary|budget|amount|height|weight|score|points|pts|goals|wins|losses|draws|games|total|votes|gold|silver|bronze|count|area|km|mi|length|lap|grid/;
const DATE_NAME = /date|time|dob|birthday|when/;
const KEY_NAME = /(^|_)(id|code|key)$|id$/;

function isKeyName(col: string): boolean {
  return KEY_NAME.test(col.toLowerCase());
}

function isOwnKey(table: TableDef, col: ColumnDef): boolean {
  if (table.primaryKey.length === 1 && table.primaryKey[0]!.toLowerCase() === col.name.toLowerCase()) return true;
  const c = col.name.toLowerCase().replace(/_/g, '');
  const t = table.name.toLowerCase().replace(/_/g, '');
  return c === 'id' || c === `${t}id` || (t.endsWith('s') && c === `${t.slice(0, -1)}id`);
}

class UnionFind {
  private parent = new Map<string, string>();
  find(x: string): string {
    let p = this.parent.get(x) ?? x;
    if (p !== x) {
      p = this.find(p);
      this.parent.set(x, p);
    }
    return p;
  }
  union(a: string, b: string): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent.set(ra, rb);
  }
}

function nameRange(col: string): [number, number] | undefined {
  const n = col.toLowerCase();
  for (const [re, range] of NAME_RANGES) if (re.test(n)) return range;
  return undefined;
}

function columnKind(col: ColumnDef, numericUse: boolean): ValueKind {
  const name = col.name.toLowerCase();
  const type = col.declaredType.toUpperCase();
  if (type.includes('DATE') || type.includes('TIME')) return 'date';
  if (col.affinity === 'INTEGER') return 'integer';
  if (col.affinity === 'REAL') return 'real';
  if (col.affinity === 'NUMERIC') return type.includes('DEC') || type.includes('NUM') ? 'real' : 'integer';
  if (numericUse || NUMERIC_NAME.test(name)) return 'numeric-text';
  if (DATE_NAME.test(name)) return 'date';
  return 'text';
}

/** Ranks kinds so a domain mixing kinds takes the most numeric one (joins compare by affinity). */
const KIND_RANK: Record<ValueKind, number> = { integer: 4, real: 3, 'numeric-text': 2, date: 1, text: 0 };

function formatDate(rng: Rng): string {
  const y = rng.int(1990, 2024);
  const m = rng.int(1, 12);
  const d = rng.int(1, 28);
  return `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

function freshValue(kind: ValueKind, range: [number, number], rng: Rng): Literal {
  switch (kind) {
    case 'integer':
      return rng.int(range[0], range[1]);
    case 'real':
      return Math.round((range[0] + rng.next() * (range[1] - range[0])) * 100) / 100;
    case 'numeric-text':
      // WikiSQL-style: numbers stored as text, mostly integers, sometimes with a decimal part.
      return rng.chance(0.85) ? String(rng.int(range[0], range[1])) : (range[0] + rng.next() * (range[1] - range[0])).toFixed(1);
    case 'date':
      return formatDate(rng);
    case 'text':
      return rng.chance(0.5) ? rng.pick(WORDS) : `${rng.pick(WORDS)} ${rng.pick(WORDS)}`;
  }
}

/** A concrete value matching a LIKE / GLOB pattern: wildcards become short random text. */
function instantiatePattern(pattern: string, op: 'LIKE' | 'GLOB', rng: Rng): string {
  const many = op === 'LIKE' ? '%' : '*';
  const one = op === 'LIKE' ? '_' : '?';
  let out = '';
  for (const ch of pattern) {
    if (ch === many) out += rng.chance(0.5) ? '' : rng.pick(WORDS);
    else if (ch === one) out += rng.pick(['a', 'e', 'o', 'x']);
    else out += ch;
  }
  return out;
}

function numericOf(v: Literal): number | undefined {
  if (typeof v === 'number') return v;
  const n = Number(v.trim());
  return v.trim() !== '' && Number.isFinite(n) ? n : undefined;
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
    for (const { d, unique, constraints } of columns) {
      const values = unique ? uniqueValues(d, n, rng) : [];
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
    out.push({ table: t, rows });
  }
  return out;
}

/** Distinct values for a unique column: the domain pool first (so joins hit), then fresh values. */
function uniqueValues(d: Domain, n: number, rng: Rng): Literal[] {
  const out: Literal[] = [];
  const seen = new Set<string>();
  for (const v of rng.shuffle(d.pool)) {
    if (out.length >= n) break;
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

/** A question literal stored in a column of a given kind (numbers stay numbers only where numeric). */
function coerce(v: Literal, kind: ValueKind): Literal {
  if (kind === 'integer' || kind === 'real') return typeof v === 'number' ? v : numericOf(v) ?? v;
  return String(v);
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
