/**
 * Parses an example's `context` (CREATE TABLE statements) into a schema description. SQLite is the
 * final judge of validity (the databases are built by executing the context); this parser exists so
 * code without sql.js (prompt building, data generation) knows the tables and columns, and so a bad
 * context is rejected with a specific reason before anything runs.
 */
import { isNameToken, nameOf, significant, splitStatements, SqlLexError, tokenize, untokenize, type Token } from './lexer';

/** SQLite's column affinity, derived from the declared type by SQLite's own rules (datatype3 §3.1). */
export type Affinity = 'INTEGER' | 'TEXT' | 'BLOB' | 'REAL' | 'NUMERIC';

export interface ColumnDef {
  name: string;
  /** Declared type as written ('' when absent), e.g. "VARCHAR(255)". */
  declaredType: string;
  affinity: Affinity;
  primaryKey: boolean;
  notNull: boolean;
  unique: boolean;
  /** Column-level REFERENCES clause, if any. */
  references?: { table: string; column?: string };
}

export interface ForeignKey {
  columns: string[];
  refTable: string;
  refColumns: string[];
}

export interface TableDef {
  name: string;
  columns: ColumnDef[];
  /** Column names of the primary key (column-level or table-level), in order. */
  primaryKey: string[];
  foreignKeys: ForeignKey[];
  /** The statement's source text, trimmed, without its semicolon. */
  source: string;
}

export interface Schema {
  tables: TableDef[];
}

export class SchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchemaError';
  }
}

export function affinityOf(declaredType: string): Affinity {
  const t = declaredType.toUpperCase();
  if (t.includes('INT')) return 'INTEGER';
  if (t.includes('CHAR') || t.includes('CLOB') || t.includes('TEXT')) return 'TEXT';
  if (t.includes('BLOB') || t.trim() === '') return 'BLOB';
  if (t.includes('REAL') || t.includes('FLOA') || t.includes('DOUB')) return 'REAL';
  return 'NUMERIC';
}

const COLUMN_CONSTRAINT_START = new Set(['CONSTRAINT', 'PRIMARY', 'NOT', 'NULL', 'UNIQUE', 'CHECK', 'DEFAULT', 'COLLATE', 'REFERENCES', 'GENERATED', 'AS']);

/** Splits tokens at commas that are not nested in parentheses. */
function splitTopLevelCommas(tokens: readonly Token[]): Token[][] {
  const parts: Token[][] = [];
  let cur: Token[] = [];
  let depth = 0;
  for (const t of tokens) {
    if (t.kind === 'op' && t.text === '(') depth++;
    if (t.kind === 'op' && t.text === ')') depth--;
    if (depth === 0 && t.kind === 'op' && t.text === ',') {
      parts.push(cur);
      cur = [];
    } else cur.push(t);
  }
  parts.push(cur);
  return parts;
}

function isWord(t: Token | undefined, ...values: string[]): boolean {
  return t !== undefined && t.kind === 'word' && values.includes(t.value);
}

/** Reads a parenthesised list of names starting at tokens[i] === '('; returns names and the index after ')'. */
function readNameList(tokens: readonly Token[], i: number, where: string): { names: string[]; next: number } {
  if (tokens[i]?.text !== '(') throw new SchemaError(`${where}: expected "(" before a column list`);
  const names: string[] = [];
  let j = i + 1;
  while (j < tokens.length && tokens[j]!.text !== ')') {
    const t = tokens[j]!;
    // Sort orders and COLLATE names are not columns; expressions are skipped, not interpreted.
    if (isNameToken(t) && !isWord(t, 'ASC', 'DESC', 'COLLATE') && !isWord(tokens[j - 1], 'COLLATE')) names.push(nameOf(t));
    j++;
  }
  if (j >= tokens.length) throw new SchemaError(`${where}: unclosed column list`);
  return { names, next: j + 1 };
}

function parseColumn(part: Token[], where: string): ColumnDef {
  const first: Token | undefined = part[0];
  if (!isNameToken(first)) throw new SchemaError(`${where}: expected a column name, found ${JSON.stringify(part[0]?.text ?? '')}`);
  const name = nameOf(first);
  let i = 1;
  const typeTokens: Token[] = [];
  let depth = 0;
  while (i < part.length) {
    const t = part[i]!;
    if (depth === 0 && t.kind === 'word' && COLUMN_CONSTRAINT_START.has(t.value)) break;
    if (t.text === '(') depth++;
    if (t.text === ')') depth--;
    typeTokens.push(t);
    i++;
  }
  const declaredType = typeTokens.map((t) => t.text).join(' ').replace(/\s*\(\s*/g, '(').replace(/\s*\)/g, ')').replace(/\s*,\s*/g, ',');
  const col: ColumnDef = { name, declaredType, affinity: affinityOf(declaredType), primaryKey: false, notNull: false, unique: false };
  for (; i < part.length; i++) {
    const t = part[i]!;
    if (isWord(t, 'PRIMARY') && isWord(part[i + 1], 'KEY')) col.primaryKey = true;
    else if (isWord(t, 'NOT') && isWord(part[i + 1], 'NULL')) col.notNull = true;
    else if (isWord(t, 'UNIQUE')) col.unique = true;
    else if (isWord(t, 'REFERENCES') && isNameToken(part[i + 1])) {
      const table = nameOf(part[i + 1]!);
      const column = part[i + 2]?.text === '(' && isNameToken(part[i + 3]) ? nameOf(part[i + 3]!) : undefined;
      col.references = column === undefined ? { table } : { table, column };
    }
  }
  return col;
}

function parseCreateTable(stmt: Token[], index: number): TableDef {
  const sig = significant(stmt);
  const where = `CREATE TABLE statement ${index + 1}`;
  let i = 0;
  if (!isWord(sig[i], 'CREATE')) {
    throw new SchemaError(`statement ${index + 1} is not CREATE TABLE (it starts with ${JSON.stringify(sig[0]?.text ?? '')}); the context may only contain CREATE TABLE statements`);
  }
  i++;
  if (isWord(sig[i], 'TEMP', 'TEMPORARY')) i++;
  if (!isWord(sig[i], 'TABLE')) {
    throw new SchemaError(`statement ${index + 1} is CREATE ${sig[i]?.text ?? ''}, not CREATE TABLE; the context may only contain CREATE TABLE statements`);
  }
  i++;
  if (isWord(sig[i], 'IF') && isWord(sig[i + 1], 'NOT') && isWord(sig[i + 2], 'EXISTS')) i += 3;
  if (!isNameToken(sig[i])) throw new SchemaError(`${where}: expected a table name`);
  let name = nameOf(sig[i]!);
  i++;
  if (sig[i]?.text === '.' && isNameToken(sig[i + 1])) {
    name = nameOf(sig[i + 1]!);
    i += 2;
  }
  if (isWord(sig[i], 'AS')) throw new SchemaError(`${where} (${name}): CREATE TABLE ... AS SELECT is not supported; declare the columns`);
  if (sig[i]?.text !== '(') throw new SchemaError(`${where} (${name}): expected "(" after the table name`);
  // Find the matching close paren.
  let depth = 0;
  let close = -1;
  for (let j = i; j < sig.length; j++) {
    if (sig[j]!.text === '(') depth++;
    if (sig[j]!.text === ')' && --depth === 0) {
      close = j;
      break;
    }
  }
  if (close < 0) throw new SchemaError(`${where} (${name}): unbalanced parentheses`);
  for (const t of sig.slice(close + 1)) {
    if (!isWord(t, 'WITHOUT', 'ROWID', 'STRICT') && t.text !== ',') {
      throw new SchemaError(`${where} (${name}): unexpected ${JSON.stringify(t.text)} after the column list`);
    }
  }
  const body = sig.slice(i + 1, close);
  if (body.length === 0) throw new SchemaError(`${where} (${name}): no columns`);
  const table: TableDef = { name, columns: [], primaryKey: [], foreignKeys: [], source: untokenize(stmt).trim() };
  for (const part of splitTopLevelCommas(body)) {
    if (part.length === 0) throw new SchemaError(`${where} (${name}): empty column definition (stray comma)`);
    const head = part[0]!;
    const isConstraint =
      (isWord(head, 'CONSTRAINT') && isNameToken(part[1])) ||
      (isWord(head, 'PRIMARY') && isWord(part[1], 'KEY')) ||
      (isWord(head, 'FOREIGN') && isWord(part[1], 'KEY')) ||
      (isWord(head, 'UNIQUE', 'CHECK') && part[1]?.text === '(');
    if (!isConstraint) {
      const col = parseColumn(part, `${where} (${name})`);
      if (table.columns.some((c) => c.name.toLowerCase() === col.name.toLowerCase())) {
        throw new SchemaError(`${where} (${name}): duplicate column ${JSON.stringify(col.name)}`);
      }
      table.columns.push(col);
      continue;
    }
    let k = isWord(head, 'CONSTRAINT') ? 2 : 0;
    if (isWord(part[k], 'PRIMARY')) {
      table.primaryKey = readNameList(part, k + 2, `${where} (${name})`).names;
    } else if (isWord(part[k], 'FOREIGN')) {
      const cols = readNameList(part, k + 2, `${where} (${name})`);
      k = cols.next;
      if (!isWord(part[k], 'REFERENCES') || !isNameToken(part[k + 1])) throw new SchemaError(`${where} (${name}): FOREIGN KEY without REFERENCES`);
      const refTable = nameOf(part[k + 1]!);
      const refColumns = part[k + 2]?.text === '(' ? readNameList(part, k + 2, `${where} (${name})`).names : [];
      table.foreignKeys.push({ columns: cols.names, refTable, refColumns });
    }
  }
  if (table.columns.length === 0) throw new SchemaError(`${where} (${name}): no columns`);
  const colPk = table.columns.filter((c) => c.primaryKey).map((c) => c.name);
  if (table.primaryKey.length === 0) table.primaryKey = colPk;
  for (const c of table.columns) {
    if (table.primaryKey.some((p) => p.toLowerCase() === c.name.toLowerCase())) c.primaryKey = true;
    if (!c.references) continue;
    const fk = { columns: [c.name], refTable: c.references.table, refColumns: c.references.column ? [c.references.column] : [] };
    if (!table.foreignKeys.some((f) => JSON.stringify(f).toLowerCase() === JSON.stringify(fk).toLowerCase())) table.foreignKeys.push(fk);
  }
  return table;
}

/** Parses a context string. Throws SchemaError with a specific reason when it is not usable. */
export function parseSchema(context: string): Schema {
  if (context.trim() === '') throw new SchemaError('empty context: no CREATE TABLE statement');
  let tokens: Token[];
  try {
    tokens = tokenize(context);
  } catch (e) {
    if (e instanceof SqlLexError) throw new SchemaError(`context does not tokenize: ${e.message}`);
    throw e;
  }
  const statements = splitStatements(tokens);
  if (statements.length === 0) throw new SchemaError('empty context: no CREATE TABLE statement');
  const tables = statements.map((s, k) => parseCreateTable(s, k));
  const seen = new Set<string>();
  for (const t of tables) {
    const key = t.name.toLowerCase();
    if (seen.has(key)) throw new SchemaError(`table ${JSON.stringify(t.name)} is created twice`);
    seen.add(key);
  }
  return { tables };
}

/** Finds a table by name, case-insensitively (SQLite identifiers are case-insensitive). */
export function findTable(schema: Schema, name: string): TableDef | undefined {
  const key = name.toLowerCase();
  return schema.tables.find((t) => t.name.toLowerCase() === key);
}

export function findColumn(table: TableDef, name: string): ColumnDef | undefined {
  const key = name.toLowerCase();
  return table.columns.find((c) => c.name.toLowerCase() === key);
}
