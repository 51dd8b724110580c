/**
 * Reads the patterns (pattern-keys.ts) a SQL completion uses: join kinds, clauses, aggregates,
 * ordering, subqueries, set operations, quoting, tables and table.column references. It is a
 * token-level reading over the project's SQLite lexer (src/sql/lexer.ts), not a parser: model
 * output is often malformed, so it never throws and returns whatever it could read. With the
 * example's schema it also resolves unqualified columns and notices names the schema lacks.
 */
import { valuePositionDoubleQuotes } from '../sql/double-quoted-values';
import { isNameToken, nameOf, significant, SqlLexError, tokenize, type Token } from '../sql/lexer';
import { findColumn, findTable, type Schema } from '../sql/schema';
import { columnPatternKey, describePattern, parsePatternKey, patternTables, tablePatternKey, type PatternFamily } from './pattern-keys';

export interface SqlPattern {
  key: string;
  family: PatternFamily;
  description: string;
  /** Tables the pattern is about ([] for structural patterns). */
  tables: string[];
}

export interface PatternExtraction {
  /** Patterns found, sorted by key. */
  patterns: SqlPattern[];
  keys: ReadonlySet<string>;
  /** Base tables read in FROM/JOIN (lower-cased, sorted; CTE names and derived tables excluded). */
  tables: string[];
  /** What could not be read (e.g. an unterminated literal: the rest of the input was ignored). */
  issues: string[];
}

export interface ExtractOptions {
  /** The example's schema: resolves unqualified columns and flags unknown tables and columns. */
  schema?: Schema;
}

/** Longer input is cut: completions are at most a few hundred tokens, and this bounds the work on garbage. */
export const MAX_SQL_CHARS = 20_000;

const MAX_LEX_ISSUES = 3;

/**
 * Tokenizes what it can. At an unexpected character it skips the character; at an unterminated
 * literal or quoted name it stops (guessing where it should have ended would invent tokens).
 */
export function tokenizeLeniently(sql: string): { tokens: Token[]; issues: string[] } {
  const tokens: Token[] = [];
  const issues: string[] = [];
  let skipped = 0;
  let base = 0;
  while (base < sql.length) {
    const rest = sql.slice(base);
    try {
      for (const t of tokenize(rest)) tokens.push({ ...t, start: t.start + base });
      break;
    } catch (e) {
      if (!(e instanceof SqlLexError)) throw e;
      // Everything before the failing offset lexes on its own (the lexer reads left to right).
      for (const t of tokenize(rest.slice(0, e.offset))) tokens.push({ ...t, start: t.start + base });
      skipped++;
      if (issues.length < MAX_LEX_ISSUES) issues.push(e.message.replace(/offset (\d+)/g, (_m, n: string) => `offset ${Number(n) + base}`));
      if (/^unexpected character/.test(e.message)) base += e.offset + 1;
      else break;
    }
  }
  if (skipped > issues.length) issues.push(`${skipped - issues.length} more characters could not be read`);
  return { tokens, issues };
}

const AGGREGATES = new Set(['COUNT', 'SUM', 'AVG', 'MIN', 'MAX', 'TOTAL', 'GROUP_CONCAT']);
/** Words after which a FROM-clause item ends: never a table alias. */
const NOT_AN_ALIAS = new Set([
  'ON', 'USING', 'WHERE', 'JOIN', 'INNER', 'LEFT', 'RIGHT', 'FULL', 'OUTER', 'CROSS', 'NATURAL', 'GROUP', 'ORDER', 'LIMIT', 'OFFSET',
  'UNION', 'INTERSECT', 'EXCEPT', 'HAVING', 'WINDOW', 'AS', 'SELECT', 'FROM', 'AND', 'OR', 'NOT', 'VALUES', 'INDEXED', 'WITH',
]);
/** SQLite keywords and built-in words that are never a column reference when bare. */
const KEYWORDS = new Set([
  ...NOT_AN_ALIAS, 'ALL', 'ASC', 'BETWEEN', 'BY', 'CASE', 'CAST', 'COLLATE', 'CURRENT_DATE', 'CURRENT_TIME', 'CURRENT_TIMESTAMP',
  'DESC', 'DISTINCT', 'ELSE', 'END', 'ESCAPE', 'EXISTS', 'FALSE', 'FILTER', 'GLOB', 'IN', 'IS', 'ISNULL', 'LIKE', 'MATCH', 'NOTNULL',
  'NULL', 'NULLS', 'FIRST', 'LAST', 'OVER', 'PARTITION', 'RECURSIVE', 'REGEXP', 'THEN', 'TRUE', 'WHEN', 'ROWS', 'RANGE', 'PRECEDING',
  'FOLLOWING', 'UNBOUNDED', 'CURRENT', 'ROW', 'INSERT', 'UPDATE', 'DELETE', 'INTO', 'SET', 'CREATE', 'TABLE', 'DROP', 'ALTER',
]);
/** Clauses in which a bare name is an expression (and so possibly a column). */
const EXPRESSION_CLAUSES = new Set(['SELECT', 'WHERE', 'ON', 'USING', 'GROUP', 'HAVING', 'ORDER']);

const isWord = (t: Token | undefined, ...values: string[]): boolean => t?.kind === 'word' && values.includes(t.value);
const isOp = (t: Token | undefined, text: string): boolean => t?.kind === 'op' && t.text === text;
const isKeyword = (t: Token): boolean => t.kind === 'word' && KEYWORDS.has(t.value);

interface FromRef {
  name: string;
  alias: string | undefined;
  /** A CTE or a derived table: not a base table of the schema. */
  derived: boolean;
}

interface Scope {
  parent: number;
  clause: string;
  /** Between FROM and the next clause: a comma separates FROM items. */
  inFromList: boolean;
  /** The next name is a FROM item (after FROM, JOIN or a FROM-list comma). */
  expectTable: boolean;
  refs: FromRef[];
}

interface Frame {
  scope: number;
  /** This parenthesis opened the scope (a subquery), so clause words inside belong to it. */
  opensScope: boolean;
  /** A FROM-clause subquery: the name after its ")" is the derived table's alias. */
  derivedTable: boolean;
}

/** Extracts the patterns of `sql`. Never throws; returns what it can on malformed input. */
export function extractPatterns(sql: unknown, options: ExtractOptions = {}): PatternExtraction {
  const found = new Set<string>();
  const add = (key: string | undefined) => {
    if (key !== undefined && parsePatternKey(key) !== undefined) found.add(key);
  };
  if (typeof sql !== 'string') return finish(found, new Set(), ['not a string']);
  const issues: string[] = [];
  const tables = new Set<string>();
  try {
    readInto(sql, options.schema, add, tables, issues);
  } catch (e) {
    // A bug here must not stop a training step: keep what was read and say what happened.
    issues.push(`extraction stopped early: ${e instanceof Error ? e.message : String(e)}`);
  }
  return finish(found, tables, issues);
}

function readInto(
  sql: string,
  schema: Schema | undefined,
  add: (key: string | undefined) => void,
  tables: Set<string>,
  issues: string[],
) {
  let text = sql;
  if (text.length > MAX_SQL_CHARS) {
    issues.push(`input longer than ${MAX_SQL_CHARS} characters; the rest was ignored`);
    text = text.slice(0, MAX_SQL_CHARS);
  }
  const lexed = tokenizeLeniently(text);
  issues.push(...lexed.issues);
  const sig = significant(lexed.tokens);

  const scopes: Scope[] = [];
  const newScope = (parent: number): number => {
    scopes.push({ parent, clause: '', inFromList: false, expectTable: false, refs: [] });
    return scopes.length - 1;
  };
  let frames: Frame[] = [{ scope: newScope(-1), opensScope: true, derivedTable: false }];
  const scopeAt: number[] = [];
  /** The clause each token sits in (a scope's clause changes as the walk goes on). */
  const clauseAt: string[] = [];
  /** Indices of names that declare something (aliases, CTE names, table names in FROM, CAST types). */
  const declarations = new Set<number>();
  const cteNames = new Set<string>();
  const columnAliases = new Set<string>();
  const valueDoubleQuotes = valuePositionDoubleQuotes(sig);
  let expectAliasAfter = -1; // index of the ")" closing a derived table

  for (let i = 0; i < sig.length; i++) {
    const t = sig[i]!;
    const prev = sig[i - 1];
    const next = sig[i + 1];
    const frame = frames[frames.length - 1]!;
    const sIndex = frame.scope;
    const s = scopes[sIndex]!;
    const atScopeLevel = frame.opensScope;
    scopeAt[i] = sIndex;
    clauseAt[i] = s.clause;

    if (t.kind === 'string') add('quote:single-literal');
    else if (t.kind === 'dquoted') add(valueDoubleQuotes.has(i) ? 'quote:double-literal' : 'quote:identifier');
    else if (t.kind === 'bquoted') add('quote:identifier');

    if (isOp(t, ';')) {
      // A new statement: back to a fresh root scope.
      frames = [{ scope: newScope(-1), opensScope: true, derivedTable: false }];
      continue;
    }
    if (isOp(t, '(')) {
      const opensQuery = isWord(next, 'SELECT', 'WITH', 'VALUES');
      if (!opensQuery) {
        if (isWord(prev, 'IN')) add('op:IN-list');
        frames.push({ scope: sIndex, opensScope: false, derivedTable: false });
        continue;
      }
      let derivedTable = false;
      if (isWord(prev, 'IN')) add(isWord(sig[i - 2], 'NOT') ? 'subquery:NOT-IN' : 'subquery:IN');
      else if (isWord(prev, 'EXISTS')) add(isWord(sig[i - 2], 'NOT') ? 'subquery:NOT-EXISTS' : 'subquery:EXISTS');
      else if (s.expectTable && atScopeLevel) {
        add('subquery:FROM');
        derivedTable = true;
        s.expectTable = false;
      } else if (!(s.clause === 'WITH' && isWord(prev, 'AS')) && !isWord(prev, 'UNION', 'INTERSECT', 'EXCEPT', 'ALL')) {
        add('subquery:scalar');
      }
      frames.push({ scope: newScope(sIndex), opensScope: true, derivedTable });
      continue;
    }
    if (isOp(t, ')')) {
      if (frames.length > 1) {
        const closed = frames.pop()!;
        if (closed.derivedTable) expectAliasAfter = i;
      }
      scopeAt[i] = frames[frames.length - 1]!.scope;
      continue;
    }
    if (expectAliasAfter === i - 1 && expectAliasAfter >= 0) {
      // (SELECT ...) AS name / (SELECT ...) name: a derived table; its alias qualifies columns.
      const aliasAt = isWord(t, 'AS') ? i + 1 : i;
      const aliasToken = sig[aliasAt];
      if (isNameToken(aliasToken) && !(aliasToken.kind === 'word' && NOT_AN_ALIAS.has(aliasToken.value))) {
        s.refs.push({ name: nameOf(aliasToken), alias: undefined, derived: true });
        declarations.add(aliasAt);
        add('alias:table');
      }
    }

    if (t.kind === 'word' && atScopeLevel) {
      switch (t.value) {
        case 'SELECT':
          s.clause = 'SELECT';
          s.inFromList = false;
          s.expectTable = false;
          if (isWord(next, 'DISTINCT')) add('select:DISTINCT');
          continue;
        case 'FROM':
          s.clause = 'FROM';
          s.inFromList = true;
          s.expectTable = true;
          continue;
        case 'JOIN':
          add(`join:${joinKind(sig, i)}`);
          s.clause = 'FROM';
          s.expectTable = true;
          continue;
        case 'ON':
        case 'USING':
          if (s.inFromList) s.clause = t.value;
          continue;
        case 'WHERE':
          add('clause:WHERE');
          s.clause = 'WHERE';
          s.inFromList = false;
          continue;
        case 'GROUP':
          if (isWord(next, 'BY')) add('clause:GROUP-BY');
          s.clause = 'GROUP';
          s.inFromList = false;
          continue;
        case 'HAVING':
          add('clause:HAVING');
          s.clause = 'HAVING';
          s.inFromList = false;
          continue;
        case 'ORDER':
          if (isWord(next, 'BY')) readOrderBy(sig, i + 2, add);
          s.clause = 'ORDER';
          s.inFromList = false;
          continue;
        case 'LIMIT':
          add('clause:LIMIT');
          if (next?.kind === 'number' && Number(next.text) === 1 && !isOp(sig[i + 2], ',')) add('limit:1');
          s.clause = 'LIMIT';
          s.inFromList = false;
          continue;
        case 'UNION':
        case 'INTERSECT':
        case 'EXCEPT':
          add(t.value !== 'UNION' ? `setop:${t.value}` : isWord(next, 'ALL') ? 'setop:UNION-ALL' : 'setop:UNION');
          s.clause = 'SETOP';
          s.inFromList = false;
          // Each SELECT of a compound has its own FROM: bare names resolve against it alone.
          frame.scope = newScope(s.parent);
          scopes[frame.scope]!.clause = 'SETOP';
          continue;
        case 'WITH':
          if (s.clause === '' || prev === undefined || isOp(prev, '(')) {
            add('cte:WITH');
            s.clause = 'WITH';
            continue;
          }
          break;
      }
    }

    if (t.kind === 'word' && AGGREGATES.has(t.value) && isOp(next, '(')) readAggregate(sig, i, add);
    if (isWord(t, 'LIKE')) add('op:LIKE');
    if (isWord(t, 'BETWEEN')) add('op:BETWEEN');
    if (isWord(t, 'CASE')) add('op:CASE');

    if (isOp(t, ',') && atScopeLevel && s.inFromList) {
      add('join:implicit');
      s.clause = 'FROM';
      s.expectTable = true;
      continue;
    }
    if (isOp(t, '*') && atScopeLevel && s.clause === 'SELECT') {
      if (isWord(prev, 'SELECT', 'DISTINCT', 'ALL') || isOp(prev, ',') || (isOp(prev, '.') && isNameToken(sig[i - 2]))) add('select:*');
      continue;
    }

    if (s.clause === 'WITH' && atScopeLevel && isNameToken(t) && !isKeyword(t) && (isWord(next, 'AS') || isOp(next, '('))) {
      // WITH name [(cols)] AS (...): a CTE name, not a table of the schema.
      cteNames.add(nameOf(t).toLowerCase());
      declarations.add(i);
      continue;
    }
    if (isWord(prev, 'AS') && isNameToken(t)) {
      // expr AS alias, or the type in CAST(x AS type): a declaration either way.
      declarations.add(i);
      if (atScopeLevel && s.clause === 'SELECT') {
        add('alias:column');
        columnAliases.add(nameOf(t).toLowerCase());
      }
      continue;
    }
    if (
      atScopeLevel &&
      s.clause === 'SELECT' &&
      isNameToken(t) &&
      !isKeyword(t) &&
      !valueDoubleQuotes.has(i) &&
      prev !== undefined &&
      ((isNameToken(prev) && !isKeyword(prev)) || isOp(prev, ')') || prev.kind === 'number' || prev.kind === 'string' || isWord(prev, 'END')) &&
      !isOp(next, '.') &&
      !isOp(next, '(')
    ) {
      // SELECT expr alias (no AS).
      declarations.add(i);
      add('alias:column');
      columnAliases.add(nameOf(t).toLowerCase());
      continue;
    }
    if (s.expectTable && atScopeLevel && isNameToken(t) && !isKeyword(t)) {
      i = readFromItem(sig, i, s, declarations, cteNames, add);
      s.expectTable = false;
      continue;
    }
  }

  // Second pass: column references, now that every scope's FROM items are known.
  for (let i = 0; i < sig.length; i++) {
    const t = sig[i]!;
    if (!isNameToken(t) || declarations.has(i) || isOp(sig[i - 1], '.')) continue;
    const sIndex = scopeAt[i] ?? 0;
    const clause = clauseAt[i] ?? '';
    if (isOp(sig[i + 1], '.') && isNameToken(sig[i + 2])) {
      if (isOp(sig[i + 3], '(')) continue;
      readQualifiedColumn(nameOf(t), nameOf(sig[i + 2]!), sIndex);
      i += 2;
      continue;
    }
    if (!EXPRESSION_CLAUSES.has(clause) || isKeyword(t) || isOp(sig[i + 1], '(') || valueDoubleQuotes.has(i)) continue;
    if (t.kind === 'word' && (AGGREGATES.has(t.value) || t.value === 'DATE' || t.value === 'TIME')) continue;
    readBareColumn(nameOf(t), sIndex);
  }

  function resolveQualifier(scope: number, qualifier: string): FromRef | undefined {
    const q = qualifier.toLowerCase();
    for (let k = scope; k >= 0; k = scopes[k]!.parent) {
      for (const r of scopes[k]!.refs) if ((r.alias ?? r.name).toLowerCase() === q || r.name.toLowerCase() === q) return r;
    }
    return undefined;
  }

  function readQualifiedColumn(qualifier: string, column: string, scope: number) {
    const ref = resolveQualifier(scope, qualifier);
    if (ref?.derived) return;
    const table = ref?.name ?? qualifier;
    if (cteNames.has(table.toLowerCase())) return;
    add(columnPatternKey(table, column));
    const def = schema && findTable(schema, table);
    if (def && !findColumn(def, column)) add('schema:unknown-column');
  }

  function readBareColumn(column: string, scope: number) {
    if (columnAliases.has(column.toLowerCase())) return;
    for (let k = scope; k >= 0; k = scopes[k]!.parent) {
      const base = scopes[k]!.refs.filter((r) => !r.derived && !cteNames.has(r.name.toLowerCase()));
      if (schema) {
        const owners = base.filter((r) => {
          const def = findTable(schema, r.name);
          return def !== undefined && findColumn(def, column) !== undefined;
        });
        if (owners.length === 1) {
          add(columnPatternKey(owners[0]!.name, column));
          return;
        }
        if (owners.length > 1) return; // ambiguous: SQLite would reject it too
      } else if (k === scope && base.length === 1 && scopes[k]!.refs.length === 1) {
        // Without a schema, a bare name in a single-table query is that table's column (best guess).
        add(columnPatternKey(base[0]!.name, column));
        return;
      }
    }
    // Derived tables and CTEs may define it; only a name no FROM item could supply is unknown.
    const anyDerived = scopes.some((sc) => sc.refs.some((r) => r.derived || cteNames.has(r.name.toLowerCase())));
    if (schema && !anyDerived && !schema.tables.some((tb) => findColumn(tb, column))) add('schema:unknown-column');
  }

  for (const sc of scopes) {
    for (const r of sc.refs) {
      const lower = r.name.toLowerCase();
      if (r.derived || cteNames.has(lower)) continue;
      tables.add(lower);
      add(tablePatternKey(r.name));
      if (schema && !findTable(schema, r.name)) add('schema:unknown-table');
    }
  }
}

function finish(found: Set<string>, tables: Set<string>, issues: string[]): PatternExtraction {
  const keys = [...found].sort();
  return {
    patterns: keys.map((key) => ({
      key,
      family: parsePatternKey(key)!.family,
      description: describePattern(key),
      tables: patternTables(key),
    })),
    keys: new Set(keys),
    tables: [...tables].sort(),
    issues,
  };
}

/** The join kind of the JOIN at sig[i], from the words before it. */
function joinKind(sig: readonly Token[], i: number): string {
  let k = i - 1;
  if (isWord(sig[k], 'OUTER')) k--;
  const word = sig[k];
  if (isWord(word, 'LEFT', 'RIGHT', 'FULL', 'CROSS', 'INNER')) {
    if (isWord(sig[k - 1], 'NATURAL')) return 'NATURAL';
    return word!.value;
  }
  if (isWord(word, 'NATURAL')) return 'NATURAL';
  return 'INNER';
}

/** ORDER BY terms from sig[from] to the end of the clause: ASC (explicit or default) and DESC. */
function readOrderBy(sig: readonly Token[], from: number, add: (key: string) => void) {
  let depth = 0;
  let termHasDesc = false;
  let termEmpty = true;
  const endTerm = () => {
    if (!termEmpty) add(termHasDesc ? 'order:DESC' : 'order:ASC');
    termHasDesc = false;
    termEmpty = true;
  };
  for (let j = from; j < sig.length; j++) {
    const t = sig[j]!;
    if (isOp(t, '(')) depth++;
    else if (isOp(t, ')')) {
      if (depth === 0) break;
      depth--;
    } else if (depth === 0 && (isOp(t, ';') || isWord(t, 'LIMIT', 'UNION', 'INTERSECT', 'EXCEPT', 'OFFSET'))) break;
    else if (depth === 0 && isOp(t, ',')) {
      endTerm();
      continue;
    } else if (depth === 0 && isWord(t, 'DESC')) termHasDesc = true;
    termEmpty = false;
  }
  endTerm();
}

/** COUNT(...) and friends at sig[i] (a word followed by "("). MIN/MAX with two arguments are scalar, not aggregates. */
function readAggregate(sig: readonly Token[], i: number, add: (key: string) => void) {
  const name = sig[i]!.value;
  let depth = 0;
  let topLevelCommas = 0;
  for (let j = i + 1; j < sig.length; j++) {
    if (isOp(sig[j], '(')) depth++;
    else if (isOp(sig[j], ')') && --depth === 0) break;
    else if (depth === 1 && isOp(sig[j], ',')) topLevelCommas++;
  }
  if ((name === 'MIN' || name === 'MAX') && topLevelCommas > 0) return;
  add(`agg:${name}`);
  if (name !== 'COUNT') return;
  if (isOp(sig[i + 2], '*') && isOp(sig[i + 3], ')')) add('agg:COUNT(*)');
  if (isWord(sig[i + 2], 'DISTINCT')) add('agg:COUNT(DISTINCT)');
}

/** Reads a FROM item starting at the name sig[i]: [schema.]table [[AS] alias]. Returns the last index consumed. */
function readFromItem(
  sig: readonly Token[],
  i: number,
  scope: Scope,
  declarations: Set<number>,
  cteNames: ReadonlySet<string>,
  add: (key: string) => void,
): number {
  let at = i;
  if (isOp(sig[at + 1], '.') && isNameToken(sig[at + 2])) at += 2; // main.singer
  const name = nameOf(sig[at]!);
  declarations.add(i);
  declarations.add(at);
  if (isOp(sig[at + 1], '(')) return at; // a table-valued function: json_each(...)
  let alias: string | undefined;
  let aliasAt = -1;
  if (isWord(sig[at + 1], 'AS') && isNameToken(sig[at + 2])) aliasAt = at + 2;
  else if (isNameToken(sig[at + 1]) && !(sig[at + 1]!.kind === 'word' && NOT_AN_ALIAS.has(sig[at + 1]!.value)) && !isKeyword(sig[at + 1]!)) aliasAt = at + 1;
  if (aliasAt >= 0) {
    alias = nameOf(sig[aliasAt]!);
    declarations.add(aliasAt);
    add('alias:table');
  }
  scope.refs.push({ name, alias, derived: cteNames.has(name.toLowerCase()) });
  return aliasAt >= 0 ? aliasAt : at;
}

/** Whether `sql` uses the pattern `key` (the same reading as extractPatterns). */
export function matches(key: string, sql: unknown, options: ExtractOptions = {}): boolean {
  return extractPatterns(sql, options).keys.has(key);
}
