import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseGemma3Config } from '../../../src/model/config';
import { buildDecodeGraph } from '../../../src/model/gemma3-graphs';
import { FIXTURE } from '../../support/fixture-parity';

describe('decode graph inputs', () => {
  it('asks only for the masks and RoPE tables of the layer types the model has', async () => {
    const cfg = parseGemma3Config(JSON.parse(await readFile(path.join(FIXTURE, 'config.json'), 'utf8')));
    const names = (c: typeof cfg) => buildDecodeGraph(c, { batch: 1, seq: 1, cacheLen: 4, lora: { modules: {} }, shards: [{ start: 0, end: c.vocabSize }], sampling: { kind: 'greedy' } }).inputs.map((i) => i.tensor.name);
    expect(names(cfg)).toEqual(expect.arrayContaining(['mask.sliding_attention', 'mask.full_attention']));
    const slidingOnly = { ...cfg, layerTypes: cfg.layerTypes.map(() => 'sliding_attention' as const) };
    const inputs = names(slidingOnly);
    expect(inputs).toContain('mask.sliding_attention');
    expect(inputs.filter((n) => n.includes('full_attention'))).toEqual([]);
  });
});
