/**
 * A LoRA adapter merged into its base model, as PEFT's merge_and_unload() + save_pretrained() give
 * it: W' = W + scale · B A for every adapted projection (scale = alpha / r, or alpha / √r with
 * rsLoRA, per module after rank_pattern / alpha_pattern), every other tensor copied byte for byte.
 *
 * dtype: each tensor keeps its base dtype, so a BF16 / F16 checkpoint stays BF16 / F16 (half the
 * size of float32) and an F32 one stays F32. The arithmetic follows PEFT's unsafe merge on the CPU:
 * the delta B A · scale in float32 (LoRA weights are float32 there, PEFT's autocast_adapter_dtype),
 * added to the base weight in float32, the sum rounded once to the tensor's dtype.
 *
 * The weights file is planned first (header, offsets, total size: nothing read but headers, every
 * mismatch refused) and then streamed tensor by tensor into a sink, so a 2 GB model never has to sit
 * in memory and a caller can check the space it needs before writing anything.
 */
import type { Gemma3Config } from './config';
import { LORA_MODULES, loraKey, moduleName, type LoraAdapter, type LoraModuleName, type LoraModuleWeights } from './peft';
import { float32ToBf16Bytes, float32ToF16Bytes, safetensorsLayout, type SafetensorsLayout, type TensorReader } from './safetensors';

export class MergeError extends Error {
  constructor(message: string) {
    super(`merging the adapter: ${message}`);
    this.name = 'MergeError';
  }
}

/** Files of the base model folder copied into the merged one when the base has them. */
export const MERGED_COPIED_FILES = [
  'config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'tokenizer.model',
  'added_tokens.json',
  'chat_template.jinja',
] as const;

export const EMBED_TENSOR = 'model.embed_tokens.weight';

export interface MergePlan {
  /** model.safetensors: header and where each tensor goes. */
  layout: SafetensorsLayout;
  /** Base tensor name → the LoRA module merged into it. */
  merges: Map<string, { layer: number; module: LoraModuleName; weights: LoraModuleWeights }>;
}

/** The base tensor a module's LoRA is merged into: the adapter's own module path, else Gemma3ForCausalLM's. */
function baseTensorName(base: TensorReader, adapter: LoraAdapter, layer: number, module: LoraModuleName): string | null {
  for (const prefix of [adapter.modulePrefix, 'model.']) {
    const name = `${moduleName(prefix, layer, module)}.weight`;
    if (base.has(name)) return name;
  }
  return null;
}

function layerCount(base: TensorReader): number {
  let n = 0;
  for (const t of base.tensors) {
    const m = /(?:^|\.)layers\.(\d+)\./.exec(t.name);
    if (m) n = Math.max(n, Number(m[1]) + 1);
  }
  return n;
}

const shapeText = (shape: readonly number[]) => `[${shape.join(', ')}]`;

/**
 * Checks that `adapter` was made for `base` (every adapted projection exists with the adapter's
 * shape; the embedding has config.json's vocabulary) and lays out the merged weights file.
 */
export function planMerge(base: TensorReader, config: Gemma3Config, adapter: LoraAdapter): MergePlan {
  if (base.has(EMBED_TENSOR)) {
    const rows = base.info(EMBED_TENSOR).shape[0];
    if (rows !== config.vocabSize) throw new MergeError(`the base's ${EMBED_TENSOR} has ${rows} rows but its config.json says vocab_size ${config.vocabSize}`);
  }
  const merges: MergePlan['merges'] = new Map();
  adapter.tensors.forEach((modules, layer) => {
    for (const module of LORA_MODULES) {
      const w = modules[module];
      if (!w) continue;
      const keyA = loraKey(adapter.modulePrefix, layer, module, 'A');
      const keyB = loraKey(adapter.modulePrefix, layer, module, 'B');
      const name = baseTensorName(base, adapter, layer, module);
      if (name === null) {
        throw new MergeError(`adapter tensor ${keyA} adapts ${moduleName(adapter.modulePrefix, layer, module)}, which the base model does not have (its layers: ${layerCount(base)}): the adapter was made for another base model`);
      }
      const info = base.info(name);
      if (info.shape.length !== 2 || info.shape[0] !== w.outFeatures || info.shape[1] !== w.inFeatures) {
        throw new MergeError(
          `adapter tensors ${keyB} ${shapeText([w.outFeatures, w.rank])} and ${keyA} ${shapeText([w.rank, w.inFeatures])} do not fit the base's ${name} ${shapeText(info.shape)}: the adapter was made for another base model`,
        );
      }
      if (info.dtype !== 'F32' && info.dtype !== 'BF16' && info.dtype !== 'F16') throw new MergeError(`the base's ${name} is ${info.dtype}; only F32, BF16 and F16 weights can take a LoRA merge`);
      merges.set(name, { layer, module, weights: w });
    }
  });
  if (merges.size === 0) throw new MergeError('the adapter adapts no module, so the merged model would equal the base');
  const layout = safetensorsLayout(base.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape })), { format: 'pt' });
  return { layout, merges };
}

/**
 * W + scale · B A in PEFT's float32 arithmetic: B A accumulated in float64 and rounded to float32 (a
 * float32 matmul's result up to its summation order), times scale rounded to float32, added to W in
 * float32. W is [out, in], A [r, in], B [out, r], all row-major.
 */
export function mergeProjection(W: Float32Array, w: LoraModuleWeights): Float32Array {
  const { A, B, rank: r, inFeatures: n, outFeatures: m, scale } = w;
  if (W.length !== m * n) throw new MergeError(`a ${m}×${n} projection has ${W.length} values`);
  const out = new Float32Array(m * n);
  const row = new Float64Array(n);
  for (let o = 0; o < m; o++) {
    row.fill(0);
    for (let k = 0; k < r; k++) {
      const b = B[o * r + k]!;
      if (b === 0) continue;
      const a0 = k * n;
      for (let i = 0; i < n; i++) row[i]! += b * A[a0 + i]!;
    }
    const w0 = o * n;
    for (let i = 0; i < n; i++) out[w0 + i] = Math.fround(W[w0 + i]! + Math.fround(Math.fround(row[i]!) * scale));
  }
  return out;
}

export interface MergeProgress {
  /** Bytes of model.safetensors written so far. */
  done: number;
  total: number;
  /** The tensor just written. */
  tensor: string;
}

/**
 * Streams model.safetensors of the merged model into `write` (header, then tensor by tensor in the
 * layout's order; a large unmerged tensor, e.g. the embedding, in chunks).
 */
export async function writeMergedWeights(
  plan: MergePlan,
  base: TensorReader,
  write: (bytes: Uint8Array) => Promise<void>,
  onProgress?: (p: MergeProgress) => void,
): Promise<void> {
  const total = plan.layout.byteLength;
  let done = 0;
  await write(plan.layout.header);
  done += plan.layout.header.byteLength;
  for (const t of plan.layout.tensors) {
    const merge = plan.merges.get(t.name);
    if (merge) {
      const merged = mergeProjection(await base.readFloat32(t.name), merge.weights);
      const bytes = t.dtype === 'BF16' ? float32ToBf16Bytes(merged) : t.dtype === 'F16' ? float32ToF16Bytes(merged) : new Uint8Array(merged.buffer);
      await write(bytes);
      done += bytes.byteLength;
    } else {
      for await (const { bytes } of base.readChunks(t.name)) {
        await write(bytes);
        done += bytes.byteLength;
      }
    }
    onProgress?.({ done, total, tensor: t.name });
  }
  if (done !== total) throw new MergeError(`wrote ${done} bytes of model.safetensors but its layout has ${total}`);
}

/** Where model.safetensors of a merged model goes while it is written (OPFS in a browser, a file in Node). */
export interface MergedWeightsSink {
  write(bytes: Uint8Array): Promise<void>;
  /** Completes the file and hands it out (a disk-backed Blob, not a copy in memory). */
  finish(): Promise<Blob>;
  /** Drops what was written. */
  abort(): Promise<void>;
}

const MiB = 2 ** 20;
const sizeText = (bytes: number) => (bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(2)} GiB` : `${(bytes / MiB).toFixed(1)} MiB`);

/** Room left beside the file for the browser's own bookkeeping (a full origin fails writes unevenly). */
export const STORAGE_MARGIN_BYTES = 16 * MiB;

/**
 * Why `bytes` cannot be written into storage with this estimate (navigator.storage.estimate()), or
 * null when it fits or the browser does not say.
 */
export function storageShortfall(
  bytes: number,
  estimate: { quota?: number; usage?: number },
  what = 'the merged model',
  instead = 'merge on the command line with npm run merge-adapter',
): string | null {
  const { quota, usage } = estimate;
  if (quota === undefined || usage === undefined) return null;
  const free = Math.max(0, quota - usage);
  if (bytes + STORAGE_MARGIN_BYTES <= free) return null;
  return `${what} needs ${sizeText(bytes)} of browser storage but only ${sizeText(free)} is free (quota ${sizeText(quota)}, ${sizeText(usage)} in use): free space (clear cached models or site data) or ${instead}`;
}
