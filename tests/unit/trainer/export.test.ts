/**
 * PEFT export/import against the Hugging Face fixture (../shared/fixtures/tiny-gemma3-a/adapter,
 * written by PEFT 0.21): same file layout (tensor names, shapes, dtypes, config fields), exact
 * round trip of the values, logits reproduced by a fresh runner; Unsloth-style configs import too.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adapterMismatch, applyAdapter, exportAdapter, readAdapterFiles } from '../../../src/grpo/export';
import type { Gemma3Config } from '../../../src/model/config';
import { Gemma3Runner } from '../../../src/model/gemma3-runner';
import { loraSpecOf } from '../../../src/model/parity';
import { createLoraAdapter, PeftError } from '../../../src/model/peft';
import { MemoryByteSource, SafetensorsReader } from '../../../src/model/safetensors';
import { openFileSource } from '../../../src/model/storage-node';
import { TensorStore } from '../../../src/runtime/device';
import { FIXTURE } from '../../support/fixture-parity';
import { loadFixture } from '../../support/fixture-model';
import { relL2 } from '../../support/random';

const ADAPTER_DIR = path.join(FIXTURE, 'adapter');
const peftConfig = JSON.parse(readFileSync(path.join(ADAPTER_DIR, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
const peftTensors = new Uint8Array(readFileSync(path.join(ADAPTER_DIR, 'adapter_model.safetensors')));

let trained: Awaited<ReturnType<typeof loadFixture>>;
const batch = { inputIds: [[2, 105, 17, 200, 45, 300, 12, 7], [2, 105, 64, 65, 66, 67, 250, 251]], attentionMask: [[1, 1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1, 0, 0]] };

/** A runner over the fixture model whose LoRA is a different (fresh) adapter of the same setup. */
async function freshRunner(cfg: Gemma3Config): Promise<Gemma3Runner> {
  const model = await SafetensorsReader.open(await openFileSource(path.join(FIXTURE, 'model.safetensors')));
  const blank = createLoraAdapter(cfg, { r: 4, alpha: 8, random: () => 0.25 });
  const runner = await Gemma3Runner.load(cfg, model, await TensorStore.create('wasm'), { lora: loraSpecOf(blank) });
  applyAdapter(runner, blank);
  return runner;
}

beforeAll(async () => {
  trained = await loadFixture('wasm');
});
afterAll(async () => trained?.runner.release());

describe('PEFT adapter export', () => {
  it('writes the files PEFT writes for the same configuration', async () => {
    const files = await exportAdapter(trained.runner, { baseModelNameOrPath: null });
    const ours = JSON.parse(files.configJson) as Record<string, unknown>;
    expect(Object.keys(ours).sort()).toEqual(Object.keys(peftConfig).sort());
    for (const [k, v] of Object.entries(peftConfig)) {
      if (k === 'target_modules') expect(new Set(ours[k] as string[]), k).toEqual(new Set(v as string[]));
      else expect(ours[k], k).toEqual(v);
    }
    const mine = await SafetensorsReader.open(new MemoryByteSource(files.safetensors, 'ours'));
    const theirs = await SafetensorsReader.open(new MemoryByteSource(peftTensors, 'peft'));
    expect(mine.tensors.map((t) => t.name).sort()).toEqual(theirs.tensors.map((t) => t.name).sort());
    for (const t of theirs.tensors) {
      const m = mine.info(t.name);
      expect({ dtype: m.dtype, shape: m.shape }, t.name).toEqual({ dtype: t.dtype, shape: t.shape });
      expect(Buffer.from(await mine.readBytes(t.name)).equals(Buffer.from(await theirs.readBytes(t.name))), t.name).toBe(true);
    }
  });

  it('reloads into a fresh runner with the same logits', async () => {
    const files = await exportAdapter(trained.runner, { baseModelNameOrPath: 'hf-internal-testing/tiny-gemma3' });
    expect(JSON.parse(files.configJson).base_model_name_or_path).toBe('hf-internal-testing/tiny-gemma3');
    const runner = await freshRunner(trained.cfg);
    const want = await trained.runner.logits(batch);
    expect(relL2(await runner.logits(batch), want)).toBeGreaterThan(1e-3); // different LoRA before the import
    applyAdapter(runner, await readAdapterFiles(files, trained.cfg));
    expect(relL2(await runner.logits(batch), want)).toBeLessThan(1e-6);
    await runner.release();
  });

  it('imports an Unsloth-style adapter (regex target_modules, extra fields) and the PEFT original alike', async () => {
    const unslothConfig = {
      ...peftConfig,
      target_modules: '(?:.*?(?:language|text).*?(?:self_attn|attention|attn|mlp|feed_forward|ffn|dense).*?(?:q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj).*?)|(?:\\bmodel\\.layers\\.[\\d]{1,}\\.(?:self_attn|attention|attn|mlp|feed_forward|ffn|dense)\\.(?:q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj))',
      base_model_name_or_path: 'unsloth/gemma-3-1b-it',
      revision: null,
      use_dora: false,
    };
    const want = await trained.runner.logits(batch);
    for (const configJson of [JSON.stringify(unslothConfig), JSON.stringify(peftConfig)]) {
      const adapter = await readAdapterFiles({ configJson, safetensors: peftTensors }, trained.cfg);
      const runner = await freshRunner(trained.cfg);
      applyAdapter(runner, adapter);
      expect(relL2(await runner.logits(batch), want)).toBeLessThan(1e-6);
      await runner.release();
    }
  });

  it('refuses adapters the runner cannot take, saying why', async () => {
    const r8 = createLoraAdapter(trained.cfg, { r: 8, alpha: 8, random: () => 0.5 });
    expect(adapterMismatch(r8, trained.runner.options.lora)).toMatch(/rank 8.*rank 4/);
    expect(() => applyAdapter(trained.runner, r8)).toThrow(PeftError);
    const qOnly = createLoraAdapter(trained.cfg, { r: 4, alpha: 8, targetModules: ['q_proj'], random: () => 0.5 });
    expect(adapterMismatch(qOnly, trained.runner.options.lora)).toMatch(/k_proj is not adapted in the adapter/);
    await expect(readAdapterFiles({ configJson: '{not json', safetensors: peftTensors }, trained.cfg)).rejects.toThrow(/not JSON/);
    const partial = { ...peftConfig, layers_to_transform: [0, 1] };
    await expect(readAdapterFiles({ configJson: JSON.stringify(partial), safetensors: peftTensors }, trained.cfg)).rejects.toThrow(PeftError);
  });
});
