/**
 * A GRPO run's step shape for the memory planner (src/model/memory-plan.ts), from TRL's names, and
 * the plan applied back to them: the planner picks per_device_train_batch_size (at most the one
 * asked for) and gradient_accumulation_steps keeps completions per step the same.
 */
import type { Gemma3Config } from '../model/config';
import { choosePlan, type MemoryPlan, type StepShape } from '../model/memory-plan';
import type { WeightDtype } from '../model/weight-dtype';
import type { GRPOConfig } from './config';
import { bucketLength } from './trainer-batch';

type ShapeFields = Pick<GRPOConfig, 'per_device_train_batch_size' | 'gradient_accumulation_steps' | 'max_prompt_length' | 'max_completion_length' | 'lora_r' | 'lora_target_modules'>;

/** The step's shape at its largest: every prompt max_prompt_length, every completion max_completion_length. */
export function grpoStepShape(config: ShapeFields, stepsPerRun: number, weightDtype: WeightDtype = 'float32'): StepShape {
  return {
    weightDtype,
    completions: config.per_device_train_batch_size * config.gradient_accumulation_steps,
    seq: bucketLength(config.max_prompt_length + config.max_completion_length),
    lossRowsPerSequence: config.max_completion_length,
    lora: { r: config.lora_r, modules: config.lora_target_modules },
    generation: { promptLength: config.max_prompt_length, newTokens: config.max_completion_length, stepsPerRun },
  };
}

/** The fastest plan of this run within `budget` bytes; throws MemoryBudgetError when none fits. */
export function planGrpoStep(model: Gemma3Config, config: ShapeFields, budget: number, stepsPerRun: number, weightDtype: WeightDtype = 'float32'): MemoryPlan {
  return choosePlan(model, grpoStepShape(config, stepsPerRun, weightDtype), budget, config.per_device_train_batch_size);
}

/** Held-out questions generated at once when nothing else is asked (src/grpo/evaluate.ts). */
export const EVAL_BATCH_SIZE = 8;

/**
 * Evaluation's generation batch: at most the step's completions, whose generation (same prompt
 * length, same max_completion_length) the plan already holds, so evaluating needs no memory of its own.
 */
export function evalBatchSize(config: Pick<GRPOConfig, 'per_device_train_batch_size' | 'gradient_accumulation_steps'>, preferred = EVAL_BATCH_SIZE): number {
  return Math.max(1, Math.min(preferred, config.per_device_train_batch_size * config.gradient_accumulation_steps));
}

/** The config with the plan's micro-batch split (completions per step unchanged). */
export function withPlan<C extends ShapeFields>(config: C, plan: MemoryPlan): C {
  return { ...config, per_device_train_batch_size: plan.microBatch, gradient_accumulation_steps: plan.accumulationSteps };
}
