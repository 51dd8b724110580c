/**
 * The per-example test suite: several synthetic SQLite databases built from the example's context,
 * with the gold query's results on each, and the judgement of a candidate query against them.
 * Runs wherever sql.js is loaded (a worker in the app; directly in tests).
 */
import type { Database, SqlJsStatic, SqlValue } from 'sql.js';
import { normalizeDoubleQuotedValues } from './double-quoted-values';
import { quoteIdent } from './lexer';
import { analyzeQuery, type QueryFacts } from './query-analysis';
import { checkReadOnlyQuery, type GuardRejection } from './read-only-guard';
import { compareResults, type Comparison } from './result-compare';
import { DEFAULT_RESULT_LIMITS, runQuery, type QueryErrorKind, type QueryResult, type ResultLimits } from './run-query';
import { parseSchema, SchemaError, type Schema } from './schema';
import { databaseSeed, DEFAULT_PROFILES, generateRows, questionLiterals, type SyntheticProfile } from './synthetic-data';

/** What the SQL side needs of an example. */
export interface SqlExampleInput {
  /** CREATE TABLE statements. */
  context: string;
  /** The gold query. */
  gold: string;
  /** The question, whose numbers and quoted phrases seed some values. */
  question?: string;
}

/** The SQL side's view of a dataset row ({question, context, answer}); use it everywhere so caches agree. */
export function sqlExampleOf(row: { question: string; context: string; answer: string }): SqlExampleInput {
  return { context: row.context, gold: row.answer, question: row.question };
}

export interface SuiteOptions {
  /** Run seed: same seed, same databases. */
  seed?: number;
  /** Databases per example (cycling through the profiles). Default 5. */
  databases?: number;
  profiles?: readonly SyntheticProfile[];
  /** Re-draws of a database on which the gold result is empty, before keeping it anyway. Default 3. */
  attemptsPerDatabase?: number;
  limits?: ResultLimits;
  /** Accept the gold columns in any order (default true). */
  ignoreColumnOrder?: boolean;
}

export type GoldFailureKind = 'schema' | 'gold-rejected' | 'gold-error' | 'timeout' | 'crashed';

export class ExampleSuiteError extends Error {
  constructor(readonly kind: GoldFailureKind, message: string) {
    super(message);
    this.name = 'ExampleSuiteError';
  }
}

export interface ExampleSuite {
  schema: Schema;
  facts: QueryFacts;
  /** The gold query as executed (double-quoted values rewritten). */
  goldSql: string;
  /** Gold has a top-level ORDER BY: results compare as ordered lists. */
  ordered: boolean;
  databases: Database[];
  goldResults: QueryResult[];
  limits: ResultLimits;
  ignoreColumnOrder: boolean;
  close(): void;
}

export interface GoldSummary {
  ok: true;
  databases: number;
  /** Databases on which the gold result has at least one row. */
  goldNonEmpty: number;
  goldRowCounts: number[];
  ordered: boolean;
}
export interface GoldFailure {
  ok: false;
  kind: GoldFailureKind;
  message: string;
}
export type GoldReport = GoldSummary | GoldFailure;

export interface DatabaseVerdict extends Comparison {
  rows: number;
  columns: number;
  goldRows: number;
  goldColumns: number;
}

export type CandidateStatus = 'ok' | 'rejected' | 'error' | 'timeout' | 'crashed';

export interface CandidateEvaluation {
  status: CandidateStatus;
  /** For 'rejected': the guard's reason code; for 'error': how the query failed. */
  errorKind?: GuardRejection | QueryErrorKind;
  error?: string;
  /** The SQL as executed (one statement, double-quoted values rewritten); '' when rejected. */
  sql: string;
  /** Double-quoted values that were read as strings. */
  rewrittenValues: string[];
  /** One verdict per database (empty unless status is 'ok'). */
  verdicts: DatabaseVerdict[];
  /** Equal to gold on every database. */
  equivalent: boolean;
  matched: number;
  databases: number;
  /** First rows of the candidate's result on database 0, for display. */
  preview?: QueryResult;
  goldPreview?: QueryResult;
}

/** Step callback: called before each unit of work, so a watchdog can time each one separately. */
export type StepHook = (phase: 'build' | 'gold' | 'candidate') => void;

const PREVIEW_ROWS = 5;

function preview(r: QueryResult): QueryResult {
  return { columns: r.columns, rows: r.rows.slice(0, PREVIEW_ROWS) };
}

/** Creates one database: schema from the context, then the synthetic rows, then read-only. */
function createDatabase(SQL: SqlJsStatic, context: string, tables: ReturnType<typeof generateRows>): Database {
  const db = new SQL.Database();
  try {
    db.run(context);
  } catch (e) {
    db.close();
    throw new ExampleSuiteError('schema', `SQLite rejected the context: ${e instanceof Error ? e.message : String(e)}`);
  }
  db.run('BEGIN');
  for (const { table, rows } of tables) {
    // OR IGNORE: a random row that breaks a composite key or CHECK constraint is dropped, not fatal.
    const cols = table.columns.map((c) => quoteIdent(c.name)).join(', ');
    const marks = table.columns.map(() => '?').join(', ');
    const stmt = db.prepare(`INSERT OR IGNORE INTO ${quoteIdent(table.name)} (${cols}) VALUES (${marks})`);
    try {
      for (const row of rows) stmt.run(row.map((v, i) => (v === null && table.columns[i]!.notNull ? 0 : v)) as SqlValue[]);
    } finally {
      stmt.free();
    }
  }
  db.run('COMMIT');
  // The engine-level half of the sandbox: no statement can change this database from now on.
  db.run('PRAGMA query_only = 1');
  return db;
}

/** Checks and rewrites a query for execution: one read-only statement, double-quoted values as strings. */
export function prepareQuery(sql: string): { ok: true; sql: string; rewritten: string[] } | { ok: false; code: GuardRejection; reason: string } {
  const guard = checkReadOnlyQuery(sql);
  if (!guard.ok) return guard;
  const dq = normalizeDoubleQuotedValues(guard.sql);
  return { ok: true, sql: dq.sql, rewritten: dq.rewritten };
}

export function buildExampleSuite(SQL: SqlJsStatic, example: SqlExampleInput, options: SuiteOptions = {}, onStep: StepHook = () => {}): ExampleSuite {
  let schema: Schema;
  try {
    schema = parseSchema(example.context);
  } catch (e) {
    if (e instanceof SchemaError) throw new ExampleSuiteError('schema', e.message);
    throw e;
  }
  const gold = prepareQuery(example.gold);
  if (!gold.ok) throw new ExampleSuiteError('gold-rejected', `gold query rejected: ${gold.reason}`);
  const facts = analyzeQuery(gold.sql, schema);
  const limits = options.limits ?? DEFAULT_RESULT_LIMITS;
  const profiles = options.profiles ?? DEFAULT_PROFILES;
  const count = options.databases ?? 5;
  const attempts = Math.max(1, options.attemptsPerDatabase ?? 3);
  const hints = { questionLiterals: example.question ? questionLiterals(example.question) : [] };
  const databases: Database[] = [];
  const goldResults: QueryResult[] = [];
  const close = () => {
    for (const db of databases) db.close();
    databases.length = 0;
  };
  try {
    for (let i = 0; i < count; i++) {
      const profile = profiles[i % profiles.length]!;
      for (let a = 0; a < attempts; a++) {
        onStep('build');
        const seed = databaseSeed(options.seed ?? 0, example.context, example.gold, i * 101 + a);
        const db = createDatabase(SQL, example.context, generateRows(schema, facts, profile, seed, hints));
        onStep('gold');
        const out = runQuery(db, gold.sql, limits);
        if (!out.ok) {
          db.close();
          throw new ExampleSuiteError('gold-error', `gold query failed on synthetic database ${i + 1}: ${out.message}`);
        }
        if (out.result.rows.length > 0 || a === attempts - 1) {
          databases.push(db);
          goldResults.push(out.result);
          break;
        }
        db.close();
      }
    }
  } catch (e) {
    close();
    throw e;
  }
  return { schema, facts, goldSql: gold.sql, ordered: facts.hasTopLevelOrderBy, databases, goldResults, limits, ignoreColumnOrder: options.ignoreColumnOrder ?? true, close };
}

export function summarizeGold(suite: ExampleSuite): GoldSummary {
  return {
    ok: true,
    databases: suite.databases.length,
    goldNonEmpty: suite.goldResults.filter((r) => r.rows.length > 0).length,
    goldRowCounts: suite.goldResults.map((r) => r.rows.length),
    ordered: suite.ordered,
  };
}

/** Runs a candidate on every database of the suite and compares with gold. */
export function evaluateOnSuite(suite: ExampleSuite, candidateSql: string, onStep: StepHook = () => {}): CandidateEvaluation {
  const base = { verdicts: [] as DatabaseVerdict[], equivalent: false, matched: 0, databases: suite.databases.length };
  const prepared = prepareQuery(candidateSql);
  if (!prepared.ok) return { ...base, status: 'rejected', errorKind: prepared.code, error: prepared.reason, sql: '', rewrittenValues: [] };
  const verdicts: DatabaseVerdict[] = [];
  let first: QueryResult | undefined;
  for (let i = 0; i < suite.databases.length; i++) {
    onStep('candidate');
    const out = runQuery(suite.databases[i]!, prepared.sql, suite.limits);
    if (!out.ok) {
      return { ...base, status: 'error', errorKind: out.kind, error: out.message, sql: prepared.sql, rewrittenValues: prepared.rewritten };
    }
    first ??= out.result;
    const gold = suite.goldResults[i]!;
    const cmp = compareResults(gold, out.result, { ordered: suite.ordered, ignoreColumnOrder: suite.ignoreColumnOrder });
    verdicts.push({ ...cmp, rows: out.result.rows.length, columns: out.result.columns.length, goldRows: gold.rows.length, goldColumns: gold.columns.length });
  }
  const matched = verdicts.filter((v) => v.equal).length;
  return {
    ...base,
    status: 'ok',
    sql: prepared.sql,
    rewrittenValues: prepared.rewritten,
    verdicts,
    matched,
    equivalent: matched === verdicts.length && verdicts.length > 0,
    ...(first ? { preview: preview(first) } : {}),
    ...(suite.goldResults[0] ? { goldPreview: preview(suite.goldResults[0]) } : {}),
  };
}
