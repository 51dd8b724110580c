/**
 * The body of an SQL worker, independent of the kind of worker it runs in: loads sql.js, keeps the
 * recently used examples' databases, and answers requests. Synchronous work happens here; the
 * pool on the other side watches the ticks and replaces this worker if one unit of work runs long.
 */
import type { SqlJsStatic } from 'sql.js';
import { buildExampleSuite, evaluateOnSuite, ExampleSuiteError, summarizeGold, type ExampleSuite, type GoldReport, type SqlExampleInput, type SuiteOptions } from './example-suite';
import { loadSqlJs } from './sqljs-loader';
import type { SqlWorkerRequest, SqlWorkerResponse, WorkerInbound, WorkerOutbound } from './worker-protocol';

/** Examples whose databases stay open; a GRPO group reuses one example G times in a row. */
const CACHE_SIZE = 16;

type CacheEntry = { suite: ExampleSuite } | { failure: GoldReport & { ok: false } };

export function suiteKey(example: SqlExampleInput, options: SuiteOptions): string {
  return JSON.stringify([example.context, example.gold, example.question ?? '', options]);
}

export class SqlWorkerCore {
  private cache = new Map<string, CacheEntry>();

  constructor(private readonly SQL: SqlJsStatic) {}

  private suiteFor(example: SqlExampleInput, options: SuiteOptions, tick: (phase: 'build' | 'gold') => void): CacheEntry {
    const key = suiteKey(example, options);
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    let entry: CacheEntry;
    try {
      entry = { suite: buildExampleSuite(this.SQL, example, options, (phase) => tick(phase === 'candidate' ? 'gold' : phase)) };
    } catch (e) {
      if (!(e instanceof ExampleSuiteError)) throw e;
      entry = { failure: { ok: false, kind: e.kind, message: e.message } };
    }
    this.cache.set(key, entry);
    while (this.cache.size > CACHE_SIZE) {
      const [oldest, old] = this.cache.entries().next().value as [string, CacheEntry];
      if ('suite' in old) old.suite.close();
      this.cache.delete(oldest);
    }
    return entry;
  }

  handle(request: SqlWorkerRequest, tick: (phase: 'build' | 'gold' | 'candidate', gold?: GoldReport) => void): SqlWorkerResponse {
    const t0 = performance.now();
    const entry = this.suiteFor(request.example, request.options, tick);
    const gold: GoldReport = 'suite' in entry ? summarizeGold(entry.suite) : entry.failure;
    if (request.kind === 'inspect-gold') return { kind: 'inspect-gold', gold, buildMs: performance.now() - t0 };
    if (!('suite' in entry)) return { kind: 'evaluate', gold, candidate: null, ms: performance.now() - t0 };
    const candidate = evaluateOnSuite(entry.suite, request.sql, () => tick('candidate', gold));
    return { kind: 'evaluate', gold, candidate, ms: performance.now() - t0 };
  }

  close(): void {
    for (const e of this.cache.values()) if ('suite' in e) e.suite.close();
    this.cache.clear();
  }
}

/**
 * Wires a core to a message channel: `post` sends to the pool; the returned function receives.
 * Reports 'ready' once sql.js is loaded, so start-up time never counts against a query's budget.
 */
export function startWorker(post: (msg: WorkerOutbound) => void): (msg: WorkerInbound) => void {
  let core: SqlWorkerCore | undefined;
  const pending: WorkerInbound[] = [];
  const run = (msg: WorkerInbound) => {
    try {
      const response = core!.handle(msg.request, (phase, gold) => post(gold ? { type: 'tick', id: msg.id, phase, gold } : { type: 'tick', id: msg.id, phase }));
      post({ type: 'result', id: msg.id, response });
    } catch (e) {
      post({ type: 'failed', id: msg.id, message: e instanceof Error ? e.message : String(e) });
    }
  };
  loadSqlJs().then(
    (SQL) => {
      core = new SqlWorkerCore(SQL);
      post({ type: 'ready' });
      for (const m of pending.splice(0)) run(m);
    },
    (e: unknown) => post({ type: 'init-failed', message: e instanceof Error ? e.message : String(e) }),
  );
  return (msg) => (core ? run(msg) : pending.push(msg));
}
