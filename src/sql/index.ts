/**
 * Public API of the SQL side (environment-neutral; the Node worker adapter is
 * './worker-port-node', imported separately so browser bundles never see node:worker_threads).
 */
export { SqlEvaluator, type EvaluationReport, type SqlEvaluatorOptions } from './evaluator';
export { browserWorkerFactory, createBrowserWorkerPort } from './worker-port-browser';
export { SqlWorkerPool, SqlTimeoutError, SqlWorkerError, type PoolOptions, type PoolStats, type WorkerFactory, type WorkerPort } from './worker-pool';
export {
  buildExampleSuite,
  evaluateOnSuite,
  prepareQuery,
  summarizeGold,
  sqlExampleOf,
  ExampleSuiteError,
  type CandidateEvaluation,
  type CandidateStatus,
  type DatabaseVerdict,
  type ExampleSuite,
  type GoldFailure,
  type GoldReport,
  type GoldSummary,
  type SqlExampleInput,
  type SuiteOptions,
} from './example-suite';
export { compareResults, cellKey, type CompareOptions, type Comparison } from './result-compare';
export { runQuery, DEFAULT_RESULT_LIMITS, type QueryResult, type QueryOutcome, type QueryErrorKind, type ResultLimits } from './run-query';
export { checkReadOnlyQuery, type GuardResult, type GuardRejection } from './read-only-guard';
export { normalizeDoubleQuotedValues } from './double-quoted-values';
export { parseSchema, SchemaError, type Schema, type TableDef, type ColumnDef } from './schema';
export { DEFAULT_PROFILES, type SyntheticProfile } from './synthetic-data';
export { loadSqlJs } from './sqljs-loader';
