/** A GroupExecutor that runs the SQL on this thread (no watchdog): fast, deterministic test double. */
import type { SqlJsStatic } from 'sql.js';
import type { EvaluationReport } from '../../../src/sql/evaluator';
import { buildExampleSuite, evaluateOnSuite, ExampleSuiteError, summarizeGold, type SqlExampleInput } from '../../../src/sql/example-suite';
import type { GroupExecutor } from '../../../src/rewards/registry';

export function inThreadExecutor(SQL: SqlJsStatic): GroupExecutor {
  return {
    async evaluateGroup(example: SqlExampleInput, sqls: readonly (string | null)[]): Promise<(EvaluationReport | null)[]> {
      let suite;
      try {
        suite = buildExampleSuite(SQL, example);
      } catch (e) {
        if (!(e instanceof ExampleSuiteError)) throw e;
        return sqls.map((s) => (s === null ? null : { gold: { ok: false, kind: e.kind, message: e.message }, candidate: null, ms: 0 }));
      }
      try {
        const gold = summarizeGold(suite);
        return sqls.map((s) => (s === null ? null : { gold, candidate: evaluateOnSuite(suite, s), ms: 0 }));
      } finally {
        suite.close();
      }
    },
  };
}
