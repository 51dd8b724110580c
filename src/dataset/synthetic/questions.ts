/**
 * Question templates with their gold SQL, for one schema instance. Each generator draws what it
 * needs (a table, columns, values, a wording) and returns null when the instance has nothing it can
 * ask about (no numeric column for a comparison, no foreign key for a join).
 *
 * Gold SQL style, the same everywhere so that a small model can learn it: upper-case keywords,
 * single-quoted strings, plain numbers, COUNT(*), joins as `FROM a AS T1 JOIN b AS T2 ON ...` with
 * every column qualified, T1 being the table the question is about, and SELECT DISTINCT when a
 * join can repeat T1's rows (it walks from a parent to its children).
 */
import type { Rng } from '../../common/prng';
import { columnPhrase, fill, literalFor, literalRange, pluralize, sentence, tableNoun, withArticle, type Noun } from './phrases';
import type { InstanceColumn, InstanceLink, InstanceTable, SchemaInstance } from './schema';

export const QUESTION_TYPES = ['list', 'filter-eq', 'compare', 'aggregate', 'order-limit', 'group-by', 'group-having', 'distinct', 'join1', 'join2'] as const;
export type QuestionType = (typeof QUESTION_TYPES)[number];

export interface QuestionDraft {
  question: string;
  sql: string;
  type: QuestionType;
  /** A finer label: the operator, aggregate or join shape ("between", "avg", "join-count"). */
  detail: string;
}

type Role = NonNullable<InstanceColumn['spec']>['role'];
const NUMERIC: readonly Role[] = ['amount', 'level', 'year', 'date'];

const ref = (alias: string | null, col: InstanceColumn) => (alias ? `${alias}.${col.name}` : col.name);
const roleOf = (col: InstanceColumn): Role => col.spec!.role;

function columnsWith(table: InstanceTable, roles: readonly Role[], extra: (c: InstanceColumn) => boolean = () => true): InstanceColumn[] {
  return table.columns.filter((c) => roles.includes(roleOf(c)) && extra(c));
}

/** A random table with at least one column of the roles, or null. */
function tableWith(schema: SchemaInstance, rng: Rng, roles: readonly Role[], extra?: (c: InstanceColumn) => boolean): InstanceTable | null {
  const ok = schema.tables.filter((t) => columnsWith(t, roles, extra).length > 0);
  return ok.length ? rng.pick(ok) : null;
}

// ---------------------------------------------------------------------------------------------
// Conditions: a relative clause for the question ("whose city is Paris") and the SQL predicate.

interface Condition {
  column: InstanceColumn;
  /** An equality: the column's value is known, so asking for it again says nothing. */
  equality: boolean;
  nl: string;
  sql: (alias: string | null) => string;
  detail: string;
  /** Set when the condition is "label = value": the value names a row. */
  labelValue?: string;
}

const EQ_TEXT = ['whose {c} is {v}', 'with {c} {v}', 'where the {c} is {v}', 'with the {c} {v}'];
const EQ_NUMBER = ['whose {c} is {v}', 'with {c} {v}', 'with a {c} of {v}', 'with {c} equal to {v}'];
const CMP_NUMBER: Record<string, string[]> = {
  '>': ['whose {c} is more than {v}', 'with {c} greater than {v}', 'with a {c} above {v}', 'with {c} over {v}', 'whose {c} exceeds {v}', 'with {c} higher than {v}'],
  '>=': ['whose {c} is at least {v}', 'with a {c} of at least {v}', 'with {c} of {v} or more', 'whose {c} is not less than {v}', 'with {c} greater than or equal to {v}'],
  '<': ['whose {c} is less than {v}', 'with {c} below {v}', 'with {c} under {v}', 'with a {c} lower than {v}', 'whose {c} is smaller than {v}'],
  '<=': ['whose {c} is at most {v}', 'with {c} no more than {v}', 'with {c} of {v} or less', 'whose {c} does not exceed {v}', 'with {c} less than or equal to {v}'],
  BETWEEN: ['whose {c} is between {a} and {b}', 'with {c} between {a} and {b}', 'with a {c} in the range {a} to {b}'],
};
const CMP_TIME: Record<string, string[]> = {
  '>': ['with {c} after {v}', 'whose {c} is later than {v}'],
  '>=': ['with {c} on or after {v}', 'whose {c} is {v} or later'],
  '<': ['with {c} before {v}', 'whose {c} is earlier than {v}'],
  '<=': ['with {c} on or before {v}', 'whose {c} is {v} or earlier'],
  BETWEEN: ['with {c} between {a} and {b}', 'whose {c} is between {a} and {b}'],
};

function equality(col: InstanceColumn, rng: Rng): Condition {
  const spec = col.spec!;
  const lit = literalFor(col, rng);
  const text = spec.role === 'label' || spec.role === 'category';
  const generic = text ? EQ_TEXT : EQ_NUMBER;
  const template = spec.eq && rng.chance(0.5) ? rng.pick(spec.eq) : rng.pick(generic);
  return {
    column: col,
    equality: true,
    nl: fill(template, { c: columnPhrase(col, rng), v: lit.nl }),
    sql: (a) => `${ref(a, col)} = ${lit.sql}`,
    detail: text ? 'text' : 'number',
    ...(spec.role === 'label' ? { labelValue: lit.nl } : {}),
  };
}

function comparison(col: InstanceColumn, rng: Rng): Condition {
  const spec = col.spec!;
  const op = rng.pick(['>', '>', '>=', '<', '<', '<=', 'BETWEEN', 'BETWEEN'] as const);
  const c = columnPhrase(col, rng);
  if (op === 'BETWEEN') {
    const [lo, hi] = literalRange(col, rng);
    const templates = spec.role === 'date' ? CMP_TIME.BETWEEN! : spec.role === 'year' ? [...CMP_NUMBER.BETWEEN!, ...CMP_TIME.BETWEEN!] : CMP_NUMBER.BETWEEN!;
    return { column: col, equality: false, nl: fill(rng.pick(templates), { c, a: lo.nl, b: hi.nl }), sql: (a) => `${ref(a, col)} BETWEEN ${lo.sql} AND ${hi.sql}`, detail: 'between' };
  }
  const lit = literalFor(col, rng);
  let templates = spec.role === 'date' ? CMP_TIME[op]! : spec.role === 'year' ? [...CMP_NUMBER[op]!, ...CMP_TIME[op]!] : CMP_NUMBER[op]!;
  const own = op === '>' ? spec.gt : op === '<' ? spec.lt : undefined;
  if (own && rng.chance(0.5)) templates = [...own];
  return { column: col, equality: false, nl: fill(rng.pick(templates), { c, v: lit.nl }), sql: (a) => `${ref(a, col)} ${op} ${lit.sql}`, detail: op };
}

const equatable = (c: InstanceColumn) => roleOf(c) === 'label' || roleOf(c) === 'category' || (c.spec!.discrete === true && roleOf(c) !== 'date');

/** A condition on some column of the table (not one of `exclude`): equality on text or small numbers, or a comparison. */
function anyCondition(table: InstanceTable, rng: Rng, kind: 'eq' | 'cmp' | 'any' = 'any', exclude: readonly InstanceColumn[] = []): Condition | null {
  const eqCols = table.columns.filter((c) => equatable(c) && !exclude.includes(c));
  const cmpCols = columnsWith(table, NUMERIC, (c) => !exclude.includes(c));
  const useEq = kind === 'eq' || (kind === 'any' && (cmpCols.length === 0 || (eqCols.length > 0 && rng.chance(0.5))));
  if (useEq) return eqCols.length ? equality(rng.pick(eqCols), rng) : null;
  return cmpCols.length ? comparison(rng.pick(cmpCols), rng) : null;
}

/** Sometimes no condition, sometimes one. */
function optionalCondition(table: InstanceTable, rng: Rng, p: number, exclude: readonly InstanceColumn[] = []): Condition | null {
  return rng.chance(p) ? anyCondition(table, rng, 'any', exclude) : null;
}

/** Columns that an equality condition fixes: selecting them would repeat the question's value. */
const fixedBy = (conds: readonly (Condition | null)[]) => conds.filter((c): c is Condition => c !== null && c.equality).map((c) => c.column);

const where = (cond: Condition | null, alias: string | null = null) => (cond ? ` WHERE ${cond.sql(alias)}` : '');

// ---------------------------------------------------------------------------------------------
// Selected columns.

interface Selection {
  cols: InstanceColumn[];
  /** "name", "name and salary". */
  nl: string;
  /** "names", "names and salaries". */
  nlPlural: string;
}

function select(table: InstanceTable, rng: Rng, exclude: InstanceColumn[] = []): Selection | null {
  const pool = table.columns.filter((c) => !exclude.includes(c));
  if (pool.length === 0) return null;
  const label = pool.find((c) => roleOf(c) === 'label');
  const first = label && rng.chance(0.7) ? label : rng.pick(pool);
  const cols = [first];
  const rest = pool.filter((c) => c !== first);
  if (rest.length > 0 && rng.chance(0.35)) cols.push(rng.pick(rest));
  const phrases = cols.map((c) => columnPhrase(c, rng));
  return { cols, nl: phrases.join(' and '), nlPlural: phrases.map(pluralize).join(' and ') };
}

const selectSql = (s: Selection, alias: string | null = null) => s.cols.map((c) => ref(alias, c)).join(', ');

// ---------------------------------------------------------------------------------------------
// Single-table questions.

const LIST = ['List the {cols} of all {pl}.', 'What are the {cols} of all {pl}?', 'Show the {col} of every {sg}.', 'Give the {col} of each {sg}.', '{cols} of all {pl}.', 'For every {sg}, show the {col}.', 'Return the {cols} of the {pl}.'];
const FILTERED = [
  'List the {cols} of {pl} {cond}.',
  'What are the {cols} of the {pl} {cond}?',
  'Show the {cols} of all {pl} {cond}.',
  'Give me the {col} of every {sg} {cond}.',
  'Find the {cols} of {pl} {cond}.',
  'For {pl} {cond}, list the {cols}.',
  'Among {pl} {cond}, what are the {cols}?',
  '{cols} of {pl} {cond}?',
  'Which {pl} are there {cond}? Give their {cols}.',
];

function list(schema: SchemaInstance, rng: Rng): QuestionDraft | null {
  const t = rng.pick(schema.tables);
  const s = select(t, rng);
  if (!s) return null;
  const n = tableNoun(t, rng);
  return { question: sentence(rng.pick(LIST), { cols: s.nlPlural, col: s.nl, pl: n.pl, sg: n.sg }), sql: `SELECT ${selectSql(s)} FROM ${t.name}`, type: 'list', detail: String(s.cols.length) };
}

function filtered(t: InstanceTable, conds: Condition[], rng: Rng): { question: string; sql: string } | null {
  const s = select(t, rng, fixedBy(conds));
  if (!s) return null;
  const n = tableNoun(t, rng);
  const cond = conds.map((c) => c.nl).join(' and ');
  return {
    question: sentence(rng.pick(FILTERED), { cols: s.nlPlural, col: s.nl, pl: n.pl, sg: n.sg, cond }),
    sql: `SELECT ${selectSql(s)} FROM ${t.name} WHERE ${conds.map((c) => c.sql(null)).join(' AND ')}`,
  };
}

function filterEq(schema: SchemaInstance, rng: Rng): QuestionDraft | null {
  const t = rng.pick(schema.tables);
  const cond = anyCondition(t, rng, 'eq');
  if (!cond) return null;
  const second = rng.chance(0.15) ? anyCondition(t, rng, 'cmp', [cond.column]) : null;
  const q = filtered(t, second ? [cond, second] : [cond], rng);
  return q && { ...q, type: 'filter-eq', detail: second ? `${cond.detail}+${second.detail}` : cond.detail };
}

function compare(schema: SchemaInstance, rng: Rng): QuestionDraft | null {
  const t = tableWith(schema, rng, NUMERIC);
  const cond = t && anyCondition(t, rng, 'cmp');
  if (!t || !cond) return null;
  const q = filtered(t, [cond], rng);
  return q && { ...q, type: 'compare', detail: cond.detail };
}

const COUNT = ['How many {pl} are there {cond}?', 'Count the {pl} {cond}.', 'What is the number of {pl} {cond}?', 'How many {pl} {cond} are there?', 'Find the total number of {pl} {cond}.'];
const AGGREGATE: Record<'SUM' | 'AVG' | 'MAX' | 'MIN', string[]> = {
  SUM: ['What is the total {c} of all {pl} {cond}?', 'Find the sum of the {c} of {pl} {cond}.', 'What is the combined {c} of {pl} {cond}?', 'Compute the total {c} for {pl} {cond}.'],
  AVG: ['What is the average {c} of {pl} {cond}?', 'Find the mean {c} of all {pl} {cond}.', 'What is the average {c} among {pl} {cond}?', 'Compute the average {c} of {pl} {cond}.'],
  MAX: ['What is the {hi} {c} of any {sg} {cond}?', 'Find the {hi} {c} among {pl} {cond}.', 'What is the {hi} {c} of {pl} {cond}?'],
  MIN: ['What is the {lo} {c} of any {sg} {cond}?', 'Find the {lo} {c} among {pl} {cond}.', 'What is the {lo} {c} of {pl} {cond}?'],
};
const MAX_MIN = ['What are the {hi} and {lo} {c} of {pl} {cond}?', 'Find the {hi} and the {lo} {c} among {pl} {cond}.'];

const EXTREMES = { dateHi: ['latest', 'most recent'], dateLo: ['earliest'], hi: ['highest', 'maximum', 'largest'], lo: ['lowest', 'minimum', 'smallest'] };

function extremes(col: InstanceColumn, rng: Rng): { hi: string; lo: string } {
  if (roleOf(col) === 'date') return { hi: rng.pick(EXTREMES.dateHi), lo: rng.pick(EXTREMES.dateLo) };
  return { hi: rng.pick(EXTREMES.hi), lo: rng.pick(EXTREMES.lo) };
}

function aggregate(schema: SchemaInstance, rng: Rng): QuestionDraft | null {
  const t = rng.pick(schema.tables);
  const n = tableNoun(t, rng);
  const measures = columnsWith(t, NUMERIC);
  const fn = measures.length === 0 ? 'COUNT' : rng.pick(['COUNT', 'COUNT', 'SUM', 'AVG', 'AVG', 'MAX', 'MIN', 'MAX-MIN'] as const);
  if (fn === 'COUNT') {
    const cond = optionalCondition(t, rng, 0.5);
    return { question: sentence(rng.pick(COUNT), { pl: n.pl, cond: cond?.nl ?? '' }), sql: `SELECT COUNT(*) FROM ${t.name}${where(cond)}`, type: 'aggregate', detail: 'count' };
  }
  const allowed = fn === 'SUM' ? measures.filter((c) => roleOf(c) === 'amount') : fn === 'AVG' ? measures.filter((c) => roleOf(c) === 'amount' || roleOf(c) === 'level') : measures;
  if (allowed.length === 0) return null;
  const col = rng.pick(allowed);
  const cond = optionalCondition(t, rng, 0.5, [col]);
  const vars = { c: columnPhrase(col, rng), pl: n.pl, sg: n.sg, cond: cond?.nl ?? '', ...extremes(col, rng) };
  if (fn === 'MAX-MIN') return { question: sentence(rng.pick(MAX_MIN), vars), sql: `SELECT MAX(${col.name}), MIN(${col.name}) FROM ${t.name}${where(cond)}`, type: 'aggregate', detail: 'max-min' };
  return { question: sentence(rng.pick(AGGREGATE[fn]), vars), sql: `SELECT ${fn}(${col.name}) FROM ${t.name}${where(cond)}`, type: 'aggregate', detail: fn.toLowerCase() };
}

const TOP_ONE_ADJ = ['What is the {col} of the {adj} {sg} {cond}?', 'Which {sg} {cond} is the {adj}? Give the {col}.', 'Find the {col} of the {adj} {sg} {cond}.'];
const TOP_ONE = ['Show the {col} of the {sg} {cond} with the {ext} {c}.', 'Which {sg} {cond} has the {ext} {c}? Show its {col}.', 'Find the {col} of the {sg} {cond} that has the {ext} {c}.'];
const TOP_N_ADJ = ['List the {cols} of the {n} {adj} {pl} {cond}.', 'Find the {n} {adj} {pl} {cond} and list their {cols}.', 'What are the {cols} of the {n} {adj} {pl} {cond}?'];
const TOP_N = ['What are the {cols} of the {n} {pl} {cond} with the {ext} {c}?', 'Give the {cols} of the {n} {pl} {cond} with the {ext} {c}.'];
const TOP_N_DESC = ['Show the {cols} of the top {n} {pl} {cond} by {c}.', 'Top {n} {pl} {cond} by {c}: show their {cols}.'];
const DIRECTIONS = {
  dateDesc: ['from latest to earliest', 'newest first'],
  dateAsc: ['from earliest to latest', 'oldest first'],
  desc: ['from highest to lowest', 'in descending order'],
  asc: ['from lowest to highest', 'in ascending order'],
};
const SORTED = ['List the {cols} of all {pl} {cond}, ordered by {c} {dir}.', 'Show the {cols} of {pl} {cond} sorted by {c} {dir}.', 'Sort the {pl} {cond} by {c} {dir} and list their {cols}.'];

function orderLimit(schema: SchemaInstance, rng: Rng): QuestionDraft | null {
  const t = tableWith(schema, rng, NUMERIC);
  if (!t) return null;
  const col = rng.pick(columnsWith(t, NUMERIC));
  const cond = optionalCondition(t, rng, 0.2, [col]);
  const s = select(t, rng, [col, ...fixedBy([cond])]);
  if (!s) return null;
  if (rng.chance(0.25) && s.cols.length === 1) {
    // Show the ordering value too.
    s.cols.push(col);
    const c = columnPhrase(col, rng);
    s.nl = `${s.nl} and ${c}`;
    s.nlPlural = `${s.nlPlural} and ${pluralize(c)}`;
  }
  const n = tableNoun(t, rng);
  const desc = rng.chance(0.55);
  const date = roleOf(col) === 'date';
  const adjs = desc ? col.spec!.most : col.spec!.least;
  const shape = rng.pick(['one', 'one', 'n', 'n', 'sorted'] as const);
  const vars: Record<string, string> = { col: s.nl, cols: s.nlPlural, sg: n.sg, pl: n.pl, c: columnPhrase(col, rng), cond: cond?.nl ?? '' };
  vars.ext = rng.pick(date ? (desc ? EXTREMES.dateHi : EXTREMES.dateLo) : desc ? EXTREMES.hi : EXTREMES.lo);
  const order = `ORDER BY ${col.name} ${desc ? 'DESC' : 'ASC'}`;
  const base = `SELECT ${selectSql(s)} FROM ${t.name}${where(cond)} ${order}`;
  if (shape === 'sorted') {
    vars.dir = rng.pick(date ? (desc ? DIRECTIONS.dateDesc : DIRECTIONS.dateAsc) : desc ? DIRECTIONS.desc : DIRECTIONS.asc);
    return { question: sentence(rng.pick(SORTED), vars), sql: base, type: 'order-limit', detail: 'order' };
  }
  const useAdj = adjs !== undefined && rng.chance(0.5);
  if (useAdj) vars.adj = rng.pick(adjs);
  if (shape === 'one') return { question: sentence(rng.pick(useAdj ? TOP_ONE_ADJ : TOP_ONE), vars), sql: `${base} LIMIT 1`, type: 'order-limit', detail: 'top1' };
  const k = rng.int(2, 5);
  vars.n = String(k);
  const templates = useAdj ? TOP_N_ADJ : desc && !date ? [...TOP_N, ...TOP_N_DESC] : TOP_N;
  return { question: sentence(rng.pick(templates), vars), sql: `${base} LIMIT ${k}`, type: 'order-limit', detail: 'topn' };
}

const GROUP_COUNT = ['How many {pl} are there in each {g}?', 'For each {g}, how many {pl} are there?', 'Count the {pl} per {g}.', 'Show each {g} and the number of {pl} with it.', 'What is the number of {pl} for every {g}?'];
const GROUP_AGG: Record<'SUM' | 'AVG' | 'MAX' | 'MIN', string[]> = {
  SUM: ['What is the total {c} of {pl} in each {g}?', 'For each {g}, find the total {c} of the {pl}.', 'Show the sum of {c} for every {g}.'],
  AVG: ['What is the average {c} of {pl} in each {g}?', 'For each {g}, find the average {c} of the {pl}.', 'Show the mean {c} per {g}.'],
  MAX: ['What is the highest {c} of {pl} in each {g}?', 'For each {g}, find the maximum {c}.'],
  MIN: ['What is the lowest {c} of {pl} in each {g}?', 'For each {g}, find the minimum {c}.'],
};

const groupable = (c: InstanceColumn) => roleOf(c) === 'category';

function groupBy(schema: SchemaInstance, rng: Rng): QuestionDraft | null {
  const t = tableWith(schema, rng, ['category']);
  if (!t) return null;
  const g = rng.pick(columnsWith(t, ['category']));
  const n = tableNoun(t, rng);
  const gPhrase = columnPhrase(g, rng);
  const measures = columnsWith(t, ['amount', 'level']);
  if (measures.length === 0 || rng.chance(0.5)) {
    return { question: sentence(rng.pick(GROUP_COUNT), { pl: n.pl, g: gPhrase }), sql: `SELECT ${g.name}, COUNT(*) FROM ${t.name} GROUP BY ${g.name}`, type: 'group-by', detail: 'count' };
  }
  const m = rng.pick(measures);
  const fn = roleOf(m) === 'amount' ? rng.pick(['SUM', 'AVG', 'AVG', 'MAX', 'MIN'] as const) : rng.pick(['AVG', 'AVG', 'MAX', 'MIN'] as const);
  return {
    question: sentence(rng.pick(GROUP_AGG[fn]), { pl: n.pl, g: gPhrase, c: columnPhrase(m, rng) }),
    sql: `SELECT ${g.name}, ${fn}(${m.name}) FROM ${t.name} GROUP BY ${g.name}`,
    type: 'group-by',
    detail: fn.toLowerCase(),
  };
}

const HAVING_COUNT: Record<'>' | '>=', string[]> = {
  '>': ['Which {gs} have more than {k} {pl}?', 'List the {gs} with more than {k} {pl}.', 'Find the {gs} that appear for more than {k} {pl}.'],
  '>=': ['Which {gs} have at least {k} {pl}?', 'List the {gs} with {k} or more {pl}.', 'Find the {gs} shared by at least {k} {pl}.'],
};
const HAVING_AGG = ['Which {gs} have an average {c} above {v}?', 'List the {gs} whose {pl} have an average {c} of more than {v}.', 'Find the {gs} where the average {c} of the {pl} is greater than {v}.'];

function groupHaving(schema: SchemaInstance, rng: Rng): QuestionDraft | null {
  const t = tableWith(schema, rng, ['category']);
  if (!t) return null;
  const g = rng.pick(columnsWith(t, ['category']));
  const n = tableNoun(t, rng);
  const gs = pluralize(columnPhrase(g, rng));
  const measures = columnsWith(t, ['amount', 'level']);
  if (measures.length === 0 || rng.chance(0.6)) {
    const op = rng.pick(['>', '>='] as const);
    const k = op === '>' ? rng.int(1, 3) : rng.int(2, 4);
    return { question: sentence(rng.pick(HAVING_COUNT[op]), { gs, k: String(k), pl: n.pl }), sql: `SELECT ${g.name} FROM ${t.name} GROUP BY ${g.name} HAVING COUNT(*) ${op} ${k}`, type: 'group-having', detail: `count${op}` };
  }
  const m = rng.pick(measures);
  // The lowest of three draws: a threshold that most groups' averages can pass.
  const v = [literalFor(m, rng), literalFor(m, rng), literalFor(m, rng)].reduce((a, b) => (b.order < a.order ? b : a));
  return {
    question: sentence(rng.pick(HAVING_AGG), { gs, pl: n.pl, c: columnPhrase(m, rng), v: v.nl }),
    sql: `SELECT ${g.name} FROM ${t.name} GROUP BY ${g.name} HAVING AVG(${m.name}) > ${v.sql}`,
    type: 'group-having',
    detail: 'avg>',
  };
}

const DISTINCT = ['What are the different {gs} of {pl} {cond}?', 'List the distinct {gs} of {pl} {cond}.', 'Show all unique {gs} among {pl} {cond}.', 'Which different {gs} do {pl} {cond} have?', 'Find the different {gs} that {pl} {cond} have.'];
const COUNT_DISTINCT = ['How many different {gs} are there among {pl} {cond}?', 'Count the distinct {gs} of {pl} {cond}.', 'What is the number of unique {gs} of {pl} {cond}?'];

function distinct(schema: SchemaInstance, rng: Rng): QuestionDraft | null {
  const t = tableWith(schema, rng, ['category']);
  if (!t) return null;
  const g = rng.pick(columnsWith(t, ['category']));
  const n = tableNoun(t, rng);
  const cond = optionalCondition(t, rng, 0.35, [g]);
  const vars = { gs: pluralize(columnPhrase(g, rng)), pl: n.pl, cond: cond?.nl ?? '' };
  if (rng.chance(0.3)) return { question: sentence(rng.pick(COUNT_DISTINCT), vars), sql: `SELECT COUNT(DISTINCT ${g.name}) FROM ${t.name}${where(cond)}`, type: 'distinct', detail: 'count-distinct' };
  return { question: sentence(rng.pick(DISTINCT), vars), sql: `SELECT DISTINCT ${g.name} FROM ${t.name}${where(cond)}`, type: 'distinct', detail: 'distinct' };
}

// ---------------------------------------------------------------------------------------------
// Joins: a path of 2 or 3 tables along foreign keys, T1 being the table the question is about.

interface Step {
  from: InstanceTable;
  to: InstanceTable;
  link: InstanceLink;
  /** From the child to its parent (to-one); otherwise from a parent to its children (to-many). */
  toParent: boolean;
}

function stepsFrom(schema: SchemaInstance, table: InstanceTable): Step[] {
  return schema.links.flatMap((link): Step[] => [
    ...(link.child === table ? [{ from: table, to: link.parent, link, toParent: true }] : []),
    ...(link.parent === table ? [{ from: table, to: link.child, link, toParent: false }] : []),
  ]);
}

function paths(schema: SchemaInstance, length: 1 | 2): Step[][] {
  const out: Step[][] = [];
  for (const t of schema.tables) {
    for (const s1 of stepsFrom(schema, t)) {
      if (length === 1) out.push([s1]);
      else for (const s2 of stepsFrom(schema, s1.to)) if (s2.to !== t && s2.link !== s1.link) out.push([s1, s2]);
    }
  }
  return out;
}

function fromClause(path: Step[]): string {
  let sql = `FROM ${path[0]!.from.name} AS T1`;
  path.forEach((st, i) => {
    const a = `T${i + 1}`;
    const b = `T${i + 2}`;
    const on = st.toParent ? `${a}.${st.link.column.name} = ${b}.${st.to.key.name}` : `${a}.${st.from.key.name} = ${b}.${st.link.column.name}`;
    sql += ` JOIN ${st.to.name} AS ${b} ON ${on}`;
  });
  return sql;
}

const toOne = (path: Step[]) => path.every((s) => s.toParent);

const LABEL_BEFORE = 'the {v} {sg}';

/** How a question names the row(s) a condition picks in the last table: "Alice Martin", "the Sales department", "a department whose budget is above 100000". */
function reference(table: InstanceTable, cond: Condition, rng: Rng): string {
  const noun = tableNoun(table, rng);
  if (cond.labelValue !== undefined && table.spec.label === 'alone' && rng.chance(0.7)) return cond.labelValue;
  if (cond.labelValue !== undefined && table.spec.label === 'before' && rng.chance(0.7)) return fill(LABEL_BEFORE, { v: cond.labelValue, sg: noun.sg });
  return `${withArticle(noun.sg)} ${cond.nl}`;
}

/** "working in the Sales department", "on an album by Ann Lee", "enrolled in the Biology course". */
function pathPhrase(path: Step[], target: string, rng: Rng): string {
  if (path.length === 2 && !path[0]!.toParent && path[1]!.toParent) {
    const bridge = path[0]!.to;
    const b = bridge.spec.bridge;
    const parents = bridge.spec.parents ?? [];
    if (b && parents.length === 2 && rng.chance(0.8)) {
      const forward = parents[0]!.table === path[0]!.from.spec.id && parents[1]!.table === path[1]!.to.spec.id;
      const backward = parents[1]!.table === path[0]!.from.spec.id && parents[0]!.table === path[1]!.to.spec.id;
      if (forward || backward) return `${rng.pick(forward ? b.ab : b.ba)} ${target}`;
    }
  }
  const parts: string[] = [];
  path.forEach((st, i) => {
    parts.push(rng.pick(st.toParent ? st.link.spec.c2p : st.link.spec.p2c));
    parts.push(i < path.length - 1 ? withArticle(tableNoun(st.to, rng).sg) : target);
  });
  return parts.join(' ');
}

/** "List the names of employees working in the Sales department." */
function joinFilter(path: Step[], rng: Rng): { question: string; sql: string } | null {
  const t1 = path[0]!.from;
  const last = path[path.length - 1]!.to;
  const s = select(t1, rng);
  const cond = anyCondition(last, rng);
  if (!s || !cond) return null;
  const alias = `T${path.length + 1}`;
  const n = tableNoun(t1, rng);
  const rel = pathPhrase(path, reference(last, cond, rng), rng);
  return {
    question: sentence(rng.pick(FILTERED), { cols: s.nlPlural, col: s.nl, pl: n.pl, sg: n.sg, cond: rel }),
    sql: `SELECT ${toOne(path) ? '' : 'DISTINCT '}${selectSql(s, 'T1')} ${fromClause(path)} WHERE ${cond.sql(alias)}`,
  };
}

const JOIN_COUNT = ['How many {pl} are there {rel}?', 'Count the {pl} {rel}.', 'What is the number of {pl} {rel}?'];

/** "How many employees work in the Sales department?" (to-one paths only: each T1 row once). */
function joinCount(path: Step[], rng: Rng): { question: string; sql: string } | null {
  const t1 = path[0]!.from;
  const last = path[path.length - 1]!.to;
  const cond = anyCondition(last, rng);
  if (!cond || !toOne(path)) return null;
  const n = tableNoun(t1, rng);
  const rel = pathPhrase(path, reference(last, cond, rng), rng);
  return { question: sentence(rng.pick(JOIN_COUNT), { pl: n.pl, rel }), sql: `SELECT COUNT(*) ${fromClause(path)} WHERE ${cond.sql(`T${path.length + 1}`)}` };
}

const JOIN_AGG: Record<'SUM' | 'AVG' | 'MAX' | 'MIN', string[]> = {
  SUM: ['What is the total {c} of {pl} {rel}?', 'Find the sum of the {c} of all {pl} {rel}.'],
  AVG: ['What is the average {c} of {pl} {rel}?', 'Find the mean {c} of the {pl} {rel}.'],
  MAX: ['What is the {hi} {c} of {pl} {rel}?', 'Find the {hi} {c} among {pl} {rel}.'],
  MIN: ['What is the {lo} {c} of {pl} {rel}?', 'Find the {lo} {c} among {pl} {rel}.'],
};

/** "What is the average salary of employees in the Sales department?" (to-one paths only). */
function joinAggregate(path: Step[], rng: Rng): { question: string; sql: string; fn: string } | null {
  const t1 = path[0]!.from;
  const last = path[path.length - 1]!.to;
  const measures = columnsWith(t1, NUMERIC);
  const cond = anyCondition(last, rng);
  if (!cond || !toOne(path) || measures.length === 0) return null;
  const m = rng.pick(measures);
  const fn = roleOf(m) === 'amount' ? rng.pick(['SUM', 'AVG', 'MAX', 'MIN'] as const) : roleOf(m) === 'level' ? rng.pick(['AVG', 'MAX', 'MIN'] as const) : rng.pick(['MAX', 'MIN'] as const);
  const n = tableNoun(t1, rng);
  const rel = pathPhrase(path, reference(last, cond, rng), rng);
  return {
    question: sentence(rng.pick(JOIN_AGG[fn]), { c: columnPhrase(m, rng), pl: n.pl, rel, ...extremes(m, rng) }),
    sql: `SELECT ${fn}(T1.${m.name}) ${fromClause(path)} WHERE ${cond.sql(`T${path.length + 1}`)}`,
    fn: fn.toLowerCase(),
  };
}

const RELATED = ['For {pl} {cond}, show the {c} of their {psg}.', 'What is the {c} of the {psg} of each {sg} {cond}?', 'Give the {c} of the {psg} for every {sg} {cond}.'];
const PAIR = ['List the {c1} of each {sg} together with the {c2} of their {psg}.', 'For each {sg}, give the {c1} and the {c2} of the {psg}.', 'Show the {c1} of every {sg} and the {c2} of its {psg}.'];
const JOIN_GROUP = ['For each {psg}, show its {g} and the number of {pl}.', 'How many {pl} does each {psg} have? Give the {psg} {g} and the count.', 'List every {psg} {g} with the number of {pl} it has.'];
const JOIN_GROUP_AGG = ['For each {psg} {g}, what is the average {c} of its {pl}?', 'Show every {psg} {g} with the average {c} of its {pl}.'];
const JOIN_HAVING = ['Which {ppl} have more than {k} {pl}? Give their {g}.', 'List the {g} of {ppl} with more than {k} {pl}.', 'Find the {g} of every {psg} that has more than {k} {pl}.'];

function join1(schema: SchemaInstance, rng: Rng): QuestionDraft | null {
  const all = paths(schema, 1);
  if (all.length === 0) return null;
  const path = rng.pick(all);
  const step = path[0]!;
  const shape = rng.pick(['filter', 'filter', 'count', 'aggregate', 'related', 'pair', 'group', 'having'] as const);
  const done = (q: { question: string; sql: string } | null, detail: string): QuestionDraft | null => q && { ...q, type: 'join1', detail };
  if (shape === 'filter') return done(joinFilter(path, rng), toOne(path) ? 'filter' : 'filter-distinct');
  if (shape === 'count') return done(joinCount(path, rng), 'count');
  if (shape === 'aggregate') {
    const q = joinAggregate(path, rng);
    return done(q, `agg-${q?.fn}`);
  }
  const child = step.toParent ? step.from : step.to;
  const parent = step.toParent ? step.to : step.from;
  const childPath = fromClause([{ from: child, to: parent, link: step.link, toParent: true }]);
  const parentPath = fromClause([{ from: parent, to: child, link: step.link, toParent: false }]);
  const cn = tableNoun(child, rng);
  const pn: Noun = tableNoun(parent, rng);
  if (shape === 'related') {
    const s = select(parent, rng);
    const cond = anyCondition(child, rng);
    if (!s || !cond) return null;
    return done({ question: sentence(rng.pick(RELATED), { pl: cn.pl, sg: cn.sg, cond: cond.nl, c: s.nl, psg: pn.sg }), sql: `SELECT ${selectSql(s, 'T2')} ${childPath} WHERE ${cond.sql('T1')}` }, 'related');
  }
  if (shape === 'pair') {
    const c1 = child.columns.find((c) => roleOf(c) === 'label') ?? (child.columns.length ? rng.pick(child.columns) : undefined);
    const c2 = parent.columns.find((c) => roleOf(c) === 'label') ?? (parent.columns.length ? rng.pick(parent.columns) : undefined);
    if (!c1 || !c2) return null;
    return done({ question: sentence(rng.pick(PAIR), { c1: columnPhrase(c1, rng), c2: columnPhrase(c2, rng), sg: cn.sg, psg: pn.sg }), sql: `SELECT T1.${c1.name}, T2.${c2.name} ${childPath}` }, 'pair');
  }
  const keys = parent.columns.filter((c) => roleOf(c) === 'label' || groupable(c));
  if (keys.length === 0) return null;
  const g = rng.pick(keys);
  const gPhrase = columnPhrase(g, rng);
  if (shape === 'group') {
    const measures = columnsWith(child, ['amount', 'level']);
    if (measures.length > 0 && rng.chance(0.35)) {
      const m = rng.pick(measures);
      return done({ question: sentence(rng.pick(JOIN_GROUP_AGG), { psg: pn.sg, g: gPhrase, c: columnPhrase(m, rng), pl: cn.pl }), sql: `SELECT T1.${g.name}, AVG(T2.${m.name}) ${parentPath} GROUP BY T1.${g.name}` }, 'group-avg');
    }
    return done({ question: sentence(rng.pick(JOIN_GROUP), { psg: pn.sg, g: gPhrase, pl: cn.pl }), sql: `SELECT T1.${g.name}, COUNT(*) ${parentPath} GROUP BY T1.${g.name}` }, 'group-count');
  }
  const k = rng.int(1, 3);
  return done({ question: sentence(rng.pick(JOIN_HAVING), { ppl: pn.pl, psg: pn.sg, g: gPhrase, k: String(k), pl: cn.pl }), sql: `SELECT T1.${g.name} ${parentPath} GROUP BY T1.${g.name} HAVING COUNT(*) > ${k}` }, 'having');
}

function join2(schema: SchemaInstance, rng: Rng): QuestionDraft | null {
  const all = paths(schema, 2);
  if (all.length === 0) return null;
  const path = rng.pick(all);
  const shape = toOne(path) ? rng.pick(['filter', 'filter', 'count', 'aggregate'] as const) : 'filter';
  if (shape === 'count') {
    const q = joinCount(path, rng);
    return q && { ...q, type: 'join2', detail: 'count' };
  }
  if (shape === 'aggregate') {
    const q = joinAggregate(path, rng);
    return q && { question: q.question, sql: q.sql, type: 'join2', detail: `agg-${q.fn}` };
  }
  const q = joinFilter(path, rng);
  return q && { ...q, type: 'join2', detail: toOne(path) ? 'filter' : 'filter-distinct' };
}

export const GENERATORS: Record<QuestionType, (schema: SchemaInstance, rng: Rng) => QuestionDraft | null> = {
  list,
  'filter-eq': filterEq,
  compare,
  aggregate,
  'order-limit': orderLimit,
  'group-by': groupBy,
  'group-having': groupHaving,
  distinct,
  join1,
  join2,
};

/** Whether the instance can take a question of the type at all (so the sampler never loops on one that cannot). */
export function supportsType(schema: SchemaInstance, type: QuestionType): boolean {
  const any = (roles: readonly Role[]) => schema.tables.some((t) => columnsWith(t, roles).length > 0);
  switch (type) {
    case 'list':
    case 'aggregate':
      return true;
    case 'filter-eq':
      return schema.tables.some((t) => columnsWith(t, ['label', 'category', 'amount', 'level', 'year'], (c) => roleOf(c) === 'label' || roleOf(c) === 'category' || c.spec!.discrete === true).length > 0);
    case 'compare':
    case 'order-limit':
      return any(NUMERIC);
    case 'group-by':
    case 'group-having':
    case 'distinct':
      return any(['category']);
    case 'join1':
      return schema.links.length > 0;
    case 'join2':
      return paths(schema, 2).length > 0;
  }
}

/** Every fixed text the question templates can emit (slots in braces), for vocabulary.ts. */
export const QUESTION_TEXTS: readonly string[] = [
  ...EQ_TEXT,
  ...EQ_NUMBER,
  ...Object.values(CMP_NUMBER).flat(),
  ...Object.values(CMP_TIME).flat(),
  ...LIST,
  ...FILTERED,
  ...COUNT,
  ...Object.values(AGGREGATE).flat(),
  ...MAX_MIN,
  ...Object.values(EXTREMES).flat(),
  ...TOP_ONE_ADJ,
  ...TOP_ONE,
  ...TOP_N_ADJ,
  ...TOP_N,
  ...TOP_N_DESC,
  ...Object.values(DIRECTIONS).flat(),
  ...SORTED,
  ...GROUP_COUNT,
  ...Object.values(GROUP_AGG).flat(),
  ...Object.values(HAVING_COUNT).flat(),
  ...HAVING_AGG,
  ...DISTINCT,
  ...COUNT_DISTINCT,
  LABEL_BEFORE,
  ...JOIN_COUNT,
  ...Object.values(JOIN_AGG).flat(),
  ...RELATED,
  ...PAIR,
  ...JOIN_GROUP,
  ...JOIN_GROUP_AGG,
  ...JOIN_HAVING,
  'and',
];
