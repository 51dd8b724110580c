/**
 * Parity with Hugging Face: computes, for a model + PEFT adapter + cases file (the fixture format of
 * ../shared/fixtures), the tensors transformers + PEFT computed — base_logits, lora_logits,
 * token_logprobs, loss and grad.<PEFT key> — so they can be written and compared by relative L2.
 */
import { GraphError } from '../graph/errors';
import * as op from '../graph/ops';
import type { Backend } from '../runtime/ort';
import { readTensor, TensorStore } from '../runtime/device';
import type { Gemma3Config } from './config';
import type { LoraSpec } from './gemma3-layer';
import { Gemma3Runner, loraKeyOf } from './gemma3-runner';
import { LORA_MODULES, loraKey, type LoraAdapter } from './peft';
import type { WeightDtype } from './weight-dtype';
import type { TensorReader } from './safetensors';

export interface ParityCases {
  inputIds: number[][];
  attentionMask: number[][];
  promptLen: number;
  advantages: number[];
  tolerances: { logits_rel_l2: number; grad_rel_l2: number };
}

export function parseCases(json: unknown): ParityCases {
  const c = json as Record<string, unknown>;
  const fail = (m: string): never => {
    throw new Error(`cases file: ${m}`);
  };
  const ids = c.input_ids as number[][];
  if (!Array.isArray(ids) || !ids.length || !ids.every((r) => Array.isArray(r) && r.length === ids[0].length)) fail('input_ids must be a non-empty [B][T] array');
  const mask = (c.attention_mask as number[][] | undefined) ?? ids.map((r) => r.map(() => 1));
  if (mask.length !== ids.length || mask.some((r) => r.length !== ids[0].length)) fail('attention_mask must match input_ids');
  const adv = c.advantages as number[];
  if (!Array.isArray(adv) || adv.length !== ids.length) fail(`advantages must have ${ids.length} values`);
  const promptLen = Number(c.prompt_len);
  if (!Number.isInteger(promptLen) || promptLen < 1 || promptLen > ids[0].length) fail('prompt_len must be an integer in 1..T');
  const tol = (c.tolerances ?? {}) as Record<string, number>;
  return { inputIds: ids, attentionMask: mask, promptLen, advantages: adv, tolerances: { logits_rel_l2: tol.logits_rel_l2 ?? 1e-4, grad_rel_l2: tol.grad_rel_l2 ?? 1e-3 } };
}

/**
 * Per-token coefficient of the fixture objective
 *   loss = -mean_b( adv[b] * sum_t(logp[b,t] cmask[b,t]) / sum_t cmask[b,t] ),
 * cmask[b,t] = attention_mask[b,t+1] for t >= prompt_len-1: loss = -sum(coef * logp).
 */
export function fixtureCoefficients(c: ParityCases): Float32Array {
  const b = c.inputIds.length;
  const t = c.inputIds[0].length;
  const coef = new Float32Array(b * t);
  for (let r = 0; r < b; r++) {
    let count = 0;
    for (let i = c.promptLen - 1; i < t - 1; i++) count += c.attentionMask[r][i + 1];
    if (!count) throw new Error(`cases row ${r} has no completion tokens`);
    for (let i = c.promptLen - 1; i < t - 1; i++) coef[r * t + i] = (c.advantages[r] * c.attentionMask[r][i + 1]) / count / b;
  }
  return coef;
}

export function loraSpecOf(adapter: LoraAdapter): LoraSpec {
  const spec: LoraSpec = { modules: {} };
  for (const layer of adapter.tensors) {
    for (const m of LORA_MODULES) {
      const w = layer[m];
      if (!w) continue;
      const prev = spec.modules[m];
      if (prev && (prev.rank !== w.rank || prev.scale !== w.scale)) throw new GraphError(`LoRA ${m}: rank/scale differ between layers, which one shared layer graph cannot express`);
      spec.modules[m] = { rank: w.rank, scale: w.scale };
    }
  }
  return spec;
}

export interface ParityTensor {
  shape: number[];
  values: Float32Array;
}

/** Runs the model on the cases and returns the tensors under the fixture's key names. */
export async function computeParityTensors(cfg: Gemma3Config, model: TensorReader, adapter: LoraAdapter, cases: ParityCases, backend: Backend, options: { weightDtype?: WeightDtype } = {}): Promise<Map<string, ParityTensor>> {
  const spec = loraSpecOf(adapter);
  const layersAdapted = adapter.tensors.length;
  if (layersAdapted !== cfg.numLayers) throw new Error(`adapter covers ${layersAdapted} layers, the model has ${cfg.numLayers}`);
  for (let l = 0; l < cfg.numLayers; l++) {
    for (const m of LORA_MODULES) {
      if (spec.modules[m] && !adapter.tensors[l][m]) throw new Error(`adapter has ${m} on some layers but not on layer ${l}, which the shared layer graph cannot express`);
    }
  }
  const store = await TensorStore.create(backend);
  const runner = await Gemma3Runner.load(cfg, model, store, { lora: spec, weightDtype: options.weightDtype });
  try {
    adapter.tensors.forEach((mods, l) => {
      for (const m of LORA_MODULES) {
        const w = mods[m];
        if (!w) continue;
        runner.setLora(l, m, 'A', w.A);
        runner.setLora(l, m, 'B', w.B);
      }
    });
    const b = cases.inputIds.length;
    const t = cases.inputIds[0].length;
    const v = cfg.vocabSize;
    const batch = { inputIds: cases.inputIds, attentionMask: cases.attentionMask };
    const out = new Map<string, ParityTensor>();
    out.set('base_logits', { shape: [b, t, v], values: await runner.logits(batch, 0) });
    out.set('lora_logits', { shape: [b, t, v], values: await runner.logits(batch, 1) });
    const res = await runner.lossAndGradients({
      ...batch,
      perToken: { coef: fixtureCoefficients(cases) },
      objectiveKey: 'fixture',
      objective: (logp, x) => op.neg(op.reduceSum(op.mul(logp, x.coef), 0)),
    });
    const logp = new Float32Array(b * (t - 1));
    for (let r = 0; r < b; r++) logp.set(res.logprobs.subarray(r * t, r * t + t - 1), r * (t - 1));
    out.set('token_logprobs', { shape: [b, t - 1], values: logp });
    out.set('loss', { shape: [1], values: new Float32Array([res.loss]) });
    for (let l = 0; l < cfg.numLayers; l++) {
      for (const m of LORA_MODULES) {
        const w = adapter.tensors[l][m];
        if (!w) continue;
        for (const which of ['A', 'B'] as const) {
          const g = res.grads.get(loraKeyOf(l, m, which))!;
          const key = `grad.${loraKey(adapter.modulePrefix, l, m, which).replace(/^base_model\.model\./, '')}`;
          out.set(key, { shape: which === 'A' ? [w.rank, w.inFeatures] : [w.outFeatures, w.rank], values: await readTensor(g) });
          if (g.location !== 'cpu') g.dispose();
        }
      }
    }
    return out;
  } finally {
    await runner.release();
  }
}
