/**
 * The merged model through our own runner (wasm): a runner with no LoRA on the merged weights gives
 * the logits of the base runner with the adapter, on the shipped tiny model (BF16) and on an F32
 * copy of it (where the merge loses nothing to rounding).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseGemma3Config, type Gemma3Config } from '../../../src/model/config';
import { applyAdapter } from '../../../src/grpo/export';
import { Gemma3Runner } from '../../../src/model/gemma3-runner';
import { planMerge, writeMergedWeights } from '../../../src/model/merge';
import { loraSpecOf } from '../../../src/model/parity';
import { createLoraAdapter, type LoraAdapter } from '../../../src/model/peft';
import { MemoryByteSource, SafetensorsReader, serializeSafetensors, type TensorReader } from '../../../src/model/safetensors';
import { openFileSource } from '../../../src/model/storage-node';
import { ensureTinyModel } from '../../../src/model/tiny-model-node';
import { TensorStore } from '../../../src/runtime/device';
import { relL2, rng } from '../../support/random';

const TINY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../public/models/tiny-gemma3');

async function merge(base: TensorReader, cfg: Gemma3Config, adapter: LoraAdapter): Promise<SafetensorsReader> {
  const plan = planMerge(base, cfg, adapter);
  const chunks: Uint8Array[] = [];
  await writeMergedWeights(plan, base, async (b) => void chunks.push(b.slice()));
  const bytes = new Uint8Array(plan.layout.byteLength);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  return SafetensorsReader.open(new MemoryByteSource(bytes, 'merged'));
}

async function asFloat32(reader: TensorReader): Promise<SafetensorsReader> {
  const tensors = [];
  for (const t of reader.tensors) tensors.push({ name: t.name, shape: t.shape, data: await reader.readFloat32(t.name) });
  return SafetensorsReader.open(new MemoryByteSource(serializeSafetensors(tensors), 'f32 copy'));
}

async function logits(cfg: Gemma3Config, weights: TensorReader, adapter: LoraAdapter | null): Promise<Float32Array> {
  const runner = await Gemma3Runner.load(cfg, weights, await TensorStore.create('wasm'), { lora: adapter ? loraSpecOf(adapter) : { modules: {} } });
  try {
    if (adapter) applyAdapter(runner, adapter);
    const inputIds = [[2, 818, 5279, 529, 7001, 236761, 107, 9], [2, 3041, 11, 4000, 262, 17, 18, 19]];
    return await runner.logits({ inputIds, attentionMask: inputIds.map((r) => r.map(() => 1)) }, adapter ? 1 : 0);
  } finally {
    await runner.release();
  }
}

describe('merged model through the runner (wasm)', () => {
  let cfg: Gemma3Config;
  let base: SafetensorsReader;
  let adapter: LoraAdapter;

  beforeAll(async () => {
    await ensureTinyModel(TINY);
    cfg = parseGemma3Config(JSON.parse(await readFile(path.join(TINY, 'config.json'), 'utf8')));
    base = await SafetensorsReader.open(await openFileSource(path.join(TINY, 'model.safetensors')));
    const rand = rng(7);
    adapter = createLoraAdapter(cfg, { r: 4, alpha: 8, random: rand });
    for (const mods of adapter.tensors) for (const w of Object.values(mods)) w!.B.forEach((_, i, b) => (b[i] = (2 * rand() - 1) * 0.3));
  });
  afterAll(async () => base?.close());

  it('F32 copy of the tiny model: merged logits = base + adapter logits (relative L2 < 1e-5), and the adapter moved them', async () => {
    const base32 = await asFloat32(base);
    const withAdapter = await logits(cfg, base32, adapter);
    const merged = await logits(cfg, await merge(base32, cfg, adapter), null);
    const plain = await logits(cfg, base32, null);
    const err = relL2(merged, withAdapter);
    const moved = relL2(plain, withAdapter);
    console.log(`F32: merged vs base+adapter relative L2 ${err.toExponential(2)}; base vs base+adapter ${moved.toExponential(2)}`);
    expect(moved).toBeGreaterThan(1e-2);
    expect(err).toBeLessThan(1e-5);
  });

  it('BF16 tiny model: the merged BF16 weights give the same logits up to BF16 rounding (relative L2 < 1e-2, far below the adapter\'s effect)', async () => {
    const withAdapter = await logits(cfg, base, adapter);
    const merged = await merge(base, cfg, adapter);
    expect(merged.info('model.layers.0.self_attn.q_proj.weight').dtype).toBe('BF16');
    const mergedLogits = await logits(cfg, merged, null);
    const moved = relL2(await logits(cfg, base, null), withAdapter);
    const err = relL2(mergedLogits, withAdapter);
    console.log(`BF16: merged vs base+adapter relative L2 ${err.toExponential(2)}; base vs base+adapter ${moved.toExponential(2)}`);
    expect(err).toBeLessThan(1e-2);
    expect(err).toBeLessThan(moved / 10);
  });
});
