import { describe, expect, it } from 'vitest';
import { Graph } from '../../src/graph/graph';
import * as nn from '../../src/graph/nn';
import * as op from '../../src/graph/ops';
import { quantizeRows } from '../../src/model/quantize';
import { TensorStore } from '../../src/runtime/device';
import { GraphSession } from '../../src/runtime/graph-session';
import { int8VersusDequantized, referenceQuantize } from '../support/quantized-check';
import { relL2, rng, uniform } from '../support/random';

// 8-bit weights on the WebGPU EP (CPU fallback disabled): DequantizeLinear per axis and Gather of
// uint8 rows run on the GPU without shader-f16 (SwiftShader has none).
describe('int8 weights on the WebGPU backend', () => {
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
