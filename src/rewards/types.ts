/** The shape every reward shares, so the trainer can sum them and the UI can show each one. */
import type { ExtractedSql } from '../prompt/extract-sql';
import type { EvaluationReport } from '../sql/evaluator';

export interface RewardExample {
  question: string;
  /** CREATE TABLE statements. */
  context: string;
  /** Gold SQL. */
  answer: string;
}

/** JSON-friendly details for display. */
export type DetailValue = string | number | boolean | null | readonly string[] | readonly number[];
export type RewardDetails = Record<string, DetailValue>;

export interface RewardInput {
  example: RewardExample;
  completion: string;
  /** extractSql(completion). */
  extracted: ExtractedSql | null;
  /** The execution of the extracted SQL against gold; null when there was no SQL (or no execution was needed). */
  execution: EvaluationReport | null;
}

export interface RewardResult {
  score: number;
  details: RewardDetails;
}

export interface RewardFunction {
  /** TRL-style name: the function name in the recipe it comes from. */
  name: string;
  description: string;
  /** Smallest and largest possible score. */
  range: readonly [number, number];
  /** Whether it reads `execution` (the registry then runs the SQL first). */
  needsExecution: boolean;
  score(input: RewardInput): RewardResult;
}

/**
 * The candidate's execution, or the result to return when there is none: no SQL in the completion
 * scores `noSqlScore`; an example whose gold query is unusable is not judged (0).
 */
export function judgedCandidate(input: RewardInput, noSqlScore: number): { candidate: NonNullable<EvaluationReport['candidate']>; sql: string } | { result: RewardResult } {
  if (!input.extracted) return { result: { score: noSqlScore, details: { verdict: 'no SQL found' } } };
  const candidate = input.execution?.candidate;
  if (!candidate) return { result: { score: 0, details: { verdict: 'not judged: the example’s gold query is unusable' } } };
  return { candidate, sql: input.extracted.sql };
}
