/**
 * Our rewards: execution against the gold query on the example's synthetic databases.
 * Equivalence on every database is the strongest signal we have; the partial variant gives a
 * gradient towards it (right number of columns, right number of rows, overlapping rows).
 */
import { judgedCandidate, type RewardFunction, type RewardResult } from './types';

export const executionEquivalenceReward: RewardFunction = {
  name: 'execution_equivalence_reward',
  description: '1 when the query returns the same result as the gold query on every synthetic database, else 0',
  range: [0, 1],
  needsExecution: true,
  score(input): RewardResult {
    const judged = judgedCandidate(input, 0);
    if ('result' in judged) return judged.result;
    const c = judged.candidate;
    if (c.status !== 'ok') return { score: 0, details: { verdict: c.status, reason: c.error ?? '' } };
    const firstMiss = c.verdicts.findIndex((v) => !v.equal);
    return {
      score: c.equivalent ? 1 : 0,
      details: {
        verdict: c.equivalent ? 'equivalent' : 'different',
        matched: c.matched,
        databases: c.databases,
        ...(firstMiss >= 0 ? { firstDifference: `database ${firstMiss + 1}: ${c.verdicts[firstMiss]!.reason}` } : {}),
      },
    };
  },
};

/** Per database: 1 if equal, else 0.2 · same column count + 0.2 · same row count + 0.4 · row overlap (F1). */
export function partialCredit(v: { equal: boolean; sameColumnCount: boolean; sameRowCount: boolean; rowOverlap: number }): number {
  if (v.equal) return 1;
  return 0.2 * +v.sameColumnCount + 0.2 * +v.sameRowCount + 0.4 * v.rowOverlap;
}

export const executionPartialReward: RewardFunction = {
  name: 'execution_partial_reward',
  description: 'Mean over databases of: 1 if equal to gold, else 0.2 (right column count) + 0.2 (right row count) + 0.4 × row overlap; 0 if it fails',
  range: [0, 1],
  needsExecution: true,
  score(input): RewardResult {
    const judged = judgedCandidate(input, 0);
    if ('result' in judged) return judged.result;
    const c = judged.candidate;
    if (c.status !== 'ok' || c.verdicts.length === 0) return { score: 0, details: { verdict: c.status, reason: c.error ?? '' } };
    const perDatabase = c.verdicts.map(partialCredit);
    const score = perDatabase.reduce((a, b) => a + b, 0) / perDatabase.length;
    return {
      score,
      details: {
        perDatabase: perDatabase.map((x) => Math.round(x * 1000) / 1000),
        sameColumnCount: c.verdicts.every((v) => v.sameColumnCount),
        sameRowCount: c.verdicts.filter((v) => v.sameRowCount).length,
        matched: c.matched,
      },
    };
  },
};
