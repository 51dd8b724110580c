/** Public API of the rewards. */
export { RewardRegistry, ALL_REWARDS, PRESETS, rewardByName, type CompletionScores, type GroupExecutor, type GroupScores, type PresetName } from './registry';
export { matchFormatExactly, matchFormatApproximately, FULL_FORMAT } from './format-rewards';
export { checkAnswer, normalizeSqlText } from './answer-check';
export { sqlValidityReward, executionReward, resultQualityReward, formatQualityReward, combineDoc003, DOC003_WEIGHTS, type Doc003Components } from './sql-quality-rewards';
export { executionEquivalenceReward, executionPartialReward, partialCredit } from './execution-rewards';
export { schemaGroundingReward, groundingOf, type GroundingCount } from './schema-grounding-reward';
export { groupAdvantages, standardize, type AdvantageOptions, type GroupAdvantages } from './advantages';
export type { RewardDetails, RewardExample, RewardFunction, RewardInput, RewardResult } from './types';
