import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../src/grpo/config';
import {
  changedSettings,
  DEFAULT_FORM,
  errorsByField,
  formatSettingValue,
  promptsPerStepOf,
  SCALAR_SETTINGS,
  settingsNamedIn,
  validateSettings,
  type SettingsForm,
} from '../../../src/ui/settings-form';

const form = (change: Partial<SettingsForm>): SettingsForm => ({ ...DEFAULT_FORM, ...change });

describe('settings form', () => {
  it('shows the TRL fields the brief names, each defaulting from DEFAULT_CONFIG', () => {
    for (const name of ['learning_rate', 'num_generations', 'max_prompt_length', 'max_completion_length', 'max_steps', 'beta', 'epsilon', 'loss_type', 'scale_rewards', 'temperature', 'top_p', 'gradient_accumulation_steps', 'max_grad_norm', 'warmup_ratio', 'lr_scheduler_type', 'weight_decay', 'seed', 'lora_r', 'lora_alpha', 'save_steps', 'eval_steps'] as const) {
      expect(SCALAR_SETTINGS).toContain(name);
      const shown = DEFAULT_FORM[name];
      expect(typeof DEFAULT_CONFIG[name] === 'number' ? Number(shown) : shown).toEqual(DEFAULT_CONFIG[name]);
    }
    expect(DEFAULT_FORM.lora_target_modules).toEqual(DEFAULT_CONFIG.lora_target_modules);
  });

  it('writes small numbers as a person would', () => {
    expect(formatSettingValue(5e-6)).toBe('5e-6');
    expect(formatSettingValue(0.1)).toBe('0.1');
    expect(formatSettingValue(0)).toBe('0');
    expect(formatSettingValue('cosine')).toBe('cosine');
  });

  it('the defaults validate with no errors and round-trip to DEFAULT_CONFIG', () => {
    const v = validateSettings(DEFAULT_FORM);
    expect(v.errors).toEqual([]);
    expect(v.config).toEqual(DEFAULT_CONFIG);
    expect(v.input.learning_rate).toBe(5e-6);
  });

  it('puts a range error under its field, with validateConfig\'s words', () => {
    const v = validateSettings(form({ top_p: '1.5' }));
    expect(v.fieldErrors.top_p).toEqual(['top_p must be in (0, 1], got 1.5']);
    expect(v.otherErrors).toEqual([]);
    expect(v.config.top_p).toBe(DEFAULT_CONFIG.top_p);
  });

  it('says that text is not a number, and that an empty field is required', () => {
    const v = validateSettings(form({ learning_rate: 'fast', max_steps: ' ' }));
    expect(v.fieldErrors.learning_rate).toEqual(["learning_rate must be a number, got 'fast'"]);
    expect(v.fieldErrors.max_steps).toEqual(['max_steps is required']);
  });

  it('shows a cross-field error under every field it names', () => {
    const v = validateSettings(form({ num_generations: '3' }));
    expect(v.errors).toHaveLength(1);
    expect(v.fieldErrors.num_generations).toEqual(v.errors);
    expect(v.fieldErrors.per_device_train_batch_size).toEqual(v.errors);
    expect(v.fieldErrors.gradient_accumulation_steps).toEqual(v.errors);
  });

  it('an empty target-module list is an error on that field', () => {
    const v = validateSettings(form({ lora_target_modules: [] }));
    expect(v.fieldErrors.lora_target_modules?.[0]).toMatch(/^lora_target_modules must be a non-empty list/);
  });

  it('matches field names as whole words (epsilon is not epsilon_high)', () => {
    expect(settingsNamedIn('epsilon_high (0.1) is below epsilon (0.2)', ['epsilon'])).toEqual(['epsilon']);
    expect(settingsNamedIn('epsilon_high must be null', ['epsilon'])).toEqual([]);
    expect(errorsByField(['warmup_steps (5) must not exceed max_steps (3)'], ['max_steps'])).toEqual({
      fieldErrors: { max_steps: ['warmup_steps (5) must not exceed max_steps (3)'] },
      otherErrors: [],
    });
    expect(errorsByField(['something else'], ['max_steps'])).toEqual({ fieldErrors: {}, otherErrors: ['something else'] });
  });

  it('lists the fields changed from the defaults', () => {
    expect(changedSettings(DEFAULT_FORM)).toEqual([]);
    expect(changedSettings(form({ max_steps: '3', lora_target_modules: ['q_proj'] }))).toEqual(['max_steps', 'lora_target_modules']);
    // Same modules in another order are not a change.
    expect(changedSettings(form({ lora_target_modules: [...DEFAULT_FORM.lora_target_modules].reverse() }))).toEqual([]);
  });

  it('counts prompts per step from the batch (2 prompts × 4 generations)', () => {
    expect(promptsPerStepOf({ per_device_train_batch_size: 8, gradient_accumulation_steps: 1, num_generations: 4 })).toBe(2);
    expect(promptsPerStepOf({ per_device_train_batch_size: 4, gradient_accumulation_steps: 2, num_generations: 4 })).toBe(2);
    expect(promptsPerStepOf({ per_device_train_batch_size: 4, gradient_accumulation_steps: 1, num_generations: 3 })).toBeNull();
  });
});
