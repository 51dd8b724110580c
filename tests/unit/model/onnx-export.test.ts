/**
 * The transformers.js export loaded by transformers.js itself (@huggingface/transformers in Node, on
 * onnxruntime-node): its greedy generation equals our engine's (Generator on the wasm backend) for
 * fixed prompts, on the demo model (real SQL prompts, longer than its sliding window) and on a
 * random model with sliding and full layers (window 4, far shorter than the prompts) with a PEFT
 * adapter merged in; fp32 inline, fp32 with external data, fp16; a refused adapter; the files.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AutoModelForCausalLM, env, Tensor } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSyntheticCorpus } from '../../../src/dataset';
import { Generator } from '../../../src/generate/generator';
import { renderPrompt } from '../../../src/grpo/trainer-prompts';
import { Rng } from '../../../src/common/rng';
import { applyAdapter } from '../../../src/grpo/export';
import { Gemma3Runner } from '../../../src/model/gemma3-runner';
import { openModelFolder, readAdapterFolder, writeMergedFolder } from '../../../src/model/merge-node';
import { exportOnnxFolder } from '../../../src/model/onnx-export-node';
import { planOnnxExport } from '../../../src/model/onnx-export';
import { loraSpecOf } from '../../../src/model/parity';
import { LORA_MODULES, type LoraAdapter } from '../../../src/model/peft';
import { float32ToF16Bytes, MemoryByteSource, SafetensorsReader, serializeSafetensors, type TensorToWrite } from '../../../src/model/safetensors';
import { Gemma3Tokenizer } from '../../../src/model/tokenizer';
import { promptInputOf } from '../../../src/prompt';
import { TensorStore } from '../../../src/runtime/device';
import { DEFAULT_SPEC, writeRandomGemma3 } from '../../../scripts/make-random-gemma3';
import { relL2 } from '../../support/random';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const DEMO = path.join(ROOT, 'public/models/demo-sql');
const NEW_TOKENS = 24;

/** Our engine's greedy tokens, one prompt at a time and as one left-padded batch. */
async function ourGreedy(modelDir: string, adapter: LoraAdapter | null, prompts: number[][], stop: number[]): Promise<{ single: number[][]; batch: number[][] }> {
  const { config, weights } = await openModelFolder(modelDir);
  const runner = await Gemma3Runner.load(config, weights, await TensorStore.create('wasm'), { lora: adapter ? loraSpecOf(adapter) : { modules: {} } });
  try {
    if (adapter) applyAdapter(runner, adapter);
    const gen = new Generator(runner);
    const run = async (ps: number[][]) =>
      (await gen.generate(ps, { maxNewTokens: NEW_TOKENS, temperature: 0, topK: 0, topP: 1, stopTokenIds: stop }, Rng.fromSeed(1, 'onnx-export-test'))).completions;
    const single: number[][] = [];
    for (const p of prompts) single.push((await run([p]))[0]!);
    return { single, batch: await run(prompts) };
  } finally {
    await runner.release();
    await weights.close();
  }
}

/** transformers.js's greedy tokens on an exported folder, one prompt at a time and as one left-padded batch (up to a stop token). */
async function theirGreedy(dir: string, dtype: 'fp32' | 'fp16', prompts: number[][], stop: number[]): Promise<{ single: number[][]; batch: number[][] }> {
  env.allowRemoteModels = false;
  env.localModelPath = path.dirname(dir) + '/';
  const model = await AutoModelForCausalLM.from_pretrained(path.basename(dir), { dtype, device: 'cpu' });
  const cut = (ids: number[]) => {
    const at = ids.findIndex((id) => stop.includes(id));
    return at < 0 ? ids : ids.slice(0, at + 1);
  };
  const run = async (ps: number[][]) => {
    const width = Math.max(...ps.map((p) => p.length));
    const ids = ps.flatMap((p) => [...new Array<number>(width - p.length).fill(0), ...p]);
    const mask = ps.flatMap((p) => [...new Array<number>(width - p.length).fill(0), ...p.map(() => 1)]);
    const out = (await model.generate({
      input_ids: new Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [ps.length, width]),
      attention_mask: new Tensor('int64', BigInt64Array.from(mask.map(BigInt)), [ps.length, width]),
      max_new_tokens: NEW_TOKENS,
      do_sample: false,
      // Our engine stops per row; transformers.js pads finished rows, so compare up to the stop token.
      eos_token_id: stop,
    })) as Tensor;
    return (out.tolist() as bigint[][]).map((row) => cut(row.slice(width).map(Number)));
  };
  try {
    const single: number[][] = [];
    for (const p of prompts) single.push((await run([p]))[0]!);
    return { single, batch: await run(prompts) };
  } finally {
    await model.dispose();
  }
}

/** Our runner's logits [T, V] for one row (LoRA at `loraScale`). */
async function ourLogits(modelDir: string, adapter: LoraAdapter, ids: number[], loraScale: number): Promise<Float32Array> {
  const { config, weights } = await openModelFolder(modelDir);
  const runner = await Gemma3Runner.load(config, weights, await TensorStore.create('wasm'), { lora: loraSpecOf(adapter) });
  try {
    adapter.tensors.forEach((mods, l) => {
      for (const m of LORA_MODULES) {
        if (!mods[m]) continue;
        runner.setLora(l, m, 'A', mods[m]!.A);
        runner.setLora(l, m, 'B', mods[m]!.B);
      }
    });
    return await runner.logits({ inputIds: [ids], attentionMask: [ids.map(() => 1)] }, loraScale);
  } finally {
    await runner.release();
    await weights.close();
  }
}

/** transformers.js's forward (no cache) logits [T, V] for one row. */
async function theirLogits(dir: string, ids: number[]): Promise<Float32Array> {
  env.allowRemoteModels = false;
  env.localModelPath = path.dirname(dir) + '/';
  const model = await AutoModelForCausalLM.from_pretrained(path.basename(dir), { dtype: 'fp32', device: 'cpu' });
  try {
    const out = (await model({
      input_ids: new Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]),
      attention_mask: new Tensor('int64', BigInt64Array.from(ids.map(() => 1n)), [1, ids.length]),
    })) as { logits: Tensor };
    return Float32Array.from(out.logits.data as Float32Array);
  } finally {
    await model.dispose();
  }
}

const cutAtStop = (rows: number[][], stop: number[]) =>
  rows.map((ids) => {
    const at = ids.findIndex((id) => stop.includes(id));
    return at < 0 ? ids : ids.slice(0, at + 1);
  });

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'onnx-export-'));
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('transformers.js export of the demo model', () => {
  let prompts: number[][];
  let stop: number[];
  let ours: { single: number[][]; batch: number[][] };

  beforeAll(async () => {
    const tokenizer = Gemma3Tokenizer.fromJson(JSON.parse(await readFile(path.join(DEMO, 'tokenizer.json'), 'utf8')), JSON.parse(await readFile(path.join(DEMO, 'tokenizer_config.json'), 'utf8')));
    const { rows } = generateSyntheticCorpus({ size: 40, seed: 12 });
    prompts = [];
    for (const r of [rows[0]!, rows[17]!, rows[33]!]) {
      const rendered = renderPrompt(promptInputOf(r), tokenizer, 512);
      if (!rendered.ok) throw new Error(rendered.reason);
      prompts.push(rendered.prompt.ids);
    }
    stop = [...tokenizer.stopTokenIds];
    ours = await ourGreedy(DEMO, null, prompts, stop);
  }, 120_000);

  it('fp32: transformers.js greedy = our greedy, prompts longer than the sliding window, one by one and as a padded batch', async () => {
    const cfg = JSON.parse(await readFile(path.join(DEMO, 'config.json'), 'utf8')) as { sliding_window: number };
    expect(Math.min(...prompts.map((p) => p.length))).toBeGreaterThan(cfg.sliding_window);
    expect(new Set(prompts.map((p) => p.length)).size).toBeGreaterThan(1); // the batch is really padded
    const out = path.join(tmp, 'demo-fp32');
    const { files } = await exportOnnxFolder({ modelDir: DEMO, outDir: out, dtype: 'fp32' });
    expect(files).toEqual(expect.arrayContaining(['onnx/model.onnx', 'config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json']));
    expect(existsSync(path.join(out, 'onnx/model.onnx_data'))).toBe(false);
    const theirs = await theirGreedy(out, 'fp32', prompts, stop);
    console.log(`demo: ${prompts.map((p) => p.length).join('/')} prompt tokens; ours ${JSON.stringify(ours.single[0])}`);
    expect(ours.single.every((c) => c.length >= 8)).toBe(true);
    expect(theirs.single).toEqual(ours.single);
    expect(theirs.batch).toEqual(cutAtStop(ours.batch, stop));
  }, 240_000);

  it('fp32 with external data (onnx/model.onnx_data, named in config.json): the same tokens', async () => {
    const out = path.join(tmp, 'demo-ext');
    const { files } = await exportOnnxFolder({ modelDir: DEMO, outDir: out, dtype: 'fp32', external: true });
    expect(files).toContain('onnx/model.onnx_data');
    const config = JSON.parse(await readFile(path.join(out, 'config.json'), 'utf8'));
    expect(config['transformers.js_config']).toEqual({ dtype: 'fp32', use_external_data_format: { 'model.onnx': 1 } });
    const onnxBytes = (await readFile(path.join(out, 'onnx/model.onnx'))).byteLength;
    expect(onnxBytes).toBeLessThan(512 * 1024); // the weights are all outside
    const theirs = await theirGreedy(out, 'fp32', prompts.slice(0, 1), stop);
    expect(theirs.single[0]).toEqual(ours.single[0]);
  }, 240_000);
});

describe('transformers.js export of a random model with an adapter merged in', () => {
  const spec = {
    ...DEFAULT_SPEC,
    layerTypes: ['sliding_attention', 'full_attention', 'sliding_attention', 'sliding_attention'] as ('full_attention' | 'sliding_attention')[],
    slidingWindow: 4,
    lora: { r: 4, alpha: 8, modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const },
    seed: 31,
  };
  let files: { model: string; adapter: string };
  let adapter: LoraAdapter;
  const stop = [1];
  const rng = Rng.fromSeed(5, 'prompts');
  const prompts = [14, 9, 21].map((n) => [2, ...Array.from({ length: n - 1 }, () => 3 + Math.floor(rng.next() * 190))]);

  beforeAll(async () => {
    files = writeRandomGemma3(path.join(tmp, 'random'), { ...spec, lora: { ...spec.lora, modules: [...spec.lora.modules] } });
    adapter = await readAdapterFolder(files.adapter);
  });

  it('fp32: transformers.js logits on the merged export = our logits with the adapter at every position; greedy tokens equal, one by one and batched', async () => {
    const out = path.join(tmp, 'random-fp32');
    await exportOnnxFolder({ modelDir: files.model, adapter, outDir: out, dtype: 'fp32' });
    // Random weights make greedy text repetitive, so the logits of a whole random sequence are compared too.
    const seq = [2, ...Array.from({ length: 19 }, () => 3 + Math.floor(rng.next() * 190))];
    const withAdapter = await ourLogits(files.model, adapter, seq, 1);
    const base = await ourLogits(files.model, adapter, seq, 0);
    const theirs = await theirLogits(out, seq);
    const err = relL2(theirs, withAdapter);
    console.log(`random: logits relative L2 ${err.toExponential(2)} (adapter moves them by ${relL2(base, withAdapter).toExponential(2)})`);
    expect(relL2(base, withAdapter)).toBeGreaterThan(1e-2);
    expect(err).toBeLessThan(1e-5);
    const ours = await ourGreedy(files.model, adapter, prompts, stop);
    const greedy = await theirGreedy(out, 'fp32', prompts, stop);
    expect(greedy.single).toEqual(cutAtStop(ours.single, stop));
    expect(greedy.batch).toEqual(cutAtStop(ours.batch, stop));
  }, 240_000);

  it('fp16 (onnx/model_fp16.onnx, fp16 weights): transformers.js greedy = our greedy on the same fp16-rounded weights', async () => {
    // Our reference: the merged model with every weight rounded to fp16 (F16 safetensors).
    const merged = path.join(tmp, 'random-merged');
    await writeMergedFolder(files.model, adapter, merged);
    const reader = await SafetensorsReader.open(new MemoryByteSource(new Uint8Array(await readFile(path.join(merged, 'model.safetensors'))), 'merged'));
    const f16: TensorToWrite[] = [];
    for (const t of reader.tensors) f16.push({ name: t.name, shape: [...t.shape], dtype: 'F16', bytes: float32ToF16Bytes(await reader.readFloat32(t.name)) });
    const half = path.join(tmp, 'random-f16');
    await mkdir(half, { recursive: true });
    await writeFile(path.join(half, 'model.safetensors'), serializeSafetensors(f16, { format: 'pt' }));
    await writeFile(path.join(half, 'config.json'), await readFile(path.join(merged, 'config.json')));
    const out = path.join(tmp, 'random-fp16');
    const { files: written } = await exportOnnxFolder({ modelDir: half, outDir: out, dtype: 'fp16' });
    expect(written).toContain('onnx/model_fp16.onnx');
    expect(JSON.parse(await readFile(path.join(out, 'config.json'), 'utf8'))['transformers.js_config']).toEqual({ dtype: 'fp16' });
    const ours = await ourGreedy(half, null, prompts, stop);
    const theirs = await theirGreedy(out, 'fp16', prompts, stop);
    expect(theirs.single).toEqual(cutAtStop(ours.single, stop));
  }, 240_000);

  it('an adapter made for another base is refused, naming its tensor, before anything is written', async () => {
    const { config, weights } = await openModelFolder(DEMO);
    try {
      expect(() => planOnnxExport(config, weights, { dtype: 'fp32', adapter })).toThrow(/base_model\.model\.model\.layers\.0\.self_attn\.q_proj\.lora_[AB]\.weight.*another base model/);
    } finally {
      await weights.close();
    }
  });
});
