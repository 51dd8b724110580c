/**
 * Runs one query on one sql.js database, stepping row by row so a huge result is cut off at the
 * cap instead of being materialised. (A query that computes for long without producing rows cannot
 * be stopped from inside: sql.js exposes no progress handler. That is the worker pool's job.)
 */
import type { Database, SqlValue } from 'sql.js';

export interface QueryResult {
  columns: string[];
  rows: SqlValue[][];
}

export interface ResultLimits {
  /** More rows than this is an error ('too-many-rows'), not a silently truncated result. */
  maxRows: number;
  /** Approximate bytes of all cells (strings by length, blobs by size, numbers 8). */
  maxBytes: number;
}

export const DEFAULT_RESULT_LIMITS: ResultLimits = { maxRows: 10_000, maxBytes: 4_000_000 };

/**
 * syntax: SQLite could not parse it. schema: it names a table or column that does not exist.
 * semantic: other errors found while compiling (misuse of aggregate, wrong argument count, ...).
 * runtime: failed while running (integer overflow, ...). too-many-rows / too-large: over the caps.
 */
export type QueryErrorKind = 'syntax' | 'schema' | 'semantic' | 'runtime' | 'too-many-rows' | 'too-large';

export type QueryOutcome = { ok: true; result: QueryResult } | { ok: false; kind: QueryErrorKind; message: string };

export function classifyCompileError(message: string): 'syntax' | 'schema' | 'semantic' {
  if (/syntax error|incomplete input|unrecognized token|unterminated/i.test(message)) return 'syntax';
  if (/no such (table|column)|ambiguous column name|no tables specified/i.test(message)) return 'schema';
  return 'semantic';
}

function cellBytes(v: SqlValue): number {
  if (typeof v === 'string') return v.length;
  if (v instanceof Uint8Array) return v.length;
  return 8;
}

export function runQuery(db: Database, sql: string, limits: ResultLimits = DEFAULT_RESULT_LIMITS): QueryOutcome {
  let stmt;
  try {
    stmt = db.prepare(sql);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return { ok: false, kind: classifyCompileError(message), message };
  }
  try {
    const columns = stmt.getColumnNames();
    const rows: SqlValue[][] = [];
    let bytes = 0;
    while (stmt.step()) {
      if (rows.length >= limits.maxRows) {
        return { ok: false, kind: 'too-many-rows', message: `result has more than ${limits.maxRows} rows` };
      }
      const row = stmt.get();
      for (const v of row) bytes += cellBytes(v);
      if (bytes > limits.maxBytes) return { ok: false, kind: 'too-large', message: `result is larger than ${limits.maxBytes} bytes` };
      rows.push(row);
    }
    return { ok: true, result: { columns, rows } };
  } catch (e) {
    return { ok: false, kind: 'runtime', message: e instanceof Error ? e.message : String(e) };
  } finally {
    stmt.free();
  }
}
