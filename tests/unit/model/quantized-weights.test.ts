/**
 * 8-bit frozen weights (weightDtype 'int8'): the quantizer against a plain JS reference, the graphs'
 * dequantization, and the runner against the same runner given the dequantized weights as float32
 * (wasm backend).
 */
import { describe, expect, it } from 'vitest';
import { gradients } from '../../../src/graph/autodiff';
import { Graph } from '../../../src/graph/graph';
import * as nn from '../../../src/graph/nn';
import * as op from '../../../src/graph/ops';
import { buildEmbedGraph, buildLayerGraph, buildLogitsGraph, embedShardName, vocabShards } from '../../../src/model/gemma3-graphs';
import { Gemma3Runner } from '../../../src/model/gemma3-runner';
import { dequantizeRows, quantizeRows, quantizeRowsFromChunks, scaleName } from '../../../src/model/quantize';
import { TensorStore } from '../../../src/runtime/device';
import { GraphSession } from '../../../src/runtime/graph-session';
import { ort } from '../../../src/runtime/ort';
import { int8VersusDequantized, openFixture, referenceQuantize } from '../../support/quantized-check';
import { relL2, rng, uniform } from '../../support/random';

/** Random rows of very different magnitudes, one all-zero row and one with a single non-zero value. */
function testMatrix(rows: number, cols: number, seed: number): Float32Array {
  const rand = rng(seed);
  const w = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const mag = 10 ** (6 * rand() - 4);
    for (let c = 0; c < cols; c++) w[r * cols + c] = (2 * rand() - 1) * mag;
  }
  w.fill(0, 2 * cols, 3 * cols);
  w.fill(0, 4 * cols, 5 * cols);
  w[4 * cols + 3] = -0.37;
  return w;
}

describe('int8 quantizer', () => {
  const rows = 37;
  const cols = 53;
  const w = testMatrix(rows, cols, 3);
  const ref = referenceQuantize(w, rows, cols);
  const q = quantizeRows(w, rows, cols);

  it('gives the reference per-row scales and values (stored + 128), within [-127, 127]', () => {
    expect(Array.from(q.scales)).toEqual(Array.from(ref.scales));
    expect(Array.from(q.bytes, (b) => b - 128)).toEqual(Array.from(ref.q));
    expect(Math.min(...q.bytes)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...q.bytes)).toBeLessThanOrEqual(255);
    // Each row's largest value maps to ±127.
    for (let r = 0; r < rows; r++) if (r !== 2) expect(Math.max(...Array.from(ref.q.subarray(r * cols, (r + 1) * cols), Math.abs))).toBe(127);
  });

  it('reconstructs within half a step per value; a zero row stays zero', () => {
    const d = dequantizeRows(q, cols);
    expect(Array.from(d)).toEqual(Array.from(ref.values));
    for (let i = 0; i < w.length; i++) expect(Math.abs(d[i] - w[i])).toBeLessThanOrEqual(q.scales[Math.floor(i / cols)] * 0.5000001);
    expect(q.scales[2]).toBe(0);
    expect(Array.from(d.subarray(2 * cols, 3 * cols)).every((x) => x === 0)).toBe(true);
    expect(d[4 * cols + 3]).toBeCloseTo(-0.37, 6);
  });

  it('streams: chunks that split rows give the same rows, any row range', async () => {
    async function* chunks(size: number) {
      for (let i = 0; i < w.length; i += size) yield { elementOffset: i, values: w.subarray(i, i + size) };
    }
    for (const size of [1, 7, cols, 200, w.length]) {
      const part = await quantizeRowsFromChunks(chunks(size), cols, 5, 30);
      expect(Array.from(part.bytes)).toEqual(Array.from(q.bytes.subarray(5 * cols, 30 * cols)));
      expect(Array.from(part.scales)).toEqual(Array.from(q.scales.subarray(5, 30)));
    }
    await expect(quantizeRowsFromChunks(chunks(100), cols, 0, rows + 1)).rejects.toThrow(/ended at element/);
  });

  it('refuses non-finite values', () => {
    expect(() => quantizeRows(Float32Array.from([1, Number.NaN]), 1, 2)).toThrow(/non-finite/);
  });
});

describe('DequantizeLinear in graphs (wasm)', () => {
  it('dequantizes rows as the reference does; autodiff passes through to LoRA, refuses scales', async () => {
    const rows = 6;
    const cols = 10;
    const w = testMatrix(rows, cols, 9);
    const q = quantizeRows(w, rows, cols);
    const g = new Graph('dq');
    const x = g.input('x', 'float32', [3, cols]);
    const qw = g.input('q', 'uint8', [rows, cols]);
    const s = g.input('s', 'float32', [rows]);
    const y = op.linear(x, nn.dequantizeRows(qw, s));
    const loss = op.reduceSum(op.mul(y, y), [0, 1]);
    const [dx] = gradients(loss, [x]);
    g.output(y, 'y');
    g.output(dx, 'dx');
    expect(() => gradients(loss, [s])).toThrow(/no gradient to the quantization scale/);
    const xv = uniform(3 * cols, -1, 1, rng(4));
    const sess = await GraphSession.create(g, 'wasm');
    const out = await sess.run({ x: xv, q: new ort.Tensor('uint8', q.bytes, [rows, cols]), s: q.scales });
    // Reference: float64 products with the reference dequantized weights.
    const wd = referenceQuantize(w, rows, cols).values;
    const yRef = new Float64Array(3 * rows);
    for (let i = 0; i < 3; i++) for (let o = 0; o < rows; o++) for (let c = 0; c < cols; c++) yRef[i * rows + o] += xv[i * cols + c] * wd[o * cols + c];
    expect(relL2(out.y.data as Float32Array, yRef)).toBeLessThan(1e-6);
    const dxRef = new Float64Array(3 * cols);
    for (let i = 0; i < 3; i++) for (let o = 0; o < rows; o++) for (let c = 0; c < cols; c++) dxRef[i * cols + c] += 2 * yRef[i * rows + o] * wd[o * cols + c];
    expect(relL2(out.dx.data as Float32Array, dxRef)).toBeLessThan(1e-6);
  });

  it('only uint8 with a float32 scale per row', () => {
    const g = new Graph('bad');
    expect(() => nn.dequantizeRows(g.input('f', 'float32', [2, 3]), g.input('s', 'float32', [2]))).toThrow(/DequantizeLinear/);
    expect(() => nn.dequantizeRows(g.input('q', 'uint8', [2, 3]), g.input('s3', 'float32', [3]))).toThrow(/scale/);
  });

  it('embedding and logits over several 8-bit vocab shards equal the float32 graphs on the dequantized shards', async () => {
    const { cfg, model } = await openFixture();
    await model.close();
    const shards = vocabShards(cfg.vocabSize, cfg.hiddenSize, 100 * cfg.hiddenSize * 4); // 4 shards
    expect(shards.length).toBeGreaterThan(2);
    const e = testMatrix(cfg.vocabSize, cfg.hiddenSize, 21);
    const q = quantizeRows(e, cfg.vocabSize, cfg.hiddenSize);
    const d = dequantizeRows(q, cfg.hiddenSize);
    const int8Feeds: Record<string, ort.Tensor> = {};
    const floatFeeds: Record<string, ort.Tensor> = {};
    shards.forEach(({ start, end }, s) => {
      const h = cfg.hiddenSize;
      int8Feeds[embedShardName(s)] = new ort.Tensor('uint8', q.bytes.slice(start * h, end * h), [end - start, h]);
      int8Feeds[scaleName(embedShardName(s))] = new ort.Tensor('float32', q.scales.slice(start, end), [end - start]);
      floatFeeds[embedShardName(s)] = new ort.Tensor('float32', d.slice(start * h, end * h), [end - start, h]);
    });
    const ids = Int32Array.from([0, 99, 100, 101, 383, 250, 2, 17]);
    const run = async (dtype: 'int8' | 'float32', feeds: Record<string, ort.Tensor>) => {
      const embed = await GraphSession.create(buildEmbedGraph(cfg, 2, 4, shards, dtype), 'wasm');
      const hidden = (await embed.run({ input_ids: ids, ...feeds })).hidden;
      const logits = await GraphSession.create(buildLogitsGraph(cfg, 2, 4, shards, dtype), 'wasm');
      const norm = uniform(cfg.hiddenSize, -0.5, 0.5, rng(8));
      return { hidden: hidden.data as Float32Array, logits: (await logits.run({ hidden, 'model.norm.weight': norm, ...feeds })).logits.data as Float32Array };
    };
    const a = await run('int8', int8Feeds);
    const b = await run('float32', floatFeeds);
    expect(relL2(a.hidden, b.hidden)).toBeLessThan(1e-7);
    expect(relL2(a.logits, b.logits)).toBeLessThan(1e-6);
  });
});

describe('runner with int8 weights (wasm)', () => {
  it('refuses trainable full, and a full-training graph with 8-bit weights', async () => {
    const { cfg, model } = await openFixture();
    const store = await TensorStore.create('wasm');
    await expect(Gemma3Runner.load(cfg, model, store, { lora: { modules: {} }, trainable: 'full', weightDtype: 'int8' })).rejects.toThrow(/trainable 'full'.*float32/);
    await model.close();
    expect(() => buildLayerGraph(cfg, { modules: {} }, 1, 4, 'backward', 'full', 'int8')).toThrow(/float32/);
  });

  it('stores a quarter of the bytes: uint8 projections and embedding, float32 scales and norms', async () => {
    const { cfg, model } = await openFixture();
    const runner = await Gemma3Runner.load(cfg, model, await TensorStore.create('wasm'), { lora: { modules: {} }, weightDtype: 'int8' });
    expect(runner.weights.get('model.layers.0.mlp.up_proj.weight')!.type).toBe('uint8');
    expect(runner.weights.get('model.layers.0.mlp.up_proj.weight.scale')!.dims).toEqual([cfg.intermediateSize]);
    expect(runner.weights.get('model.layers.0.input_layernorm.weight')!.type).toBe('float32');
    expect(runner.weights.get('embed.0')!.type).toBe('uint8');
    await runner.release();
    await model.close();
  });

  it('logits, log-probs, loss, LoRA gradients and decode logits equal the float32 runner on the dequantized weights', async () => {
    const errors = await int8VersusDequantized('wasm');
    expect(errors.size).toBeGreaterThan(30);
    for (const [name, err] of errors) expect(err, name).toBeLessThan(1e-5);
  }, 600_000);
});
