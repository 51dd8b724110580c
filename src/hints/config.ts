/**
 * Configuration of the policy-layer ("hints") GRPO mode: instead of changing model weights, a step
 * learns a store of PolicyHints ("prefer X", "avoid Y") that are written into future prompts.
 *
 * The first six knobs are the ones of document 003's GRPOConfig, under the document's names and
 * with its defaults, so an exported configuration reads like the document. The rest are ours: how
 * the store forgets, how large it may grow, and how much of the prompt it may take.
 */

/** Which layer a GRPO run trains: the hint store only, the LoRA adapter only, or both. */
export type TrainingMode = 'hints' | 'lora' | 'both';
export const TRAINING_MODES: readonly TrainingMode[] = ['hints', 'lora', 'both'];

/** Which standard deviation divides group-relative advantages (see advantages.ts). */
export type StdConvention = 'sample' | 'population';

export interface HintsConfig {
  /** Completions sampled per prompt (document 003: G = 4). At least 2: one completion has no group to be relative to. */
  group_size: number;
  /** Sampling temperature for the group (document 003: 0.7). Positive: at 0 every completion is the same and every advantage 0. */
  temperature_sampling: number;
  /**
   * Pull toward the un-hinted policy (document 003: 0.05). The reference policy of the hint layer is
   * the prompt with no hints, i.e. every weight 0. Reading the layer as a log-linear tilt of the
   * model, pi_w(y) ~ pi_ref(y) * exp(sum_p w_p * f_p(y)), KL(pi_w || pi_ref) is ~ (1/2) sum_p Var(f_p) w_p^2
   * for small w, whose gradient is proportional to w. So each update of a hint adds
   * -learning_rate * kl_coef * w: the more a hint has learned, the harder it is pulled back, and a
   * hint the evidence stops supporting drifts back to 0 (see store.ts).
   */
  kl_coef: number;
  /** Divide (reward - mean) by the group's std (document 003: true). False: advantages are reward - mean. */
  scale_rewards: boolean;
  /** Step size of hint weight updates (document 003: 0.1). */
  learning_rate: number;
  /** A completion updates hints only when |advantage| exceeds this (document 003: 0.3). */
  min_advantage_threshold: number;

  /** Std convention for advantages. 'sample' (n - 1) is what TRL's GRPO uses (torch.std). */
  std_convention: StdConvention;
  /** Added to the std before dividing, so a group of equal rewards gives 0 advantages, not NaN (TRL: 1e-4). */
  advantage_epsilon: number;
  /**
   * Credit a pattern with A_i * (f_p(y_i) - mean_j f_p(y_j)) instead of A_i * f_p(y_i). A pattern in
   * every completion of a group then learns nothing from it (it cannot explain the differences), and
   * a pattern missing from a bad completion is credited for its absence: the exact policy gradient
   * of the log-linear layer. False: only the completions that contain a pattern move its hint.
   */
  center_patterns: boolean;
  /** Per-step multiplicative decay of hints that got no evidence in the step (0.01: 1 % a step). Pinned hints never decay. */
  decay: number;
  /** Unpinned hints with |weight| below this are pruned at the end of a step; a new hint needs at least this much weight. */
  prune_threshold: number;
  /** Most hints kept; the weakest unpinned ones are pruned beyond it. */
  max_hints: number;
  /** Qualifying completions a pattern needs before it becomes a hint (evidence is tallied until then). */
  min_evidence_to_create: number;
  /** A pattern still gathering evidence is forgotten after this many steps without any. */
  candidate_ttl_steps: number;
  /**
   * Prompt tokens the injected hints may take (Gemma-3 tokens, as counted by the caller's tokenizer).
   * 64 (about 6 hints): document 000 trains with max_prompt_length 256, the system prompt takes 85
   * and the schema needs the rest; bench/hints-cost.ts shows a larger budget is always filled.
   */
  prompt_token_budget: number;
}

export const DEFAULT_HINTS_CONFIG: Readonly<HintsConfig> = Object.freeze({
  group_size: 4,
  temperature_sampling: 0.7,
  kl_coef: 0.05,
  scale_rewards: true,
  learning_rate: 0.1,
  min_advantage_threshold: 0.3,
  std_convention: 'sample',
  advantage_epsilon: 1e-4,
  center_patterns: true,
  decay: 0.01,
  prune_threshold: 0.02,
  max_hints: 100,
  min_evidence_to_create: 2,
  candidate_ttl_steps: 20,
  prompt_token_budget: 64,
});

export class HintsConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid hints configuration: ${problems.join('; ')}`);
    this.name = 'HintsConfigError';
  }
}

type Check = (v: unknown) => string | undefined;

const number = (min: number, max: number, opts: { integer?: boolean; minExclusive?: boolean } = {}): Check => (v) => {
  if (typeof v !== 'number' || !Number.isFinite(v)) return `must be a finite number, got ${JSON.stringify(v)}`;
  if (opts.integer && !Number.isInteger(v)) return `must be an integer, got ${v}`;
  if (opts.minExclusive ? v <= min : v < min) return `must be ${opts.minExclusive ? '>' : '>='} ${min}, got ${v}`;
  if (v > max) return `must be <= ${max}, got ${v}`;
  return undefined;
};
const boolean: Check = (v) => (typeof v === 'boolean' ? undefined : `must be true or false, got ${JSON.stringify(v)}`);
const oneOf = (values: readonly string[]): Check => (v) =>
  typeof v === 'string' && values.includes(v) ? undefined : `must be one of ${values.map((s) => JSON.stringify(s)).join(', ')}, got ${JSON.stringify(v)}`;

const CHECKS: Record<keyof HintsConfig, Check> = {
  group_size: number(2, 64, { integer: true }),
  temperature_sampling: number(0, 5, { minExclusive: true }),
  kl_coef: number(0, 10),
  scale_rewards: boolean,
  learning_rate: number(0, 1, { minExclusive: true }),
  min_advantage_threshold: number(0, 100),
  std_convention: oneOf(['sample', 'population']),
  advantage_epsilon: number(0, 1),
  center_patterns: boolean,
  decay: number(0, 0.999),
  prune_threshold: number(0, 0.999),
  max_hints: number(1, 100_000, { integer: true }),
  min_evidence_to_create: number(1, 1000, { integer: true }),
  candidate_ttl_steps: number(1, 1_000_000, { integer: true }),
  prompt_token_budget: number(0, 100_000, { integer: true }),
};

/**
 * Defaults overlaid with `overrides`, validated. Throws HintsConfigError naming every bad or
 * unknown key (an unknown key is most likely a typo that would otherwise silently do nothing).
 */
export function resolveHintsConfig(overrides: unknown = {}): HintsConfig {
  if (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides)) {
    throw new HintsConfigError([`expected an object of settings, got ${Array.isArray(overrides) ? 'an array' : JSON.stringify(overrides)}`]);
  }
  const problems: string[] = [];
  for (const key of Object.keys(overrides)) {
    if (!(key in CHECKS)) problems.push(`unknown setting ${JSON.stringify(key)}`);
  }
  const merged = { ...DEFAULT_HINTS_CONFIG, ...(overrides as Partial<HintsConfig>) } as HintsConfig;
  for (const [key, check] of Object.entries(CHECKS) as [keyof HintsConfig, Check][]) {
    const problem = check(merged[key]);
    if (problem) problems.push(`${key} ${problem}`);
  }
  // One update of a hint multiplies its weight by (1 - lr * kl_coef) before adding evidence; past 1 the pull overshoots 0.
  if (problems.length === 0 && merged.learning_rate * merged.kl_coef >= 1) {
    problems.push(`learning_rate * kl_coef must be < 1 (got ${merged.learning_rate} * ${merged.kl_coef}); a larger pull overshoots 0`);
  }
  if (problems.length > 0) throw new HintsConfigError(problems);
  return merged;
}

export function isTrainingMode(v: unknown): v is TrainingMode {
  return typeof v === 'string' && (TRAINING_MODES as readonly string[]).includes(v);
}

/** Whether a run in `mode` updates the hint store (the LoRA side reads this too). */
export function trainsHints(mode: TrainingMode): boolean {
  return mode === 'hints' || mode === 'both';
}
export function trainsLora(mode: TrainingMode): boolean {
  return mode === 'lora' || mode === 'both';
}
