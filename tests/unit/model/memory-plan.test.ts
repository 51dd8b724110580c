/**
 * The memory planner's closed forms against the liveness of the graphs the runner builds
 * (bench/lib/graph-memory.ts walks each graph's nodes in order), at the 1B widths and at reduced
 * ones, and the budget choice and its refusal.
 */
import { describe, expect, it } from 'vitest';
import { buildAdamWGraph } from '../../../src/graph/adamw';
import type { Tensor } from '../../../src/graph/graph';
import * as op from '../../../src/graph/ops';
import { gemma3_1bConfig, type Gemma3Config } from '../../../src/model/config';
import { buildDecodeGraph, buildEmbedGraph, buildLayerGraph, buildLossChunkGraph, vocabShards } from '../../../src/model/gemma3-graphs';
import {
  choosePlan,
  decodeRunBytes,
  dequantizedHeadBytes,
  dequantizedLayerBytes,
  dequantizedProjectionBytes,
  dequantizedShardBytes,
  embedGraphBytes,
  GiB,
  layerBackwardBytes,
  layerForwardBytes,
  loraBytes,
  lossChunkBytes,
  MemoryBudgetError,
  memoryTerms,
  planFor,
  prefillBytes,
  weightBytes,
  type StepShape,
} from '../../../src/model/memory-plan';
import { LORA_MODULES, projectionShape, type LoraModuleName } from '../../../src/model/peft';
import { graphMemory } from '../../../bench/lib/graph-memory';
import { EVAL_BATCH_SIZE, evalBatchSize, planGrpoStep } from '../../../src/grpo/memory-budget';
import { DEFAULT_CONFIG } from '../../../src/grpo/config';

const internal = (m: { peak: number; outputs: number }) => m.peak - m.outputs;
const close = (planned: number, liveness: number, tol: number) => expect(Math.abs(planned - liveness) / liveness).toBeLessThan(tol);

function shrunk(over: Partial<Gemma3Config>): Gemma3Config {
  const base = gemma3_1bConfig();
  const cfg = { ...base, ...over };
  const layers = cfg.numLayers;
  cfg.layerTypes = base.layerTypes.slice(0, layers);
  if (!cfg.layerTypes.includes('full_attention')) cfg.layerTypes[layers - 1] = 'full_attention';
  cfg.layerRope = cfg.layerTypes.map((t) => base.rope[t]);
  cfg.queryPreAttnScalar = cfg.headDim;
  return cfg;
}

const ONE_B = gemma3_1bConfig();
const SMALL = shrunk({ numLayers: 2, hiddenSize: 256, intermediateSize: 1024, numHeads: 4, numKvHeads: 1, headDim: 64, vocabSize: 8192 });
const loraSpec = (r: number, modules: readonly LoraModuleName[]) => ({ modules: Object.fromEntries(modules.map((m) => [m, { rank: r, scale: 2 }])) });
const shardsOf = (cfg: Gemma3Config) => vocabShards(cfg.vocabSize, cfg.hiddenSize, 512 * 2 ** 20);

describe('memory plan terms = graph liveness', () => {
  const cases: [string, Gemma3Config, number, number, number, readonly LoraModuleName[]][] = [
    ['1B, 8 x 512, r 16, all projections', ONE_B, 8, 512, 16, LORA_MODULES],
    ['1B, 1 x 1024, r 16, all projections', ONE_B, 1, 1024, 16, LORA_MODULES],
    ['1B, 2 x 256, r 8, q and v only', ONE_B, 2, 256, 8, ['q_proj', 'v_proj']],
    ['reduced widths, 2 x 64, r 4', SMALL, 2, 64, 4, LORA_MODULES],
  ];
  for (const [name, cfg, b, t, r, modules] of cases) {
    it(`layer forward and backward: ${name}`, () => {
      const lora = { r, modules };
      const forward = internal(graphMemory(buildLayerGraph(cfg, loraSpec(r, modules), b, t, 'forward')));
      const backward = internal(graphMemory(buildLayerGraph(cfg, loraSpec(r, modules), b, t, 'backward')));
      if (modules.length === LORA_MODULES.length) {
        close(layerForwardBytes(cfg, b * t), forward, 1e-3);
        close(layerBackwardBytes(cfg, b, t, lora), backward, 1e-3);
      } else {
        // Without LoRA on every MLP projection fewer [rows, intermediate] tensors are alive: an upper bound.
        for (const [planned, live] of [[layerForwardBytes(cfg, b * t), forward], [layerBackwardBytes(cfg, b, t, lora), backward]]) {
          expect(planned).toBeGreaterThanOrEqual(live);
          expect(planned / live).toBeLessThan(1.3);
        }
      }
    });
  }

  for (const [name, cfg] of [['1B (3 vocab shards)', ONE_B], ['reduced (1 shard)', SMALL]] as const) {
    it(`embed and loss chunk: ${name}`, () => {
      const shards = shardsOf(cfg);
      expect(shards.length).toBe(cfg === ONE_B ? 3 : 1);
      close(embedGraphBytes(cfg, 8 * 512), internal(graphMemory(buildEmbedGraph(cfg, 8, 512, shards))), 1e-3);
      for (const rows of [512, 96]) {
        const g = buildLossChunkGraph(cfg, shards, { batch: 8, seq: 512, rows, perTokenInputs: ['w'], objective: (l, x) => op.neg(op.reduceSum(op.mul(l, x.w), [0])), withGradient: true });
        close(lossChunkBytes(cfg, rows), internal(graphMemory(g)), 1e-3);
      }
    });
  }

  it('prefill and a decode run (1B widths, 2 layers)', () => {
    const cfg = shrunk({ numLayers: 2 });
    const shards = shardsOf(cfg);
    const lora = loraSpec(16, LORA_MODULES);
    const sampling = { kind: 'sample', topK: 0, topP: 1 } as const;
    for (const [b, seq] of [[8, 64], [2, 32]]) {
      const cacheLen = seq + 64;
      close(prefillBytes(cfg, b, seq), internal(graphMemory(buildDecodeGraph(cfg, { batch: b, seq, cacheLen, lora, shards, sampling }))), 1e-3);
      close(decodeRunBytes(cfg, b), internal(graphMemory(buildDecodeGraph(cfg, { batch: b, seq: 1, cacheLen, lora, shards, sampling, steps: 8, cacheWrite: 'host' }))), 1e-3);
    }
  });

  it('AdamW graph: within 1% above its liveness', () => {
    const cfg = SMALL;
    const lora = { r: 4, modules: LORA_MODULES };
    const params = LORA_MODULES.flatMap((m) => {
      const [inF, outF] = projectionShape(cfg, m);
      return Array.from({ length: cfg.numLayers }, (_, l) => [
        { name: `lora.${l}.${m}.A`, shape: [4, inF] },
        { name: `lora.${l}.${m}.B`, shape: [outF, 4] },
      ]).flat();
    });
    const live = graphMemory(buildAdamWGraph(params, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, maxGradNorm: 1 })).peak;
    const planned = memoryTerms(cfg, { completions: 2, seq: 64, lossRowsPerSequence: 32, lora, generation: null }, { microBatch: 2, chunkRows: 64 }).find((t) => t.key === 'adamw')!.bytes;
    expect(planned).toBeGreaterThanOrEqual(live);
    expect(planned / live).toBeLessThan(1.1);
  });

  it('weights and LoRA: counted from the shapes', () => {
    // 1B: 999,885,952 parameters (Hugging Face's count for gemma-3-1b-it); LoRA r = 16 on every projection.
    expect(weightBytes(ONE_B)).toBe(4 * 999_885_952);
    let lora = 0;
    for (const m of LORA_MODULES) lora += 16 * (projectionShape(ONE_B, m)[0] + projectionShape(ONE_B, m)[1]);
    expect(loraBytes(ONE_B, { r: 16, modules: LORA_MODULES })).toBe(4 * 26 * lora);
  });
});

describe('int8 weights: planned terms = graph liveness', () => {
  const lora = loraSpec(16, LORA_MODULES);
  const MiB = 2 ** 20;

  it('weights: one byte per projection and embedding value, a float32 scale per row, float32 norms', () => {
    // 1B: 999,885,952 parameters, of which the norms are 26 x (4 x 1152 + 2 x 256) + 1152 = 134,272.
    const norms = 26 * (4 * 1152 + 2 * 256) + 1152;
    // Rows with a scale: the vocabulary and, per layer, q 1024 + k 256 + v 256 + o 1152 + gate 6912 + up 6912 + down 1152.
    const rows = 262_144 + 26 * (1024 + 256 + 256 + 1152 + 6912 + 6912 + 1152);
    expect(weightBytes(ONE_B, 'int8')).toBe(999_885_952 - norms + 4 * rows + 4 * norms);
    expect(weightBytes(ONE_B, 'int8') / weightBytes(ONE_B)).toBeLessThan(0.26);
  });

  for (const [name, cfg, b, t] of [['1B, 8 x 512', ONE_B, 8, 512], ['1B, 1 x 1024', ONE_B, 1, 1024], ['1B, 2 x 64', ONE_B, 2, 64], ['reduced, 2 x 64', SMALL, 2, 64]] as const) {
    it(`layer graphs hold their dequantized projections: ${name}`, () => {
      const extra = (mode: 'forward' | 'backward') => internal(graphMemory(buildLayerGraph(cfg, lora, b, t, mode, 'lora', 'int8'))) - internal(graphMemory(buildLayerGraph(cfg, lora, b, t, mode)));
      // Forward: one weight dequantized at a time (at most the largest projection on top of the fp32 peak).
      const fwd = extra('forward');
      expect(fwd).toBeGreaterThanOrEqual(0);
      expect(fwd).toBeLessThanOrEqual(dequantizedProjectionBytes(cfg));
      // Backward: the projections live from the recomputed forward to their VJP; at the peak all but at most one.
      const bwd = extra('backward');
      expect(bwd).toBeLessThanOrEqual(dequantizedLayerBytes(cfg));
      expect(bwd).toBeGreaterThanOrEqual(dequantizedLayerBytes(cfg) - dequantizedProjectionBytes(cfg) - 1);
    });
  }

  for (const [name, cfg] of [['1B (3 vocab shards)', ONE_B], ['reduced (1 shard)', SMALL]] as const) {
    it(`embed gathers 8-bit rows (nothing dequantized beyond them); loss chunk holds one dequantized shard: ${name}`, () => {
      const shards = shardsOf(cfg);
      const embed = (dtype: 'float32' | 'int8') => internal(graphMemory(buildEmbedGraph(cfg, 8, 512, shards, dtype)));
      close(embedGraphBytes(cfg, 8 * 512), embed('int8'), 1e-3);
      for (const rows of [512, 96, 32]) {
        const o = { batch: 8, seq: 512, rows, perTokenInputs: ['w'], objective: (l: Tensor, x: Record<string, Tensor>) => op.neg(op.reduceSum(op.mul(l, x.w), [0])), withGradient: true };
        const int8 = internal(graphMemory(buildLossChunkGraph(cfg, shards, { ...o, weightDtype: 'int8' })));
        close(lossChunkBytes(cfg, rows) + dequantizedHeadBytes(cfg, rows), int8, 1e-3);
      }
    });
  }

  it('prefill and a decode run: the dequantized vocab shards, made before the final norm (1B widths, 2 layers)', () => {
    // In build order every shard's float32 copy is made before the step's final norm (so that
    // onnxruntime runs each just before its product: tests/webgpu/quantized-weights.test.ts measures
    // one shard at a time there); the plan counts one shard, the build-order liveness all of them.
    const cfg = shrunk({ numLayers: 2 });
    const shards = shardsOf(cfg);
    const sampling = { kind: 'sample', topK: 0, topP: 1 } as const;
    for (const [b, seq] of [[8, 64], [2, 32]]) {
      const cacheLen = seq + 64;
      const prefill = internal(graphMemory(buildDecodeGraph(cfg, { batch: b, seq, cacheLen, lora, shards, sampling, weightDtype: 'int8' })));
      const decode = internal(graphMemory(buildDecodeGraph(cfg, { batch: b, seq: 1, cacheLen, lora, shards, sampling, steps: 8, cacheWrite: 'host', weightDtype: 'int8' })));
      for (const [live, fp32] of [[prefill, prefillBytes(cfg, b, seq)], [decode, decodeRunBytes(cfg, b)]]) {
        expect(live).toBeLessThanOrEqual(fp32 + shards.length * dequantizedShardBytes(cfg));
        expect(live - fp32).toBeGreaterThan(0.85 * dequantizedShardBytes(cfg));
      }
    }
    expect(dequantizedShardBytes(ONE_B) / MiB).toBeCloseTo(384, 0);
  });

  it('the 1B 8 x 512 step fits 4 GiB with int8 weights (not with fp32), and the terms are there', () => {
    const shape: StepShape = { completions: 8, seq: 512, lossRowsPerSequence: 256, lora: { r: 16, modules: LORA_MODULES }, generation: { promptLength: 64, newTokens: 256, stepsPerRun: 8 } };
    const int8 = choosePlan(ONE_B, { ...shape, weightDtype: 'int8' }, 4 * GiB);
    expect(int8.total).toBeLessThanOrEqual(4 * GiB);
    expect(int8.microBatch * int8.accumulationSteps).toBe(8);
    expect(int8.terms.map((t) => t.key)).toEqual(expect.arrayContaining(['dequant_forward', 'dequant_backward', 'dequant_head', 'dequant_decode']));
    expect(int8.terms.find((t) => t.key === 'weights')!.bytes).toBe(weightBytes(ONE_B, 'int8'));
    expect(() => choosePlan(ONE_B, shape, 4 * GiB)).toThrow(MemoryBudgetError);
    expect(planFor(ONE_B, shape, { microBatch: 8, chunkRows: 512 }, 4 * GiB).terms.some((t) => t.key.startsWith('dequant'))).toBe(false);
  });
});

describe('evaluation within the plan', () => {
  it("generates at most the step's completions at once, so its generation fits in the plan's", () => {
    const config = { ...DEFAULT_CONFIG, per_device_train_batch_size: 4, gradient_accumulation_steps: 1, num_generations: 4 };
    expect(evalBatchSize(config)).toBe(4);
    expect(evalBatchSize({ ...config, per_device_train_batch_size: 2, gradient_accumulation_steps: 8 })).toBe(8);
    const plan = planGrpoStep(ONE_B, config, 6 * GiB, 8);
    const generation = (p: { terms: { group: string; bytes: number }[] }) => p.terms.filter((t) => t.group === 'generation').reduce((a, t) => a + t.bytes, 0);
    const asEval = planGrpoStep(ONE_B, { ...config, per_device_train_batch_size: evalBatchSize(config) }, 64 * GiB, 8);
    expect(generation(asEval)).toBeLessThanOrEqual(generation(plan));
    // The default batch of 8 would not have been covered by this 4-completion plan.
    expect(generation(planGrpoStep(ONE_B, { ...config, per_device_train_batch_size: EVAL_BATCH_SIZE }, 64 * GiB, 8))).toBeGreaterThan(generation(plan));
  });
});

describe('choosing a plan within a budget', () => {
  const shape: StepShape = { completions: 8, seq: 512, lossRowsPerSequence: 256, lora: { r: 16, modules: LORA_MODULES }, generation: { promptLength: 256, newTokens: 256, stepsPerRun: 8 } };

  it('takes the largest micro-batch, then the largest chunk, that fits', () => {
    const roomy = choosePlan(ONE_B, shape, 64 * GiB);
    expect([roomy.microBatch, roomy.chunkRows, roomy.accumulationSteps]).toEqual([8, 512, 1]);
    const plan = choosePlan(ONE_B, shape, 6 * GiB);
    expect(plan.fits).toBe(true);
    expect(plan.total).toBeLessThanOrEqual(6 * GiB);
    expect(plan.microBatch * plan.accumulationSteps).toBe(8);
    // Maximal: the next larger micro-batch does not fit with any chunk.
    const larger = [8, 4, 2, 1].filter((m) => m > plan.microBatch);
    for (const m of larger) expect(planFor(ONE_B, shape, { microBatch: m, chunkRows: 32 }, 6 * GiB).fits).toBe(false);
    // The user's per_device_train_batch_size caps it.
    expect(choosePlan(ONE_B, shape, 64 * GiB, 2).microBatch).toBe(2);
  });

  it('the total is the sum of its terms, and each term grows with the micro-batch where it should', () => {
    const a = planFor(ONE_B, shape, { microBatch: 2, chunkRows: 128 }, 6 * GiB);
    const b = planFor(ONE_B, shape, { microBatch: 4, chunkRows: 128 }, 6 * GiB);
    expect(a.total).toBe(a.terms.reduce((s, t) => s + t.bytes, 0));
    const by = (p: typeof a, k: string) => p.terms.find((t) => t.key === k)!.bytes;
    expect(by(b, 'saved_inputs')).toBe(2 * by(a, 'saved_inputs'));
    expect(by(b, 'layer_forward')).toBe(2 * by(a, 'layer_forward'));
    expect(by(b, 'weights')).toBe(by(a, 'weights'));
    expect(by(b, 'kv_cache')).toBe(by(a, 'kv_cache'));
  });

  it('refuses with the smallest plan and what dominates it', () => {
    let err: unknown;
    try {
      choosePlan(ONE_B, shape, 3 * GiB);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MemoryBudgetError);
    const e = err as MemoryBudgetError;
    expect(e.message).toMatch(/GPU memory budget 3\.00 GiB is too small/);
    expect(e.message).toMatch(/weights \(fp32\) 3\.72 GiB/);
    expect(e.smallest.microBatch).toBe(1);
    expect(e.smallest.total).toBeGreaterThan(3 * GiB);
    expect(() => choosePlan(ONE_B, shape, 0)).toThrow(/positive/);
  });
});
