import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { gemma3_1bConfig, parseGemma3Config } from '../../../src/model/config';
import {
  LORA_MODULES,
  createLoraAdapter,
  isTargeted,
  loraKey,
  moduleHyperparameters,
  parseLoraConfig,
  readLoraAdapter,
  serializeLoraAdapter,
} from '../../../src/model/peft';
import { MemoryByteSource, SafetensorsReader } from '../../../src/model/safetensors';
import { fixturePath } from './fixture';

const configJson = (): Record<string, unknown> => JSON.parse(readFileSync(fixturePath('adapter', 'adapter_config.json'), 'utf8'));
const weightBytes = () => new Uint8Array(readFileSync(fixturePath('adapter', 'adapter_model.safetensors')));
const model = () => parseGemma3Config(JSON.parse(readFileSync(fixturePath('config.json'), 'utf8')));
const reader = (bytes: Uint8Array) => SafetensorsReader.open(new MemoryByteSource(bytes, 'adapter_model.safetensors'));

/** Unsloth's target_modules regex for Gemma-3 (language layers only). */
const UNSLOTH_REGEX =
  '(?:.*?(?:language|text).*?(?:self_attn|attention|attn|mlp|feed_forward|ffn|dense).*?(?:q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj).*?)|(?:\\bmodel\\.layers\\.[\\d]{1,}\\.(?:self_attn|attention|attn|mlp|feed_forward|ffn|dense)\\.(?:(?:q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)))';

describe('reading the fixture adapter', () => {
  it('parses the config PEFT wrote', () => {
    const c = parseLoraConfig(configJson());
    expect(c).toMatchObject({ r: 4, loraAlpha: 8, useRslora: false, rankPattern: {}, alphaPattern: {}, taskType: 'CAUSAL_LM', loraDropout: 0 });
    expect([...(c.targetModules as string[])].sort()).toEqual([...LORA_MODULES].sort());
  });

  it('reads every layer and projection with PEFT key names and shapes', async () => {
    const w = await reader(weightBytes());
    const a = await readLoraAdapter(configJson(), w, model());
    expect(a.modulePrefix).toBe('model.');
    expect(a.tensors.length).toBe(6);
    expect(loraKey('model.', 2, 'q_proj', 'A')).toBe('base_model.model.model.layers.2.self_attn.q_proj.lora_A.weight');
    for (const [layer, modules] of a.tensors.entries()) {
      expect(Object.keys(modules).sort()).toEqual([...LORA_MODULES].sort());
      for (const mod of LORA_MODULES) {
        const m = modules[mod]!;
        expect(m.rank).toBe(4);
        expect(m.scale).toBe(2);
        expect(Array.from(m.A)).toEqual(Array.from(await w.readFloat32(loraKey('model.', layer, mod, 'A'))));
        expect(Array.from(m.B)).toEqual(Array.from(await w.readFloat32(loraKey('model.', layer, mod, 'B'))));
      }
    }
    expect(a.tensors[0]!.q_proj).toMatchObject({ inFeatures: 64, outFeatures: 64 });
    expect(a.tensors[0]!.k_proj).toMatchObject({ inFeatures: 64, outFeatures: 16 });
    expect(a.tensors[0]!.down_proj).toMatchObject({ inFeatures: 160, outFeatures: 64 });
    // B is not all zeros in the fixture, so LoRA changes the logits there.
    expect(a.tensors[3]!.v_proj!.B.some((x) => x !== 0)).toBe(true);
  });
});

describe('writing adapters', () => {
  it('round-trips the fixture: same tensor names, shapes, dtypes, values (bytes identical), same parsed config', async () => {
    const original = await reader(weightBytes());
    const adapter = await readLoraAdapter(configJson(), original, model());
    const out = serializeLoraAdapter(adapter);
    expect(Buffer.from(out.safetensors).equals(Buffer.from(weightBytes()))).toBe(true);
    const back = await reader(out.safetensors);
    expect(back.tensors.map((t) => [t.name, t.dtype, t.shape])).toEqual(original.tensors.map((t) => [t.name, t.dtype, t.shape]));
    const reparsed = JSON.parse(out.configJson);
    const { raw: rawA, ...a } = parseLoraConfig(configJson());
    const { raw: rawB, ...b } = parseLoraConfig(reparsed);
    expect(b).toEqual(a);
    expect(rawB).toEqual(rawA);
    expect(out.configJson.startsWith('{\n  "alora_invocation_tokens": null,\n  "alpha_pattern": {},')).toBe(true);
    const again = await readLoraAdapter(reparsed, back, model());
    expect(again.tensors[5]!.up_proj!.B).toEqual(adapter.tensors[5]!.up_proj!.B);
  });

  it('creates a PEFT-initialized adapter for Gemma-3-1B and writes it as BF16', async () => {
    let seed = 1;
    const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const cfg = gemma3_1bConfig();
    const adapter = createLoraAdapter(cfg, { r: 8, alpha: 16, targetModules: ['q_proj', 'v_proj'], random: rand, baseModelNameOrPath: 'google/gemma-3-1b-it' });
    expect(adapter.tensors.length).toBe(26);
    const q = adapter.tensors[0]!.q_proj!;
    expect([q.rank, q.inFeatures, q.outFeatures, q.scale]).toEqual([8, 1152, 1024, 2]);
    expect(adapter.tensors[0]!.v_proj!.outFeatures).toBe(256);
    expect(adapter.tensors[0]!.k_proj).toBeUndefined();
    expect(q.B.every((x) => x === 0)).toBe(true);
    const bound = 1 / Math.sqrt(1152);
    expect(q.A.every((x) => Math.abs(x) <= bound)).toBe(true);
    expect(Math.max(...q.A)).toBeGreaterThan(0.9 * bound);

    const out = serializeLoraAdapter(adapter, { dtype: 'BF16' });
    const cfgJson = JSON.parse(out.configJson);
    expect(cfgJson).toMatchObject({ r: 8, lora_alpha: 16, peft_type: 'LORA', task_type: 'CAUSAL_LM', base_model_name_or_path: 'google/gemma-3-1b-it', target_modules: ['q_proj', 'v_proj'], bias: 'none', use_rslora: false });
    const back = await readLoraAdapter(cfgJson, await reader(out.safetensors), cfg);
    expect(back.tensors[25]!.v_proj!.A.length).toBe(8 * 1152);
    const a0 = back.tensors[0]!.q_proj!.A;
    for (let i = 0; i < 50; i++) expect(Math.abs(a0[i]! - q.A[i]!)).toBeLessThanOrEqual(Math.abs(q.A[i]!) * 2 ** -8);
  });
});

describe('config semantics', () => {
  it('matches target_modules lists by suffix and regex strings by full match (Unsloth style)', () => {
    const list = parseLoraConfig({ ...configJson(), target_modules: ['q_proj', 'o_proj'] });
    expect(isTargeted(list, 'model.', 0, 'q_proj')).toBe(true);
    expect(isTargeted(list, 'model.', 0, 'k_proj')).toBe(false);
    const unsloth = parseLoraConfig({ ...configJson(), target_modules: UNSLOTH_REGEX });
    for (const m of LORA_MODULES) expect(isTargeted(unsloth, 'model.', 3, m)).toBe(true);
    const attnOnly = parseLoraConfig({ ...configJson(), target_modules: 'model\\.layers\\.\\d+\\.self_attn\\.(q|k|v|o)_proj' });
    expect(isTargeted(attnOnly, 'model.', 1, 'v_proj')).toBe(true);
    expect(isTargeted(attnOnly, 'model.', 1, 'up_proj')).toBe(false);
    expect(isTargeted(parseLoraConfig({ ...configJson(), target_modules: 'q_proj' }), 'model.', 0, 'q_proj')).toBe(false); // fullmatch, not search
    expect(isTargeted(parseLoraConfig({ ...configJson(), target_modules: 'all-linear' }), 'model.', 0, 'down_proj')).toBe(true);
    const layers = parseLoraConfig({ ...configJson(), layers_to_transform: [1, 2] });
    expect([0, 1, 2, 3].map((l) => isTargeted(layers, 'model.', l, 'q_proj'))).toEqual([false, true, true, false]);
    const excl = parseLoraConfig({ ...configJson(), exclude_modules: ['down_proj'] });
    expect(isTargeted(excl, 'model.', 0, 'down_proj')).toBe(false);
  });

  it('applies rsLoRA, rank_pattern and alpha_pattern', () => {
    const rs = parseLoraConfig({ ...configJson(), r: 16, lora_alpha: 8, use_rslora: true });
    expect(moduleHyperparameters(rs, 'model.', 0, 'q_proj').scale).toBe(2);
    const pat = parseLoraConfig({ ...configJson(), rank_pattern: { q_proj: 8, 'layers.1.mlp.down_proj': 2 }, alpha_pattern: { v_proj: 32 } });
    expect(moduleHyperparameters(pat, 'model.', 0, 'q_proj')).toEqual({ rank: 8, alpha: 8, scale: 1 });
    expect(moduleHyperparameters(pat, 'model.', 1, 'down_proj')).toEqual({ rank: 2, alpha: 8, scale: 4 });
    expect(moduleHyperparameters(pat, 'model.', 0, 'down_proj')).toEqual({ rank: 4, alpha: 8, scale: 2 });
    expect(moduleHyperparameters(pat, 'model.', 0, 'v_proj')).toEqual({ rank: 4, alpha: 32, scale: 8 });
  });

  it('rejects what it does not implement, naming the field', () => {
    const c = configJson();
    expect(() => parseLoraConfig({ ...c, use_dora: true })).toThrow(/"use_dora".*not supported/);
    expect(() => parseLoraConfig({ ...c, modules_to_save: ['lm_head'] })).toThrow(/"modules_to_save"/);
    expect(() => parseLoraConfig({ ...c, bias: 'all' })).toThrow(/"bias"/);
    expect(() => parseLoraConfig({ ...c, peft_type: 'IA3' })).toThrow(/"peft_type" must be "LORA"/);
    expect(() => parseLoraConfig({ ...c, r: 0 })).toThrow(/"r" must be a positive integer/);
    expect(() => parseLoraConfig({ ...c, target_modules: null })).toThrow(/missing field "target_modules"/);
    expect(() => parseLoraConfig({ ...c, target_modules: 'model\\.(' })).toThrow(/target_modules" regex/);
    expect(() => parseLoraConfig({ ...c, rank_pattern: { q_proj: -1 } })).toThrow(/rank_pattern.q_proj/);
  });

  it('rejects adapters that disagree with their config or the model', async () => {
    const w = await reader(weightBytes());
    await expect(readLoraAdapter({ ...configJson(), target_modules: ['q_proj'] }, w)).rejects.toThrow(/present but target_modules does not select model.layers.0.self_attn.k_proj/);
    await expect(readLoraAdapter({ ...configJson(), r: 8 }, w)).rejects.toThrow(/do not have the configured rank 8/);
    const big = parseGemma3Config({ ...JSON.parse(readFileSync(fixturePath('config.json'), 'utf8')), intermediate_size: 200 });
    await expect(readLoraAdapter(configJson(), w, big)).rejects.toThrow(/layers.0.mlp.gate_proj: adapter maps 64 → 160 but the model's gate_proj maps 64 → 200/);
    const eight = parseGemma3Config({ ...JSON.parse(readFileSync(fixturePath('config.json'), 'utf8')), num_hidden_layers: 8, layer_types: undefined, _sliding_window_pattern: 6 });
    await expect(readLoraAdapter(configJson(), w, eight)).rejects.toThrow(/missing base_model.model.model.layers.6.self_attn.q_proj.lora_A.weight/);
  });
});
