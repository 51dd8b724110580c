import { describe, expect, it } from 'vitest';
import { hintGroupAdvantages } from '../../../src/hints/advantages';
import { DEFAULT_HINTS_CONFIG, HintsConfigError, isTrainingMode, resolveHintsConfig, trainsHints, trainsLora } from '../../../src/hints/config';
import { standardize } from '../../../src/rewards/advantages';

describe('hints configuration', () => {
  it("has document 003's defaults", () => {
    const c = resolveHintsConfig();
    expect(c).toMatchObject({ group_size: 4, temperature_sampling: 0.7, kl_coef: 0.05, scale_rewards: true, learning_rate: 0.1, min_advantage_threshold: 0.3 });
    expect(c).toEqual(DEFAULT_HINTS_CONFIG);
  });

  it('overlays overrides', () => {
    expect(resolveHintsConfig({ group_size: 8, decay: 0 })).toMatchObject({ group_size: 8, decay: 0, learning_rate: 0.1 });
  });

  it.each([
    [{ group_size: 1 }, /group_size must be >= 2/],
    [{ group_size: 4.5 }, /group_size must be an integer/],
    [{ temperature_sampling: 0 }, /temperature_sampling must be > 0/],
    [{ kl_coef: -0.1 }, /kl_coef must be >= 0/],
    [{ learning_rate: 0 }, /learning_rate must be > 0/],
    [{ learning_rate: Number.NaN }, /learning_rate must be a finite number/],
    [{ scale_rewards: 'yes' }, /scale_rewards must be true or false/],
    [{ std_convention: 'biased' }, /std_convention must be one of "sample", "population"/],
    [{ decay: 1 }, /decay must be <= 0.999/],
    [{ max_hints: 0 }, /max_hints must be >= 1/],
    [{ prompt_token_budget: -5 }, /prompt_token_budget must be >= 0/],
    [{ learnig_rate: 0.2 }, /unknown setting "learnig_rate"/],
    [{ learning_rate: 1, kl_coef: 1 }, /learning_rate \* kl_coef must be < 1/],
  ])('rejects %j', (overrides, message) => {
    expect(() => resolveHintsConfig(overrides)).toThrow(HintsConfigError);
    expect(() => resolveHintsConfig(overrides)).toThrow(message);
  });

  it('names every problem at once', () => {
    try {
      resolveHintsConfig({ group_size: 0, learning_rate: 5 });
      expect.unreachable();
    } catch (e) {
      expect((e as HintsConfigError).problems).toHaveLength(2);
    }
  });

  it('rejects a non-object', () => {
    expect(() => resolveHintsConfig([1])).toThrow(/expected an object/);
    expect(() => resolveHintsConfig(null)).toThrow(/expected an object/);
  });

  it('knows the training modes', () => {
    expect(['hints', 'lora', 'both'].every(isTrainingMode)).toBe(true);
    expect(isTrainingMode('weights')).toBe(false);
    expect([trainsHints('hints'), trainsHints('lora'), trainsHints('both')]).toEqual([true, false, true]);
    expect([trainsLora('hints'), trainsLora('lora'), trainsLora('both')]).toEqual([false, true, true]);
  });
});

describe("document 003's worked advantage example", () => {
  const rewards = [0.414, 0.497, 0.19, 0.34];
  const settings = { scale_rewards: true, advantage_epsilon: 0 };

  it('reproduces the printed advantages from the printed mean and std', () => {
    const printed = standardize(rewards, 0.36, 0.127).map((a) => Number(a.toFixed(3)));
    expect(printed).toEqual([0.425, 1.079, -1.339, -0.157]);
  });

  it('has mean 0.360, but neither std convention gives the printed 0.127', () => {
    const sample = hintGroupAdvantages(rewards, { ...settings, std_convention: 'sample' });
    const population = hintGroupAdvantages(rewards, { ...settings, std_convention: 'population' });
    expect(sample.mean.toFixed(3)).toBe('0.360');
    expect(sample.std.toFixed(4)).toBe('0.1304');
    expect(population.std.toFixed(4)).toBe('0.1129');
  });

  it('gives, with the sample std (TRL), the same signs, ranking and threshold decisions as the document', () => {
    const { advantages } = hintGroupAdvantages(rewards, { ...settings, std_convention: 'sample' });
    expect(advantages.map((a) => Number(a.toFixed(3)))).toEqual([0.412, 1.049, -1.306, -0.155]);
    const doc = [0.425, 1.079, -1.339, -0.157];
    advantages.forEach((a, i) => {
      expect(Math.sign(a)).toBe(Math.sign(doc[i]!));
      expect(Math.abs(a) > 0.3).toBe(Math.abs(doc[i]!) > 0.3);
      expect(Math.abs(a - doc[i]!)).toBeLessThan(0.04);
    });
  });

  it('without scaling gives reward - mean, and equal rewards give zeros, never NaN', () => {
    const { advantages } = hintGroupAdvantages(rewards, { scale_rewards: false, std_convention: 'sample', advantage_epsilon: 1e-4 });
    expect(advantages.map((a) => Number(a.toFixed(5)))).toEqual([0.05375, 0.13675, -0.17025, -0.02025]);
    expect(hintGroupAdvantages([0.5, 0.5, 0.5], { scale_rewards: true, std_convention: 'sample', advantage_epsilon: 0 }).advantages).toEqual([0, 0, 0]);
  });

  it('rejects non-finite rewards and empty groups', () => {
    const s = { scale_rewards: true, std_convention: 'sample' as const, advantage_epsilon: 1e-4 };
    expect(() => hintGroupAdvantages([0.1, Number.NaN], s)).toThrow(/reward 1 is not a finite number/);
    expect(() => hintGroupAdvantages([], s)).toThrow(/at least one reward/);
  });
});
