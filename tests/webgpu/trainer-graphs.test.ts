/**
 * The trainer's own graphs on the WebGPU EP (CPU fallback disabled): the loss head restricted to
 * the rows in the loss (gather / scatter of the hidden state), gradient accumulation and the
 * AdamW update with its skip on a non-finite gradient norm. WebGPU results are compared with the
 * same computation on wasm.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { config } from '../unit/trainer/tiny-setup';
import * as op from '../../src/graph/ops';
import type { Tensor } from '../../src/graph/graph';
import { AdamWOptimizer, loraParams } from '../../src/grpo/trainer-optimizer';
import type { Gemma3Runner } from '../../src/model/gemma3-runner';
import { readTensor } from '../../src/runtime/device';
import type { ort } from '../../src/runtime/ort';
import { loadFixture } from '../support/fixture-model';
import { relL2, rng, uniform } from '../support/random';

let gpu: Gemma3Runner;
let cpu: Gemma3Runner;
beforeAll(async () => {
  gpu = (await loadFixture('webgpu')).runner;
  cpu = (await loadFixture('wasm')).runner;
});
afterAll(async () => {
  await gpu?.release();
  await cpu?.release();
});

const B = 2;
const T = 10;
const rand = rng(3);
const inputIds = Array.from({ length: B }, () => Array.from({ length: T }, () => Math.floor(rand() * 384)));
const attentionMask = inputIds.map((row, b) => row.map((_, t) => (t < T - 2 * b ? 1 : 0)));
const rows = [3, 4, 5, 6, 7, 8, 13, 14, 15];
const weights = new Float32Array(B * T);
for (const r of rows) weights[r] = 0.05 + rand();
const coef = uniform(B * T, -1, 1, rand);
const objective = (logp: Tensor, x: Record<string, Tensor>) => op.reduceSum(op.mul(op.mul(logp, x.coef), x.weights), [0]);
const request = { inputIds, attentionMask, perToken: { weights, coef }, objectiveKey: 'webgpu-rows', objective, lossRows: Int32Array.from(rows) };

async function hostGrads(grads: Map<string, ort.Tensor>): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [k, t] of grads) out.set(k, (await readTensor(t)).slice());
  return out;
}

describe('trainer graphs on WebGPU', () => {
  it('loss head on selected rows equals wasm', async () => {
    const g = await gpu.lossAndGradients(request);
    const c = await cpu.lossAndGradients(request);
    expect(Math.abs(g.loss - c.loss) / Math.abs(c.loss)).toBeLessThan(1e-5);
    expect(relL2(rows.map((r) => g.logprobs[r]), rows.map((r) => c.logprobs[r]))).toBeLessThan(1e-5);
    const gg = await hostGrads(g.grads);
    const cg = await hostGrads(c.grads);
    for (const [k, v] of cg) expect(relL2(gg.get(k)!, v), k).toBeLessThan(1e-4);
  });

  it('accumulates gradients and applies AdamW like wasm; skips a non-finite update leaving state identical', async () => {
    const lr = 1e-2;
    const wd = 0.1;
    const cfg = config({ learning_rate: lr, max_grad_norm: 0.5, weight_decay: wd });
    const results: { m: Map<string, Float32Array>; v: Map<string, Float32Array>; gradNorm: number }[] = [];
    for (const runner of [gpu, cpu]) {
      const before = new Map<string, Float32Array>();
      for (const [k, t] of runner.lora) before.set(k, (await readTensor(t)).slice());
      const opt = AdamWOptimizer.create(loraParams(runner), cfg);
      const a = await runner.lossAndGradients(request);
      const b = await runner.lossAndGradients({ ...request, perToken: { weights, coef: coef.map((x) => -0.5 * x) } });
      const sum = await opt.accumulate(await opt.accumulate(undefined, a.grads), b.grads);
      const outcome = await opt.update(sum, lr);
      expect(outcome.applied).toBe(true);
      const state = await opt.state();
      results.push({ m: state.m, v: state.v, gradNorm: outcome.gradNorm });
      // The update AdamW prescribes at t = 1 from these moments (float64 here): decay, then m̂ / (sqrt(v̂) + eps).
      for (const [k, t] of runner.lora) {
        const p = await readTensor(t);
        const p0 = before.get(k)!;
        const m = state.m.get(k)!;
        const v = state.v.get(k)!;
        let worst = 0;
        for (let i = 0; i < p.length; i++) {
          const want = p0[i] * (1 - lr * wd) - (lr * (m[i] / (1 - 0.9))) / (Math.sqrt(v[i] / (1 - 0.99)) + 1e-8);
          worst = Math.max(worst, Math.abs(p[i] - want));
        }
        expect(worst, k).toBeLessThan(1e-6);
      }

      // A gradient with an Infinity: nothing changes, bit for bit.
      const after = new Map<string, Float32Array>();
      for (const [k, t] of runner.lora) after.set(k, (await readTensor(t)).slice());
      const bad = new Map<string, ort.Tensor>();
      for (const p of opt.params) {
        const v = new Float32Array(p.shape.reduce((x, y) => x * y, 1));
        v[0] = Infinity;
        bad.set(p.name, runner.store.upload(v, p.shape));
      }
      const skipped = await opt.update(bad, lr);
      expect(skipped.applied).toBe(false);
      const again = await opt.state();
      for (const [k, m] of state.m) expect(Buffer.from(again.m.get(k)!.buffer).equals(Buffer.from(m.buffer)), k).toBe(true);
      for (const [k, v] of state.v) expect(Buffer.from(again.v.get(k)!.buffer).equals(Buffer.from(v.buffer)), k).toBe(true);
      for (const [k, t] of runner.lora) expect(Buffer.from((await readTensor(t)).buffer).equals(Buffer.from(after.get(k)!.buffer)), k).toBe(true);
      expect(again.adamStep).toBe(1);
      await opt.release();
    }
    // Moments (clipped summed gradients) and the norm agree across backends.
    const [g, c] = results;
    expect(Math.abs(g.gradNorm - c.gradNorm) / c.gradNorm).toBeLessThan(1e-5);
    for (const [k, v] of c.m) expect(relL2(g.m.get(k)!, v), k).toBeLessThan(1e-4);
    for (const [k, v] of c.v) expect(relL2(g.v.get(k)!, v), k).toBeLessThan(1e-4);
  });
});
