import { describe, expect, it } from 'vitest';
import { Graph } from '../../src/graph/graph';
import * as nn from '../../src/graph/nn';
import * as op from '../../src/graph/ops';
import { buildDecodeGraph, type VocabShard } from '../../src/model/gemma3-graphs';
import { quantizeRows } from '../../src/model/quantize';
import type { WeightDtype } from '../../src/model/weight-dtype';
import { gpuMemory, TensorStore } from '../../src/runtime/device';
import { benchConfig } from '../../bench/gemma3-config';
import { GraphSession } from '../../src/runtime/graph-session';
import { int8VersusDequantized, referenceQuantize } from '../support/quantized-check';
import { relL2, rng, uniform } from '../support/random';

// 8-bit weights on the WebGPU EP (CPU fallback disabled): DequantizeLinear per axis and Gather of
// uint8 rows run on the GPU without shader-f16 (SwiftShader has none).
describe('int8 weights on the WebGPU backend', () => {
  it('a decode run holds about one dequantized vocab shard at a time, not one per step (first-run allocation, measured)', async () => {
    // Hidden 256, 2 layers, 3 vocab shards of 2048 rows (2 MiB each in float32, 6 MiB in all).
    const cfg = benchConfig(2, 6144, { hidden: 256, intermediate: 1024, heads: 4, 'kv-heads': 1, 'head-dim': 64 });
    const shards: VocabShard[] = [0, 1, 2].map((s) => ({ start: 2048 * s, end: 2048 * (s + 1) }));
    const store = await TensorStore.create('webgpu');
    const firstRun = async (weightDtype: WeightDtype, steps: number) => {
      const g = buildDecodeGraph(cfg, { batch: 2, seq: 1, cacheLen: 64, lora: { modules: {} }, shards, sampling: { kind: 'sample', topK: 0, topP: 1 }, steps, weightDtype });
      const feeds = Object.fromEntries(
        g.inputs.map(({ tensor: t }) => [
          t.name,
          t.dtype === 'uint8' ? store.upload(quantizeRows(uniform(t.size, -1, 1, rng(t.size)), t.shape[0], t.shape[1]).bytes, t.shape) : t.dtype === 'int32' ? store.upload(new Int32Array(t.size), t.shape) : store.upload(uniform(t.size, 0.1, 0.5, rng(7)), t.shape),
        ]),
      );
      const sess = await GraphSession.create(g, 'webgpu', { preferredOutputLocation: 'gpu-buffer' });
      const before = gpuMemory.live;
      gpuMemory.resetPeak();
      const out = await sess.run(feeds);
      await store.device!.queue.onSubmittedWorkDone();
      const bytes = gpuMemory.peak - before;
      for (const t of [...Object.values(out), ...Object.values(feeds)]) t.dispose();
      await sess.release();
      return bytes;
    };
    const MiB = 2 ** 20;
    // First in this file, so that onnxruntime's buffer cache holds no buffers of these sizes yet
    // (a session reuses buffers other sessions released: measured later, the run allocates ~nothing).
    const eight = await firstRun('int8', 8);
    console.log(`decode run of 8 steps, int8 weights: first run allocates ${(eight / MiB).toFixed(2)} MiB (a shard is 2 MiB in float32, a layer's projections 3.6 MiB)`);
    // Made after the final norm, a shard's copy ran ahead of each step and stayed: 18.85 MiB measured.
    expect(eight).toBeLessThan(2 * 2 * MiB + 3.7 * MiB + 1 * MiB);
    expect(eight).toBeGreaterThan(2 * MiB);
  });


  it('DequantizeLinear and Gather of 8-bit rows give the reference values exactly', async () => {
    const rows = 7;
    const cols = 9; // odd: the bytes do not fill whole 4-byte words
    const w = uniform(rows * cols, -3, 3, rng(5));
    const q = quantizeRows(w, rows, cols);
    const g = new Graph('dq');
    const qw = g.input('q', 'uint8', [rows, cols], { gpuResident: true });
    const s = g.input('s', 'float32', [rows], { gpuResident: true });
    const idx = g.input('idx', 'int32', [3]);
    g.output(nn.dequantizeRows(qw, s), 'all');
    g.output(nn.dequantizeRows(op.gather(qw, idx, 0), op.gather(s, idx, 0)), 'picked');
    const store = await TensorStore.create('webgpu');
    const sess = await GraphSession.create(g, 'webgpu', { preferredOutputLocation: 'gpu-buffer' });
    const out = await sess.run({ q: store.upload(q.bytes, [rows, cols]), s: store.upload(q.scales, [rows]), idx: Int32Array.from([6, 0, 3]) });
    const ref = referenceQuantize(w, rows, cols).values;
    expect(Array.from(await store.read(out.all))).toEqual(Array.from(ref));
    const picked = [6, 0, 3].flatMap((r) => Array.from(ref.subarray(r * cols, (r + 1) * cols)));
    expect(Array.from(await store.read(out.picked))).toEqual(picked);
    expect(relL2(await store.read(out.all), w)).toBeLessThan(0.02);
  });

  it('runner: logits, log-probs, loss, LoRA gradients and decode logits equal the float32 runner on the dequantized weights', async () => {
    const errors = await int8VersusDequantized('webgpu');
    console.log(`int8 vs dequantized float32 on WebGPU, largest relative L2: ${Math.max(...errors.values()).toExponential(2)} over ${errors.size} tensors`);
    expect(errors.size).toBeGreaterThan(30);
    for (const [name, err] of errors) expect(err, name).toBeLessThan(1e-5);
  });

});
