/**
 * The merged model (src/model/merge.ts) against two independent references: a plain float64
 * W + scale·B·A written here, and PEFT's own merge_and_unload() (when Python with torch and peft is
 * at hand; skipped with the reason printed otherwise).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseGemma3Config, type Gemma3Config } from '../../../src/model/config';
import { LAYER_WEIGHTS, layerWeightKey, layerWeightShape } from '../../../src/model/gemma3-layer';
import { EMBED_TENSOR, MergeError, planMerge, STORAGE_MARGIN_BYTES, storageShortfall, writeMergedWeights } from '../../../src/model/merge';
import { mergeAdapterFolders, openModelFolder } from '../../../src/model/merge-node';
import { createLoraAdapter, LORA_MODULES, MODULE_PARENT, type LoraAdapter } from '../../../src/model/peft';
import { float32ToBf16Bytes, float32ToF16Bytes, MemoryByteSource, SafetensorsReader, serializeSafetensors, type TensorReader, type TensorToWrite } from '../../../src/model/safetensors';
import { openFileSource } from '../../../src/model/storage-node';
import { relL2, rng } from '../../support/random';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

const SMALL = {
  model_type: 'gemma3_text', vocab_size: 96, hidden_size: 24, intermediate_size: 40, num_hidden_layers: 2,
  num_attention_heads: 2, num_key_value_heads: 1, head_dim: 8, query_pre_attn_scalar: 8, rms_norm_eps: 1e-6,
  sliding_window: 16, layer_types: ['sliding_attention', 'full_attention'], max_position_embeddings: 128,
  rope_theta: 1_000_000, rope_local_base_freq: 10_000, hidden_activation: 'gelu_pytorch_tanh', tie_word_embeddings: true,
};

function smallConfig(overrides: Record<string, unknown> = {}): Gemma3Config {
  return parseGemma3Config({ ...SMALL, ...overrides });
}

type FloatDtype = 'F32' | 'BF16' | 'F16';

/** A random base model's safetensors in `dtype` (and its exact values as float32, after rounding). */
async function randomBase(cfg: Gemma3Config, dtype: FloatDtype, seed: number): Promise<TensorReader> {
  const rand = rng(seed);
  const shapes: Array<[string, number[]]> = [[EMBED_TENSOR, [cfg.vocabSize, cfg.hiddenSize]], ['model.norm.weight', [cfg.hiddenSize]]];
  for (let l = 0; l < cfg.numLayers; l++) for (const n of LAYER_WEIGHTS) shapes.push([layerWeightKey(l, n), layerWeightShape(cfg, n)]);
  const tensors: TensorToWrite[] = shapes.map(([name, shape]) => {
    const v = new Float32Array(shape.reduce((a, b) => a * b, 1)).map(() => 2 * rand() - 1);
    if (dtype === 'F32') return { name, shape, data: v };
    return { name, shape, dtype, bytes: dtype === 'BF16' ? float32ToBf16Bytes(v) : float32ToF16Bytes(v) };
  });
  return SafetensorsReader.open(new MemoryByteSource(serializeSafetensors(tensors, { format: 'pt' }), 'base'));
}

/** An rsLoRA adapter on some modules, with random nonzero B (a fresh one has B = 0). */
function randomAdapter(cfg: Gemma3Config, seed: number, targetModules = ['q_proj', 'v_proj', 'o_proj', 'up_proj', 'down_proj'] as typeof LORA_MODULES[number][]): LoraAdapter {
  const rand = rng(seed);
  const adapter = createLoraAdapter(cfg, { r: 4, alpha: 6, useRslora: true, targetModules, random: rand });
  for (const mods of adapter.tensors) for (const w of Object.values(mods)) w!.B.forEach((_, i, b) => (b[i] = (2 * rand() - 1) * 0.5));
  return adapter;
}

async function mergeInMemory(base: TensorReader, cfg: Gemma3Config, adapter: LoraAdapter): Promise<SafetensorsReader> {
  const plan = planMerge(base, cfg, adapter);
  const out = new Uint8Array(plan.layout.byteLength);
  let at = 0;
  await writeMergedWeights(plan, base, async (bytes) => {
    out.set(bytes, at);
    at += bytes.byteLength;
  });
  expect(at).toBe(plan.layout.byteLength);
  return SafetensorsReader.open(new MemoryByteSource(out, 'merged'));
}

/** W + (alpha / √r) B A in float64, written out from the definition. */
function reference64(W: Float32Array, adapter: LoraAdapter, layer: number, module: typeof LORA_MODULES[number]): Float64Array {
  const w = adapter.tensors[layer]![module]!;
  const scale = adapter.config.loraAlpha / Math.sqrt(adapter.config.r);
  const out = new Float64Array(W.length);
  for (let o = 0; o < w.outFeatures; o++) {
    for (let i = 0; i < w.inFeatures; i++) {
      let s = 0;
      for (let k = 0; k < w.rank; k++) s += w.B[o * w.rank + k]! * w.A[k * w.inFeatures + i]!;
      out[o * w.inFeatures + i] = W[o * w.inFeatures + i]! + scale * s;
    }
  }
  return out;
}

/** Half a unit in the last place of `x` in a format with `mantissaBits` stored bits and smallest normal exponent `minExp` (spacing is fixed below it). */
function halfUlp(x: number, mantissaBits: number, minExp = -126): number {
  return 2 ** (Math.max(Math.floor(Math.log2(Math.abs(x))), minExp) - mantissaBits - 1);
}

describe('merge against a float64 reference', () => {
  it('F32 base: every adapted projection equals W + (alpha/√r)·B·A to 1e-6 relative L2; everything else byte for byte', async () => {
    const cfg = smallConfig();
    const base = await randomBase(cfg, 'F32', 11);
    const adapter = randomAdapter(cfg, 12);
    const merged = await mergeInMemory(base, cfg, adapter);
    expect(merged.tensors.map((t) => t.name).sort()).toEqual(base.tensors.map((t) => t.name).sort());
    let adapted = 0;
    for (const t of base.tensors) {
      expect(merged.info(t.name).dtype).toBe('F32');
      const m = /^model\.layers\.(\d+)\.\w+\.(\w+)\.weight$/.exec(t.name);
      const module = m?.[2] as typeof LORA_MODULES[number] | undefined;
      if (m && module && adapter.tensors[Number(m[1])]![module]) {
        const ref = reference64(await base.readFloat32(t.name), adapter, Number(m[1]), module);
        const ours = await merged.readFloat32(t.name);
        expect(relL2(ours, ref), t.name).toBeLessThan(1e-6);
        expect(relL2(ours, await base.readFloat32(t.name)), `${t.name} changed`).toBeGreaterThan(1e-3);
        adapted++;
      } else {
        expect(Buffer.from(await merged.readBytes(t.name)).equals(Buffer.from(await base.readBytes(t.name))), t.name).toBe(true);
      }
    }
    expect(adapted).toBe(cfg.numLayers * 5);
  });

  for (const [dtype, bits, minExp] of [['BF16', 7, -126], ['F16', 10, -14]] as const) {
    it(`${dtype} base stays ${dtype}; each merged value is the exact one rounded once (half an ulp, plus float32 slack)`, async () => {
      const cfg = smallConfig();
      const base = await randomBase(cfg, dtype, 21);
      const adapter = randomAdapter(cfg, 22, [...LORA_MODULES]);
      const merged = await mergeInMemory(base, cfg, adapter);
      for (let l = 0; l < cfg.numLayers; l++) {
        for (const module of LORA_MODULES) {
          const name = `model.layers.${l}.${MODULE_PARENT[module]}.${module}.weight`;
          expect(merged.info(name).dtype).toBe(dtype);
          const W = await base.readFloat32(name);
          const ref = reference64(W, adapter, l, module);
          const ours = await merged.readFloat32(name);
          let worst = 0;
          for (let i = 0; i < ref.length; i++) {
            // Rounded once to the dtype, after float32 arithmetic (PEFT's): the delta and the sum carry
            // float32 rounding relative to their own size, which matters where W and the delta cancel.
            const f32Slack = 2 ** -23 * (Math.abs(W[i]!) + Math.abs(ref[i]! - W[i]!));
            worst = Math.max(worst, Math.abs(ours[i]! - ref[i]!) / (halfUlp(ref[i]!, bits, minExp) + f32Slack));
          }
          expect(worst, name).toBeLessThanOrEqual(1);
        }
      }
    });
  }

  it('refuses an adapter made for another base, naming the tensor that does not fit', async () => {
    const cfg = smallConfig();
    const base = await randomBase(cfg, 'F32', 31);
    const wider = smallConfig({ hidden_size: 32 });
    await expect(async () => planMerge(base, cfg, randomAdapter(wider, 32))).rejects.toThrow(
      /adapter tensors base_model\.model\.model\.layers\.0\.self_attn\.q_proj\.lora_B\.weight \[16, 4\] and base_model\.model\.model\.layers\.0\.self_attn\.q_proj\.lora_A\.weight \[4, 32\] do not fit the base's model\.layers\.0\.self_attn\.q_proj\.weight \[16, 24\]/,
    );
    const deeper = smallConfig({ num_hidden_layers: 3, layer_types: ['sliding_attention', 'sliding_attention', 'full_attention'] });
    await expect(async () => planMerge(base, cfg, randomAdapter(deeper, 33))).rejects.toThrow(/lora_A\.weight adapts model\.layers\.2\.self_attn\.q_proj, which the base model does not have \(its layers: 2\)/);
    const otherVocab = smallConfig({ vocab_size: 200 });
    await expect(async () => planMerge(base, otherVocab, randomAdapter(otherVocab, 34))).rejects.toThrow(MergeError);
    await expect(async () => planMerge(base, otherVocab, randomAdapter(otherVocab, 34))).rejects.toThrow(/model\.embed_tokens\.weight has 96 rows but its config\.json says vocab_size 200/);
  });
});

describe('storage check before writing in a browser', () => {
  const GiB = 2 ** 30;
  it('refuses a file that does not fit the free quota (with the margin), saying how much is needed and free', () => {
    expect(storageShortfall(1.5 * GiB, { quota: 10 * GiB, usage: 9 * GiB })).toBe(
      'the merged model needs 1.50 GiB of browser storage but only 1.00 GiB is free (quota 10.00 GiB, 9.00 GiB in use): free space (clear cached models or site data) or merge on the command line with npm run merge-adapter',
    );
    expect(storageShortfall(GiB - STORAGE_MARGIN_BYTES + 1, { quota: 10 * GiB, usage: 9 * GiB })).not.toBeNull();
  });
  it('lets a file through that fits, or when the browser gives no estimate', () => {
    expect(storageShortfall(GiB - STORAGE_MARGIN_BYTES, { quota: 10 * GiB, usage: 9 * GiB })).toBeNull();
    expect(storageShortfall(5 * GiB, {})).toBeNull();
  });
});

// --- PEFT's merge_and_unload() as the reference -------------------------------------------------

const PYTHON = process.env['PEFT_PYTHON'] ?? '/work/venv/bin/python';

function pythonProblem(): string | null {
  if (!existsSync(PYTHON)) return `${PYTHON} does not exist (set PEFT_PYTHON to a Python with torch, transformers and peft)`;
  const probe = spawnSync(PYTHON, ['-c', 'import torch, transformers, peft'], { encoding: 'utf8' });
  if (probe.status !== 0) return `${PYTHON} cannot import torch, transformers and peft: ${(probe.stderr || probe.error?.message || '').trim().split('\n').pop()}`;
  return null;
}

const noPython = pythonProblem();
if (noPython) console.log(`skipping the comparison with PEFT's merge_and_unload(): ${noPython}`);

describe.skipIf(noPython !== null)("merge against PEFT's merge_and_unload()", () => {
  it('matches tensor by tensor (1e-6 relative L2), same names, shapes and dtypes, config and generation config copied', { timeout: 180_000 }, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'peft-merge-'));
    try {
      const run = spawnSync(PYTHON, [path.join(repoRoot, 'tests/support/peft_merge_fixture.py'), dir], { encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      for (const name of ['f32-rslora', 'bf16']) {
        const out = path.join(dir, name, 'ours');
        const result = await mergeAdapterFolders(path.join(dir, name, 'base'), path.join(dir, name, 'adapter'), out);
        expect(result.files).toEqual(['model.safetensors', 'config.json', 'generation_config.json']);
        const theirs = await SafetensorsReader.open(await openFileSource(path.join(dir, name, 'merged', 'model.safetensors')));
        const ours = await SafetensorsReader.open(await openFileSource(path.join(out, 'model.safetensors')));
        const base = await openModelFolder(path.join(dir, name, 'base'));
        expect(ours.tensors.map((t) => t.name).sort()).toEqual(theirs.tensors.map((t) => t.name).sort());
        let changed = 0;
        let flips = 0;
        let values = 0;
        const errors: Record<string, number> = {};
        for (const t of theirs.tensors) {
          expect(ours.info(t.name).shape, t.name).toEqual(t.shape);
          expect(ours.info(t.name).dtype, t.name).toBe(t.dtype);
          const mine = await ours.readFloat32(t.name);
          const ref = await theirs.readFloat32(t.name);
          const err = relL2(mine, ref);
          errors[t.name] = err;
          if (t.dtype === 'F32') expect(err, `${name}: ${t.name}`).toBeLessThan(1e-6);
          else {
            // B·A's float32 sum is rounded in torch's (blocked) order and here from float64, so a
            // value next to a bfloat16 rounding boundary may land one ulp apart; nothing else may differ.
            for (let i = 0; i < ref.length; i++) {
              if (mine[i] === ref[i]) continue;
              flips++;
              expect(Math.abs(mine[i]! - ref[i]!), `${t.name}[${i}]`).toBeLessThanOrEqual(2 * halfUlp(ref[i]!, 7) * 1.0001);
            }
            values += ref.length;
            expect(err, `${name}: ${t.name}`).toBeLessThan(1e-4);
          }
          if (relL2(mine, await base.weights.readFloat32(t.name)) > 1e-3) changed++;
        }
        // f32-rslora: 5 modules on layers 0 and 2; bf16: 7 modules on 3 layers.
        expect(changed, name).toBe(name === 'bf16' ? 21 : 10);
        expect(flips, name).toBeLessThanOrEqual(values * 1e-3);
        console.log(`${name}: ${theirs.tensors.length} tensors, ${changed} merged, worst relative L2 ${Math.max(...Object.values(errors)).toExponential(2)}` + (values ? `, ${flips} of ${values} values one ulp apart` : ''));
        for (const f of ['config.json', 'generation_config.json']) {
          expect(await readFile(path.join(out, f), 'utf8')).toBe(await readFile(path.join(dir, name, 'base', f), 'utf8'));
        }
        await Promise.all([ours.close(), theirs.close(), base.weights.close()]);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
