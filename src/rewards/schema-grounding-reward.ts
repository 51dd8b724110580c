/**
 * A dense signal for copying names from the schema: the share of the query's table and column
 * names that the schema (or the query's own aliases) defines. Execution rewards see a misspelled
 * column only as "error"; this one sees how many names were wrong, so a group of completions that
 * all fail still ranks the one that copied more of the schema above the one that invented names.
 */
import { significant, tokenize, type Token } from '../sql/lexer';
import { findColumn, findTable, parseSchema, type Schema } from '../sql/schema';
import type { RewardFunction, RewardResult } from './types';

/** Words of SQLite's grammar that a query of this task may contain (never names). */
const GRAMMAR = new Set([
  'SELECT', 'FROM', 'WHERE', 'GROUP', 'BY', 'ORDER', 'HAVING', 'JOIN', 'ON', 'AS', 'AND', 'OR', 'NOT', 'IN', 'LIKE', 'GLOB', 'LIMIT',
  'OFFSET', 'DISTINCT', 'ALL', 'UNION', 'INTERSECT', 'EXCEPT', 'BETWEEN', 'IS', 'NULL', 'DESC', 'ASC', 'INNER', 'LEFT', 'RIGHT', 'FULL',
  'OUTER', 'CROSS', 'NATURAL', 'USING', 'CASE', 'WHEN', 'THEN', 'ELSE', 'END', 'WITH', 'EXISTS', 'ESCAPE', 'COLLATE', 'NOCASE',
  'TRUE', 'FALSE', 'CURRENT_DATE', 'CURRENT_TIME', 'CURRENT_TIMESTAMP', 'INTEGER', 'REAL', 'TEXT', 'NUMERIC', 'BLOB',
]);

const isName = (t: Token | undefined): t is Token => t !== undefined && ((t.kind === 'word' && !GRAMMAR.has(t.value)) || t.kind === 'dquoted' || t.kind === 'bquoted');
const nameOf = (t: Token) => (t.kind === 'word' ? t.text : t.value).toLowerCase();

export interface GroundingCount {
  /** Name uses checked (alias definitions and function names are not uses). */
  names: number;
  /** The ones the schema or an alias does not define, in order. */
  unknown: string[];
}

/** Counts the table and column names of `sql` that `schema` does not define. */
export function groundingOf(sql: string, schema: Schema): GroundingCount {
  const sig = significant(tokenize(sql));
  // Alias -> the table it stands for (undefined for a column alias such as COUNT(*) AS n).
  const aliases = new Map<string, string | undefined>();
  const definitions = new Set<number>();
  sig.forEach((t, i) => {
    if (!isName(t)) return;
    const prev = sig[i - 1];
    const afterAs = prev?.kind === 'word' && prev.value === 'AS';
    // FROM employees e / JOIN visit v: a name right after a FROM/JOIN table is its alias.
    const before = sig[i - 2];
    const implicit = isName(prev) && before?.kind === 'word' && (before.value === 'FROM' || before.value === 'JOIN');
    if (afterAs || implicit) {
      const table = implicit ? prev : sig[i - 2];
      const ofTable = isName(table) && sig[i - (implicit ? 2 : 3)]?.kind === 'word' && ['FROM', 'JOIN'].includes(sig[i - (implicit ? 2 : 3)]!.value);
      aliases.set(nameOf(t), ofTable ? nameOf(table) : undefined);
      definitions.add(i);
    }
  });
  const anyColumn = (name: string) => schema.tables.some((table) => findColumn(table, name));
  const unknown: string[] = [];
  let names = 0;
  sig.forEach((t, i) => {
    if (!isName(t) || definitions.has(i)) return;
    if (sig[i + 1]?.text === '(') return; // COUNT(, MAX(, LOWER(: a function, not a name
    names++;
    const name = nameOf(t);
    const qualifier = sig[i - 1]?.text === '.' ? sig[i - 2] : undefined;
    let known: boolean;
    if (sig[i + 1]?.text === '.') known = aliases.has(name) || findTable(schema, name) !== undefined;
    else if (qualifier && isName(qualifier)) {
      const q = nameOf(qualifier);
      const table = findTable(schema, aliases.get(q) ?? q);
      known = table ? findColumn(table, name) !== undefined : anyColumn(name);
    } else {
      const prev = sig[i - 1];
      const tablePosition = prev?.kind === 'word' && (prev.value === 'FROM' || prev.value === 'JOIN');
      known = tablePosition ? findTable(schema, name) !== undefined || aliases.has(name) : anyColumn(name) || aliases.has(name) || findTable(schema, name) !== undefined;
    }
    if (!known) unknown.push(t.kind === 'word' ? t.text : t.value);
  });
  return { names, unknown };
}

export const schemaGroundingReward: RewardFunction = {
  name: 'schema_grounding_reward',
  description: 'Share of the query’s table and column names that the schema (or the query’s aliases) defines, 0..1; 0 without SQL or when the schema or the query cannot be read',
  range: [0, 1],
  needsExecution: false,
  score({ example, extracted }): RewardResult {
    if (!extracted) return { score: 0, details: { verdict: 'no SQL found' } };
    let schema: Schema;
    try {
      schema = parseSchema(example.context);
    } catch (e) {
      return { score: 0, details: { verdict: 'schema unreadable', reason: e instanceof Error ? e.message : String(e) } };
    }
    let count: GroundingCount;
    try {
      count = groundingOf(extracted.sql, schema);
    } catch (e) {
      return { score: 0, details: { verdict: 'query unreadable', reason: e instanceof Error ? e.message : String(e) } };
    }
    if (count.names === 0) return { score: 0, details: { verdict: 'no table or column named' } };
    return { score: (count.names - count.unknown.length) / count.names, details: { names: count.names, unknown: count.unknown } };
  },
};
