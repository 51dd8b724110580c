import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseGemma3Config, type Gemma3Config } from '../../../src/model/config';
import { readLoraAdapter, type LoraModuleName } from '../../../src/model/peft';
import { SafetensorsReader } from '../../../src/model/safetensors';
import { openFileSource } from '../../../src/model/storage-node';
import {
  completionMask,
  finiteDifferenceGrad,
  gemma3Forward,
  grpoLoss,
  loadRefWeights,
  refLoraFromAdapter,
  relL2,
  tokenLogprobs,
  type LossCase,
  type RefLora,
  type RefWeights,
} from '../../reference/gemma3-ref';
import { fixturePath } from './fixture';

interface Cases {
  input_ids: number[][];
  attention_mask: number[][];
  prompt_len: number;
  advantages: number[];
  lora: { r: number; alpha: number };
}

let config: Gemma3Config;
let weights: RefWeights;
let lora: RefLora;
let expected: SafetensorsReader;
let lossCase: LossCase;
let cases: Cases;

async function openReader(path: string): Promise<SafetensorsReader> {
  return SafetensorsReader.open(await openFileSource(path));
}

beforeAll(async () => {
  config = parseGemma3Config(JSON.parse(readFileSync(fixturePath('config.json'), 'utf8')));
  const model = await openReader(fixturePath('model.safetensors'));
  weights = await loadRefWeights(model);
  await model.close();
  const adapterWeights = await openReader(fixturePath('adapter', 'adapter_model.safetensors'));
  const adapter = await readLoraAdapter(JSON.parse(readFileSync(fixturePath('adapter', 'adapter_config.json'), 'utf8')), adapterWeights, config);
  await adapterWeights.close();
  lora = refLoraFromAdapter(adapter);
  expected = await openReader(fixturePath('expected.safetensors'));
  cases = JSON.parse(readFileSync(fixturePath('cases.json'), 'utf8')) as Cases;
  lossCase = { inputIds: cases.input_ids, attentionMask: cases.attention_mask, promptLen: cases.prompt_len, advantages: cases.advantages };
});

const input = () => ({ inputIds: cases.input_ids, attentionMask: cases.attention_mask });

describe('reference forward vs HF transformers (fixture)', () => {
  it('base logits match (rel L2 < 1e-5)', async () => {
    const logits = gemma3Forward(config, weights, input());
    const err = relL2(logits, await expected.readFloat32('base_logits'));
    expect(err).toBeLessThan(1e-5);
  });

  it('LoRA logits match (rel L2 < 1e-5) and differ from the base logits', async () => {
    const logits = gemma3Forward(config, weights, input(), { lora });
    const want = await expected.readFloat32('lora_logits');
    expect(relL2(logits, want)).toBeLessThan(1e-5);
    expect(relL2(await expected.readFloat32('base_logits'), want)).toBeGreaterThan(1e-3);
  });

  it('token logprobs and loss match', async () => {
    const logits = gemma3Forward(config, weights, input(), { lora });
    const logp = tokenLogprobs(logits, cases.input_ids, config.vocabSize);
    expect(expected.info('token_logprobs').shape).toEqual([2, 23]);
    expect(relL2(logp, await expected.readFloat32('token_logprobs'))).toBeLessThan(1e-5);
    const loss = grpoLoss(logp, completionMask(cases.attention_mask, cases.prompt_len), cases.advantages);
    const [wantLoss] = await expected.readFloat32('loss');
    expect(Math.abs(loss - wantLoss!) / Math.abs(wantLoss!)).toBeLessThan(1e-5);
  });

  it('the padded row is unaffected by what the pad positions hold (keys masked out)', () => {
    const ids = cases.input_ids.map((r) => [...r]);
    ids[1]![22] = 123;
    ids[1]![23] = 45;
    const a = gemma3Forward(config, weights, input(), { lora });
    const b = gemma3Forward(config, weights, { inputIds: ids, attentionMask: cases.attention_mask }, { lora });
    const V = config.vocabSize;
    const T = ids[0]!.length;
    // Positions 0..21 of row 1 see only real tokens (21 is the first pad: its own key is masked).
    expect(relL2(b.subarray((T + 0) * V, (T + 22) * V), a.subarray((T + 0) * V, (T + 22) * V))).toBe(0);
  });

  it('uses the sliding window i - j < W: the fixture disagrees with a window one wider or narrower', async () => {
    const want = await expected.readFloat32('base_logits');
    for (const w of [config.slidingWindow - 1, config.slidingWindow + 1]) {
      const err = relL2(gemma3Forward({ ...config, slidingWindow: w }, weights, input()), want);
      expect(err).toBeGreaterThan(1e-4);
    }
  });
});

describe('fixture gradients vs float64 finite differences', () => {
  // A few matrices across layer types and both attention and MLP; ~20 sampled entries each.
  const picks: Array<[number, LoraModuleName, 'A' | 'B']> = [
    [0, 'q_proj', 'A'],
    [2, 'v_proj', 'B'],
    [5, 'down_proj', 'B'],
    [4, 'gate_proj', 'A'],
  ];

  it.each(picks)('grad of layer %i %s lora_%s (20 entries, rel error < 1e-4)', async (layer, module, which) => {
    const parent = module.endsWith('proj') && ['gate_proj', 'up_proj', 'down_proj'].includes(module) ? 'mlp' : 'self_attn';
    const name = `grad.model.layers.${layer}.${parent}.${module}.lora_${which}.weight`;
    const grad = await expected.readFloat32(name);
    // Deterministic sample of 20 distinct entries.
    const indices: number[] = [];
    let s = 12345 + layer * 7 + which.charCodeAt(0);
    while (indices.length < 20) {
      s = (s * 16807) % 2147483647; // Park-Miller: exact in doubles

      const i = s % grad.length;
      if (!indices.includes(i)) indices.push(i);
    }
    const fd = finiteDifferenceGrad(config, weights, lossCase, lora, layer, module, which, indices);
    const hf = indices.map((i) => grad[i]!);
    expect(relL2(fd, hf)).toBeLessThan(1e-4);
  });
});
