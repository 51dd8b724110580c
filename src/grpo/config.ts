/**
 * GRPOConfig: the trainer's settings under Hugging Face TRL's names (GRPOConfig + the
 * transformers TrainingArguments it extends), so a run described here reads like a TRL run.
 *
 * Defaults: the hyperparameters of the Unsloth Gemma-3 GRPO recipe (seed document 000) where it
 * sets them, TRL's current defaults elsewhere. Choices that are ours are marked "ours".
 *
 * Batch definition (as TRL counts it): per_device_train_batch_size counts *completions*, not
 * prompts. One optimizer step consumes gradient_accumulation_steps micro-batches of
 * per_device_train_batch_size completions each; that generation batch of
 * per_device_train_batch_size × gradient_accumulation_steps completions must be a whole number of
 * groups of num_generations (one group = one prompt sampled num_generations times). Groups may span
 * micro-batches. There is one process, so TRL's num_processes factor is 1.
 */
import { LORA_MODULES, type LoraModuleName } from '../model/peft';
import { bool, int, isNum, loraModules, num, oneOf, show, validateFields, type Check } from './config-checks';

export const LR_SCHEDULER_TYPES = ['cosine', 'linear', 'constant', 'constant_with_warmup'] as const;
export type LrSchedulerType = (typeof LR_SCHEDULER_TYPES)[number];

export const LOSS_TYPES = ['grpo', 'bnpo', 'dr_grpo', 'dapo'] as const;
export type LossType = (typeof LOSS_TYPES)[number];

export const SCALE_REWARDS = ['group', 'batch', 'none'] as const;
export type ScaleRewards = (typeof SCALE_REWARDS)[number];

export interface GRPOConfig {
  // Optimizer (AdamW) and schedule.
  learning_rate: number;
  adam_beta1: number;
  adam_beta2: number;
  adam_epsilon: number;
  weight_decay: number;
  /** Clip gradients to this global L2 norm; 0 disables clipping. */
  max_grad_norm: number;
  lr_scheduler_type: LrSchedulerType;
  /** Fraction of max_steps spent in linear warmup: ceil(warmup_ratio × max_steps) steps. */
  warmup_ratio: number;
  /** Warmup steps; when > 0 it overrides warmup_ratio (as in transformers). */
  warmup_steps: number;

  // Batch and lengths.
  /** Completions sampled per prompt (a group). */
  num_generations: number;
  /** Completions per micro-batch (forward/backward pass). */
  per_device_train_batch_size: number;
  /** Micro-batches per optimizer step. */
  gradient_accumulation_steps: number;
  max_prompt_length: number;
  max_completion_length: number;
  /** Optimizer steps in the run. */
  max_steps: number;
  /** Optimizer steps taken on each generation batch (μ in the GRPO paper). */
  num_iterations: number;

  // The GRPO objective.
  /** KL coefficient; 0 skips the reference model (TRL's default since 0.16). */
  beta: number;
  /** Lower clip: ratios below 1 - epsilon are clipped. */
  epsilon: number;
  /** Upper clip: ratios above 1 + epsilon_high are clipped; null means epsilon. */
  epsilon_high: number | null;
  loss_type: LossType;
  scale_rewards: ScaleRewards;
  /** Exclude completions that hit max_completion_length without EOS from the loss. */
  mask_truncated_completions: boolean;

  // Sampling.
  temperature: number;
  top_p: number;
  /** 0 disables top-k filtering (TRL's convention). */
  top_k: number;

  // Rewards: one weight per reward function, null for all 1.0.
  reward_weights: number[] | null;

  seed: number;
  logging_steps: number;
  /** Save a checkpoint every save_steps steps; 0 never (the final step is the trainer's call). */
  save_steps: number;
  /** Evaluate every eval_steps steps; 0 never. */
  eval_steps: number;

  // LoRA: PEFT's r, lora_alpha and target_modules.
  lora_r: number;
  lora_alpha: number;
  lora_target_modules: LoraModuleName[];
}

/** What validateConfig accepts: any subset, scale_rewards also as TRL's older boolean. */
export type GRPOConfigInput = Partial<Omit<GRPOConfig, 'scale_rewards'>> & { scale_rewards?: ScaleRewards | boolean };

export const DEFAULT_CONFIG: Readonly<GRPOConfig> = Object.freeze({
  // Document 000 (Unsloth Gemma-3 GRPO recipe).
  learning_rate: 5e-6,
  adam_beta1: 0.9,
  adam_beta2: 0.99,
  weight_decay: 0.1,
  warmup_ratio: 0.1,
  lr_scheduler_type: 'cosine',
  num_generations: 4,
  max_prompt_length: 256,
  max_completion_length: 768,
  max_steps: 50,
  max_grad_norm: 0.1,
  // transformers' defaults.
  adam_epsilon: 1e-8,
  warmup_steps: 0,
  seed: 42,
  // One prompt per step: Unsloth raises per_device_train_batch_size 1 to num_generations in that
  // recipe, so its steps take 4 completions of one prompt; we state that directly.
  per_device_train_batch_size: 4,
  gradient_accumulation_steps: 1,
  // TRL's current GRPOConfig defaults.
  num_iterations: 1,
  beta: 0.0,
  epsilon: 0.2,
  epsilon_high: null,
  loss_type: 'dapo',
  scale_rewards: 'group',
  mask_truncated_completions: false,
  temperature: 1.0,
  top_p: 1.0,
  top_k: 0,
  reward_weights: null,
  // Ours: a 50-step run logs every step and saves/evaluates a few times (TRL: 10 / 500 / none).
  logging_steps: 1,
  save_steps: 10,
  eval_steps: 10,
  // Ours (the recipe's LoRA settings are not in document 000): rank 8, alpha 8, every projection.
  lora_r: 8,
  lora_alpha: 8,
  lora_target_modules: [...LORA_MODULES],
}) as GRPOConfig;

export interface ConfigValidation {
  /** Defaults overlaid with every valid field given; invalid fields keep their defaults. */
  config: GRPOConfig;
  /** Problems that make the config unusable; empty when it is valid. */
  errors: string[];
  /** Fields that were ignored (unknown or not used by this trainer). */
  warnings: string[];
}

const CHECKS: { [K in keyof GRPOConfig]: Check } = {
  learning_rate: num((x) => x > 0, 'a positive number'),
  adam_beta1: num((x) => x >= 0 && x < 1, 'in [0, 1)'),
  adam_beta2: num((x) => x >= 0 && x < 1, 'in [0, 1)'),
  adam_epsilon: num((x) => x > 0, 'a positive number'),
  weight_decay: num((x) => x >= 0, 'a number ≥ 0'),
  max_grad_norm: num((x) => x >= 0, 'a number ≥ 0 (0 disables clipping)'),
  lr_scheduler_type: oneOf(LR_SCHEDULER_TYPES),
  warmup_ratio: num((x) => x >= 0 && x <= 1, 'in [0, 1]'),
  warmup_steps: int(0),
  num_generations: (v) => (isNum(v) && Number.isInteger(v) && v >= 2 ? undefined : `must be an integer ≥ 2 (advantages compare completions within a group), got ${show(v)}`),
  per_device_train_batch_size: int(1),
  gradient_accumulation_steps: int(1),
  max_prompt_length: int(1),
  max_completion_length: int(1),
  max_steps: int(1),
  num_iterations: int(1),
  beta: num((x) => x >= 0, 'a number ≥ 0'),
  epsilon: num((x) => x >= 0 && x < 1, 'in [0, 1) (the lower clip bound is 1 - epsilon)'),
  epsilon_high: (v) => (v === null || (isNum(v) && v >= 0) ? undefined : `must be null (same as epsilon) or a number ≥ 0, got ${show(v)}`),
  loss_type: oneOf(LOSS_TYPES),
  scale_rewards: oneOf(SCALE_REWARDS),
  mask_truncated_completions: bool,
  temperature: num((x) => x > 0, 'a positive number'),
  top_p: num((x) => x > 0 && x <= 1, 'in (0, 1]'),
  top_k: int(0),
  reward_weights: (v) => (v === null || (Array.isArray(v) && v.length > 0 && v.every(isNum)) ? undefined : `must be null or a non-empty list of finite numbers, got ${show(v)}`),
  seed: (v) => (isNum(v) && Number.isSafeInteger(v) && v >= 0 ? undefined : `must be a non-negative integer, got ${show(v)}`),
  logging_steps: int(1),
  save_steps: int(0),
  eval_steps: int(0),
  lora_r: int(1),
  lora_alpha: num((x) => x > 0, 'a positive number'),
  lora_target_modules: loraModules,
};

/** TRL/transformers fields that a pasted config may carry and that this trainer does not use. */
const IGNORED_FIELDS: Record<string, string> = {
  num_train_epochs: 'training length is max_steps',
  output_dir: 'checkpoints are saved in the browser',
};

/**
 * Checks a (partial) config, e.g. parsed from JSON, and fills in defaults. scale_rewards true/false
 * are TRL's older spellings of 'group'/'none'.
 */
export function validateConfig(input: GRPOConfigInput | Record<string, unknown>): ConfigValidation {
  const given = { ...(input as Record<string, unknown>) };
  // scale_rewards true/false are TRL's older spellings of 'group'/'none'.
  if (typeof given.scale_rewards === 'boolean') given.scale_rewards = given.scale_rewards ? 'group' : 'none';
  const { config, errors, warnings, invalid } = validateFields<GRPOConfig>(DEFAULT_CONFIG, CHECKS, given, IGNORED_FIELDS);

  // Cross-field rules, checked on the merged config unless a field they read was itself invalid.
  const allValid = (...keys: (keyof GRPOConfig)[]) => keys.every((k) => !invalid.has(k));
  const generationBatch = config.per_device_train_batch_size * config.gradient_accumulation_steps;
  if (allValid('per_device_train_batch_size', 'gradient_accumulation_steps', 'num_generations') && generationBatch % config.num_generations !== 0) {
    errors.push(
      `per_device_train_batch_size × gradient_accumulation_steps (${config.per_device_train_batch_size} × ${config.gradient_accumulation_steps} = ${generationBatch} completions per step) must be divisible by num_generations (${config.num_generations})`,
    );
  }
  if (allValid('warmup_steps', 'max_steps') && config.warmup_steps > config.max_steps) errors.push(`warmup_steps (${config.warmup_steps}) must not exceed max_steps (${config.max_steps})`);
  if (config.epsilon_high !== null && config.epsilon_high < config.epsilon) {
    warnings.push(`epsilon_high (${config.epsilon_high}) is below epsilon (${config.epsilon})`);
  }
  return { config, errors, warnings };
}

/** The clip range [1 - epsilon, 1 + epsilon_high] as (epsilon_low, epsilon_high). */
export function clipEpsilons(config: Pick<GRPOConfig, 'epsilon' | 'epsilon_high'>): { low: number; high: number } {
  return { low: config.epsilon, high: config.epsilon_high ?? config.epsilon };
}

/** Completions per optimizer step (TRL's generation batch with steps_per_generation = gradient_accumulation_steps). */
export function completionsPerStep(config: Pick<GRPOConfig, 'per_device_train_batch_size' | 'gradient_accumulation_steps'>): number {
  return config.per_device_train_batch_size * config.gradient_accumulation_steps;
}

/** Distinct prompts per optimizer step. */
export function promptsPerStep(config: Pick<GRPOConfig, 'per_device_train_batch_size' | 'gradient_accumulation_steps' | 'num_generations'>): number {
  return completionsPerStep(config) / config.num_generations;
}

/** One weight per reward function, in order; throws if reward_weights does not match them. */
export function resolveRewardWeights(config: Pick<GRPOConfig, 'reward_weights'>, rewardNames: readonly string[]): number[] {
  if (config.reward_weights === null) return rewardNames.map(() => 1);
  if (config.reward_weights.length !== rewardNames.length) {
    throw new Error(`reward_weights has ${config.reward_weights.length} entries but there are ${rewardNames.length} reward functions (${rewardNames.join(', ')})`);
  }
  return [...config.reward_weights];
}
