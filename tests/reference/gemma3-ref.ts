/**
 * Reference Gemma3ForCausalLM forward pass in plain float64 JavaScript, with optional LoRA, plus the
 * GRPO token-logprob loss of the shared fixture and finite-difference gradients of that loss with
 * respect to LoRA matrices. Slow and simple on purpose: it is the yardstick that GPU graphs (decode
 * logits, gradients) are compared against, and it is itself checked against HF transformers'
 * output in tests/unit/model/gemma3-ref.test.ts.
 *
 * Conventions (transformers 5.x, Gemma3ForCausalLM, eager attention):
 * - embeddings are multiplied by sqrt(hidden_size) rounded to the weight dtype (float32 here);
 * - RMSNorm: x / sqrt(mean(x²) + eps) * (1 + w), computed in float32 by HF (float64 here);
 * - q_norm / k_norm: RMSNorm over head_dim per head, applied before RoPE; v has no norm;
 * - RoPE: rotate_half convention (first half / second half of head_dim), inv_freq = theta^(-2i/d),
 *   divided by the factor for 'linear' scaling; theta per layer type;
 * - scores scaled by query_pre_attn_scalar^-0.5;
 * - key j is visible from query i iff j <= i, attention_mask[j] = 1 and, on sliding layers,
 *   i - j < sliding_window; padded query rows are computed like any other (they are never scored);
 * - position ids default to 0..T-1 whatever the padding (HF uses cache_position when none are given);
 * - MLP: down(gelu_tanh(gate(x)) * up(x)); per layer: input_layernorm → attn → post_attention_layernorm
 *   → residual; pre_feedforward_layernorm → mlp → post_feedforward_layernorm → residual;
 * - final norm, lm_head tied to the embedding; optional final / attention logit softcapping.
 */
import type { Gemma3Config } from '../../src/model/config';
import { LORA_MODULES, type LoraAdapter, type LoraModuleName } from '../../src/model/peft';
import type { TensorReader } from '../../src/model/safetensors';

export type RefWeights = Map<string, Float64Array>;

export interface RefLoraModule {
  A: Float64Array; // [rank, in]
  B: Float64Array; // [out, rank]
  rank: number;
  scale: number;
}
export type RefLora = Array<Partial<Record<LoraModuleName, RefLoraModule>>>;

export interface RefInput {
  inputIds: number[][];
  /** 1 = real token, 0 = padding; default all ones. */
  attentionMask?: number[][];
  /** Default 0..T-1 for every row. */
  positionIds?: number[][];
}

export interface RefOptions {
  lora?: RefLora | null;
  /** Embedding multiplier; default sqrt(hidden) rounded to float32 as HF does for float32 weights. */
  embedScale?: number;
}

/** Loads every tensor as float64. */
export async function loadRefWeights(reader: TensorReader): Promise<RefWeights> {
  const out: RefWeights = new Map();
  for (const t of reader.tensors) out.set(t.name, Float64Array.from(await reader.readFloat32(t.name)));
  return out;
}

/** Float64 copy of an adapter's matrices. */
export function refLoraFromAdapter(adapter: LoraAdapter): RefLora {
  return adapter.tensors.map((mods) => {
    const out: Partial<Record<LoraModuleName, RefLoraModule>> = {};
    for (const m of LORA_MODULES) {
      const w = mods[m];
      if (w) out[m] = { A: Float64Array.from(w.A), B: Float64Array.from(w.B), rank: w.rank, scale: w.scale };
    }
    return out;
  });
}

function weight(w: RefWeights, name: string): Float64Array {
  const v = w.get(name);
  if (!v) throw new Error(`reference: missing weight ${name}`);
  return v;
}

/** y[t, o] = sum_i x[t, i] W[o, i] (+ LoRA); x [T, in], W [out, in]. */
function linear(x: Float64Array, T: number, inF: number, W: Float64Array, outF: number, lora?: RefLoraModule): Float64Array {
  const y = new Float64Array(T * outF);
  for (let t = 0; t < T; t++) {
    const xo = t * inF;
    for (let o = 0; o < outF; o++) {
      const wo = o * inF;
      let s = 0;
      for (let i = 0; i < inF; i++) s += x[xo + i]! * W[wo + i]!;
      y[t * outF + o] = s;
    }
  }
  if (lora) {
    const r = lora.rank;
    const u = new Float64Array(r);
    for (let t = 0; t < T; t++) {
      const xo = t * inF;
      for (let k = 0; k < r; k++) {
        let s = 0;
        for (let i = 0; i < inF; i++) s += x[xo + i]! * lora.A[k * inF + i]!;
        u[k] = s;
      }
      for (let o = 0; o < outF; o++) {
        let s = 0;
        for (let k = 0; k < r; k++) s += lora.B[o * r + k]! * u[k]!;
        y[t * outF + o]! += lora.scale * s;
      }
    }
  }
  return y;
}

/** RMSNorm with (1 + w) over consecutive groups of `dim` values. */
function rmsNorm(x: Float64Array, dim: number, w: Float64Array, eps: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let g = 0; g < x.length; g += dim) {
    let ss = 0;
    for (let i = 0; i < dim; i++) ss += x[g + i]! * x[g + i]!;
    const inv = 1 / Math.sqrt(ss / dim + eps);
    for (let i = 0; i < dim; i++) y[g + i] = x[g + i]! * inv * (1 + w[i]!);
  }
  return y;
}

function geluTanh(x: number): number {
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
}

/** Rotates [T, heads, D] in place (rotate_half convention). */
function applyRope(x: Float64Array, T: number, heads: number, D: number, positions: number[], theta: number, factor: number): void {
  const half = D / 2;
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < half; i++) {
      const invFreq = 1 / (theta ** ((2 * i) / D) * factor);
      const angle = positions[t]! * invFreq;
      const c = Math.cos(angle);
      const s = Math.sin(angle);
      for (let h = 0; h < heads; h++) {
        const o = (t * heads + h) * D;
        const a = x[o + i]!;
        const b = x[o + i + half]!;
        x[o + i] = a * c - b * s;
        x[o + i + half] = b * c + a * s;
      }
    }
  }
}

/** Logits [B, T, V] as a flat Float64Array. */
export function gemma3Forward(config: Gemma3Config, w: RefWeights, input: RefInput, options: RefOptions = {}): Float64Array {
  const { hiddenSize: H, headDim: D, numHeads: Hq, numKvHeads: Hkv, intermediateSize: I, vocabSize: V } = config;
  const Bsz = input.inputIds.length;
  const T = input.inputIds[0]!.length;
  const lora = options.lora ?? null;
  const scaleEmb = options.embedScale ?? Math.fround(Math.sqrt(H));
  const emb = weight(w, 'model.embed_tokens.weight');
  const lmHead = config.tieWordEmbeddings ? emb : weight(w, 'lm_head.weight');
  const logits = new Float64Array(Bsz * T * V);

  for (let b = 0; b < Bsz; b++) {
    const ids = input.inputIds[b]!;
    if (ids.length !== T) throw new Error('reference: all rows must have the same length');
    const mask = input.attentionMask?.[b] ?? ids.map(() => 1);
    const positions = input.positionIds?.[b] ?? ids.map((_, t) => t);
    let h = new Float64Array(T * H);
    for (let t = 0; t < T; t++) {
      const id = ids[t]!;
      if (!(id >= 0 && id < V)) throw new Error(`reference: token id ${id} outside the vocabulary`);
      for (let i = 0; i < H; i++) h[t * H + i] = emb[id * H + i]! * scaleEmb;
    }

    for (let l = 0; l < config.numLayers; l++) {
      const p = `model.layers.${l}.`;
      const ll = lora?.[l] ?? {};
      const sliding = config.layerTypes[l] === 'sliding_attention';
      const rope = config.layerRope[l]!;

      // Attention block.
      const x = rmsNorm(h, H, weight(w, `${p}input_layernorm.weight`), config.rmsNormEps);
      const q = rmsNorm(linear(x, T, H, weight(w, `${p}self_attn.q_proj.weight`), Hq * D, ll.q_proj), D, weight(w, `${p}self_attn.q_norm.weight`), config.rmsNormEps);
      const k = rmsNorm(linear(x, T, H, weight(w, `${p}self_attn.k_proj.weight`), Hkv * D, ll.k_proj), D, weight(w, `${p}self_attn.k_norm.weight`), config.rmsNormEps);
      const v = linear(x, T, H, weight(w, `${p}self_attn.v_proj.weight`), Hkv * D, ll.v_proj);
      applyRope(q, T, Hq, D, positions, rope.theta, rope.factor);
      applyRope(k, T, Hkv, D, positions, rope.theta, rope.factor);
      const attn = new Float64Array(T * Hq * D);
      const scaling = config.queryPreAttnScalar ** -0.5;
      const groups = Hq / Hkv;
      const scores = new Float64Array(T);
      for (let head = 0; head < Hq; head++) {
        const kvh = Math.floor(head / groups);
        for (let i = 0; i < T; i++) {
          let max = -Infinity;
          for (let j = 0; j < T; j++) {
            const visible = j <= i && mask[j] === 1 && (!sliding || i - j < config.slidingWindow);
            if (!visible) {
              scores[j] = -Infinity;
              continue;
            }
            let s = 0;
            const qo = (i * Hq + head) * D;
            const ko = (j * Hkv + kvh) * D;
            for (let d = 0; d < D; d++) s += q[qo + d]! * k[ko + d]!;
            s *= scaling;
            if (config.attnLogitSoftcapping !== null) s = config.attnLogitSoftcapping * Math.tanh(s / config.attnLogitSoftcapping);
            scores[j] = s;
            if (s > max) max = s;
          }
          if (max === -Infinity) continue; // no visible key (only possible on padding rows): output 0
          let sum = 0;
          for (let j = 0; j < T; j++) {
            const e = scores[j] === -Infinity ? 0 : Math.exp(scores[j]! - max);
            scores[j] = e;
            sum += e;
          }
          const ao = (i * Hq + head) * D;
          for (let j = 0; j < T; j++) {
            const pj = scores[j]! / sum;
            if (pj === 0) continue;
            const vo = (j * Hkv + kvh) * D;
            for (let d = 0; d < D; d++) attn[ao + d]! += pj * v[vo + d]!;
          }
        }
      }
      const o = linear(attn, T, Hq * D, weight(w, `${p}self_attn.o_proj.weight`), H, ll.o_proj);
      const oNorm = rmsNorm(o, H, weight(w, `${p}post_attention_layernorm.weight`), config.rmsNormEps);
      const h1 = new Float64Array(T * H);
      for (let i = 0; i < h1.length; i++) h1[i] = h[i]! + oNorm[i]!;

      // MLP block.
      const x2 = rmsNorm(h1, H, weight(w, `${p}pre_feedforward_layernorm.weight`), config.rmsNormEps);
      const gate = linear(x2, T, H, weight(w, `${p}mlp.gate_proj.weight`), I, ll.gate_proj);
      const up = linear(x2, T, H, weight(w, `${p}mlp.up_proj.weight`), I, ll.up_proj);
      for (let i = 0; i < gate.length; i++) gate[i] = geluTanh(gate[i]!) * up[i]!;
      const down = linear(gate, T, I, weight(w, `${p}mlp.down_proj.weight`), H, ll.down_proj);
      const dNorm = rmsNorm(down, H, weight(w, `${p}post_feedforward_layernorm.weight`), config.rmsNormEps);
      h = new Float64Array(T * H);
      for (let i = 0; i < h.length; i++) h[i] = h1[i]! + dNorm[i]!;
    }

    const final = rmsNorm(h, H, weight(w, 'model.norm.weight'), config.rmsNormEps);
    const out = linear(final, T, H, lmHead, V);
    if (config.finalLogitSoftcapping !== null) {
      const cap = config.finalLogitSoftcapping;
      for (let i = 0; i < out.length; i++) out[i] = cap * Math.tanh(out[i]! / cap);
    }
    logits.set(out, b * T * V);
  }
  return logits;
}

/** logp[b, t] = log_softmax(logits[b, t])[ids[b, t + 1]], shape [B, T - 1]. */
export function tokenLogprobs(logits: Float64Array, inputIds: number[][], vocabSize: number): Float64Array {
  const B = inputIds.length;
  const T = inputIds[0]!.length;
  const out = new Float64Array(B * (T - 1));
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T - 1; t++) {
      const o = (b * T + t) * vocabSize;
      let max = -Infinity;
      for (let v = 0; v < vocabSize; v++) max = Math.max(max, logits[o + v]!);
      let sum = 0;
      for (let v = 0; v < vocabSize; v++) sum += Math.exp(logits[o + v]! - max);
      out[b * (T - 1) + t] = logits[o + inputIds[b]![t + 1]!]! - max - Math.log(sum);
    }
  }
  return out;
}

/** cmask[b, t] = attention_mask[b, t + 1], zero for t < promptLen - 1 (only completion tokens count). */
export function completionMask(attentionMask: number[][], promptLen: number): Float64Array {
  const B = attentionMask.length;
  const T = attentionMask[0]!.length;
  const out = new Float64Array(B * (T - 1));
  for (let b = 0; b < B; b++) for (let t = promptLen - 1; t < T - 1; t++) out[b * (T - 1) + t] = attentionMask[b]![t + 1]!;
  return out;
}

/** loss = -mean_b( adv[b] * sum_t(logp[b,t] * cmask[b,t]) / sum_t cmask[b,t] ). */
export function grpoLoss(logprobs: Float64Array, cmask: Float64Array, advantages: number[]): number {
  const B = advantages.length;
  const L = logprobs.length / B;
  let total = 0;
  for (let b = 0; b < B; b++) {
    let num = 0;
    let den = 0;
    for (let t = 0; t < L; t++) {
      num += logprobs[b * L + t]! * cmask[b * L + t]!;
      den += cmask[b * L + t]!;
    }
    if (den === 0) throw new Error(`reference: row ${b} has no completion tokens`);
    total += (advantages[b]! * num) / den;
  }
  return -total / B;
}

export interface LossCase {
  inputIds: number[][];
  attentionMask: number[][];
  promptLen: number;
  advantages: number[];
}

/** The fixture objective (cases.json) for the given LoRA matrices. */
export function caseLoss(config: Gemma3Config, w: RefWeights, c: LossCase, lora: RefLora | null): number {
  const logits = gemma3Forward(config, w, { inputIds: c.inputIds, attentionMask: c.attentionMask }, { lora });
  return grpoLoss(tokenLogprobs(logits, c.inputIds, config.vocabSize), completionMask(c.attentionMask, c.promptLen), c.advantages);
}

/**
 * d loss / d (lora[layer][module][which])[index] for each index, by central differences in float64:
 * (L(p + h) - L(p - h)) / 2h. The matrices are restored afterwards.
 */
export function finiteDifferenceGrad(
  config: Gemma3Config,
  w: RefWeights,
  c: LossCase,
  lora: RefLora,
  layer: number,
  module: LoraModuleName,
  which: 'A' | 'B',
  indices: number[],
  step = 1e-5,
): number[] {
  const m = lora[layer]?.[module];
  if (!m) throw new Error(`reference: no LoRA on layer ${layer} ${module}`);
  const param = m[which];
  return indices.map((idx) => {
    const saved = param[idx]!;
    param[idx] = saved + step;
    const plus = caseLoss(config, w, c, lora);
    param[idx] = saved - step;
    const minus = caseLoss(config, w, c, lora);
    param[idx] = saved;
    return (plus - minus) / (2 * step);
  });
}

/** loss = -sum_{b,t} weights[b,t] * logp[b,t] (the supervised objective, weights on [B, T - 1]). */
export function weightedNllLoss(logprobs: Float64Array, weights: ArrayLike<number>): number {
  if (weights.length !== logprobs.length) throw new Error(`reference: ${weights.length} weights for ${logprobs.length} log-probs`);
  let total = 0;
  for (let i = 0; i < logprobs.length; i++) total -= weights[i]! * logprobs[i]!;
  return total;
}

/**
 * d loss / d param[index] for each index, by central differences in float64 on any parameter array
 * that `loss` reads (a base weight, a LoRA matrix); the entry is restored afterwards.
 */
export function finiteDifference(loss: () => number, param: Float64Array, indices: number[], step = 1e-5): number[] {
  return indices.map((idx) => {
    const saved = param[idx]!;
    param[idx] = saved + step;
    const plus = loss();
    param[idx] = saved - step;
    const minus = loss();
    param[idx] = saved;
    return (plus - minus) / (2 * step);
  });
}

/** Relative L2 error ||a - b|| / ||b||. */
export function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`relL2: lengths differ (${a.length} vs ${b.length})`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num / den);
}
