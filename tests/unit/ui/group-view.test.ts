import { describe, expect, it } from 'vitest';
import { advantageScaleOf, groupColours, rewardNamesOf } from '../../../src/ui/groups/group-colours';
import { progressArea, progressFraction, progressText } from '../../../src/ui/progress-areas';
import type { CompletionRecord, GroupRecord } from '../../../src/worker/training-api';

const hue = (colour: string) => Number(colour.match(/^hsl\((\d+) /)![1]);

function completion(index: number, rewards: Record<string, number>, total: number, advantage: number): CompletionRecord {
  return { index, text: '', sql: null, rewards, details: {}, total, advantage, length: 10, terminated: true };
}

const group: GroupRecord = {
  step: 3,
  promptIndex: 0,
  question: 'q',
  context: 'CREATE TABLE t (a INT)',
  goldSql: 'SELECT a FROM t',
  completions: [
    completion(0, { match_format_exactly: 3, my_reward: 10 }, 13, 1.2),
    completion(1, { match_format_exactly: 0, my_reward: 20 }, 20, -0.4),
    completion(2, { match_format_exactly: 0, my_reward: 15 }, 15, NaN),
  ],
  rewardMean: 16,
  rewardStd: 3.6,
};

describe('group table colours', () => {
  it('a known reward uses its registry range; an unknown one the range in the group', () => {
    const c = groupColours(group, 1.2);
    // match_format_exactly is 0 or 3: 3 is full green, 0 full red, whatever the group holds.
    expect(hue(c.reward('match_format_exactly', 3))).toBe(130);
    expect(hue(c.reward('match_format_exactly', 0))).toBe(0);
    expect(hue(c.reward('my_reward', 10))).toBe(0);
    expect(hue(c.reward('my_reward', 20))).toBe(130);
    expect(hue(c.reward('my_reward', 15))).toBe(65);
  });

  it('the total goes by the group, the advantage by the step scale around 0', () => {
    const c = groupColours(group, 1.2);
    expect(hue(c.total(13))).toBe(0);
    expect(hue(c.total(20))).toBe(130);
    expect(hue(c.advantage(1.2))).toBe(130);
    expect(hue(c.advantage(0))).toBe(65);
  });

  it('the step scale is the largest finite |advantage|; reward names keep the trainer order', () => {
    expect(advantageScaleOf([group])).toBe(1.2);
    expect(rewardNamesOf([group])).toEqual(['match_format_exactly', 'my_reward']);
  });
});

describe('progress areas', () => {
  it('puts downloads and weight loading under the model, dataset work under the dataset, the rest under the run', () => {
    expect(progressArea({ type: 'progress', label: 'model.safetensors', done: 1, total: 2, unit: 'bytes' })).toBe('model');
    expect(progressArea({ type: 'progress', label: 'loading weights', done: 1, total: 26, unit: 'tensors' })).toBe('model');
    expect(progressArea({ type: 'progress', label: 'dataset sql_create_context_v4.json', done: 1, total: 2, unit: 'bytes' })).toBe('dataset');
    expect(progressArea({ type: 'progress', label: 'validating rows', done: 10, total: 224, unit: 'items' })).toBe('dataset');
    expect(progressArea({ type: 'progress', label: 'compiling step graphs', done: 1, total: 9, unit: 'items' })).toBe('run');
  });

  it('says how far in words and as a fraction', () => {
    expect(progressText({ type: 'progress', label: 'x', done: 1.5 * 2 ** 20, total: 2 * 2 ** 30, unit: 'bytes' })).toBe('1.5 MiB of 2.0 GiB');
    expect(progressText({ type: 'progress', label: 'x', done: 3, total: 26, unit: 'tensors' })).toBe('3 of 26 tensors');
    expect(progressText({ type: 'progress', label: 'x', done: 1200, total: 0, unit: 'tokens' })).toBe('1,200 tokens');
    expect(progressFraction({ type: 'progress', label: 'x', done: 5, total: 4, unit: 'items' })).toBe(1);
    expect(progressFraction({ type: 'progress', label: 'x', done: 5, total: 0, unit: 'items' })).toBeNull();
  });
});
