import { describe, expect, it } from 'vitest';
import { clipEpsilons, completionsPerStep, DEFAULT_CONFIG, promptsPerStep, resolveRewardWeights, validateConfig } from '../../../src/grpo/config';

describe('GRPOConfig defaults', () => {
  it("carry document 000's recipe and TRL's defaults", () => {
    const c = DEFAULT_CONFIG;
    expect([c.learning_rate, c.adam_beta1, c.adam_beta2, c.weight_decay, c.warmup_ratio, c.lr_scheduler_type]).toEqual([5e-6, 0.9, 0.99, 0.1, 0.1, 'cosine']);
    expect([c.num_generations, c.max_prompt_length, c.max_completion_length, c.max_steps, c.max_grad_norm]).toEqual([4, 256, 768, 50, 0.1]);
    expect([c.beta, c.epsilon, c.epsilon_high, c.loss_type, c.scale_rewards, c.num_iterations]).toEqual([0, 0.2, null, 'dapo', 'group', 1]);
    expect([c.temperature, c.top_p, c.top_k, c.adam_epsilon, c.seed]).toEqual([1, 1, 0, 1e-8, 42]);
    expect(validateConfig({})).toEqual({ config: { ...DEFAULT_CONFIG }, errors: [], warnings: [] });
  });

  it('one step takes one prompt with its 4 generations', () => {
    expect(completionsPerStep(DEFAULT_CONFIG)).toBe(4);
    expect(promptsPerStep(DEFAULT_CONFIG)).toBe(1);
  });
});

describe('validateConfig', () => {
  it('accepts valid overrides and fills in the rest', () => {
    const { config, errors } = validateConfig({ learning_rate: 1e-5, loss_type: 'grpo', per_device_train_batch_size: 2, gradient_accumulation_steps: 4, num_generations: 8 });
    expect(errors).toEqual([]);
    expect(config.learning_rate).toBe(1e-5);
    expect(config.loss_type).toBe('grpo');
    expect(promptsPerStep(config)).toBe(1); // 2 × 4 completions = one group of 8, across micro-batches
    expect(config.max_steps).toBe(50);
  });

  it("takes TRL's older boolean scale_rewards", () => {
    expect(validateConfig({ scale_rewards: true }).config.scale_rewards).toBe('group');
    expect(validateConfig({ scale_rewards: false }).config.scale_rewards).toBe('none');
    expect(validateConfig({ scale_rewards: 'batch' }).config.scale_rewards).toBe('batch');
  });

  it('num_generations must be at least 2', () => {
    const { errors } = validateConfig({ num_generations: 1, per_device_train_batch_size: 1 });
    expect(errors).toEqual([expect.stringMatching(/^num_generations must be an integer ≥ 2/)]);
  });

  it('the step batch must hold whole groups', () => {
    const { errors } = validateConfig({ per_device_train_batch_size: 3, gradient_accumulation_steps: 2, num_generations: 4 });
    expect(errors).toEqual(['per_device_train_batch_size × gradient_accumulation_steps (3 × 2 = 6 completions per step) must be divisible by num_generations (4)']);
  });

  it('reports each out-of-range or mistyped field by name and keeps its default', () => {
    const { config, errors } = validateConfig({
      learning_rate: -1,
      adam_beta2: 1,
      warmup_ratio: 1.5,
      lr_scheduler_type: 'polynomial',
      loss_type: 'ppo',
      epsilon: 1.2,
      top_p: 0,
      top_k: 2.5,
      max_steps: 0,
      reward_weights: [1, 'x'],
      lora_target_modules: ['q_proj', 'lm_head'],
      temperature: '1',
    } as never);
    expect(errors.map((e) => e.split(' ')[0]).sort()).toEqual(
      ['adam_beta2', 'epsilon', 'learning_rate', 'lora_target_modules', 'loss_type', 'lr_scheduler_type', 'max_steps', 'reward_weights', 'temperature', 'top_k', 'top_p', 'warmup_ratio'].sort(),
    );
    expect(errors).toContain("lr_scheduler_type must be one of 'cosine', 'linear', 'constant', 'constant_with_warmup', got 'polynomial'");
    expect(errors).toContain('learning_rate must be a positive number, got -1');
    expect(config.learning_rate).toBe(DEFAULT_CONFIG.learning_rate);
    expect(config.max_steps).toBe(50);
  });

  it('warns about unknown and ignored options instead of failing', () => {
    const { errors, warnings } = validateConfig({ num_train_epochs: 2, lerning_rate: 1 } as never);
    expect(errors).toEqual([]);
    expect(warnings).toEqual(['num_train_epochs is ignored: training length is max_steps', 'unknown option lerning_rate is ignored']);
  });

  it('warmup_steps may not exceed max_steps', () => {
    expect(validateConfig({ warmup_steps: 60 }).errors).toEqual(['warmup_steps (60) must not exceed max_steps (50)']);
  });

  it('returns copies: editing the result does not touch the defaults', () => {
    const { config } = validateConfig({ lora_target_modules: ['q_proj', 'v_proj'] });
    config.lora_target_modules.push('o_proj');
    expect(DEFAULT_CONFIG.lora_target_modules).toHaveLength(7);
  });
});

describe('helpers', () => {
  it('clipEpsilons: epsilon_high defaults to epsilon', () => {
    expect(clipEpsilons({ epsilon: 0.2, epsilon_high: null })).toEqual({ low: 0.2, high: 0.2 });
    expect(clipEpsilons({ epsilon: 0.2, epsilon_high: 0.28 })).toEqual({ low: 0.2, high: 0.28 });
  });

  it('resolveRewardWeights: null is all ones; a length mismatch is an error', () => {
    expect(resolveRewardWeights({ reward_weights: null }, ['a', 'b'])).toEqual([1, 1]);
    expect(resolveRewardWeights({ reward_weights: [2, 0.5] }, ['a', 'b'])).toEqual([2, 0.5]);
    expect(() => resolveRewardWeights({ reward_weights: [1] }, ['a', 'b'])).toThrow(/1 entries but there are 2 reward functions/);
  });
});
