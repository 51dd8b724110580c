/**
 * GPU memory of a GRPO step on our engine, term by term, from the model config and the step's
 * shape alone (no device, no graph building: the dashboard calls it on every settings change), and
 * the choice of micro-batch and loss-head chunk that fits a budget.
 *
 * How the engine uses memory (measured with gpuMemory on SwiftShader, docs/BENCHMARKS.md): our own
 * tensors (weights, LoRA, Adam moments, saved layer inputs, gradients, KV caches) plus, for each
 * step graph, the intermediates of one run, which onnxruntime-web allocates on the graph's first
 * run and keeps in its buffer cache. The graph terms below are closed forms of the graph's
 * liveness peak (nodes in order, buffers freed after their last reader): the tensors alive at that
 * peak, read off the graphs of gemma3-graphs.ts. tests/unit/model/memory-plan.test.ts checks each
 * against the liveness of the built graph.
 *
 * The sum is an upper bound of the step's peak: sessions may reuse each other's cached buffers.
 */
import type { Gemma3Config } from './config';
import { isProjectionWeight, LAYER_WEIGHTS, layerWeightShape } from './gemma3-layer';
import { vocabShards } from './gemma3-graphs';
import { projectionShape, type LoraModuleName } from './peft';
import type { WeightDtype } from './weight-dtype';

export const GiB = 2 ** 30;
/** The default GPU memory budget: what an 8 GB GPU leaves after the browser and the desktop. */
export const DEFAULT_GPU_MEMORY_BUDGET = 6 * GiB;
/** Loss-head chunk sizes the planner tries, largest first (fewer session runs). */
export const CHUNK_ROW_CHOICES = [512, 256, 128, 64, 32] as const;
/** Rows through the loss head and sequence lengths are padded to multiples of this (runner, trainer). */
const ROW_BUCKET = 32;
/** The runner caps vocab shards at 512 MiB (one binding). */
const SHARD_CAP = 512 * 2 ** 20;
const F32 = 4;
/**
 * [rows, intermediate] buffers the layer forward graph's first run allocates: its liveness peak
 * holds 4, but onnxruntime runs the MLP's base and LoRA matmuls in another order and allocated
 * 6.6 in every SwiftShader run (docs/BENCHMARKS.md, runs A and D); the plan counts 7.
 */
const FORWARD_AS_RUN = 7;

export interface StepShape {
  /** Completions per optimizer step (per_device_train_batch_size x gradient_accumulation_steps). */
  completions: number;
  /** Tokens per sequence in a micro-batch (prompt + completion, padded). */
  seq: number;
  /** Positions per sequence that go through the loss head (the completion). */
  lossRowsPerSequence: number;
  /** LoRA rank and target modules. */
  lora: { r: number; modules: readonly LoraModuleName[] };
  /** Generation of the step's completions in the same process; null to plan training alone. */
  generation: { promptLength: number; newTokens: number; stepsPerRun: number } | null;
  /** Largest buffer one binding may hold (the adapter's maxStorageBufferBindingSize); default 2 GiB. */
  maxBindingBytes?: number;
  /** How the frozen weights are stored (RunnerOptions.weightDtype); default float32. */
  weightDtype?: WeightDtype;
}

export interface StepChoice {
  /** Completions per forward/backward pass (per_device_train_batch_size). */
  microBatch: number;
  /** Rows of the loss head per session run. */
  chunkRows: number;
}

export type TermGroup = 'model' | 'training' | 'generation';

export interface MemoryTerm {
  /** Stable key (tests, bench). */
  key: string;
  name: string;
  group: TermGroup;
  bytes: number;
  /** How the figure is made. */
  how: string;
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const prod = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);
const roundUp = (n: number, m: number) => Math.ceil(n / m) * m;

/**
 * The model's weights on the device. int8: one byte per value of the projections and the embedding
 * plus a float32 scale per row; the norms stay float32.
 */
export function weightBytes(cfg: Gemma3Config, dtype: WeightDtype = 'float32'): number {
  if (dtype === 'float32') {
    const perLayer = sum(LAYER_WEIGHTS.map((n) => prod(layerWeightShape(cfg, n))));
    return F32 * (cfg.vocabSize * cfg.hiddenSize + cfg.numLayers * perLayer + cfg.hiddenSize);
  }
  const projections = LAYER_WEIGHTS.filter(isProjectionWeight).map((n) => layerWeightShape(cfg, n));
  const norms = sum(LAYER_WEIGHTS.filter((n) => !isProjectionWeight(n)).map((n) => prod(layerWeightShape(cfg, n))));
  const perLayer = sum(projections.map(([out, inp]) => out * inp + F32 * out)) + F32 * norms;
  return cfg.vocabSize * (cfg.hiddenSize + F32) + cfg.numLayers * perLayer + F32 * cfg.hiddenSize;
}

/** float32 bytes of one layer's projections: what a layer graph dequantizes (int8 weights). */
export function dequantizedLayerBytes(cfg: Gemma3Config): number {
  return F32 * sum(LAYER_WEIGHTS.filter(isProjectionWeight).map((n) => prod(layerWeightShape(cfg, n))));
}

/** float32 bytes of the largest projection: the layer forward holds one dequantized weight at a time. */
export function dequantizedProjectionBytes(cfg: Gemma3Config): number {
  return F32 * Math.max(...LAYER_WEIGHTS.filter(isProjectionWeight).map((n) => prod(layerWeightShape(cfg, n))));
}

/** float32 bytes of the largest vocab shard: what a head (loss chunk, logits, decode) dequantizes at a time (int8 weights). */
export function dequantizedShardBytes(cfg: Gemma3Config, maxBindingBytes?: number): number {
  return F32 * cfg.hiddenSize * Math.max(...shardsOf(cfg, maxBindingBytes).map((s) => s.end - s.start));
}

/** LoRA values of one layer: r x (in + out) per adapted projection. */
function loraPerLayer(cfg: Gemma3Config, lora: StepShape['lora']): number {
  return sum(lora.modules.map((m) => lora.r * sum(projectionShape(cfg, m))));
}

export function loraBytes(cfg: Gemma3Config, lora: StepShape['lora']): number {
  return F32 * cfg.numLayers * loraPerLayer(cfg, lora);
}

function shardsOf(cfg: Gemma3Config, maxBindingBytes = 2 ** 31) {
  return vocabShards(cfg.vocabSize, cfg.hiddenSize, Math.min(maxBindingBytes, SHARD_CAP));
}

/** Loss-head rows of one micro-batch (padded as the runner pads them) and its chunk size. */
export function lossHeadRows(shape: StepShape, choice: StepChoice): { rows: number; chunk: number } {
  const rows = roundUp(choice.microBatch * Math.min(shape.lossRowsPerSequence, shape.seq), ROW_BUCKET);
  return { rows, chunk: Math.min(choice.chunkRows, rows) };
}

// Intermediates of one run of each graph (its liveness peak minus its outputs), in bytes.
// N = rows of the run (batch x seq), I = intermediate, H = hidden, V = vocab. The layer terms are
// exact with LoRA on every projection; with fewer MLP projections adapted, fewer N x I tensors are
// alive and they overestimate (by up to 26% forward, 13% backward).

/** Embed: the gathered rows per vocab shard, masked and summed (N x H each) and the scaled output. */
export function embedGraphBytes(cfg: Gemma3Config, rows: number, maxBindingBytes?: number): number {
  const sharded = shardsOf(cfg, maxBindingBytes).length > 1;
  return F32 * (sharded ? 2 * rows * cfg.hiddenSize + rows : rows * cfg.hiddenSize);
}

/** Layer forward: at its peak (the MLP) gate, up, GELU and their product, N x I each. */
export function layerForwardBytes(cfg: Gemma3Config, rows: number): number {
  return F32 * 4 * rows * cfg.intermediateSize;
}

/**
 * Layer backward (recomputed forward + VJP), at its peak in the MLP's backward: ten N x I tensors
 * (the recomputed MLP and its gradients), four N x H, the attention's queries (3 x N x Hq x D),
 * keys and values (3 x N x Hkv x D), one [B, Hq, T, T] score tensor, six N x r LoRA products and
 * one LoRA gradient pair, and row statistics.
 */
export function layerBackwardBytes(cfg: Gemma3Config, batch: number, seq: number, lora: StepShape['lora']): number {
  const n = batch * seq;
  const { hiddenSize: h, intermediateSize: i, numHeads: hq, numKvHeads: hkv, headDim: d } = cfg;
  const r = lora.modules.length ? lora.r : 0;
  const peak = 10 * n * i + 4 * n * h + 3 * n * hq * d + 3 * n * hkv * d + batch * hq * seq * seq + 6 * n * r + r * (h + i) + n * (6 + 2 * hq + 2 * hkv) + 3 * h + 2 * d;
  const outputs = n * h + loraPerLayer(cfg, lora);
  return F32 * (peak - outputs);
}

/**
 * What 8-bit weights add to one loss-head chunk of n rows: its peak moves to the forward's last
 * shard, where every shard's logits (n x V) are alive with that shard dequantized (S x H) and two
 * n x H row states, when that exceeds the float32 peak (2 x n x S past the logits); 0 otherwise.
 */
export function dequantizedHeadBytes(cfg: Gemma3Config, chunk: number, maxBindingBytes?: number): number {
  const shards = shardsOf(cfg, maxBindingBytes);
  const largest = Math.max(...shards.map((s) => s.end - s.start));
  const int8Peak = largest * cfg.hiddenSize + 2 * chunk * cfg.hiddenSize;
  const floatPeak = 2 * chunk * largest + 3 * chunk + cfg.hiddenSize;
  return F32 * Math.max(0, int8Peak - floatPeak);
}

/**
 * One loss-head chunk of n rows: every vocab shard's logits (n x V in all), then for the shard being
 * differentiated logits - logsumexp and its exponential (2 x n x largest shard), and row vectors.
 */
export function lossChunkBytes(cfg: Gemma3Config, chunk: number, maxBindingBytes?: number): number {
  const shards = shardsOf(cfg, maxBindingBytes);
  const largest = Math.max(...shards.map((s) => s.end - s.start));
  return F32 * (chunk * cfg.vocabSize + 2 * chunk * largest + 3 * chunk + cfg.hiddenSize);
}

/** Prefill of B x T prompt tokens: the MLP's four B*T x I tensors, or the head's two [B, V] logits. */
export function prefillBytes(cfg: Gemma3Config, batch: number, seq: number): number {
  return F32 * Math.max(4 * batch * seq * cfg.intermediateSize + batch * seq * cfg.hiddenSize, 2 * batch * cfg.vocabSize);
}

/** A decode run: per step the head's two [B, V] logits (temperature-scaled and not), or the MLP's. */
export function decodeRunBytes(cfg: Gemma3Config, batch: number): number {
  return F32 * Math.max(2 * batch * cfg.vocabSize, 4 * batch * cfg.intermediateSize + batch * cfg.hiddenSize);
}

/** Every term of a step with this choice of micro-batch and chunk. */
export function memoryTerms(cfg: Gemma3Config, shape: StepShape, choice: StepChoice): MemoryTerm[] {
  const { microBatch: micro } = choice;
  const n = micro * shape.seq;
  const h = cfg.hiddenSize;
  const lora = loraBytes(cfg, shape.lora);
  const accumulating = micro < shape.completions;
  const head = lossHeadRows(shape, choice);
  const types = new Set(cfg.layerTypes).size;
  const int8 = (shape.weightDtype ?? 'float32') === 'int8';
  const largestLora = Math.max(0, ...shape.lora.modules.flatMap((m) => projectionShape(cfg, m).map((f) => f * shape.lora.r)));
  const terms: MemoryTerm[] = [
    int8
      ? { key: 'weights', name: 'Weights (int8)', group: 'model', bytes: weightBytes(cfg, 'int8'), how: 'vocab x hidden + layers x projections, 1 byte each, + a 4-byte scale per row; norms 4 bytes each' }
      : { key: 'weights', name: 'Weights (fp32)', group: 'model', bytes: weightBytes(cfg), how: 'vocab x hidden + layers x (projections + norms) + final norm, 4 bytes each' },
    { key: 'lora', name: 'LoRA parameters', group: 'model', bytes: lora, how: `layers x r x (in + out) per adapted projection, r = ${shape.lora.r}` },
    { key: 'adam', name: 'Adam moments m, v', group: 'training', bytes: 2 * lora, how: '2 x LoRA' },
    { key: 'grads', name: 'LoRA gradients', group: 'training', bytes: (accumulating ? 2 : 1) * lora, how: accumulating ? 'running sum + one micro-batch' : '1 x LoRA' },
    { key: 'adamw', name: 'AdamW graph', group: 'training', bytes: 3 * lora + 2 * F32 * largestLora, how: 'new parameters and moments (3 x LoRA) + temporaries' },
    { key: 'saved_inputs', name: 'Saved layer inputs', group: 'training', bytes: F32 * (cfg.numLayers + 1) * n * h, how: `(layers + 1) x ${micro} x ${shape.seq} rows x hidden: every layer's input, kept for the backward` },
    { key: 'grad_hidden', name: 'Gradient of the hidden state', group: 'training', bytes: 2 * F32 * n * h, how: 'into and out of the layer being differentiated' },
    { key: 'positions', name: 'Masks and RoPE tables', group: 'training', bytes: F32 * types * (micro * shape.seq * shape.seq + 2 * n * cfg.headDim), how: 'per attention kind: [B, 1, T, T] mask + cos/sin [B, 1, T, D]' },
    { key: 'embed', name: 'Embed graph', group: 'training', bytes: embedGraphBytes(cfg, n, shape.maxBindingBytes), how: 'rows gathered per vocab shard' },
    {
      key: 'layer_forward',
      name: 'Layer forward graph',
      group: 'training',
      bytes: (layerForwardBytes(cfg, n) * FORWARD_AS_RUN) / 4,
      how: `${FORWARD_AS_RUN} x rows x intermediate: the graph's liveness is 4, onnxruntime's first run allocates 6.6 (measured)`,
    },
    { key: 'layer_backward', name: 'Layer backward graph', group: 'training', bytes: layerBackwardBytes(cfg, micro, shape.seq, shape.lora), how: 'recomputed layer + its VJP, at the MLP' },
    { key: 'loss_chunk', name: `Loss head, one chunk of ${head.chunk} rows`, group: 'training', bytes: lossChunkBytes(cfg, head.chunk, shape.maxBindingBytes), how: 'rows x vocab logits + 2 x rows x largest vocab shard' },
    { key: 'loss_rows', name: 'Loss head gradient rows', group: 'training', bytes: F32 * head.rows * h, how: `${head.rows} completion rows x hidden, until assembled` },
  ];
  if (int8) {
    // Each graph's float32 copies of 8-bit weights, dequantized where read (each session keeps its own buffers).
    terms.push(
      { key: 'dequant_forward', name: 'Layer forward: a dequantized projection', group: 'training', bytes: dequantizedProjectionBytes(cfg), how: 'the largest projection in fp32 (one weight at a time)' },
      { key: 'dequant_backward', name: 'Layer backward: dequantized projections', group: 'training', bytes: dequantizedLayerBytes(cfg), how: "one layer's projections in fp32, kept from the recomputed forward to their VJP" },
      {
        key: 'dequant_head',
        name: 'Loss head: a dequantized vocab shard',
        group: 'training',
        bytes: dequantizedHeadBytes(cfg, head.chunk, shape.maxBindingBytes),
        how: 'the largest vocab shard x hidden in fp32 beside every logit, past the fp32 peak',
      },
    );
  }
  const gen = shape.generation;
  if (gen) {
    const b = shape.completions;
    const prompt = roundUp(gen.promptLength, ROW_BUCKET);
    const steps = Math.min(gen.stepsPerRun, Math.max(1, gen.newTokens - 1));
    const cacheLen = prompt + Math.ceil(Math.max(1, gen.newTokens - 1) / steps) * steps;
    terms.push(
      { key: 'kv_cache', name: 'KV caches', group: 'generation', bytes: F32 * 2 * cfg.numLayers * b * cfg.numKvHeads * cacheLen * cfg.headDim, how: `2 x layers x [${b}, kv heads, ${cacheLen} slots, head dim], written in place` },
      {
        key: 'decode_graphs',
        name: 'Prefill / decode run (larger)',
        group: 'generation',
        bytes: Math.max(prefillBytes(cfg, b, prompt), decodeRunBytes(cfg, b)),
        how: `prefill of ${b} x ${prompt} tokens or a ${steps}-step decode run`,
      },
      ...(int8 ? [{ key: 'dequant_decode', name: 'Prefill / decode: a dequantized vocab shard', group: 'generation' as const, bytes: dequantizedShardBytes(cfg, shape.maxBindingBytes), how: 'the head (and a layer projection, smaller) in fp32, one at a time' }] : []),
      { key: 'decode_inputs', name: 'Decode masks and RoPE rows', group: 'generation', bytes: F32 * types * (b * prompt * cacheLen + 2 * b * prompt * cfg.headDim + steps * b * (cacheLen + 2 * cfg.headDim)), how: 'prefill [B, 1, T, S] masks and tables, per-step rows of a run' },
    );
  }
  return terms;
}

export interface MemoryPlan extends StepChoice {
  /** gradient_accumulation_steps = completions / microBatch. */
  accumulationSteps: number;
  terms: MemoryTerm[];
  total: number;
  budget: number;
  fits: boolean;
}

export function planFor(cfg: Gemma3Config, shape: StepShape, choice: StepChoice, budget: number): MemoryPlan {
  const terms = memoryTerms(cfg, shape, choice);
  const total = sum(terms.map((t) => t.bytes));
  return { ...choice, accumulationSteps: shape.completions / choice.microBatch, terms, total, budget, fits: total <= budget };
}

export class MemoryBudgetError extends Error {
  constructor(
    message: string,
    readonly smallest: MemoryPlan,
  ) {
    super(message);
    this.name = 'MemoryBudgetError';
  }
}

export const formatGiB = (bytes: number) => `${(bytes / GiB).toFixed(2)} GiB`;

/**
 * The fastest plan within `budget`: the largest micro-batch (a divisor of the step's completions,
 * at most `maxMicroBatch`), then the largest loss-head chunk. Throws MemoryBudgetError, naming the
 * smallest plan's largest terms, when even micro-batch 1 with the smallest chunk does not fit.
 */
export function choosePlan(cfg: Gemma3Config, shape: StepShape, budget: number, maxMicroBatch = shape.completions): MemoryPlan {
  if (!(budget > 0)) throw new Error(`GPU memory budget must be a positive number of bytes, got ${budget}`);
  if (!Number.isInteger(shape.completions) || shape.completions < 1) throw new Error(`completions per step must be a positive integer, got ${shape.completions}`);
  const micros = Array.from({ length: shape.completions }, (_, i) => shape.completions - i).filter((m) => shape.completions % m === 0 && m <= maxMicroBatch);
  for (const microBatch of micros) {
    for (const chunkRows of CHUNK_ROW_CHOICES) {
      const plan = planFor(cfg, shape, { microBatch, chunkRows }, budget);
      if (plan.fits) return plan;
    }
  }
  const smallest = planFor(cfg, shape, { microBatch: 1, chunkRows: CHUNK_ROW_CHOICES[CHUNK_ROW_CHOICES.length - 1] }, budget);
  const top = [...smallest.terms].sort((a, b) => b.bytes - a.bytes).slice(0, 3);
  throw new MemoryBudgetError(
    `GPU memory budget ${formatGiB(budget)} is too small: even one completion per pass with ${smallest.chunkRows}-row loss-head chunks needs ${formatGiB(smallest.total)} ` +
      `(${top.map((t) => `${t.name.toLowerCase()} ${formatGiB(t.bytes)}`).join(', ')}). Raise the budget, or shorten max_prompt_length / max_completion_length, or use fewer completions per step.`,
    smallest,
  );
}
