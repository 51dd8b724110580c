/**
 * Named rewards with weights, TRL-style (reward_funcs + reward_weights): the trainer uses the
 * weighted total per completion; the UI plots each reward separately (byReward).
 *
 *   const registry = RewardRegistry.preset('default');
 *   const group = await registry.scoreGroup(example, completions, evaluator);
 *   group.totals        // weighted sum per completion -> advantages
 *   group.byReward      // { execution_equivalence_reward: [1, 0, ...], ... }
 *
 * Scoring is async because the SQL runs in workers: one evaluateGroup call per group, shared by
 * every reward that needs execution.
 */
import { extractSql, type ExtractedSql } from '../prompt/extract-sql';
import type { EvaluationReport } from '../sql/evaluator';
import { sqlExampleOf, type SqlExampleInput } from '../sql/example-suite';
import { checkAnswer } from './answer-check';
import { executionEquivalenceReward, executionPartialReward } from './execution-rewards';
import { matchFormatApproximately, matchFormatExactly } from './format-rewards';
import { schemaGroundingReward } from './schema-grounding-reward';
import { DOC003_WEIGHTS, executionReward, formatQualityReward, resultQualityReward, sqlValidityReward } from './sql-quality-rewards';
import type { RewardDetails, RewardExample, RewardFunction } from './types';

/** Anything that can judge a group of SQL strings (SqlEvaluator, or a test double). */
export interface GroupExecutor {
  evaluateGroup(example: SqlExampleInput, sqls: readonly (string | null)[]): Promise<(EvaluationReport | null)[]>;
}

export const ALL_REWARDS: readonly RewardFunction[] = [
  matchFormatExactly,
  matchFormatApproximately,
  checkAnswer,
  sqlValidityReward,
  executionReward,
  resultQualityReward,
  formatQualityReward,
  executionEquivalenceReward,
  executionPartialReward,
  schemaGroundingReward,
];

export type PresetName = 'doc000' | 'doc003' | 'default';

/** Weights by reward name for each preset. */
export const PRESETS: Record<PresetName, Record<string, number>> = {
  // Document 000: the three recipe rewards, summed (TRL's default weight 1 each).
  doc000: { match_format_exactly: 1, match_format_approximately: 1, check_answer: 1 },
  // Document 003: the weighted combination.
  doc003: { ...DOC003_WEIGHTS },
  // Ours: format to keep the structure, execution equivalence as the main signal, partial credit for a gradient.
  default: { match_format_exactly: 1, match_format_approximately: 1, execution_equivalence_reward: 5, execution_partial_reward: 2 },
};

export interface CompletionScores {
  extracted: ExtractedSql | null;
  execution: EvaluationReport | null;
  /** Unweighted score per reward name. */
  scores: Record<string, number>;
  details: Record<string, RewardDetails>;
  /** Σ weight × score. */
  total: number;
}

export interface GroupScores {
  names: string[];
  weights: number[];
  completions: CompletionScores[];
  totals: number[];
  /** Per reward name, the unweighted scores of the group in completion order. */
  byReward: Record<string, number[]>;
  /** Wall time of the whole scoring (ms). */
  ms: number;
}

export class RewardRegistry {
  private entries: { reward: RewardFunction; weight: number }[] = [];

  constructor(entries: readonly { reward: RewardFunction; weight: number }[] = []) {
    for (const e of entries) this.add(e.reward, e.weight);
  }

  /** A registry with a preset's rewards and weights. */
  static preset(name: PresetName): RewardRegistry {
    const weights = PRESETS[name];
    return new RewardRegistry(Object.entries(weights).map(([n, weight]) => ({ reward: rewardByName(n), weight })));
  }

  add(reward: RewardFunction, weight = 1): this {
    if (this.entries.some((e) => e.reward.name === reward.name)) throw new Error(`reward ${JSON.stringify(reward.name)} is already registered`);
    if (!Number.isFinite(weight)) throw new Error(`weight for ${reward.name} must be a finite number, got ${weight}`);
    this.entries.push({ reward, weight });
    return this;
  }

  setWeight(name: string, weight: number): this {
    const e = this.entries.find((x) => x.reward.name === name);
    if (!e) throw new Error(`no reward named ${JSON.stringify(name)}; registered: ${this.names().join(', ')}`);
    if (!Number.isFinite(weight)) throw new Error(`weight for ${name} must be a finite number, got ${weight}`);
    e.weight = weight;
    return this;
  }

  names(): string[] {
    return this.entries.map((e) => e.reward.name);
  }

  /** TRL's reward_weights, aligned with names(). */
  weights(): number[] {
    return this.entries.map((e) => e.weight);
  }

  rewards(): RewardFunction[] {
    return this.entries.map((e) => e.reward);
  }

  get needsExecution(): boolean {
    return this.entries.some((e) => e.reward.needsExecution);
  }

  /** Scores G completions of one example. `executor` is required when any reward needs execution. */
  async scoreGroup(example: RewardExample, completions: readonly string[], executor?: GroupExecutor): Promise<GroupScores> {
    const t0 = performance.now();
    const extracted = completions.map(extractSql);
    let executions: (EvaluationReport | null)[] = completions.map(() => null);
    if (this.needsExecution) {
      if (!executor) throw new Error(`rewards ${this.entries.filter((e) => e.reward.needsExecution).map((e) => e.reward.name).join(', ')} need an SQL executor`);
      executions = await executor.evaluateGroup(sqlExampleOf(example), extracted.map((e) => e?.sql ?? null));
    }
    const names = this.names();
    const weights = this.weights();
    const byReward: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, [] as number[]]));
    const scored = completions.map((completion, i): CompletionScores => {
      const scores: Record<string, number> = {};
      const details: Record<string, RewardDetails> = {};
      let total = 0;
      for (const { reward, weight } of this.entries) {
        const r = reward.score({ example, completion, extracted: extracted[i]!, execution: executions[i] ?? null });
        scores[reward.name] = r.score;
        details[reward.name] = r.details;
        byReward[reward.name]!.push(r.score);
        total += weight * r.score;
      }
      return { extracted: extracted[i]!, execution: executions[i] ?? null, scores, details, total };
    });
    return { names, weights, completions: scored, totals: scored.map((c) => c.total), byReward, ms: performance.now() - t0 };
  }
}

export function rewardByName(name: string): RewardFunction {
  const r = ALL_REWARDS.find((x) => x.name === name);
  if (!r) throw new Error(`unknown reward ${JSON.stringify(name)}; known: ${ALL_REWARDS.map((x) => x.name).join(', ')}`);
  return r;
}
