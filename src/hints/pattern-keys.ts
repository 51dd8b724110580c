/**
 * The vocabulary of patterns the hint layer learns about: stable string keys ("agg:COUNT",
 * "join:LEFT", "table:singer", "column:singer.age") with a human description each. Keys are what
 * hints are stored under and exported as, so they must not change meaning between versions.
 */

export type PatternFamily =
  | 'join'
  | 'clause'
  | 'limit'
  | 'agg'
  | 'order'
  | 'subquery'
  | 'select'
  | 'setop'
  | 'quote'
  | 'op'
  | 'alias'
  | 'cte'
  | 'schema'
  | 'table'
  | 'column';

/** Every key without a name argument, with the phrase that follows "Prefer:" / "Avoid:" in a prompt. */
const FIXED_PATTERNS: Readonly<Record<string, string>> = {
  'join:INNER': 'JOIN ... ON (inner join) to combine tables',
  'join:LEFT': 'LEFT JOIN',
  'join:RIGHT': 'RIGHT JOIN',
  'join:FULL': 'FULL OUTER JOIN',
  'join:CROSS': 'CROSS JOIN',
  'join:NATURAL': 'NATURAL JOIN',
  'join:implicit': 'comma-separated tables in FROM (implicit join)',
  'clause:WHERE': 'a WHERE filter',
  'clause:GROUP-BY': 'GROUP BY',
  'clause:HAVING': 'HAVING to filter groups',
  'clause:LIMIT': 'LIMIT',
  'limit:1': 'LIMIT 1',
  'agg:COUNT': 'COUNT(...)',
  'agg:COUNT(*)': 'COUNT(*)',
  'agg:COUNT(DISTINCT)': 'COUNT(DISTINCT ...)',
  'agg:SUM': 'SUM(...)',
  'agg:AVG': 'AVG(...)',
  'agg:MIN': 'MIN(...)',
  'agg:MAX': 'MAX(...)',
  'agg:TOTAL': 'TOTAL(...)',
  'agg:GROUP_CONCAT': 'GROUP_CONCAT(...)',
  'order:ASC': 'ORDER BY ... ascending',
  'order:DESC': 'ORDER BY ... DESC',
  'subquery:IN': 'IN (SELECT ...) subqueries',
  'subquery:NOT-IN': 'NOT IN (SELECT ...) subqueries',
  'subquery:EXISTS': 'EXISTS (SELECT ...) subqueries',
  'subquery:NOT-EXISTS': 'NOT EXISTS (SELECT ...) subqueries',
  'subquery:scalar': 'scalar subqueries such as = (SELECT ...)',
  'subquery:FROM': 'subqueries in FROM (derived tables)',
  'select:DISTINCT': 'SELECT DISTINCT',
  'select:*': 'SELECT *',
  'setop:UNION': 'UNION',
  'setop:UNION-ALL': 'UNION ALL',
  'setop:INTERSECT': 'INTERSECT',
  'setop:EXCEPT': 'EXCEPT',
  'quote:single-literal': "single-quoted string literals ('text')",
  'quote:double-literal': 'double-quoted string literals ("text")',
  'quote:identifier': 'quoted identifiers ("name", `name` or [name])',
  'op:LIKE': 'LIKE pattern matching',
  'op:BETWEEN': 'BETWEEN ... AND ...',
  'op:IN-list': 'IN (...) with a list of values',
  'op:CASE': 'CASE expressions',
  'alias:table': 'table aliases (FROM t AS T1)',
  'alias:column': 'column aliases (expr AS name)',
  'cte:WITH': 'WITH (common table expressions)',
  'schema:unknown-table': 'tables that are not in the schema',
  'schema:unknown-column': 'columns that are not in the schema',
};

export const FIXED_PATTERN_KEYS: readonly string[] = Object.keys(FIXED_PATTERNS);

/** A name a key can carry: non-empty, no "." (the table/column separator) and no line break. */
function representable(name: string): boolean {
  return name !== '' && name.length <= 128 && !/[.\r\n]/.test(name);
}

/** The key for reading `table`; undefined for a name a key cannot carry. */
export function tablePatternKey(table: string): string | undefined {
  return representable(table) ? `table:${table.toLowerCase()}` : undefined;
}
/** The key for referring to `table`.`column`; undefined for names a key cannot carry. */
export function columnPatternKey(table: string, column: string): string | undefined {
  return representable(table) && column !== '' && column.length <= 128 && !/[\r\n]/.test(column)
    ? `column:${table.toLowerCase()}.${column.toLowerCase()}`
    : undefined;
}

export interface ParsedPatternKey {
  family: PatternFamily;
  /** For table: and column: keys, the (lower-cased) table the pattern is about. */
  table?: string;
  column?: string;
}

/**
 * Reads a key back. Returns undefined for anything that is not a key this module produces, which is
 * how imports reject hand-edited or foreign hint files. Table names may not contain "." or line
 * breaks (a column key splits at the first ".").
 */
export function parsePatternKey(key: unknown): ParsedPatternKey | undefined {
  if (typeof key !== 'string' || key.length > 300 || /[\r\n]/.test(key)) return undefined;
  if (key in FIXED_PATTERNS) return { family: key.slice(0, key.indexOf(':')) as PatternFamily };
  if (key.startsWith('table:')) {
    const table = key.slice('table:'.length);
    if (table === '' || table.includes('.') || table !== table.toLowerCase()) return undefined;
    return { family: 'table', table };
  }
  if (key.startsWith('column:')) {
    const rest = key.slice('column:'.length);
    const dot = rest.indexOf('.');
    if (dot <= 0 || dot === rest.length - 1 || rest !== rest.toLowerCase()) return undefined;
    return { family: 'column', table: rest.slice(0, dot), column: rest.slice(dot + 1) };
  }
  return undefined;
}

export function isPatternKey(key: unknown): key is string {
  return parsePatternKey(key) !== undefined;
}

/** The human description of a key; throws on a key parsePatternKey rejects. */
export function describePattern(key: string): string {
  const fixed = FIXED_PATTERNS[key];
  if (fixed !== undefined) return fixed;
  const parsed = parsePatternKey(key);
  if (parsed?.family === 'table') return `the table ${parsed.table}`;
  if (parsed?.family === 'column') return `the column ${parsed.table}.${parsed.column}`;
  throw new Error(`not a pattern key: ${JSON.stringify(key)}`);
}

/** Tables a key is specifically about ([] for structural patterns, which apply to any table). */
export function patternTables(key: string): string[] {
  const parsed = parsePatternKey(key);
  return parsed?.table !== undefined ? [parsed.table] : [];
}
