/**
 * The SQL side's entry point for the trainer and the UI: judges candidate queries against an
 * example's gold query on its synthetic databases, off the calling thread, a group at a time.
 *
 *   const evaluator = new SqlEvaluator(browserWorkerFactory);          // or nodeWorkerFactory
 *   const reports = await evaluator.evaluateGroup(example, sqls);       // one report per candidate
 *
 * Timeouts and crashed workers become reports (status 'timeout' / 'crashed'), never exceptions,
 * so one runaway completion cannot fail a training step.
 */
import type { CandidateEvaluation, GoldReport, SqlExampleInput, SuiteOptions } from './example-suite';
import { SqlTimeoutError, SqlWorkerPool, type PoolOptions, type WorkerFactory } from './worker-pool';

export interface EvaluationReport {
  gold: GoldReport;
  /** null when the gold side is unusable (see gold) or there was no SQL to judge. */
  candidate: CandidateEvaluation | null;
  /** Wall time in the worker (ms); 0 when it did not complete. */
  ms: number;
}

export interface SqlEvaluatorOptions extends PoolOptions {
  suite?: SuiteOptions;
}

function inputOf(example: SqlExampleInput): SqlExampleInput {
  // Only these fields travel to the worker (and key its cache).
  return example.question === undefined ? { context: example.context, gold: example.gold } : { context: example.context, gold: example.gold, question: example.question };
}

export class SqlEvaluator {
  readonly pool: SqlWorkerPool;
  readonly suiteOptions: SuiteOptions;

  constructor(factory: WorkerFactory, options: SqlEvaluatorOptions = {}) {
    this.pool = new SqlWorkerPool(factory, options);
    this.suiteOptions = options.suite ?? {};
  }

  /** Starts the workers ahead of the first evaluation. */
  warmUp(): Promise<void> {
    return this.pool.warmUp();
  }

  /** Builds the example's databases (if needed) and reports whether the gold query is usable. */
  async inspectGold(example: SqlExampleInput): Promise<GoldReport> {
    try {
      const r = await this.pool.run({ kind: 'inspect-gold', example: inputOf(example), options: this.suiteOptions });
      if (r.kind !== 'inspect-gold') throw new Error('unexpected worker response');
      return r.gold;
    } catch (e) {
      if (e instanceof SqlTimeoutError) return { ok: false, kind: 'timeout', message: `building the databases or running the gold query took too long: ${e.message}` };
      return { ok: false, kind: 'crashed', message: e instanceof Error ? e.message : String(e) };
    }
  }

  /** Judges one candidate query. */
  async evaluate(example: SqlExampleInput, sql: string): Promise<EvaluationReport> {
    try {
      const r = await this.pool.run({ kind: 'evaluate', example: inputOf(example), options: this.suiteOptions, sql });
      if (r.kind !== 'evaluate') throw new Error('unexpected worker response');
      return { gold: r.gold, candidate: r.candidate, ms: r.ms };
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      if (e instanceof SqlTimeoutError && e.phase === 'candidate' && e.gold) {
        return { gold: e.gold, candidate: failed('timeout', `query stopped: it ran past its ${e.budgetMs} ms budget`, sql), ms: 0 };
      }
      if (e instanceof SqlTimeoutError) return { gold: { ok: false, kind: 'timeout', message }, candidate: null, ms: 0 };
      // A crash while running the candidate (e.g. out of memory) is the candidate's fault.
      return { gold: { ok: false, kind: 'crashed', message }, candidate: failed('crashed', message, sql), ms: 0 };
    }
  }

  /** Judges a group of candidates concurrently; null entries (no SQL extracted) give null. */
  evaluateGroup(example: SqlExampleInput, sqls: readonly (string | null)[]): Promise<(EvaluationReport | null)[]> {
    return Promise.all(sqls.map((sql) => (sql === null ? Promise.resolve(null) : this.evaluate(example, sql))));
  }

  close(): void {
    this.pool.close();
  }
}

function failed(status: 'timeout' | 'crashed', error: string, sql: string): CandidateEvaluation {
  return { status, error, sql, rewrittenValues: [], verdicts: [], equivalent: false, matched: 0, databases: 0 };
}
