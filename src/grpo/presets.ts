/**
 * GRPO settings for the demo model that ships with the app (src/model/demo-model.ts). The defaults
 * of GRPOConfig follow the Gemma-3-1B recipe of document 000 (learning rate 5e-6, 768-token
 * completions), made for a model ~500× larger that already writes SQL; the demo model learns in a
 * few hundred steps with these instead. The dashboard switches to them when the demo model is
 * picked, the CLI starts from them with --model demo, and bench/learning.ts measures them.
 */
import type { GRPOConfigInput } from './config';

export const DEMO_GRPO_CONFIG: Readonly<GRPOConfigInput> = Object.freeze({
  max_steps: 200,
  num_generations: 8,
  per_device_train_batch_size: 16,
  gradient_accumulation_steps: 1,
  // Its answers are short: a one-line plan and one query.
  max_completion_length: 96,
  max_prompt_length: 256,
  learning_rate: 1e-3,
  lr_scheduler_type: 'constant_with_warmup',
  warmup_ratio: 0.05,
  weight_decay: 0,
  max_grad_norm: 1,
  beta: 0,
  loss_type: 'dapo',
  temperature: 1,
  top_p: 1,
  top_k: 0,
  lora_r: 16,
  lora_alpha: 32,
  save_steps: 25,
  eval_steps: 25,
});
