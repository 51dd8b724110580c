import { describe, expect, it } from 'vitest';
import { buildSftMicroBatches, type SftItem } from '../../../src/sft/batches';
import { validateSftConfig } from '../../../src/sft/config';

const items: SftItem[] = [
  { promptIds: [2, 10, 11, 12], completionIds: [20, 21, 106], truncated: false, prunedTables: [] },
  { promptIds: [2, 13], completionIds: [22, 106], truncated: false, prunedTables: [] },
  { promptIds: [2, 14, 15, 16, 17, 18], completionIds: [23, 24, 25, 26, 106], truncated: false, prunedTables: [] },
];

describe('SFT micro-batches', () => {
  it('puts weight 1/N on each position that predicts a completion token, N over the whole step', () => {
    const mbs = buildSftMicroBatches(items, { per_device_train_batch_size: 2, completion_only_loss: true }, 0);
    expect(mbs.map((m) => m.inputIds.length)).toEqual([2, 1]);
    const n = 3 + 2 + 5; // completion tokens of the step
    let total = 0;
    for (const mb of mbs) {
      const seq = mb.inputIds[0]!.length;
      expect(seq % 32).toBe(0);
      mb.inputIds.forEach((row, b) => {
        const it = items[mbs.indexOf(mb) * 2 + b]!;
        expect(row.slice(0, it.promptIds.length + it.completionIds.length)).toEqual([...it.promptIds, ...it.completionIds]);
        expect(row.slice(it.promptIds.length + it.completionIds.length).every((id) => id === 0)).toBe(true);
        // Position t predicts row[t + 1]: the first in the loss is the last prompt token's.
        for (let t = 0; t < seq; t++) {
          const want = t >= it.promptIds.length - 1 && t < it.promptIds.length + it.completionIds.length - 1 ? 1 / n : 0;
          expect(mb.weights[b * seq + t]).toBeCloseTo(want, 7);
        }
      });
      expect([...mb.lossRows]).toEqual([...mb.weights.keys()].filter((i) => mb.weights[i]! > 0));
      total += mb.weights.reduce((a, b) => a + b, 0);
    }
    expect(total).toBeCloseTo(1, 6);
  });

  it('with completion_only_loss false, every real token after the first is in the loss', () => {
    const [mb] = buildSftMicroBatches(items.slice(0, 1), { per_device_train_batch_size: 4, completion_only_loss: false }, 0);
    expect([...mb!.lossRows]).toEqual([0, 1, 2, 3, 4, 5]);
    expect(mb!.weights[0]).toBeCloseTo(1 / 6, 7);
  });
});

describe('SFTConfig', () => {
  it('takes TRL names, fills defaults and names every bad field', () => {
    const ok = validateSftConfig({ learning_rate: 1e-4, num_train_epochs: 2, max_steps: -1, completion_only_loss: false });
    expect(ok.errors).toEqual([]);
    expect(ok.config.max_length).toBe(1024);
    const bad = validateSftConfig({ learning_rate: -1, max_steps: 0, use_peft: 'yes', max_length: 100, max_prompt_length: 200, packing: true } as Record<string, unknown>);
    expect(bad.errors.join('\n')).toMatch(/learning_rate/);
    expect(bad.errors.join('\n')).toMatch(/max_steps/);
    expect(bad.errors.join('\n')).toMatch(/use_peft/);
    expect(bad.errors.join('\n')).toMatch(/max_prompt_length \(200\) must be below max_length \(100\)/);
    expect(bad.warnings.join('\n')).toMatch(/packing is ignored/);
  });
});
