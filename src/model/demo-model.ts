/**
 * The demo model: a small Gemma-3 (the real architecture, a few million weights) that the project
 * trains from scratch with its own engine (scripts/make-demo-model.ts) on the synthetic Text-to-SQL
 * corpus, with Gemma-3's tokenizer pruned to the corpus' vocabulary. It writes some SQL right, not
 * all: GRPO has something to learn from (groups whose completions differ in reward).
 *
 * This module holds what the recipe and the app agree on: where the model lives, its name, its
 * architecture and its initialisation (transformers' Gemma-3 init: normal(0, initializer_range) for
 * projections and the embedding, zeros for the norms, which scale by 1 + w).
 */
import { Rng } from '../common/rng';
import { parseGemma3Config, type Gemma3Config } from './config';
import { LAYER_WEIGHTS, layerWeightKey, layerWeightShape } from './gemma3-layer';
import { EMBED_KEY } from './gemma3-runner';
import { FINAL_NORM } from './gemma3-graphs';
import { normals } from './tiny-model';

/** Folder under public/ (and under the app's base URL). */
export const DEMO_MODEL_PATH = 'models/demo-sql';
/** How the demo model is named in checkpoints and exported adapters. */
export const DEMO_MODEL_ID = 'webgrpo/demo-sql-gemma3';
export const DEMO_MODEL_FILES = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors'] as const;

export interface DemoArchitecture {
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  /** Every `globalEvery`-th layer attends globally; the others through the sliding window. */
  globalEvery: number;
  slidingWindow: number;
}

export const DEFAULT_DEMO_ARCHITECTURE: Readonly<DemoArchitecture> = Object.freeze({
  hiddenSize: 128,
  intermediateSize: 384,
  numLayers: 4,
  numHeads: 4,
  numKvHeads: 1,
  headDim: 32,
  globalEvery: 2,
  slidingWindow: 128,
});

/** config.json of a demo model, as transformers writes it for Gemma3ForCausalLM. */
export function demoConfigJson(a: DemoArchitecture, vocabSize: number, special: { bos: number; eos: number; pad: number; endOfTurn: number }, note: string): Record<string, unknown> {
  return {
    architectures: ['Gemma3ForCausalLM'],
    model_type: 'gemma3_text',
    vocab_size: vocabSize,
    hidden_size: a.hiddenSize,
    intermediate_size: a.intermediateSize,
    num_hidden_layers: a.numLayers,
    num_attention_heads: a.numHeads,
    num_key_value_heads: a.numKvHeads,
    head_dim: a.headDim,
    query_pre_attn_scalar: a.headDim,
    rms_norm_eps: 1e-6,
    sliding_window: a.slidingWindow,
    layer_types: Array.from({ length: a.numLayers }, (_, i) => ((i + 1) % a.globalEvery === 0 ? 'full_attention' : 'sliding_attention')),
    rope_parameters: {
      full_attention: { rope_theta: 1_000_000.0, rope_type: 'default' },
      sliding_attention: { rope_theta: 10_000.0, rope_type: 'default' },
    },
    max_position_embeddings: 2048,
    final_logit_softcapping: null,
    attn_logit_softcapping: null,
    hidden_activation: 'gelu_pytorch_tanh',
    attention_bias: false,
    tie_word_embeddings: true,
    bos_token_id: special.bos,
    eos_token_id: [special.eos, special.endOfTurn],
    pad_token_id: special.pad,
    torch_dtype: 'float32',
    initializer_range: 0.02,
    webgrpo_note: note,
  };
}

export function demoGenerationConfigJson(special: { bos: number; eos: number; pad: number; endOfTurn: number }): Record<string, unknown> {
  return { bos_token_id: special.bos, eos_token_id: [special.eos, special.endOfTurn], pad_token_id: special.pad, do_sample: true, top_k: 64, top_p: 0.95 };
}

/** Freshly initialised weights (transformers' Gemma-3 init), by HF name. */
export function initDemoWeights(cfg: Gemma3Config, seed: number, std = 0.02): Map<string, { shape: number[]; values: Float32Array }> {
  const rng = Rng.fromSeed(seed, 'demo-model-init');
  const out = new Map<string, { shape: number[]; values: Float32Array }>();
  const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
  out.set(EMBED_KEY, { shape: [cfg.vocabSize, cfg.hiddenSize], values: normals(rng, cfg.vocabSize * cfg.hiddenSize, std) });
  for (let l = 0; l < cfg.numLayers; l++) {
    for (const name of LAYER_WEIGHTS) {
      const shape = layerWeightShape(cfg, name);
      out.set(layerWeightKey(l, name), { shape, values: name.endsWith('norm.weight') ? new Float32Array(size(shape)) : normals(rng, size(shape), std) });
    }
  }
  out.set(FINAL_NORM, { shape: [cfg.hiddenSize], values: new Float32Array(cfg.hiddenSize) });
  return out;
}

export function parseDemoConfig(json: Record<string, unknown>): Gemma3Config {
  return parseGemma3Config(json);
}
