import { describe, expect, it } from 'vitest';
import { rewardsFromPreset, type Setup } from '../../../src/ui/run-request';
import { DEFAULT_FORM } from '../../../src/ui/settings-form';
import { summarizeSetup } from '../../../src/ui/setup-summary';
import { DEFAULT_WARMUP_FORM } from '../../../src/ui/warmup-form';

const base: Setup = {
  model: { kind: 'hub', repo: 'unsloth/gemma-3-1b-it', token: 'hf_secret' },
  dataset: { kind: 'hub', id: 'b-mc2/sql-create-context' },
  settings: { ...DEFAULT_FORM },
  warmup: { ...DEFAULT_WARMUP_FORM },
  rewards: rewardsFromPreset('default'),
  mode: 'lora',
  backend: 'webgpu',
};

const asText = (setup: Setup) => Object.fromEntries(summarizeSetup(setup).items.map((i) => [i.label, i.value]));

describe('setup summary line', () => {
  it('names the model, dataset, rewards, mode and batch, and never the token', () => {
    const text = asText({ ...base, settings: { ...DEFAULT_FORM, per_device_train_batch_size: '8', num_generations: '4', max_steps: '3' } });
    const enabled = base.rewards.filter((r) => r.enabled).length;
    expect(text).toEqual({
      Model: 'unsloth/gemma-3-1b-it',
      Dataset: 'b-mc2/sql-create-context',
      Rewards: `${enabled} functions`,
      Mode: 'LoRA on WebGPU',
      Batch: '2 prompts × 4, 3 steps',
    });
    expect(JSON.stringify(summarizeSetup(base))).not.toContain('hf_secret');
    expect(summarizeSetup(base).problems).toEqual([]);
  });

  it('says which bundled or uploaded source, the mode and the CPU backend', () => {
    expect(asText({ ...base, model: { kind: 'bundled-tiny' }, dataset: { kind: 'sample' }, mode: 'both', backend: 'wasm' })).toMatchObject({
      Model: 'tiny (bundled)',
      Dataset: 'sample (bundled)',
      Mode: 'LoRA + hints on the CPU (wasm)',
    });
    expect(asText({ ...base, dataset: { kind: 'upload', file: null } }).Dataset).toBe('(no file chosen)');
  });

  it('counts what stops Train: bad settings, no rewards, a bad repo id', () => {
    const summary = summarizeSetup({
      ...base,
      model: { kind: 'hub', repo: 'not a repo', token: '' },
      settings: { ...DEFAULT_FORM, top_p: '1.5', learning_rate: 'fast' },
      rewards: base.rewards.map((r) => ({ ...r, enabled: false })),
    });
    const text = Object.fromEntries(summary.items.map((i) => [i.label, i.value]));
    expect(text.Batch).toBe('2 settings to fix');
    expect(text.Rewards).toBe('none');
    expect(summary.problems).toEqual([
      'Model: "not a repo" is not a Hugging Face repo id (owner/name)',
      "Settings: learning_rate must be a number, got 'fast'",
      'Settings: top_p must be in (0, 1], got 1.5',
      'Rewards: choose at least one reward function',
    ]);
  });
});
