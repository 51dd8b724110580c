/**
 * First line of the sandbox: accept exactly one read-only query statement. The second line is the
 * engine itself (databases are opened with `PRAGMA query_only = 1`), so a write that slips past this
 * lexical check still cannot change anything; this check is what stops `PRAGMA query_only = 0`,
 * ATTACH, transactions and multi-statement scripts, which query_only alone would allow.
 */
import { significant, splitStatements, SqlLexError, tokenize, untokenize, type Token } from './lexer';

export type GuardRejection = 'empty' | 'lex-error' | 'multiple-statements' | 'not-a-query' | 'write-statement';

export type GuardResult =
  | { ok: true; /** The single statement, trimmed, without a trailing semicolon. */ sql: string }
  | { ok: false; code: GuardRejection; reason: string };

/** Statements may start only with these. */
const QUERY_STARTS = new Set(['SELECT', 'WITH', 'VALUES']);
/** Words that, at the top level of a WITH statement, begin a data-changing statement. */
const WRITE_VERBS = new Set(['INSERT', 'UPDATE', 'DELETE', 'REPLACE']);

/** Finds a top-level write verb (a WITH ... DELETE statement); REPLACE( is the string function. */
function findTopLevelWrite(sig: readonly Token[]): Token | undefined {
  let depth = 0;
  for (let i = 0; i < sig.length; i++) {
    const t = sig[i]!;
    if (t.text === '(') depth++;
    else if (t.text === ')') depth--;
    else if (depth === 0 && t.kind === 'word' && WRITE_VERBS.has(t.value) && sig[i + 1]?.text !== '(') return t;
  }
  return undefined;
}

export function checkReadOnlyQuery(sql: string): GuardResult {
  let tokens: Token[];
  try {
    tokens = tokenize(sql);
  } catch (e) {
    if (e instanceof SqlLexError) return { ok: false, code: 'lex-error', reason: e.message };
    throw e;
  }
  const statements = splitStatements(tokens);
  if (statements.length === 0) return { ok: false, code: 'empty', reason: 'no SQL statement' };
  if (statements.length > 1) {
    return { ok: false, code: 'multiple-statements', reason: `expected one statement, found ${statements.length}` };
  }
  const stmt = statements[0]!;
  const sig = significant(stmt);
  const first = sig[0]!;
  if (first.kind !== 'word' || !QUERY_STARTS.has(first.value)) {
    return { ok: false, code: 'not-a-query', reason: `only SELECT / WITH / VALUES queries may run; this statement starts with ${JSON.stringify(first.text)}` };
  }
  const write = findTopLevelWrite(sig);
  if (write) return { ok: false, code: 'write-statement', reason: `${write.value} is not allowed: queries are read-only` };
  return { ok: true, sql: untokenize(stmt).trim() };
}
