/**
 * 8-bit weights against their float32 equivalent: the shared tiny fixture loaded once with
 * weightDtype 'int8' and once as float32 from a checkpoint holding the dequantized values (computed
 * by a plain JS re-implementation of the quantizer, not by src/model/quantize.ts), then logits,
 * log-probs, loss, LoRA gradients and decode logits compared by relative L2.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Generator } from '../../src/generate/generator';
import { Rng } from '../../src/common/rng';
import * as op from '../../src/graph/ops';
import { parseGemma3Config, type Gemma3Config } from '../../src/model/config';
import { isProjectionWeight, LAYER_WEIGHTS, layerWeightKey } from '../../src/model/gemma3-layer';
import { EMBED_KEY, Gemma3Runner, loraKeyOf } from '../../src/model/gemma3-runner';
import { fixtureCoefficients, loraSpecOf, parseCases } from '../../src/model/parity';
import { LORA_MODULES, readLoraAdapter, type LoraAdapter } from '../../src/model/peft';
import type { WeightDtype } from '../../src/model/weight-dtype';
import { MemoryByteSource, SafetensorsReader, serializeSafetensors, type TensorReader } from '../../src/model/safetensors';
import { openFileSource } from '../../src/model/storage-node';
import { readTensor, TensorStore } from '../../src/runtime/device';
import type { Backend } from '../../src/runtime/ort';
import { FIXTURE } from './fixture-parity';
import { relL2 } from './random';

/**
 * Reference quantizer, written from the spec: per row, s = fround(max|w| / 127); q = w / s rounded
 * half away from zero, within [-127, 127]; the value is fround(q * s). A zero row stays zero.
 */
export function referenceQuantize(w: Float32Array, rows: number, cols: number): { q: Int8Array; scales: Float32Array; values: Float32Array } {
  const q = new Int8Array(rows * cols);
  const scales = new Float32Array(rows);
  const values = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const row = w.subarray(r * cols, (r + 1) * cols);
    const s = Math.fround(row.reduce((m, x) => (Math.abs(x) > m ? Math.abs(x) : m), 0) / 127);
    scales[r] = s;
    for (let c = 0; c < cols; c++) {
      let k = 0;
      if (s > 0) {
        const x = row[c] / s;
        k = x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
        k = Math.min(127, Math.max(-127, k));
      }
      q[r * cols + c] = k;
      values[r * cols + c] = Math.fround(k * s) + 0; // no -0: the stored byte 128 means +0
    }
  }
  return { q, scales, values };
}

/** Names the runner stores in 8 bits: every projection and the embedding. */
export function quantizedKeys(cfg: Gemma3Config): Set<string> {
  const keys = new Set([EMBED_KEY]);
  for (let l = 0; l < cfg.numLayers; l++) for (const n of LAYER_WEIGHTS) if (isProjectionWeight(n)) keys.add(layerWeightKey(l, n));
  return keys;
}

/** A float32 checkpoint holding the weights 8-bit storage stands for (others copied). */
export async function dequantizedCheckpoint(cfg: Gemma3Config, model: TensorReader): Promise<TensorReader> {
  const keys = quantizedKeys(cfg);
  const tensors = [];
  for (const t of model.tensors) {
    const values = await model.readFloat32(t.name);
    const data = keys.has(t.name) ? referenceQuantize(values, t.shape[0], t.shape[1]).values : values;
    tensors.push({ name: t.name, shape: t.shape, data });
  }
  return SafetensorsReader.open(new MemoryByteSource(serializeSafetensors(tensors)));
}

export async function openFixture() {
  const cfg = parseGemma3Config(JSON.parse(await readFile(path.join(FIXTURE, 'config.json'), 'utf8')));
  const model = await SafetensorsReader.open(await openFileSource(path.join(FIXTURE, 'model.safetensors')));
  const adapterReader = await SafetensorsReader.open(await openFileSource(path.join(FIXTURE, 'adapter/adapter_model.safetensors')));
  const adapter = await readLoraAdapter(JSON.parse(await readFile(path.join(FIXTURE, 'adapter/adapter_config.json'), 'utf8')), adapterReader, cfg);
  await adapterReader.close();
  const cases = parseCases(JSON.parse(await readFile(path.join(FIXTURE, 'cases.json'), 'utf8')));
  return { cfg, model, adapter, cases };
}

async function runnerOf(cfg: Gemma3Config, model: TensorReader, adapter: LoraAdapter, backend: Backend, weightDtype: WeightDtype) {
  const runner = await Gemma3Runner.load(cfg, model, await TensorStore.create(backend), { lora: loraSpecOf(adapter), weightDtype });
  adapter.tensors.forEach((mods, l) => {
    for (const m of LORA_MODULES) {
      if (!mods[m]) continue;
      runner.setLora(l, m, 'A', mods[m]!.A);
      runner.setLora(l, m, 'B', mods[m]!.B);
    }
  });
  return runner;
}

/** Every output a runner gives, for one runner. */
async function outputs(runner: Gemma3Runner, cases: Awaited<ReturnType<typeof openFixture>>['cases']) {
  const batch = { inputIds: cases.inputIds, attentionMask: cases.attentionMask };
  const out = new Map<string, Float32Array>();
  out.set('base_logits', await runner.logits(batch, 0));
  out.set('lora_logits', await runner.logits(batch, 1));
  out.set('ref_logprobs', await runner.logprobs(batch, 0, undefined, 0.7));
  const res = await runner.lossAndGradients({ ...batch, perToken: { coef: fixtureCoefficients(cases) }, objectiveKey: 'fixture', objective: (logp, x) => op.neg(op.reduceSum(op.mul(logp, x.coef), 0)) });
  out.set('logprobs', res.logprobs);
  out.set('loss', new Float32Array([res.loss]));
  for (let l = 0; l < runner.cfg.numLayers; l++) {
    for (const m of LORA_MODULES) {
      for (const which of ['A', 'B'] as const) {
        const g = res.grads.get(loraKeyOf(l, m, which));
        if (g) out.set(`grad.${l}.${m}.${which}`, await readTensor(g));
      }
    }
  }
  const gen = new Generator(runner);
  const prompts = [cases.inputIds[0].slice(0, 9), cases.inputIds[1].slice(0, 14)];
  const res2 = await gen.generate(prompts, { temperature: 0.8, topK: 0, topP: 1, maxNewTokens: 6, stopTokenIds: [], keepLogits: true }, Rng.fromSeed(5, 'q8'));
  res2.stepLogits!.forEach((l, i) => out.set(`decode_logits.${i}`, l));
  out.set('decode_tokens', Float32Array.from(res2.completions.flat()));
  return out;
}

/** Relative L2 error of every output of the int8 runner against the float32 runner on the dequantized weights. */
export async function int8VersusDequantized(backend: Backend): Promise<Map<string, number>> {
  const { cfg, model, adapter, cases } = await openFixture();
  const int8 = await runnerOf(cfg, model, adapter, backend, 'int8');
  const float = await runnerOf(cfg, await dequantizedCheckpoint(cfg, model), adapter, backend, 'float32');
  try {
    const a = await outputs(int8, cases);
    const b = await outputs(float, cases);
    const errors = new Map<string, number>();
    for (const [k, v] of b) errors.set(k, relL2(a.get(k)!, v));
    return errors;
  } finally {
    await int8.release();
    await float.release();
    await model.close();
  }
}
