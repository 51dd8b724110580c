import { describe, expect, it } from 'vitest';
import { buildTrainingRequest, rewardsFromPreset, type Setup } from '../../../src/ui/run-request';
import { DEFAULT_FORM, DEMO_FORM, presetFormFor, sameForm } from '../../../src/ui/settings-form';
import { applyEvents, INITIAL_TRAINING_STATE, isActive } from '../../../src/ui/training-state';
import { DEFAULT_WARMUP_FORM, validateWarmup } from '../../../src/ui/warmup-form';
import { runAnnouncement } from '../../../src/ui/run-announcement';

const setup = (over: Partial<Setup> = {}): Setup => ({
  model: { kind: 'bundled-demo' },
  dataset: { kind: 'synthetic', size: '200', seed: '3' },
  settings: { ...DEMO_FORM },
  warmup: { ...DEFAULT_WARMUP_FORM },
  rewards: rewardsFromPreset('default'),
  mode: 'lora',
  backend: 'wasm',
  ...over,
});

describe('warm-up setup', () => {
  it('is off by default and adds nothing to the request', () => {
    const built = buildTrainingRequest(setup());
    expect('request' in built && built.request.warmup).toBe(undefined);
  });

  it('when on, sends the typed SFTConfig fields with use_peft', () => {
    const built = buildTrainingRequest(setup({ warmup: { enabled: true, max_steps: '12', learning_rate: '1e-3', per_device_train_batch_size: '4' } }));
    if (!('request' in built)) throw new Error(JSON.stringify(built.problems));
    expect(built.request.warmup).toEqual({ use_peft: true, max_steps: 12, learning_rate: 1e-3, per_device_train_batch_size: 4 });
  });

  it('names each bad field, and the request is refused under Settings', () => {
    const v = validateWarmup({ enabled: true, max_steps: '0', learning_rate: 'fast', per_device_train_batch_size: '2' });
    expect(v.fieldErrors.max_steps?.join()).toMatch(/max_steps must be -1 .* or an integer ≥ 1/);
    expect(v.fieldErrors.learning_rate?.join()).toMatch(/must be a number, got 'fast'/);
    expect(v.input).toBe(undefined);
    const built = buildTrainingRequest(setup({ warmup: { enabled: true, max_steps: '0', learning_rate: '1e-3', per_device_train_batch_size: '2' } }));
    expect('problems' in built && built.problems.settings?.join()).toMatch(/warm-up max_steps/);
  });
});

describe('demo model preset', () => {
  it('differs from the GRPOConfig defaults and belongs to the demo model only', () => {
    expect(sameForm(DEMO_FORM, DEFAULT_FORM)).toBe(false);
    expect(presetFormFor('bundled-demo')).toBe(DEMO_FORM);
    expect(presetFormFor('hub')).toBe(DEFAULT_FORM);
    expect(DEMO_FORM.max_completion_length).toBe('96');
  });
});

describe('warm-up events in the dashboard state', () => {
  it('keeps warm-up rows and evaluations apart from GRPO metrics; the phase is active and announced', () => {
    const s = applyEvents(INITIAL_TRAINING_STATE, [
      { type: 'phase', phase: 'warming-up' },
      { type: 'warmup-metrics', row: { step: 1, loss: 2.5, grad_norm: 1, learning_rate: 1e-3, epoch: 0.1 } },
      { type: 'warmup-metrics', row: { step: 2, loss: 2.1, grad_norm: 1, learning_rate: 1e-3, epoch: 0.2 } },
      { type: 'warmup-eval', record: { step: 2, execution_accuracy: 0.25, format_compliance: 1, examples: 8, prompts_pruned: 0, prompts_refused: 0 } },
    ]);
    expect(s.warmupMetrics.map((r) => r.loss)).toEqual([2.5, 2.1]);
    expect(s.warmupEvals).toHaveLength(1);
    expect(s.metrics).toEqual([]);
    expect(isActive(s.phase)).toBe(true);
    expect(runAnnouncement(s, 10)).toBe('Warm-up (supervised): step 2 done.');
  });
});
