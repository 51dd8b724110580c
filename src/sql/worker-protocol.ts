/** Messages between the thread that scores rewards and the SQL execution workers. */
import type { CandidateEvaluation, GoldReport, SqlExampleInput, SuiteOptions } from './example-suite';

export type SqlWorkerRequest =
  /** Build (or reuse) the example's databases and report on the gold query. */
  | { kind: 'inspect-gold'; example: SqlExampleInput; options: SuiteOptions }
  /** Judge one candidate query against the gold query on the example's databases. */
  | { kind: 'evaluate'; example: SqlExampleInput; options: SuiteOptions; sql: string };

export type SqlWorkerResponse =
  | { kind: 'inspect-gold'; gold: GoldReport; buildMs: number }
  | { kind: 'evaluate'; gold: GoldReport; candidate: CandidateEvaluation | null; ms: number };

/** To the worker. */
export interface WorkerInbound {
  id: number;
  request: SqlWorkerRequest;
}

/** From the worker. 'tick' precedes every unit of work (one database build or one query run). */
export type WorkerOutbound =
  | { type: 'ready' }
  | { type: 'init-failed'; message: string }
  | { type: 'tick'; id: number; phase: 'build' | 'gold' | 'candidate'; gold?: GoldReport }
  | { type: 'result'; id: number; response: SqlWorkerResponse }
  | { type: 'failed'; id: number; message: string };
