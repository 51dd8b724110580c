/**
 * The benchmark's optimizer step: gradient accumulation over micro-batches (one add graph) and one
 * AdamW graph run over every LoRA tensor of the runner, all on the device; the updated tensors
 * replace the runner's LoRA tensors and the moments in place of the old ones.
 */
import { adamwNames, buildAdamWGraph, type AdamWParam } from '../../src/graph/adamw';
import { Graph } from '../../src/graph/graph';
import * as op from '../../src/graph/ops';
import type { Gemma3Runner } from '../../src/model/gemma3-runner';
import { GraphSession } from '../../src/runtime/graph-session';
import type { ort } from '../../src/runtime/ort';

const BETA1 = 0.9;
const BETA2 = 0.999;

export class LoraAdamW {
  readonly params: AdamWParam[];
  private readonly m = new Map<string, ort.Tensor>();
  private readonly v = new Map<string, ort.Tensor>();
  private adam?: Promise<GraphSession>;
  private sum?: Promise<GraphSession>;
  private t = 0;

  constructor(private readonly runner: Gemma3Runner) {
    this.params = [...runner.lora].map(([name, t]) => ({ name, shape: [...t.dims] })).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const p of this.params) {
      this.m.set(p.name, runner.store.zeros(p.shape));
      this.v.set(p.name, runner.store.zeros(p.shape));
    }
  }

  /** Bytes of the LoRA tensors, and of the two Adam moments. */
  get stateBytes(): { lora: number; moments: number } {
    const lora = this.params.reduce((a, p) => a + p.shape.reduce((x, y) => x * y, 1) * 4, 0);
    return { lora, moments: 2 * lora };
  }

  /** acc + grads; both are consumed. */
  async accumulate(acc: Map<string, ort.Tensor> | undefined, grads: Map<string, ort.Tensor>): Promise<Map<string, ort.Tensor>> {
    if (!acc) return grads;
    this.sum ??= GraphSession.create(this.sumGraph(), this.runner.store.backend, { preferredOutputLocation: 'gpu-buffer' });
    const feeds: Record<string, ort.Tensor> = {};
    for (const p of this.params) {
      feeds[`a.${p.name}`] = acc.get(p.name)!;
      feeds[`b.${p.name}`] = grads.get(p.name)!;
    }
    const out = await (await this.sum).run(feeds);
    for (const t of Object.values(feeds)) t.dispose();
    return new Map(this.params.map((p) => [p.name, out[`sum.${p.name}`]]));
  }

  private sumGraph(): Graph {
    const g = new Graph('grad_accumulate');
    for (const p of this.params) {
      const a = g.input(`a.${p.name}`, 'float32', p.shape, { gpuResident: true });
      const b = g.input(`b.${p.name}`, 'float32', p.shape, { gpuResident: true });
      g.output(op.add(a, b), `sum.${p.name}`);
    }
    return g;
  }

  /** One AdamW update from `grads` (consumed). */
  async step(grads: Map<string, ort.Tensor>, lr = 1e-5): Promise<void> {
    const store = this.runner.store;
    this.adam ??= GraphSession.create(buildAdamWGraph(this.params, { beta1: BETA1, beta2: BETA2, eps: 1e-8, weightDecay: 0, maxGradNorm: 1 }), store.backend, { preferredOutputLocation: 'gpu-buffer' });
    this.t++;
    const scalars = [store.upload(new Float32Array([lr]), []), store.upload(new Float32Array([1 - BETA1 ** this.t]), []), store.upload(new Float32Array([1 - BETA2 ** this.t]), [])];
    const feeds: Record<string, ort.Tensor> = { [adamwNames.lr]: scalars[0], [adamwNames.biasCorrection1]: scalars[1], [adamwNames.biasCorrection2]: scalars[2] };
    for (const p of this.params) {
      const g = grads.get(p.name);
      if (!g) throw new Error(`no gradient for ${p.name}`);
      feeds[adamwNames.param(p.name)] = this.runner.lora.get(p.name)!;
      feeds[adamwNames.grad(p.name)] = g;
      feeds[adamwNames.m(p.name)] = this.m.get(p.name)!;
      feeds[adamwNames.v(p.name)] = this.v.get(p.name)!;
    }
    const out = await (await this.adam).run(feeds);
    for (const p of this.params) {
      this.runner.setLoraTensor(p.name, out[adamwNames.newParam(p.name)]);
      this.m.get(p.name)!.dispose();
      this.v.get(p.name)!.dispose();
      this.m.set(p.name, out[adamwNames.newM(p.name)]);
      this.v.set(p.name, out[adamwNames.newV(p.name)]);
      grads.get(p.name)!.dispose();
    }
    out[adamwNames.gradNorm].dispose();
    scalars.forEach((s) => s.dispose());
  }

  async release(): Promise<void> {
    for (const s of [this.adam, this.sum]) if (s) await (await s).release();
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
  }
}
