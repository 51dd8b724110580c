/**
 * The model (base, or base + a LoRA adapter merged in) as an ONNX decoder with a KV cache, in the
 * layout transformers.js loads for Gemma-3 text models (`Gemma3ForCausalLM`, a decoder-only model):
 *
 * - inputs: `input_ids`, `attention_mask`, `position_ids` (int64 [batch_size, sequence_length] /
 *   [batch_size, total_sequence_length]) and `past_key_values.{i}.key|value` (float32
 *   [batch_size, num_key_value_heads, past_sequence_length, head_dim]); transformers.js feeds empty
 *   caches first (it reads the dims' names: `batch_size` is the batch, every other name 0), then
 *   each step's `present.*` back as `past_key_values.*`;
 * - outputs: `logits` [batch_size, sequence_length, vocab_size] and `present.{i}.key|value`
 *   (the past with this call's keys/values appended; sliding layers keep every slot too, their
 *   window is in the mask, as transformers' own export does);
 * - files: `onnx/model.onnx` (fp32) or `onnx/model_fp16.onnx` (fp16 weights, computed in float32:
 *   each weight is cast once, which onnxruntime folds at load), with the weights in
 *   `onnx/<file>_data` when the file would pass protobuf's 2 GB; config.json (the base's, plus
 *   `transformers.js_config` naming the dtype and any external data), generation_config.json and
 *   the tokenizer files.
 *
 * The graph is the one Gemma-3 definition (gemma3-layer.ts, the layer training and decode use),
 * built twice at different batch / sequence / past sizes so that onnx-portable.ts can declare those
 * axes dynamic. Positions: transformers.js passes Gemma-3 position ids counted from 1; RoPE depends
 * only on differences of positions, so they are used as given. The mask is computed in the graph
 * from attention_mask over cache slots, as transformers masks (a key is visible when it holds a
 * token, is not after the query and, on sliding layers, is less than sliding_window slots back).
 */
import { Graph, type Tensor } from '../graph/graph';
import * as nn from '../graph/nn';
import * as op from '../graph/ops';
import type { InitializerData } from '../graph/onnx';
import { toPortableModelProto } from '../graph/onnx-portable';
import { embedScale, type Gemma3Config, type LayerType } from './config';
import { decoderLayer, LAYER_WEIGHTS, layerWeightKey, layerWeightShape, type LayerWeightName } from './gemma3-layer';
import { EMBED_TENSOR, MERGED_COPIED_FILES, mergeProjection, planMerge, type MergePlan } from './merge';
import type { LoraAdapter } from './peft';
import { float32ToF16Bytes, type TensorReader } from './safetensors';

export type OnnxDtype = 'fp32' | 'fp16';
export const ONNX_DTYPES: readonly OnnxDtype[] = ['fp32', 'fp16'];

export class OnnxExportError extends Error {
  constructor(message: string) {
    super(`exporting for transformers.js: ${message}`);
    this.name = 'OnnxExportError';
  }
}

/** transformers.js's file name for a dtype (its DEFAULT_DTYPE_SUFFIX_MAPPING), under the `onnx/` subfolder. */
export const onnxFileName = (dtype: OnnxDtype) => (dtype === 'fp16' ? 'model_fp16.onnx' : 'model.onnx');
/** transformers.js's name of the first external data chunk of `file`. */
export const onnxDataFileName = (file: string) => `${file}_data`;
export const ONNX_DIR = 'onnx';

/** Weights above this go to an external data file (protobuf cannot hold a message past 2 GiB). */
export const INLINE_LIMIT_BYTES = 2 ** 31 - 64 * 2 ** 20;
/** Tensors in the external data file start at multiples of this (lets onnxruntime map them). */
const DATA_ALIGN = 4096;

const FINAL_NORM = 'model.norm.weight';
export const pastName = (layer: number, which: 'key' | 'value') => `past_key_values.${layer}.${which}`;
export const presentName = (layer: number, which: 'key' | 'value') => `present.${layer}.${which}`;

interface ExportDims {
  batch: number;
  seq: number;
  past: number;
}
/** The two builds' sizes; every dynamic axis differs between them and its named values are distinct. */
const BUILDS: [ExportDims, ExportDims] = [
  { batch: 2, seq: 3, past: 5 },
  { batch: 3, seq: 4, past: 7 },
];
const DIM_NAMES: Record<string, [number, number]> = {
  batch_size: [2, 3],
  sequence_length: [3, 4],
  past_sequence_length: [5, 7],
  total_sequence_length: [8, 11],
};

/** Every weight of the exported graph with its shape, in the order the data file holds them. */
export function exportedWeights(cfg: Gemma3Config): { name: string; shape: number[] }[] {
  const out = [{ name: EMBED_TENSOR, shape: [cfg.vocabSize, cfg.hiddenSize] }, { name: FINAL_NORM, shape: [cfg.hiddenSize] }];
  for (let l = 0; l < cfg.numLayers; l++) for (const n of LAYER_WEIGHTS) out.push({ name: layerWeightKey(l, n), shape: layerWeightShape(cfg, n) });
  return out;
}

/** The decoder at one size of its dynamic axes (see the module comment). */
export function buildTransformersJsGraph(cfg: Gemma3Config, dims: ExportDims, dtype: OnnxDtype): Graph {
  if (!cfg.tieWordEmbeddings) throw new OnnxExportError('only models with tied word embeddings (Gemma-3) can be exported');
  const g = new Graph('gemma3_transformersjs', { portable: true });
  const { batch: b, seq: t, past } = dims;
  const total = past + t;
  const d = cfg.headDim;
  const ids = g.input('input_ids', 'int64', [b, t]);
  const attentionMask = g.input('attention_mask', 'int64', [b, total]);
  const positionIds = g.input('position_ids', 'int64', [b, t]);
  const pasts = Array.from({ length: cfg.numLayers }, (_, l) => ({
    k: g.input(pastName(l, 'key'), 'float32', [b, cfg.numKvHeads, past, d]),
    v: g.input(pastName(l, 'value'), 'float32', [b, cfg.numKvHeads, past, d]),
  }));
  const weight = (name: string, shape: number[]) => {
    const w = g.input(name, dtype === 'fp16' ? 'float16' : 'float32', shape);
    return dtype === 'fp16' ? op.cast(w, 'float32') : w;
  };
  const embed = weight(EMBED_TENSOR, [cfg.vocabSize, cfg.hiddenSize]);
  const norm = weight(FINAL_NORM, [cfg.hiddenSize]);
  const layers = Array.from({ length: cfg.numLayers }, (_, l) => {
    const w = {} as Record<LayerWeightName, Tensor>;
    for (const n of LAYER_WEIGHTS) w[n] = weight(layerWeightKey(l, n), layerWeightShape(cfg, n));
    return w;
  });

  // Cache slots: key j (0..total-1) and query i at slot past + i, from shapes only (no Range op).
  const keyValid = op.cast(attentionMask, 'float32'); // [B, S]
  const keyOnes = op.add(op.mul(keyValid, 0), 1);
  const keySlot = op.cumSum(keyOnes, 1, true); // [B, S]: 0..S-1
  const queryOnes = op.add(op.mul(op.cast(ids, 'float32'), 0), 1); // [B, T]
  const pastLen = op.sub(op.reduceSum(keyOnes, 1, true), op.reduceSum(queryOnes, 1, true)); // [B, 1]
  const querySlot = op.add(op.cumSum(queryOnes, 1, true), pastLen); // [B, T]
  const back = op.sub(op.unsqueeze(querySlot, [2]), op.unsqueeze(keySlot, [1])); // [B, T, S]: query slot - key slot
  const padOrFuture = op.maximum(op.cast(op.less(back, 0), 'float32'), op.unsqueeze(op.cast(op.less(keyValid, 0.5), 'float32'), [1]));
  const types = [...new Set(cfg.layerTypes)];
  const masks = {} as Record<LayerType, Tensor>;
  for (const type of types) {
    // Sliding layers also hide keys sliding_window or more slots back.
    const hidden = type === 'sliding_attention' ? op.maximum(padOrFuture, op.sub(1, op.cast(op.less(back, cfg.slidingWindow), 'float32'))) : padOrFuture;
    masks[type] = op.unsqueeze(op.mul(hidden, nn.MASK_NEG), [1]); // [B, 1, T, S]
  }

  // RoPE from position_ids, per layer type (its own theta and linear factor), as positions.ts computes it.
  const positions = op.unsqueeze(op.cast(positionIds, 'float32'), [2]); // [B, T, 1]
  const rope = {} as Record<LayerType, { cos: Tensor; sin: Tensor }>;
  for (const type of types) {
    const { theta, factor } = cfg.rope[type];
    const half = d / 2;
    const invFreq = Array.from({ length: half }, (_, i) => Math.fround(Math.fround(1 / Math.fround(theta ** Math.fround((2 * i) / d))) / factor));
    const angles = op.mul(positions, g.constant(invFreq, 'float32', [1, 1, half], `inv_freq_${type}`)); // [B, T, D/2]
    const emb = op.unsqueeze(op.concat([angles, angles], 2), [1]); // [B, 1, T, D]
    rope[type] = { cos: op.cos(emb), sin: op.sin(emb) };
  }

  const loraScale = g.scalar(0);
  let x = op.mul(op.gather(embed, op.cast(ids, 'int32'), 0), embedScale(cfg.hiddenSize)); // [B, T, H]
  for (let l = 0; l < cfg.numLayers; l++) {
    const type = cfg.layerTypes[l];
    x = g.scope(`layer${l}`, () =>
      decoderLayer(cfg, {
        x,
        mask: masks[type],
        cos: rope[type].cos,
        sin: rope[type].sin,
        w: layers[l],
        lora: {},
        loraScale,
        kv: {
          update: (k, v) => {
            const all = { k: op.concat([pasts[l].k, k], 2), v: op.concat([pasts[l].v, v], 2) };
            g.output(all.k, presentName(l, 'key'));
            g.output(all.v, presentName(l, 'value'));
            return all;
          },
        },
      }),
    );
  }
  const h = nn.rmsNorm(x, norm, cfg.rmsNormEps, 1);
  let logits = op.linear(h, embed); // [B, T, V]
  if (cfg.finalLogitSoftcapping) logits = op.mul(op.tanh(op.div(logits, cfg.finalLogitSoftcapping)), cfg.finalLogitSoftcapping);
  g.output(logits, 'logits');
  return g;
}

export interface OnnxExportPlan {
  dtype: OnnxDtype;
  /** Under `onnx/`. */
  modelFile: string;
  /** Under `onnx/`, when the weights go to external data. */
  dataFile: string | null;
  tensors: { name: string; shape: number[]; offset: number; length: number }[];
  /** Bytes of all weights at the export dtype (the data file's size, padding included, when external). */
  weightBytes: number;
  merges: MergePlan['merges'];
}

/**
 * Checks the weights (and the adapter, with merge's checks: an adapter for another base is refused
 * naming its tensor) and lays out the export, reading nothing but headers.
 */
export function planOnnxExport(cfg: Gemma3Config, weights: TensorReader, o: { dtype: OnnxDtype; adapter?: LoraAdapter | null; external?: boolean }): OnnxExportPlan {
  if (!ONNX_DTYPES.includes(o.dtype)) throw new OnnxExportError(`dtype ${String(o.dtype)} is not one of ${ONNX_DTYPES.join(', ')}`);
  if (!cfg.tieWordEmbeddings) throw new OnnxExportError('only models with tied word embeddings (Gemma-3) can be exported');
  const merges: MergePlan['merges'] = o.adapter ? planMerge(weights, cfg, o.adapter).merges : new Map();
  const bytesPer = o.dtype === 'fp16' ? 2 : 4;
  let offset = 0;
  const tensors = exportedWeights(cfg).map(({ name, shape }) => {
    if (!weights.has(name)) throw new OnnxExportError(`the model has no tensor ${name}`);
    const have = weights.info(name).shape;
    if (have.join(',') !== shape.join(',')) throw new OnnxExportError(`the model's ${name} has shape [${have.join(', ')}], its config.json implies [${shape.join(', ')}]`);
    const length = shape.reduce((a, b) => a * b, 1) * bytesPer;
    offset = Math.ceil(offset / DATA_ALIGN) * DATA_ALIGN;
    const t = { name, shape, offset, length };
    offset += length;
    return t;
  });
  const modelFile = onnxFileName(o.dtype);
  const external = o.external ?? offset > INLINE_LIMIT_BYTES;
  return { dtype: o.dtype, modelFile, dataFile: external ? onnxDataFileName(modelFile) : null, tensors, weightBytes: offset, merges };
}

/** One weight at the export dtype, with the adapter merged in where it adapts this projection. */
async function weightBytes(plan: OnnxExportPlan, weights: TensorReader, name: string): Promise<Uint8Array> {
  const merge = plan.merges.get(name);
  let values = await weights.readFloat32(name);
  if (merge) values = mergeProjection(values, merge.weights);
  return plan.dtype === 'fp16' ? float32ToF16Bytes(values) : new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/** The model file's bytes for initializers given inline or as external references. */
function modelProto(cfg: Gemma3Config, plan: OnnxExportPlan, initializers: Map<string, InitializerData>): Uint8Array {
  const [a, b] = BUILDS.map((dims) => buildTransformersJsGraph(cfg, dims, plan.dtype));
  return toPortableModelProto(a, b, { dimNames: DIM_NAMES, initializers, docString: 'Gemma-3 decoder with KV cache for transformers.js, written by WebGRPO' });
}

export interface OnnxWriteProgress {
  done: number;
  total: number;
}

/** Where an export's files go: opened with each file's exact size, so a sink can refuse before writing. */
export type OpenSink = (file: string, byteLength: number) => Promise<{ write(bytes: Uint8Array): Promise<void>; finish(): Promise<Blob>; abort(): Promise<void> }>;

/**
 * Writes the ONNX model (and its external data) through `open`: with external data the model file
 * is small and the weights stream tensor by tensor; inline, the weights are gathered and encoded
 * once (under 2 GiB by construction). Returns the files written (`onnx/...`).
 */
export async function writeOnnxModel(cfg: Gemma3Config, plan: OnnxExportPlan, weights: TensorReader, open: OpenSink, onProgress?: (p: OnnxWriteProgress) => void): Promise<{ name: string; data: Blob }[]> {
  const total = plan.weightBytes;
  let done = 0;
  const initializers = new Map<string, InitializerData>();
  const sinks: Awaited<ReturnType<OpenSink>>[] = [];
  try {
    if (plan.dataFile) {
      for (const t of plan.tensors) initializers.set(t.name, { external: { location: plan.dataFile, offset: t.offset, length: t.length } });
      const proto = modelProto(cfg, plan, initializers);
      const model = await open(`${ONNX_DIR}/${plan.modelFile}`, proto.byteLength);
      sinks.push(model);
      const data = await open(`${ONNX_DIR}/${plan.dataFile}`, plan.weightBytes);
      sinks.push(data);
      await model.write(proto);
      let at = 0;
      for (const t of plan.tensors) {
        if (t.offset > at) await data.write(new Uint8Array(t.offset - at));
        const bytes = await weightBytes(plan, weights, t.name);
        await data.write(bytes);
        at = t.offset + bytes.byteLength;
        done = at;
        onProgress?.({ done, total });
      }
      return [
        { name: `${ONNX_DIR}/${plan.modelFile}`, data: await model.finish() },
        { name: `${ONNX_DIR}/${plan.dataFile}`, data: await data.finish() },
      ];
    }
    for (const t of plan.tensors) {
      initializers.set(t.name, { bytes: await weightBytes(plan, weights, t.name) });
      done += t.length;
      onProgress?.({ done, total });
    }
    const proto = modelProto(cfg, plan, initializers);
    const model = await open(`${ONNX_DIR}/${plan.modelFile}`, proto.byteLength);
    sinks.push(model);
    await model.write(proto);
    return [{ name: `${ONNX_DIR}/${plan.modelFile}`, data: await model.finish() }];
  } catch (e) {
    for (const s of sinks) await s.abort();
    throw e;
  }
}

/** config.json of the export: the base's, with transformers.js's own section (dtype, external data). */
export function exportConfigJson(baseConfigText: string, plan: OnnxExportPlan): string {
  const json = JSON.parse(baseConfigText) as Record<string, unknown>;
  const section: Record<string, unknown> = { ...((json['transformers.js_config'] as Record<string, unknown> | undefined) ?? {}), dtype: plan.dtype };
  if (plan.dataFile) section.use_external_data_format = { [plan.modelFile]: 1 };
  else delete section.use_external_data_format;
  json['transformers.js_config'] = section;
  return JSON.stringify(json, null, 2);
}

/** Files copied from the base folder next to the ONNX model (config.json is rewritten, not copied). */
export const ONNX_COPIED_FILES = MERGED_COPIED_FILES.filter((f) => f !== 'config.json');
