/**
 * Writes a random Gemma-3 checkpoint in Hugging Face's on-disk layout, a random PEFT LoRA adapter
 * and a parity cases file, for checking the parity CLI on shapes no fixture has:
 *
 *   npx tsx scripts/make-random-gemma3.ts --out DIR [--seed N]
 *
 * DIR/model: config.json in the older config style (rope_theta + rope_local_base_freq, explicit
 * layer_types), weights sharded into two files behind model.safetensors.index.json;
 * DIR/adapter: adapter_config.json + adapter_model.safetensors (only some projections);
 * DIR/cases.json: rows with left padding and right padding. The default shape: 3 layers, two of them
 * full attention, 8 query heads over 2 KV heads of dim 8, hidden 48, vocab 200, sliding window 4.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Rng } from '../src/common/rng';
import { serializeSafetensors, type TensorToWrite } from '../src/model/safetensors';

export type Proj = 'q_proj' | 'k_proj' | 'v_proj' | 'o_proj' | 'gate_proj' | 'up_proj' | 'down_proj';

export interface RandomModelSpec {
  layerTypes: ('full_attention' | 'sliding_attention')[];
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  hidden: number;
  intermediate: number;
  vocab: number;
  slidingWindow: number;
  queryPreAttnScalar: number;
  ropeTheta: number;
  ropeLocalBaseFreq: number;
  lora: { r: number; alpha: number; modules: Proj[] };
  /** Rows of token ids (unpadded); padded to the longest as `padSides` says. */
  rows: number[][];
  padSides: ('left' | 'right')[];
  promptLen: number;
  advantages: number[];
  seed: number;
}

export const DEFAULT_SPEC: RandomModelSpec = {
  layerTypes: ['full_attention', 'sliding_attention', 'full_attention'],
  numHeads: 8,
  numKvHeads: 2,
  headDim: 8,
  hidden: 48,
  intermediate: 96,
  vocab: 200,
  slidingWindow: 4,
  queryPreAttnScalar: 12,
  ropeTheta: 50_000,
  ropeLocalBaseFreq: 1_000,
  lora: { r: 2, alpha: 5, modules: ['q_proj', 'v_proj', 'down_proj'] },
  rows: [
    [2, 105, 17, 33, 190, 5, 64, 106, 107, 40, 41, 42, 43, 1],
    [2, 105, 88, 99, 106, 107, 70, 71, 72, 73, 1],
    [2, 105, 9, 150, 151, 106, 107, 11, 12, 13, 14, 15],
  ],
  padSides: ['left', 'left', 'right'],
  promptLen: 7,
  advantages: [1.25, -0.5, 0.75],
  seed: 7,
};

const PARENT: Record<Proj, 'self_attn' | 'mlp'> = {
  q_proj: 'self_attn', k_proj: 'self_attn', v_proj: 'self_attn', o_proj: 'self_attn',
  gate_proj: 'mlp', up_proj: 'mlp', down_proj: 'mlp',
};

function projShape(s: RandomModelSpec, p: Proj): [number, number] {
  const q = s.numHeads * s.headDim;
  const kv = s.numKvHeads * s.headDim;
  const shapes: Record<Proj, [number, number]> = {
    q_proj: [q, s.hidden], k_proj: [kv, s.hidden], v_proj: [kv, s.hidden], o_proj: [s.hidden, q],
    gate_proj: [s.intermediate, s.hidden], up_proj: [s.intermediate, s.hidden], down_proj: [s.hidden, s.intermediate],
  };
  return shapes[p];
}

function uniform(rng: Rng, n: number, bound: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (2 * rng.next() - 1) * bound;
  return out;
}

/** The config.json transformers 4.5x wrote for Gemma-3 text models (older rope fields). */
function configJson(s: RandomModelSpec): Record<string, unknown> {
  return {
    architectures: ['Gemma3ForCausalLM'],
    model_type: 'gemma3_text',
    attention_bias: false,
    attention_dropout: 0,
    attn_logit_softcapping: null,
    bos_token_id: 2,
    eos_token_id: [1, 106],
    pad_token_id: 0,
    final_logit_softcapping: null,
    head_dim: s.headDim,
    hidden_activation: 'gelu_pytorch_tanh',
    hidden_size: s.hidden,
    intermediate_size: s.intermediate,
    layer_types: s.layerTypes,
    max_position_embeddings: 256,
    num_attention_heads: s.numHeads,
    num_hidden_layers: s.layerTypes.length,
    num_key_value_heads: s.numKvHeads,
    query_pre_attn_scalar: s.queryPreAttnScalar,
    rms_norm_eps: 1e-6,
    rope_local_base_freq: s.ropeLocalBaseFreq,
    rope_scaling: null,
    rope_theta: s.ropeTheta,
    sliding_window: s.slidingWindow,
    tie_word_embeddings: true,
    torch_dtype: 'float32',
    vocab_size: s.vocab,
  };
}

function modelTensors(s: RandomModelSpec, rng: Rng): TensorToWrite[][] {
  const norm = (name: string, n: number): TensorToWrite => ({ name, shape: [n], data: uniform(rng, n, 0.3) });
  const first: TensorToWrite[] = [{ name: 'model.embed_tokens.weight', shape: [s.vocab, s.hidden], data: uniform(rng, s.vocab * s.hidden, 0.5) }];
  const second: TensorToWrite[] = [norm('model.norm.weight', s.hidden)];
  s.layerTypes.forEach((_, l) => {
    const p = `model.layers.${l}.`;
    const out = l === 0 ? first : second;
    for (const n of ['input_layernorm', 'post_attention_layernorm', 'pre_feedforward_layernorm', 'post_feedforward_layernorm']) out.push(norm(`${p}${n}.weight`, s.hidden));
    out.push(norm(`${p}self_attn.q_norm.weight`, s.headDim), norm(`${p}self_attn.k_norm.weight`, s.headDim));
    for (const proj of Object.keys(PARENT) as Proj[]) {
      const [o, i] = projShape(s, proj);
      out.push({ name: `${p}${PARENT[proj]}.${proj}.weight`, shape: [o, i], data: uniform(rng, o * i, 1 / Math.sqrt(i)) });
    }
  });
  return [first, second];
}

function adapterFiles(s: RandomModelSpec, rng: Rng): { config: Record<string, unknown>; tensors: TensorToWrite[] } {
  const tensors: TensorToWrite[] = [];
  s.layerTypes.forEach((_, l) => {
    for (const proj of s.lora.modules) {
      const [o, i] = projShape(s, proj);
      const key = `base_model.model.model.layers.${l}.${PARENT[proj]}.${proj}`;
      // B is random too (PEFT starts it at zero), so the adapter changes the logits and A has gradients.
      tensors.push({ name: `${key}.lora_A.weight`, shape: [s.lora.r, i], data: uniform(rng, s.lora.r * i, 1 / Math.sqrt(i)) });
      tensors.push({ name: `${key}.lora_B.weight`, shape: [o, s.lora.r], data: uniform(rng, o * s.lora.r, 0.4) });
    }
  });
  const config = {
    base_model_name_or_path: null, bias: 'none', fan_in_fan_out: false, inference_mode: true, init_lora_weights: true,
    layers_pattern: null, layers_to_transform: null, lora_alpha: s.lora.alpha, lora_dropout: 0, modules_to_save: null,
    peft_type: 'LORA', r: s.lora.r, rank_pattern: {}, alpha_pattern: {}, target_modules: s.lora.modules, task_type: 'CAUSAL_LM',
    use_dora: false, use_rslora: false,
  };
  return { config, tensors };
}

function casesJson(s: RandomModelSpec): Record<string, unknown> {
  const t = Math.max(...s.rows.map((r) => r.length));
  const inputIds: number[][] = [];
  const mask: number[][] = [];
  s.rows.forEach((row, r) => {
    const pad = t - row.length;
    if (s.padSides[r] === 'left' && pad >= s.promptLen) throw new Error(`row ${r}: ${pad} left pads would cover the whole prompt (prompt_len ${s.promptLen})`);
    const zeros = new Array<number>(pad).fill(0);
    const ones = new Array<number>(row.length).fill(1);
    inputIds.push(s.padSides[r] === 'left' ? [...zeros, ...row] : [...row, ...zeros]);
    mask.push(s.padSides[r] === 'left' ? [...zeros, ...ones] : [...ones, ...zeros]);
  });
  return {
    input_ids: inputIds,
    attention_mask: mask,
    prompt_len: s.promptLen,
    advantages: s.advantages,
    objective: 'loss = -mean_b( adv[b] * sum_t(logp[b,t]*cmask[b,t]) / sum_t cmask[b,t] ), logp[b,t] = log_softmax(logits[b,t])[ids[b,t+1]], cmask = attention_mask[:,1:] with the first prompt_len-1 positions zeroed',
    lora: { r: s.lora.r, alpha: s.lora.alpha },
    tolerances: { logits_rel_l2: 1e-4, grad_rel_l2: 1e-3 },
    generated_by: 'webgrpo scripts/make-random-gemma3.ts (random weights; no HF reference)',
  };
}

/** Writes DIR/model, DIR/adapter and DIR/cases.json; returns their paths. */
export function writeRandomGemma3(dir: string, spec: RandomModelSpec = DEFAULT_SPEC): { model: string; adapter: string; cases: string } {
  const rng = Rng.fromSeed(spec.seed, 'random-gemma3');
  const model = path.join(dir, 'model');
  const adapter = path.join(dir, 'adapter');
  mkdirSync(model, { recursive: true });
  mkdirSync(adapter, { recursive: true });
  writeFileSync(path.join(model, 'config.json'), JSON.stringify(configJson(spec), null, 2));
  const shards = modelTensors(spec, rng);
  const weightMap: Record<string, string> = {};
  let total = 0;
  shards.forEach((tensors, i) => {
    const file = `model-0000${i + 1}-of-0000${shards.length}.safetensors`;
    writeFileSync(path.join(model, file), serializeSafetensors(tensors, { format: 'pt' }));
    for (const t of tensors) {
      weightMap[t.name] = file;
      total += 'data' in t ? t.data.byteLength : t.bytes.byteLength;
    }
  });
  writeFileSync(path.join(model, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2));
  const a = adapterFiles(spec, rng);
  writeFileSync(path.join(adapter, 'adapter_config.json'), JSON.stringify(a.config, null, 2));
  writeFileSync(path.join(adapter, 'adapter_model.safetensors'), serializeSafetensors(a.tensors, { format: 'pt' }));
  const cases = path.join(dir, 'cases.json');
  writeFileSync(cases, JSON.stringify(casesJson(spec), null, 1));
  return { model, adapter, cases };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: 'string' }, seed: { type: 'string' } } });
  if (!values.out) {
    console.error('usage: npx tsx scripts/make-random-gemma3.ts --out DIR [--seed N]');
    process.exit(2);
  }
  const seed = values.seed === undefined ? DEFAULT_SPEC.seed : Number(values.seed);
  if (!Number.isSafeInteger(seed) || seed < 0) {
    console.error(`--seed must be a non-negative integer, got ${values.seed}`);
    process.exit(2);
  }
  const paths = writeRandomGemma3(values.out, { ...DEFAULT_SPEC, seed });
  console.log(`wrote ${paths.model}, ${paths.adapter}, ${paths.cases}`);
}
