/**
 * Gemma-3 text model configuration, parsed from a Hugging Face config.json.
 *
 * Accepts a text config (Gemma3ForCausalLM, model_type "gemma3_text") or a multimodal
 * Gemma3ForConditionalGeneration config (model_type "gemma3"), from which `text_config` is taken.
 * Both config generations are understood: the older one (rope_theta + rope_local_base_freq +
 * rope_scaling, sliding_window_pattern) and the transformers 5.x one (layer_types + rope_parameters
 * keyed by layer type).
 */

export type LayerType = 'sliding_attention' | 'full_attention';
export type RopeType = 'default' | 'linear';

export interface RopeConfig {
  type: RopeType;
  theta: number;
  /** Linear scaling divides positions (equivalently inv_freq) by this; 1 for 'default'. */
  factor: number;
}

export interface Gemma3Config {
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  /** Attention scores are multiplied by queryPreAttnScalar ** -0.5 (not headDim ** -0.5). */
  queryPreAttnScalar: number;
  rmsNormEps: number;
  /** Key j is visible from query i on a sliding layer iff j <= i and i - j < slidingWindow. */
  slidingWindow: number;
  maxPositionEmbeddings: number;
  layerTypes: LayerType[];
  /** RoPE settings per layer (derived from the layer's type). */
  layerRope: RopeConfig[];
  /** RoPE settings per layer type. */
  rope: Record<LayerType, RopeConfig>;
  /** logits = cap * tanh(logits / cap) when set; null in Gemma-3. */
  finalLogitSoftcapping: number | null;
  /** scores = cap * tanh(scores / cap) before masking when set; null in Gemma-3. */
  attnLogitSoftcapping: number | null;
  tieWordEmbeddings: boolean;
  hiddenActivation: 'gelu_pytorch_tanh';
  bosTokenId: number;
  eosTokenIds: number[];
  padTokenId: number;
}

export class Gemma3ConfigError extends Error {
  constructor(message: string) {
    super(`Gemma-3 config: ${message}`);
    this.name = 'Gemma3ConfigError';
  }
}

type Json = Record<string, unknown>;

/**
 * Defaults of transformers' Gemma3TextConfig. Multimodal checkpoints (gemma-3-4b and up) write a
 * `text_config` holding only the fields that differ from these, so they are needed to read them.
 * A top-level text config must spell out its dimensions (every real one does).
 */
const TEXT_CONFIG_DEFAULTS: Json = {
  vocab_size: 262_208,
  hidden_size: 2304,
  intermediate_size: 9216,
  num_hidden_layers: 26,
  num_attention_heads: 8,
  num_key_value_heads: 4,
  head_dim: 256,
  hidden_activation: 'gelu_pytorch_tanh',
  max_position_embeddings: 131_072,
  rms_norm_eps: 1e-6,
  pad_token_id: 0,
  eos_token_id: 1,
  bos_token_id: 2,
  tie_word_embeddings: true,
  rope_theta: 1_000_000,
  attention_bias: false,
  query_pre_attn_scalar: 256,
  sliding_window: 4096,
  final_logit_softcapping: null,
  attn_logit_softcapping: null,
  rope_scaling: null,
  rope_local_base_freq: 10_000,
  sliding_window_pattern: 6,
};

/** Fields that have a sensible transformers default even in a top-level text config. */
const OPTIONAL_DEFAULTS: Json = {
  hidden_activation: 'gelu_pytorch_tanh',
  rms_norm_eps: 1e-6,
  pad_token_id: 0,
  eos_token_id: 1,
  bos_token_id: 2,
  tie_word_embeddings: true,
  attention_bias: false,
  final_logit_softcapping: null,
  attn_logit_softcapping: null,
  rope_scaling: null,
  rope_local_base_freq: 10_000,
  max_position_embeddings: 131_072,
};

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function field(cfg: Json, name: string): unknown {
  if (!(name in cfg)) throw new Gemma3ConfigError(`missing field "${name}"`);
  return cfg[name];
}

function positiveInt(cfg: Json, name: string): number {
  const v = field(cfg, name);
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new Gemma3ConfigError(`"${name}" must be a positive integer, got ${JSON.stringify(v)}`);
  }
  return v;
}

function nonNegativeInt(cfg: Json, name: string): number {
  const v = field(cfg, name);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new Gemma3ConfigError(`"${name}" must be a non-negative integer, got ${JSON.stringify(v)}`);
  }
  return v;
}

function positiveNumber(cfg: Json, name: string): number {
  const v = field(cfg, name);
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new Gemma3ConfigError(`"${name}" must be a positive number, got ${JSON.stringify(v)}`);
  }
  return v;
}

function optionalPositiveNumber(cfg: Json, name: string): number | null {
  const v = cfg[name];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new Gemma3ConfigError(`"${name}" must be null or a positive number, got ${JSON.stringify(v)}`);
  }
  return v;
}

function tokenIds(cfg: Json, name: string): number[] {
  const v = field(cfg, name);
  const list = Array.isArray(v) ? v : [v];
  if (list.length === 0 || !list.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0)) {
    throw new Gemma3ConfigError(`"${name}" must be a token id or a non-empty list of token ids, got ${JSON.stringify(v)}`);
  }
  return list as number[];
}

function parseLayerTypes(cfg: Json, numLayers: number): LayerType[] {
  const explicit = cfg['layer_types'];
  if (explicit !== undefined && explicit !== null) {
    if (!Array.isArray(explicit)) throw new Gemma3ConfigError(`"layer_types" must be a list, got ${JSON.stringify(explicit)}`);
    if (explicit.length !== numLayers) {
      throw new Gemma3ConfigError(`"layer_types" has ${explicit.length} entries but num_hidden_layers is ${numLayers}`);
    }
    return explicit.map((t, i) => {
      if (t !== 'sliding_attention' && t !== 'full_attention') {
        throw new Gemma3ConfigError(`"layer_types[${i}]" must be "sliding_attention" or "full_attention", got ${JSON.stringify(t)}`);
      }
      return t;
    });
  }
  const patternName = 'sliding_window_pattern' in cfg ? 'sliding_window_pattern' : '_sliding_window_pattern';
  if (!(patternName in cfg)) {
    throw new Gemma3ConfigError('missing field "layer_types" (or "sliding_window_pattern" to derive it from)');
  }
  const pattern = positiveInt(cfg, patternName);
  // transformers: layer i is full attention iff (i + 1) % pattern == 0, i.e. every pattern-th layer.
  return Array.from({ length: numLayers }, (_, i) => ((i + 1) % pattern === 0 ? 'full_attention' : 'sliding_attention'));
}

function parseRopeEntry(raw: unknown, where: string, fallbackTheta?: number): RopeConfig {
  if (!isObject(raw)) throw new Gemma3ConfigError(`"${where}" must be an object, got ${JSON.stringify(raw)}`);
  const type = raw['rope_type'] ?? raw['type'] ?? 'default';
  const thetaRaw = raw['rope_theta'] ?? fallbackTheta;
  if (typeof thetaRaw !== 'number' || !Number.isFinite(thetaRaw) || thetaRaw <= 0) {
    throw new Gemma3ConfigError(`"${where}.rope_theta" must be a positive number, got ${JSON.stringify(thetaRaw)}`);
  }
  if (type === 'default') return { type: 'default', theta: thetaRaw, factor: 1 };
  if (type === 'linear') {
    const factor = raw['factor'];
    if (typeof factor !== 'number' || !Number.isFinite(factor) || factor <= 0) {
      throw new Gemma3ConfigError(`"${where}.factor" must be a positive number for linear RoPE scaling, got ${JSON.stringify(factor)}`);
    }
    return { type: 'linear', theta: thetaRaw, factor };
  }
  throw new Gemma3ConfigError(`"${where}.rope_type" ${JSON.stringify(type)} is not supported (only "default" and "linear")`);
}

function parseRope(cfg: Json): Record<LayerType, RopeConfig> {
  const params = cfg['rope_parameters'];
  if (params !== undefined && params !== null) {
    if (!isObject(params)) throw new Gemma3ConfigError(`"rope_parameters" must be an object, got ${JSON.stringify(params)}`);
    if (!('full_attention' in params) || !('sliding_attention' in params)) {
      throw new Gemma3ConfigError('"rope_parameters" must have "full_attention" and "sliding_attention" entries');
    }
    return {
      full_attention: parseRopeEntry(params['full_attention'], 'rope_parameters.full_attention'),
      sliding_attention: parseRopeEntry(params['sliding_attention'], 'rope_parameters.sliding_attention'),
    };
  }
  // Older form: global layers use rope_theta (+ rope_scaling), local layers rope_local_base_freq unscaled.
  const theta = positiveNumber(cfg, 'rope_theta');
  const localTheta = positiveNumber(cfg, 'rope_local_base_freq');
  const scaling = cfg['rope_scaling'];
  const full =
    scaling === undefined || scaling === null
      ? { type: 'default' as const, theta, factor: 1 }
      : parseRopeEntry(scaling, 'rope_scaling', theta);
  return { full_attention: full, sliding_attention: { type: 'default', theta: localTheta, factor: 1 } };
}

/** Picks the text part of a config.json: the object itself or its `text_config`. */
function selectTextConfig(json: Json): { cfg: Json; fromMultimodal: boolean } {
  const modelType = json['model_type'];
  if (modelType === 'gemma3_text') return { cfg: json, fromMultimodal: false };
  if (modelType === 'gemma3') {
    const text = json['text_config'];
    if (!isObject(text)) throw new Gemma3ConfigError('multimodal config (model_type "gemma3") has no "text_config" object');
    if (text['model_type'] !== undefined && text['model_type'] !== 'gemma3_text') {
      throw new Gemma3ConfigError(`"text_config.model_type" must be "gemma3_text", got ${JSON.stringify(text['model_type'])}`);
    }
    // Token ids may live on the outer config only.
    const inherited: Json = {};
    for (const k of ['bos_token_id', 'eos_token_id', 'pad_token_id', 'tie_word_embeddings']) {
      if (k in json && !(k in text)) inherited[k] = json[k];
    }
    return { cfg: { ...TEXT_CONFIG_DEFAULTS, ...inherited, ...text }, fromMultimodal: true };
  }
  if (modelType === undefined) throw new Gemma3ConfigError('missing field "model_type"');
  throw new Gemma3ConfigError(`"model_type" must be "gemma3_text" or "gemma3", got ${JSON.stringify(modelType)}`);
}

/**
 * What a config.json describes when it is not a Gemma-3 text model ("a llama model
 * (LlamaForCausalLM)"); null when it is one (text, or multimodal with a Gemma-3 text part), so
 * the weights need not be downloaded to find out.
 */
export function notGemma3Text(json: unknown): string | null {
  if (!isObject(json)) return 'not a model config (config.json is not a JSON object)';
  const type = json['model_type'];
  const text = isObject(json['text_config']) ? json['text_config'] : null;
  if (type === 'gemma3_text' || (type === 'gemma3' && text !== null && (text['model_type'] === undefined || text['model_type'] === 'gemma3_text'))) return null;
  const archs = Array.isArray(json['architectures']) ? json['architectures'].filter((a): a is string => typeof a === 'string') : [];
  const textPart = type === 'gemma3' ? ` whose text part is ${text === null ? 'missing' : `a ${JSON.stringify(text['model_type'])} model`}` : '';
  const what = typeof type === 'string' ? `a ${type} model${textPart}` : 'a model without a model_type';
  return archs.length > 0 ? `${what} (${archs.join(', ')})` : what;
}

/** Parses a config.json object (already JSON.parse'd) into a Gemma3Config. */
export function parseGemma3Config(json: unknown): Gemma3Config {
  if (!isObject(json)) throw new Gemma3ConfigError('config must be a JSON object');
  const { cfg: selected } = selectTextConfig(json);
  const cfg: Json = { ...OPTIONAL_DEFAULTS, ...selected };

  const numLayers = positiveInt(cfg, 'num_hidden_layers');
  const numHeads = positiveInt(cfg, 'num_attention_heads');
  const numKvHeads = positiveInt(cfg, 'num_key_value_heads');
  if (numHeads % numKvHeads !== 0) {
    throw new Gemma3ConfigError(`num_attention_heads (${numHeads}) must be a multiple of num_key_value_heads (${numKvHeads})`);
  }
  const activation = field(cfg, 'hidden_activation');
  if (activation !== 'gelu_pytorch_tanh') {
    throw new Gemma3ConfigError(`"hidden_activation" must be "gelu_pytorch_tanh", got ${JSON.stringify(activation)}`);
  }
  if (cfg['attention_bias'] === true) throw new Gemma3ConfigError('"attention_bias": true is not supported (Gemma-3 has no projection biases)');
  if (cfg['use_bidirectional_attention'] === true) {
    throw new Gemma3ConfigError('"use_bidirectional_attention": true is not supported (causal language models only)');
  }
  const tie = cfg['tie_word_embeddings'];
  if (typeof tie !== 'boolean') throw new Gemma3ConfigError(`"tie_word_embeddings" must be a boolean, got ${JSON.stringify(tie)}`);

  const layerTypes = parseLayerTypes(cfg, numLayers);
  const rope = parseRope(cfg);
  return {
    vocabSize: positiveInt(cfg, 'vocab_size'),
    hiddenSize: positiveInt(cfg, 'hidden_size'),
    intermediateSize: positiveInt(cfg, 'intermediate_size'),
    numLayers,
    numHeads,
    numKvHeads,
    headDim: positiveInt(cfg, 'head_dim'),
    queryPreAttnScalar: positiveNumber(cfg, 'query_pre_attn_scalar'),
    rmsNormEps: positiveNumber(cfg, 'rms_norm_eps'),
    slidingWindow: positiveInt(cfg, 'sliding_window'),
    maxPositionEmbeddings: positiveInt(cfg, 'max_position_embeddings'),
    layerTypes,
    layerRope: layerTypes.map((t) => rope[t]),
    rope,
    finalLogitSoftcapping: optionalPositiveNumber(cfg, 'final_logit_softcapping'),
    attnLogitSoftcapping: optionalPositiveNumber(cfg, 'attn_logit_softcapping'),
    tieWordEmbeddings: tie,
    hiddenActivation: 'gelu_pytorch_tanh',
    bosTokenId: nonNegativeInt(cfg, 'bos_token_id'),
    eosTokenIds: tokenIds(cfg, 'eos_token_id'),
    padTokenId: nonNegativeInt(cfg, 'pad_token_id'),
  };
}

/** Parses config.json text. */
export function parseGemma3ConfigText(text: string): Gemma3Config {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Gemma3ConfigError(`config.json is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  return parseGemma3Config(json);
}

/**
 * google/gemma-3-1b-it's configuration (as in its config.json), for benchmarks with random weights
 * and for checking graph shapes without downloading anything.
 */
export function gemma3_1bConfig(): Gemma3Config {
  return parseGemma3Config({
    architectures: ['Gemma3ForCausalLM'],
    model_type: 'gemma3_text',
    vocab_size: 262_144,
    hidden_size: 1152,
    intermediate_size: 6912,
    num_hidden_layers: 26,
    num_attention_heads: 4,
    num_key_value_heads: 1,
    head_dim: 256,
    query_pre_attn_scalar: 256,
    rms_norm_eps: 1e-6,
    sliding_window: 512,
    sliding_window_pattern: 6,
    rope_theta: 1_000_000,
    rope_local_base_freq: 10_000,
    rope_scaling: null,
    max_position_embeddings: 32_768,
    final_logit_softcapping: null,
    attn_logit_softcapping: null,
    hidden_activation: 'gelu_pytorch_tanh',
    tie_word_embeddings: true,
    bos_token_id: 2,
    eos_token_id: [1, 106],
    pad_token_id: 0,
  });
}

/**
 * The embedding multiplier sqrt(hiddenSize), rounded to the weight dtype as transformers does
 * (Gemma3TextScaledWordEmbedding casts embed_scale to the weight dtype): sqrt(1152) is 33.941…
 * in float32 but 34.0 in bfloat16.
 */
export function embedScale(hiddenSize: number, dtype: 'float32' | 'bfloat16' | 'float16' = 'float32'): number {
  const s = Math.sqrt(hiddenSize);
  if (dtype === 'float32') return Math.fround(s);
  const f32 = new Float32Array([s]);
  if (dtype === 'bfloat16') {
    const u = new Uint32Array(f32.buffer);
    // Round to nearest even on the 16 dropped mantissa bits.
    const rounded = (u[0]! + 0x7fff + ((u[0]! >>> 16) & 1)) & 0xffff0000;
    u[0] = rounded >>> 0;
    return f32[0]!;
  }
  return roundToFloat16(s);
}

function roundToFloat16(x: number): number {
  // float16 has 10 mantissa bits; for normal values round x to a multiple of 2^(e-10).
  const e = Math.floor(Math.log2(Math.abs(x)));
  const step = 2 ** (e - 10);
  const q = x / step;
  const r = Math.round(q);
  // Ties to even.
  const tie = Math.abs(q - Math.trunc(q)) === 0.5 ? 2 * Math.round(q / 2) : r;
  return tie * step;
}

/** Which query positions may see which key positions on layer `layer` (true = visible). */
export function isKeyVisible(config: Gemma3Config, layer: number, queryPos: number, keyPos: number): boolean {
  if (keyPos > queryPos) return false;
  return config.layerTypes[layer] === 'full_attention' || queryPos - keyPos < config.slidingWindow;
}
