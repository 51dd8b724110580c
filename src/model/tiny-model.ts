/**
 * The tiny model that ships with the app: Gemma-3's shape and its real 262,144-token vocabulary (so
 * the real tokenizer and chat template work), with a hidden size of 16, two layers (one sliding,
 * one full attention) and random weights drawn from a fixed seed. It lets the UI, the CLI and the
 * tests run the whole GRPO loop offline in seconds; it knows nothing, so its completions are noise.
 *
 * Size: the embedding is 262,144 × hidden in BF16, 8 MiB at hidden 16; everything else is a few KB.
 * Hidden 16 also makes the embedding scale sqrt(16) = 4 exact in every dtype.
 */
import { Rng } from '../common/rng';
import { LAYER_WEIGHTS, layerWeightKey, layerWeightShape } from './gemma3-layer';
import { parseGemma3Config, type Gemma3Config } from './config';
import { float32ToBf16Bytes, serializeSafetensors, type TensorToWrite } from './safetensors';

/** Bump when the weights or config change, so generated copies are rebuilt. */
export const TINY_MODEL_VERSION = 1;
export const TINY_MODEL_SEED = 20_251_123;
/** Folder under public/ (and under the app's base URL) holding the generated files. */
export const TINY_MODEL_PATH = 'models/tiny-gemma3';
/** How the tiny model is named in checkpoints and exported adapters (base_model_name_or_path). */
export const TINY_MODEL_ID = 'webgrpo/tiny-gemma3';
/** Files of the tiny model folder, in download order. */
export const TINY_MODEL_FILES = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors'] as const;

/** config.json of the tiny model, as transformers would write it for Gemma3ForCausalLM. */
export function tinyModelConfigJson(): Record<string, unknown> {
  return {
    architectures: ['Gemma3ForCausalLM'],
    model_type: 'gemma3_text',
    vocab_size: 262_144,
    hidden_size: 16,
    intermediate_size: 64,
    num_hidden_layers: 2,
    num_attention_heads: 2,
    num_key_value_heads: 1,
    head_dim: 8,
    query_pre_attn_scalar: 8,
    rms_norm_eps: 1e-6,
    sliding_window: 512,
    layer_types: ['sliding_attention', 'full_attention'],
    rope_parameters: {
      full_attention: { rope_theta: 1_000_000.0, rope_type: 'default' },
      sliding_attention: { rope_theta: 10_000.0, rope_type: 'default' },
    },
    max_position_embeddings: 32_768,
    final_logit_softcapping: null,
    attn_logit_softcapping: null,
    hidden_activation: 'gelu_pytorch_tanh',
    attention_bias: false,
    tie_word_embeddings: true,
    bos_token_id: 2,
    eos_token_id: [1, 106],
    pad_token_id: 0,
    torch_dtype: 'bfloat16',
    initializer_range: 0.02,
    webgrpo_note: `random weights (seed ${TINY_MODEL_SEED}, version ${TINY_MODEL_VERSION}) for offline tries and tests`,
  };
}

export function tinyModelConfig(): Gemma3Config {
  return parseGemma3Config(tinyModelConfigJson());
}

export function tinyGenerationConfigJson(): Record<string, unknown> {
  return { bos_token_id: 2, eos_token_id: [1, 106], pad_token_id: 0, do_sample: true, top_k: 64, top_p: 0.95 };
}

/** Standard normal draws (Box–Muller) from the seeded generator, times `std`. */
export function normals(rng: Rng, n: number, std: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = 1 - rng.next(); // (0, 1]: log(u) is finite
    const r = Math.sqrt(-2 * Math.log(u)) * std;
    const a = 2 * Math.PI * rng.next();
    out[i] = r * Math.cos(a);
    if (i + 1 < n) out[i + 1] = r * Math.sin(a);
  }
  return out;
}

/**
 * The tiny model's weights as float32 (before the BF16 rounding of the file), by HF name.
 * Embedding std 1 (logits then have a spread of a few nats, so sampling is neither uniform over
 * 262k tokens nor greedy); projections std 0.2; norm weights small (Gemma's norms scale by 1 + w).
 */
export function tinyModelWeights(): Map<string, { shape: number[]; values: Float32Array }> {
  const cfg = tinyModelConfig();
  const rng = Rng.fromSeed(TINY_MODEL_SEED, 'tiny-gemma3-weights');
  const out = new Map<string, { shape: number[]; values: Float32Array }>();
  const add = (name: string, shape: number[], std: number) => out.set(name, { shape, values: normals(rng, shape.reduce((a, b) => a * b, 1), std) });
  add('model.embed_tokens.weight', [cfg.vocabSize, cfg.hiddenSize], 1);
  for (let l = 0; l < cfg.numLayers; l++) {
    for (const name of LAYER_WEIGHTS) add(layerWeightKey(l, name), layerWeightShape(cfg, name), name.endsWith('norm.weight') ? 0.1 : 0.2);
  }
  add('model.norm.weight', [cfg.hiddenSize], 0.1);
  return out;
}

/** model.safetensors of the tiny model (BF16, as Gemma checkpoints are published). */
export function tinyModelSafetensors(): Uint8Array {
  const tensors: TensorToWrite[] = [...tinyModelWeights()].map(([name, t]) => ({ name, shape: t.shape, dtype: 'BF16', bytes: float32ToBf16Bytes(t.values) }));
  return serializeSafetensors(tensors, { format: 'pt' });
}
