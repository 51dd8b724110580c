/**
 * Reads facts out of a (gold) query that the synthetic-data generator needs so the query selects
 * rows: which column is compared with which literal, which columns are joined, which are used as
 * numbers or sorted on. It is a heuristic token-level reading, not a parser: a fact it misses only
 * makes the data less targeted; it never changes how a query is judged.
 */
import { normalizeDoubleQuotedValues } from './double-quoted-values';
import { isNameToken, nameOf, significant, tokenize, type Token } from './lexer';
import { findColumn, findTable, type Schema, type TableDef } from './schema';

export interface ColumnRef {
  /** Table and column names as spelled in the schema. */
  table: string;
  column: string;
}

export type Literal = string | number;

export type ConstraintOp = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'LIKE' | 'GLOB' | 'IN' | 'BETWEEN';

/** Where a condition sits, so generated rows can satisfy it, fail it, or vary it on its own. */
export interface ConditionSite {
  /** Query scope: 0 is the outer query, subqueries count up in order of appearance. */
  scope: number;
  /** Branch of a top-level UNION / INTERSECT / EXCEPT (0 for the first SELECT). */
  branch: number;
  /** Inside NOT IN / NOT EXISTS (SELECT ...) or right of EXCEPT: rows that match it are excluded. */
  excluding: boolean;
  /**
   * Where it sits among ANDs and ORs: per enclosing parenthesis (outermost first, the clause itself
   * first of all) the group's id and the index of the OR-branch it is in. Two conditions whose
   * paths first part in a group at different branches are alternatives (a = 1 OR b = 2).
   */
  orPath: string[];
}

export interface ColumnConstraint extends ConditionSite {
  ref: ColumnRef;
  op: ConstraintOp;
  values: Literal[];
  negated: boolean;
}

export type SetOperator = 'UNION' | 'INTERSECT' | 'EXCEPT';

export type AggregateFn = 'COUNT' | 'SUM' | 'AVG' | 'MIN' | 'MAX';

/** aggregate op literal, e.g. HAVING count(*) > 2 or HAVING avg(T1.age) >= 30. */
export interface AggregateConstraint extends ConditionSite {
  fn: AggregateFn;
  /** The aggregated column; undefined for count(*) and for expressions. */
  arg?: ColumnRef;
  distinct: boolean;
  op: ConstraintOp;
  values: Literal[];
}

export interface QueryFacts {
  /** Schema tables the query reads. */
  tables: string[];
  /** column-op-literal comparisons (flipped to put the column on the left). */
  constraints: ColumnConstraint[];
  /** Columns compared for equality with each other (joins, IN (SELECT ...), = (SELECT ...)). */
  equalities: [ColumnRef, ColumnRef][];
  /** Columns used as numbers: SUM/AVG, arithmetic, comparison with a number. */
  numericColumns: ColumnRef[];
  /** Columns in any ORDER BY. */
  orderByColumns: ColumnRef[];
  /** Whether the outermost query has ORDER BY (its result order is then part of the answer). */
  hasTopLevelOrderBy: boolean;
  /** Every literal in the query, in order. */
  literals: Literal[];
  /** Largest group size a HAVING count(...) > N (or >= N, = N) asks for; 0 when none. */
  minGroupRows: number;
  /** aggregate-op-literal comparisons (HAVING thresholds). */
  aggregateConstraints: AggregateConstraint[];
  /** Columns in any GROUP BY. */
  groupByColumns: ColumnRef[];
  /** The row counts of every LIMIT n (LIMIT m, n: n), in order. */
  limits: number[];
  /** Some ORDER BY sorts on an aggregate (ORDER BY count(*) DESC LIMIT 1). */
  orderByAggregate: boolean;
  /** Tables read only where matches exclude rows (NOT IN / NOT EXISTS subqueries, right of EXCEPT). */
  excludedTables: string[];
  /** The outer query's set operators in order (UNION, INTERSECT, EXCEPT; empty for a plain SELECT). */
  setOperators: SetOperator[];
}

/** Words that end a FROM-clause item, so they are never taken as a table alias. */
const NOT_AN_ALIAS = new Set([
  'ON', 'WHERE', 'JOIN', 'INNER', 'LEFT', 'RIGHT', 'FULL', 'OUTER', 'CROSS', 'NATURAL', 'GROUP', 'ORDER', 'LIMIT', 'UNION',
  'INTERSECT', 'EXCEPT', 'HAVING', 'USING', 'WINDOW', 'OFFSET', 'AS', 'SELECT', 'FROM', 'AND', 'OR', 'NOT', 'VALUES', 'INDEXED',
]);
/** Reserved words that cannot be a bare column reference. */
const RESERVED = new Set([
  ...NOT_AN_ALIAS, 'BY', 'IS', 'IN', 'LIKE', 'GLOB', 'BETWEEN', 'NULL', 'DISTINCT', 'ALL', 'CASE', 'WHEN', 'THEN', 'ELSE', 'END',
  'ASC', 'DESC', 'EXISTS', 'CAST', 'COLLATE', 'ESCAPE', 'WITH', 'RECURSIVE', 'TRUE', 'FALSE',
]);
const AGGREGATES = new Set<string>(['COUNT', 'SUM', 'AVG', 'MIN', 'MAX']);
const CLAUSE_WORDS = new Set(['SELECT', 'FROM', 'WHERE', 'GROUP', 'HAVING', 'ORDER', 'LIMIT', 'ON', 'USING', 'WITH']);
const COMPARISONS: Record<string, ConstraintOp> = { '=': '=', '==': '=', '!=': '!=', '<>': '!=', '<': '<', '<=': '<=', '>': '>', '>=': '>=' };
const FLIPPED: Partial<Record<ConstraintOp, ConstraintOp>> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

interface Scope {
  parent: number;
  clause: string;
  /** NOT IN / NOT EXISTS subquery, or nested in one. */
  excluding: boolean;
  /** Table references in this scope's FROM clause: alias (or name) -> schema table. */
  refs: { name: string; alias: string | undefined; table: TableDef | undefined; excluding: boolean }[];
}

type Atom =
  | { kind: 'col'; ref: ColumnRef; at: number }
  | { kind: 'lit'; value: Literal; at: number }
  | { kind: 'tok'; token: Token; at: number; scope: number };

const isWordToken = (t: Token | undefined, ...values: string[]): boolean => t?.kind === 'word' && values.includes(t.value);

/** Whether an atom is the token with one of these texts (a word matched by its normalised value). */
function isTok(a: Atom | undefined, ...texts: string[]): boolean {
  return a?.kind === 'tok' && (texts.includes(a.token.text) || (a.token.kind === 'word' && texts.includes(a.token.value)));
}

/**
 * The atoms of one clause from `start`, with their index and parenthesis depth: up to the clause's
 * closing parenthesis or, at its own depth, one of the keywords that end it.
 */
function* clauseAtoms(atoms: readonly Atom[], start: number, stops: readonly string[]): Generator<[Atom, number, number]> {
  let depth = 0;
  for (let j = start; j < atoms.length; j++) {
    const item = atoms[j]!;
    if (isTok(item, '(')) depth++;
    else if (isTok(item, ')')) {
      if (depth === 0) return;
      depth--;
    } else if (depth === 0 && isTok(item, ...stops)) return;
    else yield [item, j, depth];
  }
}

function literalValue(t: Token): Literal | undefined {
  if (t.kind === 'string') return t.value;
  if (t.kind === 'number') {
    const n = Number(t.text);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

export function analyzeQuery(sql: string, schema: Schema): QueryFacts {
  const sig = significant(tokenize(normalizeDoubleQuotedValues(sql).sql));
  const scopes: Scope[] = [{ parent: -1, clause: 'SELECT', refs: [], excluding: false }];
  const scopeAt: number[] = [];
  const depthAt: number[] = [];
  // Top-level compound branches: the branch of each token, and the branches right of an EXCEPT.
  const branchAt: number[] = [];
  const setOperators: SetOperator[] = [];
  // AND/OR structure: one frame per parenthesis (and per clause), counting the ORs met in it.
  const boolFrames: { id: number; branch: number }[] = [{ id: 0, branch: 0 }];
  let boolIds = 1;
  const orPathAt: string[][] = [];
  let branch = 0;
  const declarations = new Set<number>();
  const frames: number[] = [0];

  // Pass 1: scopes, FROM-clause tables and aliases, and names that are declarations, not references.
  for (let i = 0; i < sig.length; i++) {
    const t = sig[i]!;
    let scope = frames[frames.length - 1]!;
    if (frames.length === 1 && isWordToken(t, 'UNION', 'INTERSECT', 'EXCEPT')) {
      branch++;
      setOperators.push(t.value as SetOperator);
    }
    branchAt[i] = branch;
    if (t.text === '(') boolFrames.push({ id: boolIds++, branch: 0 });
    else if (t.text === ')' && boolFrames.length > 1) boolFrames.pop();
    else if (isWordToken(t, 'OR')) boolFrames[boolFrames.length - 1]!.branch++;
    else if (t.kind === 'word' && CLAUSE_WORDS.has(t.value)) boolFrames[boolFrames.length - 1] = { id: boolIds++, branch: 0 };
    orPathAt[i] = boolFrames.map((f) => `${f.id}:${f.branch}`);
    if (t.text === '(') {
      const opensQuery = isWordToken(sig[i + 1], 'SELECT', 'WITH', 'VALUES');
      scopeAt[i] = scope;
      depthAt[i] = frames.length - 1;
      if (opensQuery) {
        const negatedSubquery = isWordToken(sig[i - 1], 'IN', 'EXISTS') && isWordToken(sig[i - 2], 'NOT');
        scopes.push({ parent: scope, clause: 'SELECT', refs: [], excluding: scopes[scope]!.excluding || negatedSubquery });
        frames.push(scopes.length - 1);
      } else frames.push(scope);
      continue;
    }
    if (t.text === ')') {
      if (frames.length > 1) frames.pop();
      scope = frames[frames.length - 1]!;
      scopeAt[i] = scope;
      depthAt[i] = frames.length - 1;
      continue;
    }
    scopeAt[i] = scope;
    depthAt[i] = frames.length - 1;
    const s = scopes[scope]!;
    if (t.kind === 'word' && CLAUSE_WORDS.has(t.value)) s.clause = t.value;
    else if (isWordToken(t, 'JOIN')) s.clause = 'FROM';
    if (!isNameToken(t)) continue;
    const prev = sig[i - 1];
    const next = sig[i + 1];
    // expr AS alias (select-list or CTE) and WITH name AS (...): the name is a declaration.
    if (isWordToken(prev, 'AS')) declarations.add(i);
    if (s.clause === 'WITH' && (isWordToken(next, 'AS') || next?.text === '(') && !isWordToken(t, 'WITH', 'RECURSIVE')) declarations.add(i);
    if (s.clause === 'FROM' && (t.kind !== 'word' || !RESERVED.has(t.value))) {
      if (isWordToken(prev, 'FROM', 'JOIN') || (prev?.text === ',' && s.clause === 'FROM')) {
        if (next?.text === '.') continue; // schema-qualified: main.t
        const name = nameOf(t);
        let alias: string | undefined;
        if (isWordToken(next, 'AS') && isNameToken(sig[i + 2])) alias = nameOf(sig[i + 2]!);
        else if (isNameToken(next) && !(next.kind === 'word' && NOT_AN_ALIAS.has(next.value))) {
          alias = nameOf(next);
          declarations.add(i + 1);
        }
        s.refs.push({ name, alias, table: findTable(schema, name), excluding: s.excluding || setOperators[branch - 1] === 'EXCEPT' });
        declarations.add(i);
      }
    }
  }

  const resolveQualifier = (scope: number, q: string): TableDef | undefined => {
    const key = q.toLowerCase();
    for (let s = scope; s >= 0; s = scopes[s]!.parent) {
      for (const r of scopes[s]!.refs) {
        if ((r.alias ?? r.name).toLowerCase() === key || (r.alias === undefined && r.name.toLowerCase() === key)) return r.table;
      }
    }
    return findTable(schema, q);
  };
  const resolveColumn = (scope: number, c: string): ColumnRef | undefined => {
    for (let s = scope; s >= 0; s = scopes[s]!.parent) {
      for (const r of scopes[s]!.refs) {
        const col = r.table && findColumn(r.table, c);
        if (col) return { table: r.table!.name, column: col.name };
      }
    }
    return undefined;
  };

  // Pass 2: atoms (column references, literals, other tokens).
  const atoms: Atom[] = [];
  for (let i = 0; i < sig.length; i++) {
    const t = sig[i]!;
    if (!declarations.has(i) && isNameToken(t) && sig[i + 1]?.text === '.' && isNameToken(sig[i + 2])) {
      const table = resolveQualifier(scopeAt[i]!, nameOf(t));
      const col = table && findColumn(table, nameOf(sig[i + 2]!));
      if (col) {
        atoms.push({ kind: 'col', ref: { table: table!.name, column: col.name }, at: i });
        i += 2;
        continue;
      }
    }
    if (!declarations.has(i) && isNameToken(t) && sig[i + 1]?.text !== '(' && sig[i - 1]?.text !== '.' && !(t.kind === 'word' && RESERVED.has(t.value))) {
      const ref = resolveColumn(scopeAt[i]!, nameOf(t));
      if (ref) {
        atoms.push({ kind: 'col', ref, at: i });
        continue;
      }
    }
    const prev = sig[i - 1];
    if (t.text === '-' && sig[i + 1]?.kind === 'number' && (prev === undefined || prev.kind === 'op' && prev.text !== ')' || prev.kind === 'word')) {
      const v = literalValue(sig[i + 1]!);
      if (typeof v === 'number') {
        atoms.push({ kind: 'lit', value: -v, at: i });
        i++;
        continue;
      }
    }
    const lit = literalValue(t);
    if (lit !== undefined) atoms.push({ kind: 'lit', value: lit, at: i });
    else atoms.push({ kind: 'tok', token: t, at: i, scope: scopeAt[i]! });
  }

  const facts: QueryFacts = {
    tables: [],
    constraints: [],
    equalities: [],
    numericColumns: [],
    orderByColumns: [],
    hasTopLevelOrderBy: false,
    literals: [],
    minGroupRows: 0,
    aggregateConstraints: [],
    groupByColumns: [],
    limits: [],
    orderByAggregate: false,
    setOperators,
    excludedTables: [],
  };
  const siteAt = (at: number): ConditionSite => {
    const scope = scopeAt[at]!;
    const b = branchAt[at]!;
    return { scope, branch: b, excluding: scopes[scope]!.excluding || setOperators[b - 1] === 'EXCEPT', orPath: orPathAt[at] ?? [] };
  };
  const tables = new Set<string>();
  const included = new Set<string>();
  for (const s of scopes) {
    for (const r of s.refs) {
      if (!r.table) continue;
      tables.add(r.table.name);
      if (!r.excluding) included.add(r.table.name);
    }
  }
  facts.tables = [...tables];
  facts.excludedTables = facts.tables.filter((t) => !included.has(t));
  const addConstraint = (ref: ColumnRef, op: ConstraintOp, values: Literal[], negated: boolean, at: number) => {
    facts.constraints.push({ ref, op, values, negated, ...siteAt(at) });
    if (values.some((v) => typeof v === 'number') && op !== 'LIKE' && op !== 'GLOB') facts.numericColumns.push(ref);
  };

  for (let k = 0; k < atoms.length; k++) {
    const a = atoms[k]!;
    if (a.kind === 'lit') facts.literals.push(a.value);
    if (a.kind !== 'tok') continue;
    const t = a.token;
    const left = atoms[k - 1];
    const right = atoms[k + 1];
    const op = t.kind === 'op' ? COMPARISONS[t.text] : undefined;
    if (op) {
      if (left?.kind === 'col' && right?.kind === 'lit') addConstraint(left.ref, op, [right.value], false, a.at);
      else if (left?.kind === 'lit' && right?.kind === 'col') addConstraint(right.ref, FLIPPED[op] ?? op, [left.value], false, a.at);
      else if (op === '=' && left?.kind === 'col' && right?.kind === 'col') facts.equalities.push([left.ref, right.ref]);
      else if (op === '=' && left?.kind === 'col' && isTok(right, '(') && isTok(atoms[k + 2], 'SELECT')) {
        const inner = firstSelectedColumn(atoms, k + 3);
        if (inner) facts.equalities.push([left.ref, inner]);
      }
      // Arithmetic-free comparisons with a number mark the column numeric (in addConstraint).
      continue;
    }
    const negated = isTok(left, 'NOT');
    const subject = negated ? atoms[k - 2] : left;
    if (isTok(a, 'LIKE', 'GLOB') && subject?.kind === 'col' && right?.kind === 'lit') {
      addConstraint(subject.ref, t.value === 'LIKE' ? 'LIKE' : 'GLOB', [right.value], negated, a.at);
    } else if (isTok(a, 'IN') && subject?.kind === 'col' && isTok(right, '(')) {
      if (isTok(atoms[k + 2], 'SELECT')) {
        const inner = firstSelectedColumn(atoms, k + 3);
        if (inner) facts.equalities.push([subject.ref, inner]);
      } else {
        const values: Literal[] = [];
        for (let j = k + 2; j < atoms.length && !isTok(atoms[j], ')'); j++) {
          const item = atoms[j]!;
          if (item.kind === 'lit') values.push(item.value);
        }
        if (values.length > 0) addConstraint(subject.ref, 'IN', values, negated, a.at);
      }
    } else if (isTok(a, 'BETWEEN') && subject?.kind === 'col' && right?.kind === 'lit' && isTok(atoms[k + 2], 'AND') && atoms[k + 3]?.kind === 'lit') {
      addConstraint(subject.ref, 'BETWEEN', [right.value, (atoms[k + 3] as { value: Literal }).value], negated, a.at);
    } else if (isTok(a, 'SUM', 'AVG', 'TOTAL') && isTok(right, '(')) {
      const arg = isTok(atoms[k + 2], 'DISTINCT') ? atoms[k + 3] : atoms[k + 2];
      if (arg?.kind === 'col') facts.numericColumns.push(arg.ref);
    } else if (isTok(a, '+', '-', '*', '/', '%')) {
      if (left?.kind === 'col') facts.numericColumns.push(left.ref);
      if (right?.kind === 'col') facts.numericColumns.push(right.ref);
    } else if (isTok(a, 'COUNT') && isTok(right, '(')) {
      // count(*) > N, count(DISTINCT x) >= N: the groups need that many rows.
      let j = k + 2;
      while (j < atoms.length && !isTok(atoms[j], ')')) j++;
      const cmp = atoms[j + 1];
      const bound = atoms[j + 2];
      if (cmp?.kind === 'tok' && bound?.kind === 'lit' && typeof bound.value === 'number' && j - k <= 4) {
        const need = cmp.token.text === '>' ? bound.value + 1 : ['>=', '=', '=='].includes(cmp.token.text) ? bound.value : 0;
        facts.minGroupRows = Math.max(facts.minGroupRows, Math.min(need, 50));
      }
    } else if (isTok(a, 'ORDER') && isTok(right, 'BY')) {
      if (a.scope === 0 && depthAt[a.at] === 0) facts.hasTopLevelOrderBy = true;
      for (const [item, j, depth] of clauseAtoms(atoms, k + 2, ['LIMIT', 'UNION', 'INTERSECT', 'EXCEPT'])) {
        if (item.kind === 'col') facts.orderByColumns.push(item.ref);
        else if (depth === 0 && isTok(item, ...AGGREGATES) && isTok(atoms[j + 1], '(')) facts.orderByAggregate = true;
      }
    } else if (isTok(a, 'GROUP') && isTok(right, 'BY')) {
      for (const [item] of clauseAtoms(atoms, k + 2, ['HAVING', 'ORDER', 'LIMIT', 'UNION', 'INTERSECT', 'EXCEPT', 'WINDOW'])) {
        if (item.kind === 'col') facts.groupByColumns.push(item.ref);
      }
    } else if (isTok(a, 'LIMIT')) {
      const count = isTok(atoms[k + 2], ',') ? atoms[k + 3] : right;
      if (count?.kind === 'lit' && typeof count.value === 'number' && Number.isInteger(count.value)) facts.limits.push(count.value);
    }
    if (isTok(a, ...AGGREGATES) && isTok(right, '(')) readAggregateConstraint(atoms, k, facts, siteAt(a.at));
  }
  linkCompoundColumns(atoms, scopeAt, depthAt, facts);
  return facts;
}

/** aggregate(...) op literal, or aggregate(...) BETWEEN a AND b, starting at atoms[k] (the function name). */
function readAggregateConstraint(atoms: readonly Atom[], k: number, facts: QueryFacts, site: ConditionSite): void {
  let depth = 0;
  let close = -1;
  for (let j = k + 1; j < atoms.length; j++) {
    if (isTok(atoms[j], '(')) depth++;
    else if (isTok(atoms[j], ')') && --depth === 0) {
      close = j;
      break;
    }
  }
  if (close < 0) return;
  const inner = atoms.slice(k + 2, close);
  const distinct = isTok(inner[0], 'DISTINCT');
  const args = distinct ? inner.slice(1) : inner;
  const arg = args.length === 1 && args[0]!.kind === 'col' ? args[0]!.ref : undefined;
  const fn = (atoms[k] as { token: Token }).token.value as AggregateFn;
  const cmp = atoms[close + 1];
  const bound = atoms[close + 2];
  if (cmp?.kind !== 'tok' || bound?.kind !== 'lit') return;
  const op = cmp.token.kind === 'op' ? COMPARISONS[cmp.token.text] : undefined;
  if (op) facts.aggregateConstraints.push({ fn, ...(arg ? { arg } : {}), distinct, op, values: [bound.value], ...site });
  else if (isTok(cmp, 'BETWEEN') && isTok(atoms[close + 3], 'AND') && atoms[close + 4]?.kind === 'lit') {
    facts.aggregateConstraints.push({ fn, ...(arg ? { arg } : {}), distinct, op: 'BETWEEN', values: [bound.value, (atoms[close + 4] as { value: Literal }).value], ...site });
  }
}

/**
 * In A UNION / INTERSECT / EXCEPT B, the k-th result column of A meets the k-th of B: link plain
 * column items so they share values (otherwise an INTERSECT of unrelated columns is always empty).
 */
function linkCompoundColumns(atoms: readonly Atom[], scopeAt: readonly number[], depthAt: readonly number[], facts: QueryFacts): void {
  const level = (a: Atom) => `${scopeAt[a.at]}:${depthAt[a.at]}`;
  const isWordAtom = (a: Atom | undefined, ...v: string[]) => a?.kind === 'tok' && a.token.kind === 'word' && v.includes(a.token.value);
  for (let k = 0; k < atoms.length; k++) {
    const op = atoms[k]!;
    if (!isWordAtom(op, 'UNION', 'INTERSECT', 'EXCEPT')) continue;
    // The SELECT before the operator (same level) and the one after it.
    let before = k - 1;
    while (before >= 0 && !(isWordAtom(atoms[before], 'SELECT') && level(atoms[before]!) === level(op))) before--;
    let after = k + 1;
    while (after < atoms.length && !(isWordAtom(atoms[after], 'SELECT') && level(atoms[after]!) === level(op))) after++;
    if (before < 0 || after >= atoms.length) continue;
    const left = selectListColumns(atoms, before + 1, level);
    const right = selectListColumns(atoms, after + 1, level);
    for (let i = 0; i < Math.min(left.length, right.length); i++) {
      if (left[i] && right[i]) facts.equalities.push([left[i]!, right[i]!]);
    }
  }
}

/** Per select-list item: its column when the item is exactly one column reference. */
function selectListColumns(atoms: readonly Atom[], from: number, level: (a: Atom) => string): (ColumnRef | undefined)[] {
  const out: (ColumnRef | undefined)[] = [];
  const home = level(atoms[from - 1]!);
  let item: Atom[] = [];
  for (let j = from; j < atoms.length; j++) {
    const a = atoms[j]!;
    const atHome = level(a) === home;
    if (atHome && a.kind === 'tok' && (a.token.text === ',' || a.token.value === 'FROM' || a.token.value === 'DISTINCT')) {
      if (a.token.value === 'DISTINCT') continue;
      out.push(item.length === 1 && item[0]!.kind === 'col' ? item[0]!.ref : undefined);
      item = [];
      if (a.token.value === 'FROM') return out;
      continue;
    }
    item.push(a);
  }
  out.push(item.length === 1 && item[0]!.kind === 'col' ? item[0]!.ref : undefined);
  return out;
}

/** The first column reference in a subquery's select list starting at atoms[from] (after SELECT). */
function firstSelectedColumn(atoms: readonly Atom[], from: number): ColumnRef | undefined {
  for (let j = from; j < atoms.length; j++) {
    const a = atoms[j]!;
    if (a.kind === 'col') return a.ref;
    if (a.kind === 'tok' && (a.token.value === 'FROM' || a.token.text === ',')) return undefined;
  }
  return undefined;
}

/** Stable key for a column reference (case-insensitive, like SQLite names). */
export function refKey(ref: ColumnRef): string {
  return `${ref.table.toLowerCase()}.${ref.column.toLowerCase()}`;
}
