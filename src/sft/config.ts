/**
 * SFTConfig: the supervised warm-up's settings under TRL SFTTrainer's names (SFTConfig + the
 * transformers TrainingArguments it extends), plus TRL ModelConfig's use_peft. With use_peft the
 * warm-up trains the run's LoRA adapter (the shape comes from the run's lora_r / lora_alpha /
 * lora_target_modules), as Unsloth's "pre-finetune for format" before GRPO does; without it, every
 * weight of the model (for building small models from scratch).
 *
 * Defaults: TRL's where they suit a short warm-up, ours where marked. The loss is TRL's: mean
 * negative log-likelihood over the completion tokens of the whole optimizer step (all its
 * micro-batches), or over every token with completion_only_loss false.
 */
import { LR_SCHEDULER_TYPES, type LrSchedulerType } from '../grpo/config';
import { bool, int, isNum, num, oneOf, show, validateFields, type Check } from '../grpo/config-checks';

export interface SFTConfig {
  learning_rate: number;
  num_train_epochs: number;
  /** Optimizer steps; -1 takes num_train_epochs passes over the training split (transformers' convention). */
  max_steps: number;
  /** Prompt + completion tokens; longer examples have their completion cut (TRL truncates). */
  max_length: number;
  /** Prompt budget, the same as GRPO's max_prompt_length so that warm-up and GRPO see the same prompts (ours). */
  max_prompt_length: number;
  completion_only_loss: boolean;
  per_device_train_batch_size: number;
  gradient_accumulation_steps: number;
  lr_scheduler_type: LrSchedulerType;
  warmup_ratio: number;
  warmup_steps: number;
  weight_decay: number;
  adam_beta1: number;
  adam_beta2: number;
  adam_epsilon: number;
  max_grad_norm: number;
  seed: number;
  logging_steps: number;
  /** Checkpoint every save_steps steps; 0 never (the end of the warm-up is saved when storage is set). */
  save_steps: number;
  /** Held-out evaluation every eval_steps steps (and at the end); 0 never. */
  eval_steps: number;
  /** Train the LoRA adapter (true) or every weight (false). */
  use_peft: boolean;
}

export type SFTConfigInput = Partial<SFTConfig>;

export const DEFAULT_SFT_CONFIG: Readonly<SFTConfig> = Object.freeze({
  // Ours: a short LoRA warm-up (Unsloth's SFT notebooks use 2e-4 with LoRA; TRL's 2e-5 is for full fine-tuning).
  learning_rate: 2e-4,
  num_train_epochs: 1,
  max_steps: 30,
  // TRL SFTConfig.
  max_length: 1024,
  completion_only_loss: true,
  per_device_train_batch_size: 8,
  // transformers' TrainingArguments.
  gradient_accumulation_steps: 1,
  lr_scheduler_type: 'linear',
  warmup_ratio: 0,
  warmup_steps: 0,
  weight_decay: 0,
  adam_beta1: 0.9,
  adam_beta2: 0.999,
  adam_epsilon: 1e-8,
  max_grad_norm: 1,
  seed: 42,
  // Ours.
  max_prompt_length: 256,
  logging_steps: 1,
  save_steps: 10,
  eval_steps: 0,
  use_peft: true,
}) as SFTConfig;

const CHECKS: { [K in keyof SFTConfig]: Check } = {
  learning_rate: num((x) => x > 0, 'a positive number'),
  num_train_epochs: num((x) => x > 0, 'a positive number'),
  max_steps: (v) => (isNum(v) && Number.isInteger(v) && (v === -1 || v >= 1) ? undefined : `must be -1 (from num_train_epochs) or an integer ≥ 1, got ${show(v)}`),
  max_length: int(2),
  max_prompt_length: int(1),
  completion_only_loss: bool,
  per_device_train_batch_size: int(1),
  gradient_accumulation_steps: int(1),
  lr_scheduler_type: oneOf(LR_SCHEDULER_TYPES),
  warmup_ratio: num((x) => x >= 0 && x <= 1, 'in [0, 1]'),
  warmup_steps: int(0),
  weight_decay: num((x) => x >= 0, 'a number ≥ 0'),
  adam_beta1: num((x) => x >= 0 && x < 1, 'in [0, 1)'),
  adam_beta2: num((x) => x >= 0 && x < 1, 'in [0, 1)'),
  adam_epsilon: num((x) => x > 0, 'a positive number'),
  max_grad_norm: num((x) => x >= 0, 'a number ≥ 0 (0 disables clipping)'),
  seed: (v) => (isNum(v) && Number.isSafeInteger(v) && v >= 0 ? undefined : `must be a non-negative integer, got ${show(v)}`),
  logging_steps: int(1),
  save_steps: int(0),
  eval_steps: int(0),
  use_peft: bool,
};

const IGNORED_FIELDS: Record<string, string> = {
  packing: 'examples are not packed (each is one prompt and its completion)',
  output_dir: 'checkpoints are saved in the browser',
  dataset_text_field: 'examples are question / context / answer rows',
};

export interface SFTConfigValidation {
  config: SFTConfig;
  errors: string[];
  warnings: string[];
}

export function validateSftConfig(input: SFTConfigInput | Record<string, unknown>): SFTConfigValidation {
  const { config, errors, warnings, invalid } = validateFields<SFTConfig>(DEFAULT_SFT_CONFIG, CHECKS, { ...(input as Record<string, unknown>) }, IGNORED_FIELDS);
  if (!invalid.has('max_prompt_length') && !invalid.has('max_length') && config.max_prompt_length >= config.max_length) {
    errors.push(`max_prompt_length (${config.max_prompt_length}) must be below max_length (${config.max_length}): no room is left for the completion`);
  }
  if (!invalid.has('warmup_steps') && config.max_steps > 0 && config.warmup_steps > config.max_steps) errors.push(`warmup_steps (${config.warmup_steps}) must not exceed max_steps (${config.max_steps})`);
  return { config, errors, warnings };
}

/** Examples per optimizer step. */
export const sftExamplesPerStep = (c: Pick<SFTConfig, 'per_device_train_batch_size' | 'gradient_accumulation_steps'>) => c.per_device_train_batch_size * c.gradient_accumulation_steps;

/** Optimizer steps of the warm-up: max_steps, or num_train_epochs passes over `trainSize` examples. */
export function sftTotalSteps(c: Pick<SFTConfig, 'max_steps' | 'num_train_epochs' | 'per_device_train_batch_size' | 'gradient_accumulation_steps'>, trainSize: number): number {
  if (c.max_steps > 0) return c.max_steps;
  return Math.max(1, Math.ceil((c.num_train_epochs * trainSize) / sftExamplesPerStep(c)));
}
