/**
 * The one Gemma-3 decoder-layer definition (Gemma3DecoderLayer in transformers), used by the
 * training graphs (forward, recompute-in-backward) and by the KV-cache decode graph alike.
 */
import type { Graph, Tensor } from '../graph/graph';
import * as op from '../graph/ops';
import * as nn from '../graph/nn';
import type { Gemma3Config } from './config';
import { LORA_MODULES, type LoraModuleName } from './peft';
import { scaleName } from './quantize';
import type { WeightDtype } from './weight-dtype';

/** Per-layer weights, by their name under `model.layers.{i}.` in the HF checkpoint. */
export const LAYER_WEIGHTS = [
  'input_layernorm.weight',
  'self_attn.q_proj.weight',
  'self_attn.k_proj.weight',
  'self_attn.v_proj.weight',
  'self_attn.o_proj.weight',
  'self_attn.q_norm.weight',
  'self_attn.k_norm.weight',
  'post_attention_layernorm.weight',
  'pre_feedforward_layernorm.weight',
  'mlp.gate_proj.weight',
  'mlp.up_proj.weight',
  'mlp.down_proj.weight',
  'post_feedforward_layernorm.weight',
] as const;
export type LayerWeightName = (typeof LAYER_WEIGHTS)[number];

export const layerWeightKey = (layer: number, name: LayerWeightName) => `model.layers.${layer}.${name}`;

/** The [out, in] projections: the weights 8-bit storage applies to (norm weights stay float32). */
export const PROJECTION_WEIGHTS: readonly LayerWeightName[] = [
  'self_attn.q_proj.weight',
  'self_attn.k_proj.weight',
  'self_attn.v_proj.weight',
  'self_attn.o_proj.weight',
  'mlp.gate_proj.weight',
  'mlp.up_proj.weight',
  'mlp.down_proj.weight',
];
export const isProjectionWeight = (name: LayerWeightName) => PROJECTION_WEIGHTS.includes(name);

/** An 8-bit weight in a graph: bytes q + 128 (uint8 [out, in]) and one scale per row (float32 [out]). */
export interface QuantizedWeight {
  q: Tensor;
  scale: Tensor;
}
/** A frozen weight as a graph input: float32, or 8-bit and dequantized where it is used. */
export type WeightInput = Tensor | QuantizedWeight;

/**
 * The float32 value of a weight. An 8-bit weight gets its own DequantizeLinear at each call, so its
 * float32 copy lives only while the op that reads it runs. Make the call before the other operand's
 * last node: onnxruntime runs a node's inputs from the last made, so a dequantization made after
 * that operand would run ahead of everything the operand needs (see the decode head).
 */
export function weightValue(w: WeightInput): Tensor {
  return 'q' in w ? nn.dequantizeRows(w.q, w.scale) : w;
}

/** A weight graph input: float32 under `name`, or 8-bit under `name` with its scales under scaleName(name). */
export function weightInput(g: Graph, name: string, shape: number[], dtype: WeightDtype): WeightInput {
  if (dtype === 'float32') return g.input(name, 'float32', shape, { gpuResident: true });
  if (shape.length !== 2) throw new Error(`weight ${name} [${shape.join(', ')}]: only [out, in] matrices are stored in 8 bits`);
  return { q: g.input(name, 'uint8', shape, { gpuResident: true }), scale: g.input(scaleName(name), 'float32', [shape[0]], { gpuResident: true }) };
}

/** A norm weight (always float32). */
function normWeight(w: WeightInput, name: string): Tensor {
  if ('q' in w) throw new Error(`norm weight ${name} cannot be 8-bit`);
  return w;
}

/** Shape of each per-layer weight ([out, in] for projections, as HF stores them). */
export function layerWeightShape(cfg: Gemma3Config, name: LayerWeightName): number[] {
  const h = cfg.hiddenSize;
  const q = cfg.numHeads * cfg.headDim;
  const kv = cfg.numKvHeads * cfg.headDim;
  switch (name) {
    case 'self_attn.q_proj.weight': return [q, h];
    case 'self_attn.k_proj.weight':
    case 'self_attn.v_proj.weight': return [kv, h];
    case 'self_attn.o_proj.weight': return [h, q];
    case 'self_attn.q_norm.weight':
    case 'self_attn.k_norm.weight': return [cfg.headDim];
    case 'mlp.gate_proj.weight':
    case 'mlp.up_proj.weight': return [cfg.intermediateSize, h];
    case 'mlp.down_proj.weight': return [h, cfg.intermediateSize];
    default: return [h];
  }
}

export interface LoraSpec {
  /** Targeted modules with their rank and scale (alpha/r, or alpha/sqrt(r) with rsLoRA). */
  modules: Partial<Record<LoraModuleName, { rank: number; scale: number }>>;
}

export interface LoraTensors {
  A: Tensor; // [r, in]
  B: Tensor; // [out, r]
  scale: number;
}

export const loraInputName = (module: LoraModuleName, which: 'A' | 'B') => `lora.${module}.${which}`;

/** Input names of one layer's tensors: generic (one graph serves every layer) or per layer. */
export interface LayerInputNaming {
  weight(name: LayerWeightName): string;
  lora(module: LoraModuleName, which: 'A' | 'B'): string;
}
export const GENERIC_LAYER_NAMING: LayerInputNaming = {
  weight: (name) => `layer.${name}`,
  lora: loraInputName,
};
export const perLayerNaming = (layer: number): LayerInputNaming => ({
  weight: (name) => layerWeightKey(layer, name),
  lora: (module, which) => `lora.${layer}.${module}.${which}`,
});

const moduleWeight = (module: LoraModuleName): LayerWeightName =>
  `${module === 'gate_proj' || module === 'up_proj' || module === 'down_proj' ? 'mlp' : 'self_attn'}.${module}.weight` as LayerWeightName;

/**
 * Graph inputs for one layer's weights and LoRA matrices. With weightDtype 'int8' the projections
 * are 8-bit inputs (dequantized in the graph where used); norm weights stay float32.
 */
export function layerInputs(g: Graph, cfg: Gemma3Config, lora: LoraSpec, naming: LayerInputNaming = GENERIC_LAYER_NAMING, weightDtype: WeightDtype = 'float32') {
  const w = {} as Record<LayerWeightName, WeightInput>;
  for (const name of LAYER_WEIGHTS) w[name] = weightInput(g, naming.weight(name), layerWeightShape(cfg, name), isProjectionWeight(name) ? weightDtype : 'float32');
  const adapters: Partial<Record<LoraModuleName, LoraTensors>> = {};
  for (const module of LORA_MODULES) {
    const spec = lora.modules[module];
    if (!spec) continue;
    const [outDim, inDim] = layerWeightShape(cfg, moduleWeight(module));
    adapters[module] = {
      A: g.input(naming.lora(module, 'A'), 'float32', [spec.rank, inDim], { gpuResident: true }),
      B: g.input(naming.lora(module, 'B'), 'float32', [outDim, spec.rank], { gpuResident: true }),
      scale: spec.scale,
    };
  }
  return { w, adapters };
}

export interface KvCacheStep {
  /** Given this step's keys/values [B, Hkv, T, D], returns the keys/values to attend over [B, Hkv, S, D]. */
  update?(k: Tensor, v: Tensor): { k: Tensor; v: Tensor };
  /**
   * Computes the attention itself from this step's queries [B, Hq, T, D] and keys/values
   * [B, Hkv, T, D] (e.g. over a cache and the new entries without joining them); replaces
   * `update` + the default attention when given.
   */
  attend?(q: Tensor, k: Tensor, v: Tensor, scale: number): Tensor;
}

export interface LayerIO {
  x: Tensor; // [B, T, H]
  /** Additive mask [B, 1, T, S] for this layer's type (sliding or full). */
  mask: Tensor;
  /** RoPE tables [B, 1, T, D] for this layer's type (its own theta). */
  cos: Tensor;
  sin: Tensor;
  w: Record<LayerWeightName, WeightInput>;
  lora: Partial<Record<LoraModuleName, LoraTensors>>;
  /** Scalar multiplier of every LoRA update: 1 = policy, 0 = reference model (LoRA off). */
  loraScale: Tensor;
  kv?: KvCacheStep;
  /**
   * Use onnxruntime's one-node RMS norm and GELU kernels (inference only: they have no gradient
   * rule). For graphs run step after step, where per-node overhead outweighs the arithmetic.
   */
  fusedKernels?: boolean;
  /**
   * The weights are constants of the session (baked in): projections are then MatMul by W^T,
   * whose transpose onnxruntime folds once, one node instead of Gemm between two reshapes.
   */
  constantWeights?: boolean;
}

function projection(x: Tensor, stored: WeightInput, module: LoraModuleName, io: LayerIO): Tensor {
  const weight = weightValue(stored);
  const y = io.constantWeights ? op.matmul(x, op.transpose(weight, [1, 0])) : op.linear(x, weight);
  const a = io.lora[module];
  if (!a) return y;
  const update = op.linear(op.linear(x, a.A), a.B);
  return op.add(y, op.mul(update, op.mul(io.loraScale, a.scale)));
}

/** One Gemma-3 decoder layer: returns [B, T, H]. */
export function decoderLayer(cfg: Gemma3Config, io: LayerIO): Tensor {
  const { x, w } = io;
  const [b, t] = x.shape;
  const d = cfg.headDim;
  const eps = cfg.rmsNormEps;
  // Gemma's norms scale by (1 + w).
  const rmsNorm = (y: Tensor, stored: WeightInput) => {
    const weight = normWeight(stored, 'of a layer');
    return io.fusedKernels ? op.rmsNormKernel(y, op.add(weight, 1), eps) : nn.rmsNorm(y, weight, eps, 1);
  };
  const gelu = io.fusedKernels ? op.fastGelu : nn.geluTanh;
  const heads = (y: Tensor, n: number) => op.transpose(op.reshape(y, [b, t, n, d]), [0, 2, 1, 3]);

  const h = rmsNorm(x, w['input_layernorm.weight']);
  let q = heads(projection(h, w['self_attn.q_proj.weight'], 'q_proj', io), cfg.numHeads);
  let k = heads(projection(h, w['self_attn.k_proj.weight'], 'k_proj', io), cfg.numKvHeads);
  let v = heads(projection(h, w['self_attn.v_proj.weight'], 'v_proj', io), cfg.numKvHeads);
  q = nn.rope(rmsNorm(q, w['self_attn.q_norm.weight']), io.cos, io.sin);
  k = nn.rope(rmsNorm(k, w['self_attn.k_norm.weight']), io.cos, io.sin);
  const scale = cfg.queryPreAttnScalar ** -0.5;
  let attn: Tensor;
  if (io.kv?.attend) attn = io.kv.attend(q, k, v, scale);
  else {
    if (io.kv?.update) ({ k, v } = io.kv.update(k, v));
    attn = nn.attention(q, k, v, { mask: io.mask, scale });
  }
  attn = op.reshape(op.transpose(attn, [0, 2, 1, 3]), [b, t, cfg.numHeads * d]);
  const o = projection(attn, w['self_attn.o_proj.weight'], 'o_proj', io);
  const r1 = op.add(x, rmsNorm(o, w['post_attention_layernorm.weight']));

  const h2 = rmsNorm(r1, w['pre_feedforward_layernorm.weight']);
  const gate = gelu(projection(h2, w['mlp.gate_proj.weight'], 'gate_proj', io));
  const up = projection(h2, w['mlp.up_proj.weight'], 'up_proj', io);
  const down = projection(op.mul(gate, up), w['mlp.down_proj.weight'], 'down_proj', io);
  return op.add(r1, rmsNorm(down, w['post_feedforward_layernorm.weight']));
}

export { LORA_MODULES };
