/**
 * The test hub's gemma-3-1b-it repo (tests/support/gemma3-1b-repo.ts): the layout the loader
 * expects for the 1B model, the published size, reads by range that agree with each other, and
 * values with the scales asked for. The tensor list checked here is written out from the model
 * card's numbers (26 layers, hidden 1152, intermediate 6912, 4 query heads and 1 KV head of 256,
 * vocab 262,144, tied embeddings: 999,885,952 parameters), not from the module under test.
 */
import { describe, expect, it } from 'vitest';
import { gemma3_1bConfig, parseGemma3Config } from '../../../src/model/config';
import { FINAL_NORM } from '../../../src/model/gemma3-graphs';
import { LAYER_WEIGHTS, layerWeightKey, layerWeightShape } from '../../../src/model/gemma3-layer';
import { EMBED_KEY } from '../../../src/model/gemma3-runner';
import { SafetensorsReader, type ByteSource } from '../../../src/model/safetensors';
import { Gemma3Tokenizer } from '../../../src/model/tokenizer';
import { checkTokenizerFits } from '../../../src/worker/trainer-model';
import { gemma3_1bFiles, sqlCreateContextFiles, SQL_CREATE_CONTEXT_FILE } from '../../support/gemma3-1b-repo';

const files = gemma3_1bFiles(7);
const weights = files['model.safetensors'];
const source: ByteSource = { size: weights.size, description: 'model.safetensors', read: async (offset, length) => weights.read(offset, offset + length) };
const decode = (b: Uint8Array) => JSON.parse(new TextDecoder().decode(b)) as Record<string, unknown>;

describe("the test hub's gemma-3-1b-it", () => {
  it('has the published config (old-style rope fields), read as the 1B model', () => {
    const raw = decode(files['config.json']);
    expect(raw).toMatchObject({ rope_theta: 1_000_000, rope_local_base_freq: 10_000, sliding_window_pattern: 6, torch_dtype: 'bfloat16' });
    expect(raw).not.toHaveProperty('layer_types');
    expect(parseGemma3Config(raw)).toEqual(gemma3_1bConfig());
    expect(decode(files['generation_config.json'])).toMatchObject({ eos_token_id: [1, 106], top_k: 64, top_p: 0.95 });
  });

  it('holds every tensor the loader asks for, in bf16, 999,885,952 parameters in one ~2.0 GB file', async () => {
    const cfg = gemma3_1bConfig();
    const reader = await SafetensorsReader.open(source);
    const want = new Map<string, number[]>([[EMBED_KEY, [262_144, 1152]], [FINAL_NORM, [1152]]]);
    for (let l = 0; l < 26; l++) for (const n of LAYER_WEIGHTS) want.set(layerWeightKey(l, n), layerWeightShape(cfg, n));
    expect(reader.tensors.map((t) => t.name).sort()).toEqual([...want.keys()].sort());
    for (const t of reader.tensors) {
      expect(t.shape, t.name).toEqual(want.get(t.name));
      expect(t.dtype, t.name).toBe('BF16');
    }
    const perLayer = 1024 * 1152 * 2 + 256 * 1152 * 2 + 6912 * 1152 * 3 + 4 * 1152 + 2 * 256;
    const params = 262_144 * 1152 + 26 * perLayer + 1152;
    expect(params).toBe(999_885_952);
    expect(reader.tensors.reduce((a, t) => a + t.numel, 0)).toBe(params);
    // The size huggingface.co lists for google/gemma-3-1b-it's model.safetensors: header included, to the byte.
    expect(weights.size).toBe(1_999_811_208);
    // The header as the Python library writes it: metadata first, then tensors by name.
    const headerText = new TextDecoder().decode(await source.read(8, 200));
    expect(headerText.startsWith('{"__metadata__":{"format":"pt"},"model.embed_tokens.weight":{"dtype":"BF16","shape":[262144,1152],"data_offsets":[0,')).toBe(true);
  });

  it('reads by range consistently: any sub-range equals the slice of a larger read, the same every time', () => {
    const at = weights.tensors.find((t) => t.name === 'model.layers.3.mlp.up_proj.weight')!.fileOffset - 1001;
    const whole = weights.read(at, at + 40_000);
    for (const [a, b] of [[0, 1], [1, 2], [3, 7777], [1000, 1003], [39_999, 40_000], [12_345, 30_001]] as const) {
      expect(weights.read(at + a, at + b)).toEqual(whole.subarray(a, b));
    }
    expect(weights.read(at, at + 40_000)).toEqual(whole);
    // Another seed gives other weights, the same header.
    const other = gemma3_1bFiles(8)['model.safetensors'];
    expect(other.size).toBe(weights.size);
    expect(other.read(0, 4096)).toEqual(weights.read(0, 4096));
    expect(other.read(at, at + 64)).not.toEqual(whole.subarray(0, 64));
  });

  it('gives values with the scales asked for (uniform: mean ~0, RMS bound / sqrt 3)', async () => {
    const reader = await SafetensorsReader.open(source);
    const check = async (name: string, bound: number) => {
      const v = await reader.readFloat32(name);
      let sum = 0;
      let sq = 0;
      let max = 0;
      for (const x of v) {
        sum += x;
        sq += x * x;
        max = Math.max(max, Math.abs(x));
      }
      const rms = Math.sqrt(sq / v.length);
      expect(Math.abs(sum / v.length), name).toBeLessThan(0.02 * bound);
      expect(rms / (bound / Math.sqrt(3)), name).toBeCloseTo(1, 1);
      expect(max, name).toBeLessThanOrEqual(bound * 1.004); // bf16 rounding
    };
    await check('model.layers.0.self_attn.q_proj.weight', Math.sqrt(3 / 1152));
    await check('model.layers.25.mlp.down_proj.weight', Math.sqrt(3 / 6912));
    await check('model.layers.10.input_layernorm.weight', 0.1);
  });

  it('ships the real Gemma-3 tokenizer: 262,144 text ids, the chat template, ids that fit the config', () => {
    const tokenizerJson = decode(files['tokenizer.json']) as { model: { vocab: Record<string, number> } };
    expect(Object.keys(tokenizerJson.model.vocab).length).toBe(262_144);
    const tokenizer = Gemma3Tokenizer.fromJson(tokenizerJson, decode(files['tokenizer_config.json']));
    expect(tokenizer.special).toMatchObject({ bos: 2, eos: 1, pad: 0, startOfTurn: 105, endOfTurn: 106 });
    expect(tokenizer.renderChat([{ role: 'user', content: 'hi' }], { addGenerationPrompt: true })).toBe('<bos><start_of_turn>user\nhi<end_of_turn>\n<start_of_turn>model\n');
    expect(() => checkTokenizerFits({ modelId: 'google/gemma-3-1b-it', config: gemma3_1bConfig(), tokenizer })).not.toThrow();
  });

  it("has b-mc2/sql-create-context's data file: a JSON array of question, context, answer", () => {
    const rows = JSON.parse(new TextDecoder().decode(sqlCreateContextFiles()[SQL_CREATE_CONTEXT_FILE])) as Record<string, string>[];
    expect(rows.length).toBeGreaterThan(10);
    for (const r of rows) expect(Object.keys(r).sort()).toEqual(['answer', 'context', 'question']);
  });
});
