/**
 * A lexer for the SQLite dialect. It does not validate SQL (SQLite does that); it exists so the
 * project can reason about queries without a full parser: split statements, find the quoting of
 * values, spot write keywords outside string literals, and collect literals for synthetic data.
 */

export type TokenKind =
  | 'word' // keyword or bare identifier: SELECT, name, T1
  | 'string' // 'single-quoted' literal
  | 'dquoted' // "double-quoted": identifier or, by SQLite's fallback, a string
  | 'bquoted' // `backtick` or [bracket] quoted identifier
  | 'number'
  | 'blob' // x'00ff'
  | 'param' // ?, ?1, :name, @name, $name
  | 'op' // operators and punctuation: = <> ( ) , . ;
  | 'space'
  | 'comment';

export interface Token {
  kind: TokenKind;
  /** The exact source text, quotes included. */
  text: string;
  /** Offset of the first character in the source. */
  start: number;
  /** For word: upper-cased text. For quoted kinds and string: the unescaped content. */
  value: string;
}

export class SqlLexError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
    this.name = 'SqlLexError';
  }
}

const MULTI_CHAR_OPS = ['||', '<=', '>=', '<>', '!=', '==', '<<', '>>', '->>', '->'];
const SINGLE_CHAR_OPS = new Set(['=', '<', '>', '(', ')', ',', '.', ';', '+', '-', '*', '/', '%', '&', '|', '~']);

function isIdentStart(c: string): boolean {
  return /[A-Za-z_]/.test(c) || c.charCodeAt(0) > 127;
}
function isIdentPart(c: string): boolean {
  return /[A-Za-z0-9_$]/.test(c) || c.charCodeAt(0) > 127;
}
function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

/** Reads a quoted run starting at `i` (the opening quote); the closing quote doubled is an escape. */
function readQuoted(sql: string, i: number, close: string, what: string): { end: number; value: string } {
  let j = i + 1;
  let value = '';
  for (;;) {
    const k = sql.indexOf(close, j);
    if (k < 0) throw new SqlLexError(`unterminated ${what} starting at offset ${i}`, i);
    value += sql.slice(j, k);
    if (close !== ']' && sql[k + 1] === close) {
      value += close;
      j = k + 2;
      continue;
    }
    return { end: k + 1, value };
  }
}

/** Tokenizes `sql`, keeping whitespace and comments so the source can be rebuilt exactly. */
export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, end: number, value?: string) => {
    const text = sql.slice(i, end);
    tokens.push({ kind, text, start: i, value: value ?? text });
    i = end;
  };
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (/\s/.test(c)) {
      let j = i + 1;
      while (j < sql.length && /\s/.test(sql[j]!)) j++;
      push('space', j);
    } else if (c === '-' && next === '-') {
      const nl = sql.indexOf('\n', i);
      push('comment', nl < 0 ? sql.length : nl);
    } else if (c === '/' && next === '*') {
      const close = sql.indexOf('*/', i + 2);
      // SQLite accepts an unterminated block comment at the end of input.
      push('comment', close < 0 ? sql.length : close + 2);
    } else if ((c === 'x' || c === 'X') && next === "'") {
      const { end, value } = readQuoted(sql, i + 1, "'", 'blob literal');
      push('blob', end, value);
    } else if (c === "'") {
      const { end, value } = readQuoted(sql, i, "'", 'string literal');
      push('string', end, value);
    } else if (c === '"') {
      const { end, value } = readQuoted(sql, i, '"', 'double-quoted token');
      push('dquoted', end, value);
    } else if (c === '`') {
      const { end, value } = readQuoted(sql, i, '`', 'backtick identifier');
      push('bquoted', end, value);
    } else if (c === '[') {
      const { end, value } = readQuoted(sql, i, ']', 'bracketed identifier');
      push('bquoted', end, value);
    } else if (isDigit(c) || (c === '.' && isDigit(next))) {
      let j = i;
      if (c === '0' && (next === 'x' || next === 'X')) {
        j += 2;
        while (j < sql.length && /[0-9A-Fa-f]/.test(sql[j]!)) j++;
      } else {
        while (isDigit(sql[j])) j++;
        if (sql[j] === '.') {
          j++;
          while (isDigit(sql[j])) j++;
        }
        if ((sql[j] === 'e' || sql[j] === 'E') && (isDigit(sql[j + 1]) || (/[+-]/.test(sql[j + 1] ?? '') && isDigit(sql[j + 2])))) {
          j += 2;
          while (isDigit(sql[j])) j++;
        }
      }
      push('number', j);
    } else if (isIdentStart(c)) {
      let j = i + 1;
      while (j < sql.length && isIdentPart(sql[j]!)) j++;
      push('word', j, sql.slice(i, j).toUpperCase());
    } else if (c === '?' || ((c === ':' || c === '@' || c === '$') && next !== undefined && isIdentStart(next))) {
      let j = i + 1;
      while (j < sql.length && isIdentPart(sql[j]!)) j++;
      push('param', j);
    } else {
      const op = MULTI_CHAR_OPS.find((o) => sql.startsWith(o, i));
      if (op) push('op', i + op.length);
      else if (SINGLE_CHAR_OPS.has(c)) push('op', i + 1);
      else throw new SqlLexError(`unexpected character ${JSON.stringify(c)} at offset ${i}`, i);
    }
  }
  return tokens;
}

/** Tokens without whitespace and comments. */
export function significant(tokens: readonly Token[]): Token[] {
  return tokens.filter((t) => t.kind !== 'space' && t.kind !== 'comment');
}

/** True for tokens that name something: bare words and any quoted identifier form. */
export function isNameToken(t: Token | undefined): t is Token {
  return t !== undefined && (t.kind === 'word' || t.kind === 'dquoted' || t.kind === 'bquoted');
}

/** The identifier a name token denotes (quotes removed; case preserved). */
export function nameOf(t: Token): string {
  return t.kind === 'word' ? t.text : t.value;
}

/** Rebuilds SQL from tokens (identity on tokenize's output). */
export function untokenize(tokens: readonly Token[]): string {
  return tokens.map((t) => t.text).join('');
}

/** Quotes `s` as a SQLite string literal. */
export function quoteString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** Quotes `s` as a SQLite identifier. */
export function quoteIdent(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}

/**
 * Splits a script into statements at semicolons, dropping empty ones (a trailing `;`). Semicolons
 * inside literals and comments are already inside their tokens. (Trigger bodies, the one place
 * SQLite nests semicolons, are not accepted anywhere in this project.)
 */
export function splitStatements(tokens: readonly Token[]): Token[][] {
  const out: Token[][] = [];
  let cur: Token[] = [];
  for (const t of tokens) {
    if (t.kind === 'op' && t.text === ';') {
      if (significant(cur).length > 0) out.push(cur);
      cur = [];
    } else {
      cur.push(t);
    }
  }
  if (significant(cur).length > 0) out.push(cur);
  return out;
}
