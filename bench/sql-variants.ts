/**
 * Variants of a gold query for measuring the equivalence judge (bench/sql-equivalence.ts):
 *  - rewrites that keep the meaning (must be judged equivalent):
 *      reformat      keywords and names in the other case, one space between tokens, clauses on new lines
 *      aliases       AS alias_k added to every unaliased item of the outer select list
 *      reorder-and   the AND-terms of the outer WHERE in reverse order (only when it has no top-level OR)
 *      all           the three together
 *  - deliberately wrong variants (should be caught):
 *      changed-column   the first selected column replaced by another column of its table
 *      dropped-condition the last AND-term of the outer WHERE removed (the whole WHERE if it has one term)
 *      wrong-aggregate  the first aggregate swapped: MAX<->MIN, SUM<->AVG, COUNT(x)<->COUNT(DISTINCT x)
 *      flipped-order    the first ORDER BY term's direction reversed
 *      comparison-boundary  the first < <= > >= against a literal in a WHERE / HAVING made
 *                       inclusive or strict (> <-> >=, < <-> <=); the outer query's first, else a subquery's
 *      off-by-one-literal   the literal of the first comparison (= != < <= > >= or a BETWEEN bound)
 *                       with a number, numeric string or ISO date in a WHERE / HAVING moved by one
 *                       (+1 and -1, or the next and previous day): two variants
 *      limit-off-by-one     LIMIT n -> n+1, and n-1 when n > 1 (outer query first, else a subquery)
 * Token-level edits; a variant that does not apply to a query is null (mutants(): an empty list).
 */
import { valuePositionDoubleQuotes } from '../src/sql/double-quoted-values';
import { isNameToken, nameOf, significant, tokenize, type Token } from '../src/sql/lexer';
import { findColumn, findTable, parseSchema, type Schema } from '../src/sql/schema';

export const REWRITES = ['reformat', 'aliases', 'reorder-and', 'all'] as const;
export const MUTANTS = ['changed-column', 'dropped-condition', 'wrong-aggregate', 'flipped-order', 'comparison-boundary', 'off-by-one-literal', 'limit-off-by-one'] as const;
/** The four kinds of the original benchmark (the reward-throughput group uses these, as before). */
export const CLASSIC_MUTANTS = ['changed-column', 'dropped-condition', 'wrong-aggregate', 'flipped-order'] as const satisfies readonly MutantKind[];
export type RewriteKind = (typeof REWRITES)[number];
export type MutantKind = (typeof MUTANTS)[number];

const CLAUSE_END = new Set(['GROUP', 'ORDER', 'LIMIT', 'HAVING', 'UNION', 'INTERSECT', 'EXCEPT', 'WINDOW']);
const NEWLINE_BEFORE = new Set(['FROM', 'WHERE', 'GROUP', 'ORDER', 'HAVING', 'LIMIT', 'JOIN', 'UNION', 'INTERSECT', 'EXCEPT']);

const isWord = (t: Token | undefined, ...v: string[]) => t?.kind === 'word' && v.includes(t.value);

function join(tokens: readonly Token[]): string {
  let out = '';
  for (const t of tokens) {
    const glue = out === '' || t.text === ')' || t.text === ',' || t.text === '.' || out.endsWith('(') || out.endsWith('.') ? '' : ' ';
    out += glue + t.text;
  }
  return out;
}

/** Depth of each token (parentheses). */
function depths(sig: readonly Token[]): number[] {
  let d = 0;
  return sig.map((t) => {
    if (t.text === '(') return d++;
    if (t.text === ')') return --d;
    return d;
  });
}

/** [start, end) of the outer query's WHERE condition, or undefined. */
function whereSpan(sig: readonly Token[], depth: number[]): [number, number] | undefined {
  const w = sig.findIndex((t, i) => depth[i] === 0 && isWord(t, 'WHERE'));
  if (w < 0) return undefined;
  let end = w + 1;
  while (end < sig.length && !(depth[end] === 0 && sig[end]!.kind === 'word' && CLAUSE_END.has(sig[end]!.value))) end++;
  return [w + 1, end];
}

/** Splits a condition at its top-level ANDs (not BETWEEN's); null if it has a top-level OR. */
function andTerms(cond: readonly Token[]): Token[][] | null {
  const depth = depths(cond);
  const terms: Token[][] = [[]];
  let between = false;
  for (let i = 0; i < cond.length; i++) {
    const t = cond[i]!;
    if (depth[i] === 0 && isWord(t, 'OR')) return null;
    if (depth[i] === 0 && isWord(t, 'BETWEEN')) between = true;
    if (depth[i] === 0 && isWord(t, 'AND')) {
      if (between) between = false;
      else {
        terms.push([]);
        continue;
      }
    }
    terms[terms.length - 1]!.push(t);
  }
  return terms;
}

/** The outer select list: [start, end) token ranges of its items. */
function selectItems(sig: readonly Token[], depth: number[]): [number, number][] {
  let i = sig.findIndex((t, k) => depth[k] === 0 && isWord(t, 'SELECT'));
  if (i < 0) return [];
  i++;
  if (isWord(sig[i], 'DISTINCT', 'ALL')) i++;
  const items: [number, number][] = [];
  let start = i;
  for (; i < sig.length; i++) {
    if (depth[i] === 0 && (sig[i]!.text === ',' || isWord(sig[i], 'FROM', 'UNION', 'INTERSECT', 'EXCEPT', 'WHERE', 'GROUP', 'ORDER', 'LIMIT'))) {
      items.push([start, i]);
      if (sig[i]!.text !== ',') break;
      start = i + 1;
    }
  }
  if (i >= sig.length && start < sig.length) items.push([start, sig.length]);
  return items;
}

function sigOf(sql: string): Token[] | null {
  try {
    const s = significant(tokenize(sql));
    while (s.length > 0 && s[s.length - 1]!.text === ';') s.pop();
    return s;
  } catch {
    return null;
  }
}

const word = (text: string): Token => ({ kind: 'word', text, start: -1, value: text.toUpperCase() });

export function rewrite(sql: string, kind: RewriteKind): string | null {
  if (kind === 'all') {
    const a = rewrite(sql, 'reorder-and') ?? sql;
    const b = rewrite(a, 'aliases') ?? a;
    return rewrite(b, 'reformat');
  }
  const sig = sigOf(sql);
  if (!sig || sig.length === 0) return null;
  const depth = depths(sig);
  if (kind === 'reformat') {
    let out = '';
    for (const t of sig) {
      const text = t.kind === 'word' ? (/[a-z]/.test(t.text) ? t.text.toUpperCase() : t.text.toLowerCase()) : t.text;
      const glue = out === '' ? '' : t.kind === 'word' && NEWLINE_BEFORE.has(t.value) ? '\n  ' : ' ';
      out += glue + text;
    }
    return out;
  }
  if (kind === 'aliases') {
    const compound = sig.some((t, i) => depth[i] === 0 && isWord(t, 'UNION', 'INTERSECT', 'EXCEPT'));
    if (compound && sig.some((t, i) => depth[i] === 0 && isWord(t, 'ORDER'))) return null; // ORDER BY must name result columns
    const items = selectItems(sig, depth);
    const out = sig.slice();
    let added = 0;
    // From the last item backwards, so earlier splice positions stay valid; named by position.
    for (let k = items.length - 1; k >= 0; k--) {
      const [s, e] = items[k]!;
      const item = sig.slice(s, e);
      const last = item[item.length - 1];
      if (!last || last.text === '*' || isWord(item[item.length - 2], 'AS')) continue;
      out.splice(e, 0, word('AS'), word(`alias_${k + 1}`));
      added++;
    }
    return added > 0 ? join(out) : null;
  }
  // reorder-and
  const span = whereSpan(sig, depth);
  if (!span) return null;
  const terms = andTerms(sig.slice(span[0], span[1]));
  if (!terms || terms.length < 2) return null;
  const reordered = terms.reverse().flatMap((t, i) => (i === 0 ? t : [word('AND'), ...t]));
  return join([...sig.slice(0, span[0]), ...reordered, ...sig.slice(span[1])]);
}

/** Maps table aliases (and names) in FROM clauses to schema tables. */
function aliasMap(sig: readonly Token[], schema: Schema): Map<string, string> {
  const m = new Map<string, string>();
  sig.forEach((t, i) => {
    if (!isNameToken(t) || !isWord(sig[i - 1], 'FROM', 'JOIN')) return;
    const table = findTable(schema, nameOf(t));
    if (!table) return;
    m.set(table.name.toLowerCase(), table.name);
    const next = sig[i + 1];
    const alias = isWord(next, 'AS') ? sig[i + 2] : next;
    if (alias && isNameToken(alias) && !isWord(alias, 'WHERE', 'JOIN', 'ON', 'GROUP', 'ORDER', 'LIMIT', 'INNER', 'LEFT', 'UNION', 'INTERSECT', 'EXCEPT', 'HAVING')) m.set(nameOf(alias).toLowerCase(), table.name);
  });
  return m;
}

const AGG_SWAP: Record<string, string> = { MAX: 'MIN', MIN: 'MAX', SUM: 'AVG', AVG: 'SUM' };

/** Every variant of a kind (the near-miss kinds have up to two); empty when the kind does not apply. */
export function mutants(sql: string, context: string, kind: MutantKind): string[] {
  if (kind === 'comparison-boundary' || kind === 'off-by-one-literal' || kind === 'limit-off-by-one') {
    const sig = sigOf(sql);
    return sig && sig.length > 0 ? nearMisses(sig, kind) : [];
  }
  const v = mutate(sql, context, kind);
  return v === null ? [] : [v];
}

/** Per token: the clause it sits in (of its own query) and how many subqueries enclose it. */
function clauseMap(sig: readonly Token[]): { clause: string[]; level: number[] } {
  const frames: { query: boolean; clause: string }[] = [{ query: true, clause: 'SELECT' }];
  const clause: string[] = [];
  const level: number[] = [];
  const levelOf = () => frames.filter((f) => f.query).length - 1;
  for (let i = 0; i < sig.length; i++) {
    const t = sig[i]!;
    const top = frames[frames.length - 1]!;
    if (t.text === '(') {
      clause.push(top.clause);
      level.push(levelOf());
      const query = isWord(sig[i + 1], 'SELECT', 'WITH', 'VALUES');
      frames.push({ query, clause: query ? 'SELECT' : top.clause });
      continue;
    }
    if (t.text === ')') {
      if (frames.length > 1) frames.pop();
      clause.push(frames[frames.length - 1]!.clause);
      level.push(levelOf());
      continue;
    }
    if (top.query && isWord(t, 'SELECT', 'FROM', 'WHERE', 'GROUP', 'HAVING', 'ORDER', 'LIMIT')) top.clause = t.value;
    clause.push(top.clause);
    level.push(levelOf());
  }
  return { clause, level };
}

/** A literal operand starting at sig[i]: [start, end) and its value; numbers may carry a sign. */
function literalAt(sig: readonly Token[], i: number, dq: ReadonlySet<number>): { start: number; end: number; value: string; number?: boolean; quoted?: Token } | undefined {
  const t = sig[i];
  if (!t) return undefined;
  // Numbers travel as text so that a shift keeps their decimals (2.5 + 1 is 3.5, never 3.5000000000000004).
  if (t.kind === 'number') return { start: i, end: i + 1, value: t.text, number: true };
  if (t.text === '-' && sig[i + 1]?.kind === 'number') return { start: i, end: i + 2, value: `-${sig[i + 1]!.text}`, number: true };
  if (t.kind === 'string' || (t.kind === 'dquoted' && dq.has(i))) return { start: i, end: i + 1, value: t.value, quoted: t };
  return undefined;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})/;

/** The literal moved by `delta` (numbers keep their decimals; ISO dates move by days), or undefined. */
export function shiftLiteral(value: string, delta: 1 | -1): string | undefined {
  const date = ISO_DATE.exec(value);
  if (date) {
    const d = new Date(Date.UTC(Number(date[1]), Number(date[2]) - 1, Number(date[3])) + delta * 86_400_000);
    if (Number.isNaN(d.getTime())) return undefined;
    return d.toISOString().slice(0, 10) + value.slice(10);
  }
  if (/^-?\d+(\.\d+)?$/.test(value.trim())) {
    const decimals = value.trim().split('.')[1]?.length ?? 0;
    return (Number(value) + delta).toFixed(decimals);
  }
  // Other numeric spellings (1e3, .5, 0x10): shifted, printed in JavaScript's shortest form.
  const n = Number(value);
  if (value.trim() !== '' && Number.isFinite(n) && !/^0x/i.test(value.trim())) return String(n + delta);
  return undefined;
}

function literalToken(v: string, like: Token | undefined): Token {
  if (!like) return { kind: 'number', text: v, start: -1, value: v };
  const q = like?.kind === 'dquoted' ? '"' : "'";
  return { kind: like?.kind ?? 'string', text: q + v.split(q).join(q + q) + q, start: -1, value: v };
}

const BOUNDARY_FLIP: Record<string, string> = { '>': '>=', '>=': '>', '<': '<=', '<=': '<' };
const COMPARISON = new Set(['=', '==', '!=', '<>', '<', '<=', '>', '>=']);

function nearMisses(sig: Token[], kind: 'comparison-boundary' | 'off-by-one-literal' | 'limit-off-by-one'): string[] {
  const { clause, level } = clauseMap(sig);
  const dq = valuePositionDoubleQuotes(sig);
  // The outer query's first site, else the first in a subquery.
  const order = sig.map((_, i) => i).sort((a, b) => Math.min(level[a]!, 1) - Math.min(level[b]!, 1) || a - b);
  const edit = (start: number, end: number, tokens: Token[]) => join([...sig.slice(0, start), ...tokens, ...sig.slice(end)]);
  if (kind === 'limit-off-by-one') {
    for (const i of order) {
      if (!isWord(sig[i], 'LIMIT')) continue;
      // LIMIT n, LIMIT n OFFSET m, and LIMIT m, n (offset first).
      const at = sig[i + 2]?.text === ',' ? i + 3 : i + 1;
      const t = sig[at];
      if (t?.kind !== 'number' || !/^\d+$/.test(t.text)) continue;
      const n = Number(t.text);
      return [n + 1, ...(n > 1 ? [n - 1] : [])].map((m) => edit(at, at + 1, [literalToken(String(m), undefined)]));
    }
    return [];
  }
  for (const i of order) {
    const t = sig[i]!;
    if (clause[i] !== 'WHERE' && clause[i] !== 'HAVING') continue;
    if (kind === 'comparison-boundary') {
      if (t.kind !== 'op' || !BOUNDARY_FLIP[t.text]) continue;
      if (!literalAt(sig, i + 1, dq) && !(literalAt(sig, i - 1, dq) && sig[i - 2]?.text !== '-')) continue;
      return [edit(i, i + 1, [{ kind: 'op', text: BOUNDARY_FLIP[t.text]!, start: -1, value: BOUNDARY_FLIP[t.text]! }])];
    }
    // off-by-one-literal: the literal right of a comparison (or left of it), or BETWEEN's first bound.
    let lit: ReturnType<typeof literalAt>;
    if (t.kind === 'op' && COMPARISON.has(t.text)) lit = literalAt(sig, i + 1, dq) ?? (sig[i - 1]?.kind === 'number' || sig[i - 1]?.kind === 'string' ? literalAt(sig, i - 1, dq) : undefined);
    else if (isWord(t, 'BETWEEN')) lit = literalAt(sig, i + 1, dq);
    if (!lit) continue;
    const up = shiftLiteral(lit.value, 1);
    const down = shiftLiteral(lit.value, -1);
    if (up === undefined || down === undefined) continue;
    return [up, down].map((v) => edit(lit!.start, lit!.end, [literalToken(v, lit!.quoted)]));
  }
  return [];
}

/**
 * Why a near-miss variant gives gold's result on *every* database, if it provably does (else null).
 * Decided from the two queries alone, never from how the judge did, so the bench can report these
 * apart instead of counting them as misses:
 *  - 'scalar-subquery-limit': the LIMIT of a subquery used as a value (x = (SELECT ... LIMIT n)):
 *    SQLite takes its first row whatever n >= 1 is;
 *  - 'group-count-at-least-1': HAVING count(*) under GROUP BY, where the two thresholds agree on
 *    every group size from 1 up (count(*) >= 0 vs >= 1 or > -1): a group always has a row;
 *  - 'one-row-limit': LIMIT n >= 1 vs n' >= 1 on an aggregate query without GROUP BY (one row).
 * Other near misses can all be told apart by some data (the judge may still miss them).
 */
export function uncatchableReason(gold: string, variant: string, kind: MutantKind): string | null {
  if (kind !== 'comparison-boundary' && kind !== 'off-by-one-literal' && kind !== 'limit-off-by-one') return null;
  const a = sigOf(gold);
  const b = sigOf(variant);
  if (!a || !b) return null;
  let i = 0;
  while (i < a.length && i < b.length && a[i]!.text === b[i]!.text) i++;
  if (i >= a.length || i >= b.length) return null;
  const { clause, level } = clauseMap(a);
  if (kind === 'limit-off-by-one') {
    const at = isWord(a[i - 1], 'LIMIT') ? i - 1 : isWord(a[i - 3], 'LIMIT') && a[i - 1]?.text === ',' ? i - 3 : -1;
    if (at < 0 || Number(a[i]!.text) < 1 || Number(b[i]!.text) < 1) return null;
    const open = enclosingParen(a, at);
    if (open >= 0 && a[open - 1]?.kind === 'op' && COMPARISON.has(a[open - 1]!.text)) return 'scalar-subquery-limit';
    // The LIMIT's own SELECT: aggregates in its select list and no GROUP BY at its level.
    const start = open + 1;
    const own = (k: number) => level[k] === level[at] && k > open && (open < 0 || k < closingParen(a, open));
    let sel = -1;
    for (let k = at; k >= start; k--) if (own(k) && isWord(a[k], 'SELECT')) { sel = k; break; }
    if (sel < 0 || a.some((t, k) => own(k) && k > sel && isWord(t, 'GROUP', 'UNION', 'INTERSECT', 'EXCEPT'))) return null;
    let from = sel + 1;
    while (from < a.length && !(own(from) && isWord(a[from], 'FROM'))) from++;
    const items = a.slice(sel + 1, from);
    // SQLite gives an aggregate query without GROUP BY one row (bare columns come along).
    const aggregate = items.some((t, k) => isWord(t, 'COUNT', 'SUM', 'AVG', 'MIN', 'MAX') && items[k + 1]?.text === '(' && depthWithin(items, k) === 0);
    return aggregate && !items.some((t) => isWord(t, 'OVER')) ? 'one-row-limit' : null;
  }
  // count(*) op N under HAVING with GROUP BY, the edited token among its op and literals.
  let c = i;
  while (c >= 0 && c > i - 6 && !(isWord(a[c], 'COUNT') && a[c + 1]?.text === '(' && a[c + 2]?.text === '*' && a[c + 3]?.text === ')')) c--;
  if (c < 0 || c <= i - 6 || clause[c] !== 'HAVING') return null;
  const hasGroupBy = a.some((t, k) => k < c && level[k] === level[c] && isWord(t, 'GROUP'));
  if (!hasGroupBy) return null;
  const predicate = (toks: Token[]) => countPredicate(toks, c + 4);
  const p = predicate(a);
  const q = predicate(b);
  if (!p || !q) return null;
  for (let k = 1; k <= 10_000; k++) if (p(k) !== q(k)) return null;
  return 'group-count-at-least-1';
}

/** count(*) op N / BETWEEN a AND b starting at toks[at], as a predicate on the count. */
function countPredicate(toks: readonly Token[], at: number): ((k: number) => boolean) | null {
  const num = (j: number): [number, number] | null => {
    if (toks[j]?.kind === 'number') return [Number(toks[j]!.text), j + 1];
    if (toks[j]?.text === '-' && toks[j + 1]?.kind === 'number') return [-Number(toks[j + 1]!.text), j + 2];
    return null;
  };
  const op = toks[at];
  if (isWord(op, 'BETWEEN')) {
    const lo = num(at + 1);
    if (!lo || !isWord(toks[lo[1]], 'AND')) return null;
    const hi = num(lo[1] + 1);
    return hi ? (k) => k >= lo[0] && k <= hi[0] : null;
  }
  const n = num(at + 1);
  if (!n || op?.kind !== 'op') return null;
  const v = n[0];
  const ops: Record<string, (k: number) => boolean> = {
    '>': (k) => k > v, '>=': (k) => k >= v, '<': (k) => k < v, '<=': (k) => k <= v,
    '=': (k) => k === v, '==': (k) => k === v, '!=': (k) => k !== v, '<>': (k) => k !== v,
  };
  return ops[op.text] ?? null;
}

/** Index of the '(' enclosing toks[at], or -1 at top level. */
function enclosingParen(toks: readonly Token[], at: number): number {
  let depth = 0;
  for (let k = at - 1; k >= 0; k--) {
    if (toks[k]!.text === ')') depth++;
    else if (toks[k]!.text === '(') {
      if (depth === 0) return k;
      depth--;
    }
  }
  return -1;
}

function closingParen(toks: readonly Token[], open: number): number {
  let depth = 0;
  for (let k = open; k < toks.length; k++) {
    if (toks[k]!.text === '(') depth++;
    else if (toks[k]!.text === ')' && --depth === 0) return k;
  }
  return toks.length;
}

function depthWithin(toks: readonly Token[], at: number): number {
  let d = 0;
  for (let k = 0; k < at; k++) d += toks[k]!.text === '(' ? 1 : toks[k]!.text === ')' ? -1 : 0;
  return d;
}

export function mutate(sql: string, context: string, kind: MutantKind): string | null {
  if (kind === 'comparison-boundary' || kind === 'off-by-one-literal' || kind === 'limit-off-by-one') return mutants(sql, context, kind)[0] ?? null;
  const sig = sigOf(sql);
  if (!sig || sig.length === 0) return null;
  const depth = depths(sig);
  if (kind === 'dropped-condition') {
    const span = whereSpan(sig, depth);
    if (span) {
      const terms = andTerms(sig.slice(span[0], span[1]));
      if (terms && terms.length >= 2) {
        const kept = terms.slice(0, -1).flatMap((t, i) => (i === 0 ? t : [word('AND'), ...t]));
        return join([...sig.slice(0, span[0]), ...kept, ...sig.slice(span[1])]);
      }
      return join([...sig.slice(0, span[0] - 1), ...sig.slice(span[1])]);
    }
    const h = sig.findIndex((t, i) => depth[i] === 0 && isWord(t, 'HAVING'));
    if (h < 0) return null;
    let end = h + 1;
    while (end < sig.length && !(depth[end] === 0 && isWord(sig[end], 'ORDER', 'LIMIT', 'UNION', 'INTERSECT', 'EXCEPT'))) end++;
    return join([...sig.slice(0, h), ...sig.slice(end)]);
  }
  if (kind === 'wrong-aggregate') {
    for (let i = 0; i < sig.length; i++) {
      const t = sig[i]!;
      if (t.kind !== 'word' || sig[i + 1]?.text !== '(') continue;
      if (AGG_SWAP[t.value]) return join([...sig.slice(0, i), word(AGG_SWAP[t.value]!), ...sig.slice(i + 1)]);
      if (t.value === 'COUNT' && isWord(sig[i + 2], 'DISTINCT')) return join([...sig.slice(0, i + 2), ...sig.slice(i + 3)]);
      if (t.value === 'COUNT' && sig[i + 2]?.text !== '*') return join([...sig.slice(0, i + 2), word('DISTINCT'), ...sig.slice(i + 2)]);
    }
    return null;
  }
  if (kind === 'flipped-order') {
    const o = sig.findIndex((t, i) => depth[i] === 0 && isWord(t, 'ORDER') && isWord(sig[i + 1], 'BY'));
    if (o < 0) return null;
    let end = o + 2;
    while (end < sig.length && !(depth[end] === 0 && (sig[end]!.text === ',' || isWord(sig[end], 'LIMIT', 'ASC', 'DESC')))) end++;
    if (isWord(sig[end], 'DESC')) return join([...sig.slice(0, end), word('ASC'), ...sig.slice(end + 1)]);
    if (isWord(sig[end], 'ASC')) return join([...sig.slice(0, end), word('DESC'), ...sig.slice(end + 1)]);
    return join([...sig.slice(0, end), word('DESC'), ...sig.slice(end)]);
  }
  // changed-column
  let schema: Schema;
  try {
    schema = parseSchema(context);
  } catch {
    return null;
  }
  const aliases = aliasMap(sig, schema);
  const fromTables = [...new Set(aliases.values())];
  const selected = new Set<string>();
  const items = selectItems(sig, depth);
  for (const [s, e] of items) selected.add(nameOf(sig[e - 1]!).toLowerCase());
  for (const [s, e] of items) {
    // A plain column (name or q.name), or the argument of SUM/AVG/MIN/MAX.
    let at = -1;
    let qualifier: string | undefined;
    if (e - s === 1 && isNameToken(sig[s])) at = s;
    else if (e - s === 3 && sig[s + 1]!.text === '.' && isNameToken(sig[s + 2])) {
      at = s + 2;
      qualifier = nameOf(sig[s]!);
    } else if (sig[s]!.kind === 'word' && AGG_SWAP[sig[s]!.value] && sig[s + 1]?.text === '(' && sig[e - 1]!.text === ')') {
      const inner = sig.slice(s + 2, e - 1);
      if (inner.length === 1 && isNameToken(inner[0])) at = s + 2;
      else if (inner.length === 3 && inner[1]!.text === '.') {
        at = s + 4;
        qualifier = nameOf(inner[0]!);
      }
    }
    if (at < 0) continue;
    const colName = nameOf(sig[at]!);
    const candidates = qualifier ? [aliases.get(qualifier.toLowerCase())].filter((x): x is string => x !== undefined) : fromTables;
    for (const tn of candidates) {
      const table = findTable(schema, tn)!;
      const col = findColumn(table, colName);
      if (!col) continue;
      const others = table.columns.filter((c) => c.name.toLowerCase() !== col.name.toLowerCase() && !selected.has(c.name.toLowerCase()));
      const replacement = others.find((c) => c.affinity === col.affinity) ?? others[0];
      if (!replacement) return null;
      const tok: Token = /^[A-Za-z_][A-Za-z0-9_]*$/.test(replacement.name) ? word(replacement.name) : { kind: 'dquoted', text: `"${replacement.name.replace(/"/g, '""')}"`, start: -1, value: replacement.name };
      return join([...sig.slice(0, at), tok, ...sig.slice(at + 1)]);
    }
  }
  return null;
}
