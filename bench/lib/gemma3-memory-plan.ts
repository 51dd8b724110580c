/**
 * Analytic GPU memory of a LoRA training step (and of decoding) on our engine, term by term.
 *
 * How the engine uses memory, as measured with gpuMemory on SwiftShader (bench/gemma3-1b.ts's
 * "first run of each session" table): onnxruntime-web's WebGPU EP allocates a session's
 * intermediates on its first run and keeps them in its buffer cache afterwards (later runs allocate
 * nothing new). So the steady
 * peak is the sum of: our own tensors (weights, LoRA, Adam moments, position tables), everything a
 * step keeps alive at its fullest point (saved layer inputs, gradients), and each session's own
 * working set, which the graph itself gives (graph-memory.ts).
 */
import type { Gemma3Config } from '../../src/model/config';
import { buildAdamWGraph } from '../../src/graph/adamw';
import * as op from '../../src/graph/ops';
import type { LoraSpec } from '../../src/model/gemma3-layer';
import { LAYER_WEIGHTS, layerWeightShape } from '../../src/model/gemma3-layer';
import { buildDecodeGraph, buildEmbedGraph, buildLayerGraph, buildLossHeadGraph, vocabShards } from '../../src/model/gemma3-graphs';
import { LORA_MODULES, projectionShape } from '../../src/model/peft';
import { graphMemory } from './graph-memory';

export interface Workload {
  batch: number;
  seq: number;
  /** Rows per micro-batch (gradient accumulation when < batch). */
  micro: number;
  rank: number;
  chunkRows: number;
  /** Largest buffer one binding may hold (the runner caps vocab shards at 512 MiB). */
  maxBindingBytes: number;
}

export interface PlanItem {
  name: string;
  bytes: number;
  how: string;
}

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

export function weightBytes(cfg: Gemma3Config): number {
  const perLayer = LAYER_WEIGHTS.reduce((a, n) => a + prod(layerWeightShape(cfg, n)), 0);
  return 4 * (cfg.vocabSize * cfg.hiddenSize + cfg.numLayers * perLayer + cfg.hiddenSize);
}

export function loraBytes(cfg: Gemma3Config, rank: number): number {
  const perLayer = LORA_MODULES.reduce((a, m) => {
    const [inF, outF] = projectionShape(cfg, m);
    return a + rank * (inF + outF);
  }, 0);
  return 4 * cfg.numLayers * perLayer;
}

function loraSpec(rank: number): LoraSpec {
  return { modules: Object.fromEntries(LORA_MODULES.map((m) => [m, { rank, scale: 2 }])) };
}

const fixtureObjective = (logp: Parameters<typeof op.mul>[0], x: Record<string, Parameters<typeof op.mul>[0]>) => op.neg(op.reduceSum(op.mul(logp, x.coef), 0));

/** Working sets of the training step's graphs: peak (intermediates + outputs) and outputs. */
export function trainGraphs(cfg: Gemma3Config, w: Workload) {
  const shards = vocabShards(cfg.vocabSize, cfg.hiddenSize, Math.min(w.maxBindingBytes, 512 * 2 ** 20));
  const lora = loraSpec(w.rank);
  const b = w.micro;
  const chunkRows = Math.min(w.chunkRows, b * w.seq);
  const params = Object.keys(lora.modules).flatMap((m) => {
    const [inF, outF] = projectionShape(cfg, m as (typeof LORA_MODULES)[number]);
    return Array.from({ length: cfg.numLayers }, (_, l) => [
      { name: `lora.${l}.${m}.A`, shape: [w.rank, inF] },
      { name: `lora.${l}.${m}.B`, shape: [outF, w.rank] },
    ]).flat();
  });
  return {
    embed: graphMemory(buildEmbedGraph(cfg, b, w.seq, shards)),
    layer_forward: graphMemory(buildLayerGraph(cfg, lora, b, w.seq, 'forward')),
    loss_head: graphMemory(buildLossHeadGraph(cfg, shards, { batch: b, seq: w.seq, chunkRows, perTokenInputs: ['coef'], objective: fixtureObjective, withGradient: true })),
    layer_backward: graphMemory(buildLayerGraph(cfg, lora, b, w.seq, 'backward')),
    adamw: graphMemory(buildAdamWGraph(params, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, maxGradNorm: 1 })),
  };
}

/**
 * The loss head as onnxruntime runs it: measured on SwiftShader at 1, 2 and 4 chunks per run (48.0,
 * 8.1 and 6.0 MiB against 48, 8 and 6 predicted), its first run keeps one [chunkRows, vocab] logits
 * buffer per chunk plus two more, i.e. (rows + 2 x chunkRows) x vocab x 4 bytes: the chunks are not
 * run one after another (onnxruntime's execution order computes several chunks' logits before
 * their consumers), so chunkRows barely bounds it; the rows per run (micro-batch) do.
 */
export function lossHeadAsScheduled(cfg: Gemma3Config, w: Workload): number {
  const rows = w.micro * w.seq;
  return (rows + 2 * Math.min(w.chunkRows, rows)) * cfg.vocabSize * 4;
}

/** The training step's memory, term by term, and the predicted steady peak. */
export function trainPlan(cfg: Gemma3Config, w: Workload): { items: PlanItem[]; peak: number; graphs: ReturnType<typeof trainGraphs>; peakAsScheduled: number } {
  const rows = w.micro * w.seq;
  const state = rows * cfg.hiddenSize * 4;
  const lora = loraBytes(cfg, w.rank);
  const g = trainGraphs(cfg, w);
  const types = new Set(cfg.layerTypes).size;
  const internal = (m: { peak: number; outputs: number }) => m.peak - m.outputs;
  const items: PlanItem[] = [
    { name: 'weights (fp32)', bytes: weightBytes(cfg), how: 'vocab x hidden + layers x (projections + norms) + final norm, 4 bytes each' },
    { name: 'LoRA parameters', bytes: lora, how: `layers x sum over 7 projections of r x (in + out), r = ${w.rank}` },
    { name: 'Adam moments m, v', bytes: 2 * lora, how: '2 x LoRA' },
    { name: 'LoRA gradients (accumulated)', bytes: lora * (w.micro < w.batch ? 2 : 1), how: w.micro < w.batch ? 'running sum + one micro-batch' : '1 x LoRA' },
    { name: 'saved layer inputs', bytes: (cfg.numLayers + 1) * state, how: `(layers + 1) x micro-batch rows (${rows}) x hidden x 4: every layer's input, kept for the backward` },
    { name: 'gradient of hidden (in, out)', bytes: 2 * state, how: 'd loss / d hidden into and out of the layer being differentiated' },
    { name: 'masks + RoPE tables', bytes: types * (w.micro * w.seq * w.seq + 2 * rows * cfg.headDim) * 4, how: 'per attention kind: [B, 1, T, T] mask + cos/sin [B, 1, T, D]' },
    { name: 'embed graph (intermediates)', bytes: internal(g.embed), how: 'graph liveness' },
    { name: 'layer forward graph (intermediates)', bytes: internal(g.layer_forward), how: 'graph liveness' },
    { name: 'loss head graph (chunk working set)', bytes: internal(g.loss_head), how: `graph liveness: one chunk's [chunkRows = ${Math.min(w.chunkRows, rows)}, vocab shard] logits, probabilities and their products` },
    { name: 'layer backward graph (intermediates)', bytes: internal(g.layer_backward), how: 'graph liveness: recomputed forward + vector-Jacobian product' },
    { name: 'AdamW graph (new params, moments)', bytes: g.adamw.peak, how: 'graph liveness: 3 x LoRA outputs + intermediates' },
  ];
  const peak = items.reduce((a, i) => a + i.bytes, 0);
  return { items, peak, graphs: g, peakAsScheduled: peak - internal(g.loss_head) + lossHeadAsScheduled(cfg, w) };
}

/**
 * Decode: weights + LoRA + the KV caches (allocated once; the prefill writes them and decode runs
 * update them in place) + the larger of the prefill's and a decode run's intermediates. `steps` is
 * the generator's decode steps per run (8 on WebGPU).
 */
export function decodePlan(cfg: Gemma3Config, w: { batch: number; prompt: number; newTokens: number; rank: number; maxBindingBytes: number; steps?: number }): { items: PlanItem[]; peak: number } {
  const shards = vocabShards(cfg.vocabSize, cfg.hiddenSize, Math.min(w.maxBindingBytes, 512 * 2 ** 20));
  const seq = Math.ceil(w.prompt / 32) * 32;
  const steps = Math.min(w.steps ?? 8, Math.max(1, w.newTokens - 1));
  const runs = Math.ceil(Math.max(1, w.newTokens - 1) / steps);
  const cacheLen = seq + runs * steps;
  const lora = loraSpec(w.rank);
  const sampling = { kind: 'sample', topK: 0, topP: 1 } as const;
  const prefill = graphMemory(buildDecodeGraph(cfg, { batch: w.batch, seq, cacheLen, lora, shards, sampling }));
  // The run's cache outputs alias its inputs: measured on the variant that outputs only the new entries.
  const run = graphMemory(buildDecodeGraph(cfg, { batch: w.batch, seq: 1, cacheLen, lora, shards, sampling, steps, cacheWrite: 'host' }));
  const cache = 2 * cfg.numLayers * w.batch * cfg.numKvHeads * cacheLen * cfg.headDim * 4;
  const internal = (m: { peak: number; outputs: number }) => m.peak - m.outputs;
  const items: PlanItem[] = [
    { name: 'weights (fp32)', bytes: weightBytes(cfg), how: 'as for training' },
    { name: 'LoRA parameters', bytes: loraBytes(cfg, w.rank), how: 'as for training' },
    { name: 'KV caches', bytes: cache, how: `2 x layers x [B, kv heads, ${cacheLen} slots, head dim], written in place` },
    {
      name: 'prefill or decode-run intermediates (larger)',
      bytes: Math.max(internal(prefill), internal(run)),
      how: `graph liveness: prefill of ${w.batch} x ${seq} tokens ${(internal(prefill) / 2 ** 20).toFixed(1)} MiB, a ${steps}-step decode run ${(internal(run) / 2 ** 20).toFixed(1)} MiB`,
    },
  ];
  return { items, peak: items.reduce((a, i) => a + i.bytes, 0) };
}
