/**
 * Rows planted at the gold query's boundaries, so that near misses (> for >=, < 5 for < 6,
 * LIMIT 2 for LIMIT 1, HAVING count(*) > 3 for > 2) give a different result from gold on the data.
 * Random rows only brush past a literal now and then; these rows sit on it and next to it.
 *
 * The rows come in *groups* of *tuples*; a tuple is one row in each table the query reads, the
 * columns linked by the query's equalities and the schema's foreign keys holding one value, a value
 * no random row has: tuples join among themselves and nothing else joins them. Every condition of
 * the query (column op literal, aggregate op literal; from query-analysis.ts) gets:
 *  - one group per neighbour of its literal (literal - 1, literal, literal + 1 for integers; also
 *    literal +- a small step for reals; the day before and after for ISO dates; both BETWEEN bounds;
 *    for text = / LIKE, the literal and a value that fails), carrying it in the compared column
 *    while the other conditions hold (alternatives across an OR fail, conditions of a NOT IN /
 *    EXCEPT side fail unless varied), so that only the compared value decides;
 *  - HAVING count(...): groups of exactly N - 1, N and N + 1 tuples;
 *  - HAVING avg / min / max / sum(x): groups whose aggregate lands on each neighbour, by two unequal
 *    rows where the counts allow (so the other aggregates of the group differ), SUM also by one row.
 * Plus groups satisfying everything: n + 2 for LIMIT n (at least two), and a twin of the first
 * (same values, own keys) so COUNT(x) / COUNT(DISTINCT x) and DISTINCT differ.
 * Under GROUP BY the tuples of a group share the grouping values and the rows on the one side of
 * the join, so a group is one SQL group of known size. Free values are distinct per group and
 * column; those of the varied groups lie above ('high') or below ('low') all others, in an order
 * the style picks (which neighbour's group is the extreme one), so across the databases each
 * boundary row is somewhere the one MAX / MIN / ORDER BY ... LIMIT takes. Ordered by an aggregate,
 * groups get distinct sizes. Tables read only to exclude rows (NOT IN (SELECT ...)) get rows only
 * from groups that vary a condition there.
 */
import type { SqlValue } from 'sql.js';
import type { Rng } from '../common/prng';
import { refKey, type AggregateFn, type ColumnRef, type ConditionSite, type ConstraintOp, type Literal, type QueryFacts } from './query-analysis';
import { findTable, type Schema, type TableDef } from './schema';
import { coerce, instantiatePattern, isOwnKey, KIND_RANK, matchesPattern, numericOf, UnionFind, WORDS, type ValueKind } from './synthetic-values';

/**
 * How the free values of the varied groups are ordered, so that across a few databases each
 * boundary row is, somewhere, the one that MAX / MIN / ORDER BY ... LIMIT picks.
 */
export interface BoundaryStyle {
  /** Free numeric values of the varied groups above ('high') or below ('low') the rest. */
  extremes: 'high' | 'low';
  /** Within one condition's groups, the most extreme: the literal's own group, or the last / first neighbour. */
  top: 'literal' | 'last' | 'first';
  /** Whether the first condition's groups are more extreme than the later conditions' (or less). */
  firstConditionTop: boolean;
  /** ORDER BY an aggregate: group sizes grow toward the most extreme group (or shrink). */
  sizes: 'grow' | 'shrink';
}

/** What the random-row generator decided about a column. */
export interface ColumnInfo {
  kind: ValueKind;
  keyLike: boolean;
  range: [number, number];
}

export interface PlantedRows {
  /** Rows per table (lower-cased name), in the table's column order. */
  rows: Map<string, SqlValue[][]>;
  /** Values written per column (refKey -> String(value)), for the random rows' unique columns to avoid. */
  used: Map<string, Set<string>>;
}

/** The largest group planted (HAVING count(*) < 200 needs groups of 199 to 201). */
const MAX_GROUP_ROWS = 250;
/** LIMIT n gets n + 2 satisfying groups, up to this many. */
const MAX_LIMIT_GROUPS = 25;
/** Planted key values start here, far from the random rows' small keys. */
const KEY_BASE = 5000;

/** A condition of the query, column-level or aggregate-level. */
interface Condition extends ConditionSite {
  index: number;
  /** The column whose value decides the condition (an aggregate's argument); none for count. */
  ref?: ColumnRef;
  fn?: AggregateFn;
  op: ConstraintOp;
  values: Literal[];
  negated: boolean;
}

/** Desired truth of each condition in a group; undefined leaves it to the group's fixed values. */
type Want = (c: Condition) => boolean | undefined;

interface Group {
  size: number;
  /** Link-domain root -> value for every tuple of the group. */
  fixed: Map<string, Literal>;
  /** Per-tuple values of one domain (overriding `fixed`), e.g. two rows averaging to the literal. */
  spread?: { root: string; values: Literal[] };
  /** One more tuple, differing in one domain (a compound query's other branch), or none. */
  companion?: { root: string; value: Literal };
  want: Want;
  /** 0: groups that satisfy everything; 1.. the varied condition's rank. */
  band: number;
  /** Position within the band (along the literal's neighbours). */
  pos: number;
  /** The group holds the literal itself (or a count of exactly N). */
  literal?: boolean;
  /** Copies the first group's values, except keys and sort / grouping values. */
  twin?: boolean;
  /** It varies a condition of a NOT IN / NOT EXISTS / EXCEPT side (so it writes rows there). */
  excluding?: boolean;
}

function isIsoDate(v: Literal): v is string {
  return typeof v === 'string' && /^\d{4}-\d{2}-\d{2}/.test(v);
}

function shiftDate(v: string, days: number): string {
  const d = new Date(Date.UTC(Number(v.slice(0, 4)), Number(v.slice(5, 7)) - 1, Number(v.slice(8, 10))) + days * 86_400_000);
  return Number.isNaN(d.getTime()) ? v : d.toISOString().slice(0, 10) + v.slice(10);
}

function decimalsOf(n: number): number {
  const s = String(n);
  return s.includes('e') ? 6 : (s.split('.')[1]?.length ?? 0);
}

/** Round away binary noise: 3.5 - 0.05 is 3.45, not 3.4499999999999997. */
function tidy(n: number, decimals: number): number {
  return Number(n.toFixed(Math.min(12, decimals)));
}

/** Values next to a literal, meaningful for the column's kind. */
function around(v: Literal, kind: ValueKind): Literal[] {
  if (isIsoDate(v)) return [shiftDate(v, -1), v, shiftDate(v, 1)];
  const n = numericOf(v);
  if (n === undefined) return [v];
  if (Number.isInteger(n) && kind !== 'real') return [n - 1, n, n + 1];
  // Reals: the next representable step at the literal's precision too, so > x and >= x + step part.
  const d = decimalsOf(n);
  const eps = Number.isInteger(n) ? 0.5 : 5 * 10 ** -(d + 1);
  return [n - 1, n - eps, n, n + eps, n + 1].map((x) => tidy(x, d + 2));
}

/** Truth of a column-level condition for one value (SQLite's rules, approximately: numbers numerically). */
function holds(c: Condition, v: Literal): boolean {
  const base = (() => {
    switch (c.op) {
      case 'LIKE':
      case 'GLOB':
        return typeof c.values[0] === 'string' && matchesPattern(String(v), c.values[0], c.op);
      case 'IN':
        return c.values.some((x) => compare(v, x) === 0);
      case 'BETWEEN':
        return compare(v, c.values[0]!) >= 0 && compare(v, c.values[1] ?? c.values[0]!) <= 0;
      default:
        return opHolds(c.op, compare(v, c.values[0]!));
    }
  })();
  return c.negated ? !base : base;
}

function opHolds(op: ConstraintOp, cmp: number): boolean {
  switch (op) {
    case '=':
      return cmp === 0;
    case '!=':
      return cmp !== 0;
    case '<':
      return cmp < 0;
    case '<=':
      return cmp <= 0;
    case '>':
      return cmp > 0;
    case '>=':
      return cmp >= 0;
    default:
      return false;
  }
}

function compare(a: Literal, b: Literal): number {
  const x = numericOf(a);
  const y = numericOf(b);
  if (x !== undefined && y !== undefined && !isIsoDate(a) && !isIsoDate(b)) return x === y ? 0 : x < y ? -1 : 1;
  const s = String(a);
  const t = String(b);
  return s === t ? 0 : s < t ? -1 : 1;
}

/** A value different from all of `avoid` (a word for text, a number past them otherwise). */
function otherThan(avoid: Literal[], rng: Rng): Literal {
  const nums = avoid.map(numericOf).filter((n): n is number => n !== undefined);
  if (nums.length === avoid.length && nums.length > 0) return Math.max(...nums) + 7;
  for (const w of rng.shuffle(WORDS)) if (!avoid.some((a) => String(a).toLowerCase() === w)) return w;
  return 'none of these';
}

/** Step for moving a value along its order: one, or a day for dates. */
function step(v: Literal, by: number): Literal {
  if (isIsoDate(v)) return shiftDate(v, by);
  const n = numericOf(v);
  if (n !== undefined) return tidy(n + by, decimalsOf(n) + 2);
  // Strings: a longer string sorts after its prefix, a shorter one before.
  const text = String(v);
  return by > 0 ? `${text}${'a'.repeat(by)}` : text.slice(0, Math.max(0, text.length + by));
}

/** Values that make the base (non-negated) condition true; `rank` spreads them apart where it can. */
function matching(c: Condition, rank: number, rng: Rng): Literal[] {
  const v = c.values[0]!;
  switch (c.op) {
    case '=':
      return [v];
    case 'IN':
      return [c.values[((rank % c.values.length) + c.values.length) % c.values.length]!, ...c.values];
    case '!=':
      return [otherThan(c.values, rng)];
    case '>':
      return [step(v, 2 + rank), step(v, 1)];
    case '>=':
      return [step(v, 2 + rank), v];
    case '<':
      return [step(v, -2 - rank), step(v, -1)];
    case '<=':
      return [step(v, -2 - rank), v];
    case 'BETWEEN':
      return [step(v, 1 + rank), v, c.values[1] ?? v];
    case 'LIKE':
    case 'GLOB':
      return typeof v === 'string' ? [instantiatePattern(v, c.op, rng), instantiatePattern(v, c.op, rng).replace(/\s+$/, '')] : [v];
  }
}

/** Values that make the base condition false. */
function failing(c: Condition, rng: Rng): Literal[] {
  const v = c.values[0]!;
  switch (c.op) {
    case '=':
    case 'IN':
      return [otherThan(c.values, rng)];
    case '!=':
      return [v];
    case '>':
      return [v, step(v, -1)];
    case '>=':
      return [step(v, -1)];
    case '<':
      return [v, step(v, 1)];
    case '<=':
      return [step(v, 1)];
    case 'BETWEEN':
      return [step(v, -1), step(c.values[1] ?? v, 1)];
    case 'LIKE':
    case 'GLOB':
      return [...rng.shuffle(WORDS), 'zz'].filter((w) => typeof v !== 'string' || !matchesPattern(w, v, c.op as 'LIKE' | 'GLOB')).slice(0, 1);
  }
}

function satisfying(c: Condition, want: boolean, rank: number, rng: Rng): Literal[] {
  return want !== c.negated ? matching(c, rank, rng) : failing(c, rng);
}

/** Whether two conditions sit in different OR-branches of their innermost common group. */
function alternatives(a: readonly string[], b: readonly string[]): boolean {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const [ga, ba] = a[i]!.split(':');
    const [gb, bb] = b[i]!.split(':');
    if (ga !== gb) return false;
    if (ba !== bb) return true;
  }
  return false;
}

/** Two values whose aggregate `fn` is exactly `v` while the other aggregates are not; undefined for non-numbers. */
function aggregatePair(fn: AggregateFn, v: Literal): Literal[] | undefined {
  const n = numericOf(v);
  if (n === undefined || isIsoDate(v)) return undefined;
  const d = decimalsOf(n) + 1;
  switch (fn) {
    case 'SUM': {
      const half = Number.isInteger(n) ? Math.floor(n / 2) : tidy(n / 2, d + 1);
      return [half, tidy(n - half, d + 1)];
    }
    case 'AVG':
      return [tidy(n - 1, d), tidy(n + 1, d)];
    case 'MIN':
      return [n, tidy(n + 3, d)];
    case 'MAX':
      return [n, tidy(n - 3, d)];
    default:
      return undefined;
  }
}

/** The values a varied group takes in the compared column: the literal's neighbours, plus a failing value. */
function neighbours(c: Condition, kind: ValueKind, rng: Rng): Literal[] {
  const out: Literal[] = [];
  const add = (vs: Literal[]) => {
    for (const v of vs) if (!out.some((o) => String(o) === String(v))) out.push(v);
  };
  if (c.op === 'LIKE' || c.op === 'GLOB') add([...matching(c, 0, rng).slice(0, 1), ...failing(c, rng)]);
  else if (c.op === 'IN') add([...c.values.slice(0, 4), ...failing(c, rng)]);
  else for (const v of c.values) add(around(v, kind));
  // Text compared by = / !=: the literal and one value that is not it.
  if (out.length === 1) add(failing({ ...c, op: '=' }, rng));
  return out;
}

/**
 * Plants the groups for `facts` into the tables the query reads. `info` describes each column as the
 * random-row generator sees it (value kind, key-likeness, plausible range).
 */
export function boundaryRows(schema: Schema, facts: QueryFacts, info: (ref: ColumnRef) => ColumnInfo, style: BoundaryStyle, rng: Rng): PlantedRows {
  const tables = facts.tables.map((n) => findTable(schema, n)).filter((t): t is TableDef => t !== undefined);
  const out: PlantedRows = { rows: new Map(), used: new Map() };
  if (tables.length === 0) return out;
  const inQuery = new Set(tables.map((t) => t.name.toLowerCase()));
  const inR = (ref: ColumnRef) => inQuery.has(ref.table.toLowerCase());

  // Link domains: columns equal in every tuple (the query's equalities, foreign keys between its tables).
  const uf = new UnionFind();
  for (const [a, b] of facts.equalities) if (inR(a) && inR(b)) uf.union(refKey(a), refKey(b));
  for (const t of tables) {
    for (const fk of t.foreignKeys) {
      const ref = findTable(schema, fk.refTable);
      if (!ref || !inQuery.has(ref.name.toLowerCase())) continue;
      const refCols = fk.refColumns.length > 0 ? fk.refColumns : ref.primaryKey;
      fk.columns.forEach((c, i) => {
        if (refCols[i]) uf.union(refKey({ table: t.name, column: c }), refKey({ table: ref.name, column: refCols[i]! }));
      });
    }
  }
  const root = (ref: ColumnRef) => uf.find(refKey(ref));
  interface Root {
    kind: ValueKind;
    keyLike: boolean;
    range: [number, number];
    ownKey: boolean;
    /** Columns of the query's tables in the domain (more than one: a join). */
    columns: number;
  }
  const roots = new Map<string, Root>();
  for (const t of tables) {
    for (const c of t.columns) {
      const ref = { table: t.name, column: c.name };
      const i = info(ref);
      const r = roots.get(root(ref));
      const ownKey = isOwnKey(t, c);
      if (!r) roots.set(root(ref), { kind: i.kind, keyLike: i.keyLike, range: i.range, ownKey, columns: 1 });
      else {
        r.columns++;
        if (KIND_RANK[i.kind] > KIND_RANK[r.kind]) r.kind = i.kind;
        r.keyLike ||= i.keyLike;
        r.ownKey ||= ownKey;
      }
    }
  }

  // Conditions: column-level, then aggregate-level; the outer query's first (those decide first).
  const conditions: Condition[] = [];
  for (const c of facts.constraints) if (inR(c.ref)) conditions.push({ ...c, index: conditions.length });
  for (const a of facts.aggregateConstraints) {
    if (a.fn !== 'COUNT' && (!a.arg || !inR(a.arg))) continue;
    const { arg, distinct: _distinct, ...rest } = a;
    conditions.push({ ...rest, ...(a.fn === 'COUNT' ? {} : { ref: arg }), negated: false, index: conditions.length });
  }
  const byRoot = new Map<string, Condition[]>();
  for (const c of conditions) if (c.ref && c.fn !== 'COUNT') byRoot.set(root(c.ref), [...(byRoot.get(root(c.ref)) ?? []), c]);
  const varied = [...conditions].sort((a, b) => Math.min(a.scope, 1) - Math.min(b.scope, 1) || a.index - b.index);

  const counts = conditions.filter((c) => c.fn === 'COUNT');
  /** Group size giving the HAVING count(...) conditions the truth a group wants (1 without any). */
  const sizeFor = (want: Want, prefer = 1): number => {
    if (counts.every((c) => want(c) === undefined || holds(c, prefer) === want(c))) return prefer;
    let best = 1;
    let bestScore = -1;
    for (let k = 1; k <= MAX_GROUP_ROWS && bestScore < counts.length; k++) {
      const score = counts.filter((c) => want(c) === undefined || holds(c, k) === want(c)).length;
      if (score > bestScore) {
        best = k;
        bestScore = score;
      }
    }
    return best;
  };
  // Outside the varied condition: conditions hold, except those whose matches are excluded.
  const defaultWant: Want = (c) => !c.excluding;
  const baseSize = sizeFor(defaultWant);

  const groups: Group[] = [];
  const limit = Math.min(MAX_LIMIT_GROUPS, Math.max(0, ...facts.limits) + 2);
  for (let k = 0; k < Math.max(2, limit); k++) groups.push({ size: baseSize, fixed: new Map(), want: defaultWant, band: 0, pos: k });
  // A twin of the first: the same values but its own keys, so COUNT(x) and COUNT(DISTINCT x),
  // SELECT x and SELECT DISTINCT x differ. (Not when ordering by an aggregate: its group would tie.)
  if (!facts.orderByAggregate) groups.push({ size: baseSize, fixed: new Map(), want: defaultWant, band: 0, pos: 0, twin: true });
  varied.forEach((c, rank) => {
    const band = rank + 1;
    // The varied condition is free; a varied NOT IN / EXCEPT condition needs its own scope's others
    // true; the other branches of a UNION must not select the group by themselves.
    const want: Want = (d) => {
      if (d === c) return undefined;
      // An alternative to it (a = 1 OR b = 2) must fail, or it would select the rows by itself.
      if (d.scope === c.scope && d.branch === c.branch && alternatives(c.orPath, d.orPath)) return false;
      if (c.excluding && d.scope === c.scope && d.branch === c.branch) return true;
      if (d.branch !== c.branch && facts.setOperators[Math.max(c.branch, d.branch) - 1] === 'UNION') return false;
      return defaultWant(d);
    };
    if (c.fn === 'COUNT') {
      const n = numericOf(c.values[0]!);
      if (n === undefined) return;
      const sizes = c.op === 'BETWEEN' ? c.values.flatMap((v) => around(v, 'integer')) : around(n, 'integer');
      let pos = 0;
      for (const s of sizes) {
        const size = numericOf(s);
        if (size === undefined || size < 1 || size > MAX_GROUP_ROWS || !Number.isInteger(size)) continue;
        groups.push({ size, fixed: new Map(), want, band, pos: pos++, literal: c.values.some((x) => numericOf(x) === size), excluding: c.excluding });
      }
      return;
    }
    const r = root(c.ref!);
    const kind = roots.get(r)!.kind;
    // Every group of the band has its own position, hence its own free values.
    let pos = 0;
    for (const v of neighbours(c, kind, rng)) {
      const literal = c.values.some((x) => compare(x, v) === 0);
      const pair = c.fn && sizeFor(want, 2) === 2 ? aggregatePair(c.fn, v) : undefined;
      // An aggregate on the literal's neighbour by two unequal rows where the counts allow (so that
      // SUM, AVG, MIN and MAX of the group all differ), SUM also by one row; else equal rows.
      if (pair) groups.push({ size: 2, fixed: new Map([[r, v]]), spread: { root: r, values: pair }, want, band, pos: pos++, literal, excluding: c.excluding });
      if (pair && c.fn !== 'SUM') continue;
      const size = c.fn === 'SUM' ? 1 : sizeFor(want);
      const g: Group = { size, fixed: new Map([[r, v]]), want, band, pos: pos++, literal, excluding: c.excluding };
      // INTERSECT / EXCEPT with a condition on the same values in another branch: one tuple more,
      // alike but for this value, so the other branch has its match.
      if (facts.setOperators.length > 0) {
        const other = (byRoot.get(r) ?? []).find((d) => d !== c && d.branch !== c.branch && !holds(d, v));
        if (other) g.companion = { root: r, value: satisfying(other, true, 0, rng)[0]! };
      }
      groups.push(g);
    }
  });

  const bands = Math.max(...groups.map((g) => g.band));
  const bandSize = new Map<number, number>();
  for (const g of groups) bandSize.set(g.band, Math.max(bandSize.get(g.band) ?? 0, g.pos + 1));
  const templateCount = bandSize.get(0) ?? 0;
  const maxBand = Math.max(...bandSize.values());
  /** Order of a group among all: template groups least extreme, the first varied condition most. */
  const order = (g: Group) => {
    if (g.band === 0) return g.pos;
    const last = (bandSize.get(g.band) ?? 1) - 1;
    const within = style.top === 'last' ? g.pos : style.top === 'first' ? last - g.pos : g.literal ? last + 1 + g.pos : g.pos;
    return templateCount + (style.firstConditionTop ? bands - g.band : g.band - 1) * (2 * maxBand + 1) + within;
  };
  // ORDER BY count(*) ... LIMIT n: groups of distinct sizes so the order does not tie.
  if (facts.orderByAggregate && counts.length === 0) {
    const last = Math.max(...groups.map(order));
    for (const g of groups) g.size = Math.min(MAX_GROUP_ROWS, g.size + (style.sizes === 'grow' ? order(g) : last - order(g)));
  }

  // Under GROUP BY, the tuples of a group share the grouping values, and so do the rows on the
  // one side of the join: a table whose own key is shared writes one row per group.
  const shared = new Set<string>(facts.groupByColumns.filter(inR).map(root));
  for (let changed = shared.size > 0; changed; ) {
    changed = false;
    for (const t of tables) {
      if (!t.columns.some((c) => isOwnKey(t, c) && shared.has(root({ table: t.name, column: c.name })))) continue;
      for (const c of t.columns) {
        const r = root({ table: t.name, column: c.name });
        if (!shared.has(r)) {
          shared.add(r);
          changed = true;
        }
      }
    }
  }

  const slots = Math.max(...groups.map((g) => g.size)) + 1;
  const rootIndex = new Map([...roots.keys()].map((r, i) => [r, i]));
  const distinctRoots = new Set([...facts.orderByColumns, ...facts.groupByColumns].filter(inR).map(root));
  let keyCounter = 0;
  const valueOf = (g: Group, gi: number, j: number, companion: boolean, r: string, freshKeys: Map<string, number>): Literal => {
    if (companion && g.companion?.root === r) return g.companion.value;
    if (g.spread?.root === r && g.spread.values[j] !== undefined) return g.spread.values[j]!;
    const fixed = g.fixed.get(r);
    if (fixed !== undefined) return fixed;
    const info = roots.get(r)!;
    const conds = byRoot.get(r) ?? [];
    // A twin takes its original's values, but never its sort or grouping values: those move away
    // from the boundary (conditioned) or below every other planted value (free), so nothing ties.
    const p = g.twin && distinctRoots.has(r) ? (conds.length > 0 ? order(g) + 1000 : -1) : order(g);
    if (conds.length > 0) {
      // The candidate that gives the most conditions the truth the group wants.
      const candidates: Literal[] = [];
      for (const c of conds) {
        const w = g.want(c);
        if (w !== undefined) candidates.push(...satisfying(c, w, p, rng));
      }
      let best: Literal | undefined;
      let bestScore = -1;
      for (const v of candidates) {
        const score = conds.filter((c) => g.want(c) !== undefined && holds(c, v) === g.want(c)).length;
        if (score > bestScore) {
          best = v;
          bestScore = score;
        }
      }
      if (best !== undefined) return best;
    }
    // Free values: the group's own (shared ones once per group), apart from every random value.
    // A companion tuple is its group's other tuple in all but the varied value and its own keys.
    const perTuple = !shared.has(r) && !(g.companion && !info.ownKey && r !== g.companion.root);
    const slot = perTuple ? j : 0;
    // Keys that join (or identify a row) come from their own range; other values lie beyond the random ones.
    if (info.keyLike && (info.columns > 1 || info.ownKey)) {
      const key = `${gi}:${perTuple ? j : -1}:${r}`;
      if (!freshKeys.has(key)) freshKeys.set(key, KEY_BASE + keyCounter++);
      return freshKeys.get(key)!;
    }
    // Interleaved by domain, so two columns of one row never hold the same free value.
    const rankIndex = ((p + 1) * slots + slot) * rootIndex.size + rootIndex.get(r)!;
    switch (info.kind) {
      case 'integer':
      case 'real':
      case 'numeric-text':
        // Groups that satisfy everything sit among the random values (spread over the range), so
        // thresholds computed from the data (x > (SELECT AVG(x) ...)) have rows on both sides.
        if (g.band === 0 && p >= 0) {
          const [lo, hi] = info.range;
          return Math.round(lo + ((p + 1) / (templateCount + 1)) * (hi - lo)) + rootIndex.get(r)! + slot;
        }
        return style.extremes === 'high' ? info.range[1] + 1 + rankIndex : info.range[0] - 1 - rankIndex;
      case 'date':
        return shiftDate(style.extremes === 'high' ? '2030-01-01' : '1985-12-31', style.extremes === 'high' ? rankIndex : -rankIndex);
      case 'text': {
        const words = `${WORDS[rankIndex % WORDS.length]} ${WORDS[Math.floor(rankIndex / WORDS.length) % WORDS.length]}`;
        if (g.band === 0) return `${words} ${rankIndex + 1}`;
        // Sorted like the numbers: after every random word ('zz...') or before ('aa...').
        const n = String(style.extremes === 'high' ? rankIndex : 999_999 - rankIndex).padStart(6, '0');
        return `${style.extremes === 'high' ? 'zz' : 'aa'}${n} ${words}`;
      }
    }
  };

  // Emit: one row per tuple per table, skipping a row whose own key the table already has, and
  // tables read only to exclude rows (NOT IN (SELECT ...)) unless the group varies their condition.
  const excludedOnly = new Set(facts.excludedTables.map((t) => t.toLowerCase()));
  const seenKeys = new Map<string, Set<string>>();
  const freshKeys = new Map<string, number>();
  groups.forEach((g, gi) => {
    const tuples = g.size + (g.companion ? 1 : 0);
    for (let j = 0; j < tuples; j++) {
      const companion = g.companion !== undefined && j === g.size;
      const values = new Map<string, Literal>();
      for (const t of tables) {
        if (excludedOnly.has(t.name.toLowerCase()) && !g.excluding) continue;
        const row = t.columns.map((c) => {
          const ref = { table: t.name, column: c.name };
          const r = root(ref);
          if (!values.has(r)) values.set(r, valueOf(g, gi, j, companion, r, freshKeys));
          return coerce(values.get(r)!, info(ref).kind);
        });
        const keyCols = t.primaryKey.length > 1 ? t.primaryKey : t.columns.filter((c) => isOwnKey(t, c) || c.unique).map((c) => c.name);
        const tk = t.name.toLowerCase();
        if (!seenKeys.has(tk)) seenKeys.set(tk, new Set());
        const seen = seenKeys.get(tk)!;
        if (keyCols.length > 0) {
          const at = (k: string) => row[t.columns.findIndex((c) => c.name.toLowerCase() === k.toLowerCase())];
          const keys = t.primaryKey.length > 1 ? [JSON.stringify(keyCols.map(at))] : keyCols.map((k) => `${k.toLowerCase()}=${String(at(k))}`);
          if (keys.some((k) => seen.has(k))) continue;
          for (const k of keys) seen.add(k);
        }
        if (!out.rows.has(tk)) out.rows.set(tk, []);
        out.rows.get(tk)!.push(row);
        t.columns.forEach((c, i) => {
          const k = refKey({ table: t.name, column: c.name });
          if (!out.used.has(k)) out.used.set(k, new Set());
          out.used.get(k)!.add(String(row[i]));
        });
      }
    }
  });
  return out;
}
