/**
 * AdamW over a set of trainable device tensors (the runner's LoRA matrices, or every weight for
 * full training): gradients of the step's micro-batches are summed by a small add graph (the loss
 * weights already carry the accumulation scaling), then one AdamW graph run clips to
 * max_grad_norm and updates every tensor and its moments. The update is written to new tensors and
 * swapped in only when loss and gradient norm are finite, so a bad step leaves parameters and
 * moments exactly as they were.
 */
import { adamwNames, buildAdamWGraph, type AdamWParam } from '../graph/adamw';
import { Graph } from '../graph/graph';
import * as op from '../graph/ops';
import type { Gemma3Runner } from '../model/gemma3-runner';
import { readTensor, type TensorStore } from '../runtime/device';
import { GraphSession } from '../runtime/graph-session';
import type { ort } from '../runtime/ort';

/** TRL/transformers optimizer settings (shared by GRPOConfig and SFTConfig). */
export interface AdamWSettings {
  adam_beta1: number;
  adam_beta2: number;
  adam_epsilon: number;
  weight_decay: number;
  max_grad_norm: number;
}

/** The tensors an optimizer updates: read by name, replaced by name. */
export interface ParamSet {
  readonly store: TensorStore;
  names(): string[];
  get(name: string): ort.Tensor | undefined;
  set(name: string, t: ort.Tensor): void;
  /** Whether weight decay applies to this tensor. */
  decays(name: string): boolean;
}

/** The runner's LoRA matrices (every one decayed, as PEFT + transformers do). */
export function loraParams(runner: Gemma3Runner): ParamSet {
  return {
    store: runner.store,
    names: () => [...runner.lora.keys()],
    get: (n) => runner.lora.get(n),
    set: (n, t) => runner.setLoraTensor(n, t),
    decays: () => true,
  };
}

/** Every weight of the runner (full training); norm weights are exempt from decay, as in transformers. */
export function weightParams(runner: Gemma3Runner): ParamSet {
  return {
    store: runner.store,
    names: () => [...runner.weights.keys()],
    get: (n) => runner.weights.get(n),
    set: (n, t) => runner.setWeightTensor(n, t),
    decays: (n) => !/norm\.weight$/.test(n),
  };
}

export interface OptimizerState {
  /** Updates applied so far (AdamW's t; skipped steps do not count). */
  adamStep: number;
  m: Map<string, Float32Array>;
  v: Map<string, Float32Array>;
}

export type UpdateOutcome = { applied: true; gradNorm: number } | { applied: false; gradNorm: number; reason: string };

const sumName = (which: 'a' | 'b' | 'out', name: string) => `${which}.${name}`;

function buildSumGraph(params: AdamWParam[]): Graph {
  const g = new Graph('grad_accumulate');
  for (const p of params) {
    const a = g.input(sumName('a', p.name), 'float32', p.shape, { gpuResident: true });
    const b = g.input(sumName('b', p.name), 'float32', p.shape, { gpuResident: true });
    g.output(op.add(a, b), sumName('out', p.name));
  }
  return g;
}

function dispose(t: ort.Tensor | undefined): void {
  if (t && t.location !== 'cpu') t.dispose();
}

export class AdamWOptimizer {
  private adamSession?: Promise<GraphSession>;
  private sumSession?: Promise<GraphSession>;

  private constructor(
    private readonly paramSet: ParamSet,
    private readonly config: AdamWSettings,
    readonly params: AdamWParam[],
    private readonly m: Map<string, ort.Tensor>,
    private readonly v: Map<string, ort.Tensor>,
    private step: number,
  ) {}

  /** Zero moments, or the moments of a checkpoint (checked against the parameters' shapes). */
  static create(paramSet: ParamSet, config: AdamWSettings, state?: OptimizerState): AdamWOptimizer {
    const params = paramSet
      .names()
      .map((name) => ({ name, shape: [...paramSet.get(name)!.dims], decay: paramSet.decays(name) }))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
    if (params.length === 0) throw new Error('optimizer: nothing to train');
    const m = new Map<string, ort.Tensor>();
    const v = new Map<string, ort.Tensor>();
    for (const p of params) {
      const size = p.shape.reduce((a, b) => a * b, 1);
      for (const [which, target] of [['m', m], ['v', v]] as const) {
        const saved = state?.[which].get(p.name);
        if (state && !saved) throw new Error(`optimizer state has no ${which} for ${p.name}`);
        if (saved && saved.length !== size) throw new Error(`optimizer state ${which} of ${p.name} has ${saved.length} values, the tensor has ${size}`);
        target.set(p.name, paramSet.store.upload(saved ? saved.slice() : new Float32Array(size), p.shape));
      }
    }
    return new AdamWOptimizer(paramSet, config, params, m, v, state?.adamStep ?? 0);
  }

  get adamStep(): number {
    return this.step;
  }

  // Created on first use, one at a time: the WebGPU EP refuses to build two sessions at once.
  private sumGraph(): Promise<GraphSession> {
    this.sumSession ??= GraphSession.create(buildSumGraph(this.params), this.paramSet.store.backend, { preferredOutputLocation: 'gpu-buffer' });
    return this.sumSession;
  }

  private adamGraph(): Promise<GraphSession> {
    this.adamSession ??= GraphSession.create(
      buildAdamWGraph(this.params, {
        beta1: this.config.adam_beta1,
        beta2: this.config.adam_beta2,
        eps: this.config.adam_epsilon,
        weightDecay: this.config.weight_decay,
        maxGradNorm: this.config.max_grad_norm,
      }),
      this.paramSet.store.backend,
      { preferredOutputLocation: 'gpu-buffer' },
    );
    return this.adamSession;
  }

  /** acc + grads (both consumed: their tensors are disposed); the first call just takes grads. */
  async accumulate(acc: Map<string, ort.Tensor> | undefined, grads: Map<string, ort.Tensor>): Promise<Map<string, ort.Tensor>> {
    for (const p of this.params) if (!grads.has(p.name)) throw new Error(`no gradient for ${p.name}`);
    if (!acc) return grads;
    const feeds: Record<string, ort.Tensor> = {};
    for (const p of this.params) {
      feeds[sumName('a', p.name)] = acc.get(p.name)!;
      feeds[sumName('b', p.name)] = grads.get(p.name)!;
    }
    const out = await (await this.sumGraph()).run(feeds);
    for (const p of this.params) {
      dispose(acc.get(p.name));
      dispose(grads.get(p.name));
    }
    return new Map(this.params.map((p) => [p.name, out[sumName('out', p.name)]]));
  }

  /**
   * One AdamW update with learning rate `lr` from the summed gradients (consumed). Applied only
   * when the gradient norm is finite; otherwise nothing changes.
   */
  async update(grads: Map<string, ort.Tensor>, lr: number): Promise<UpdateOutcome> {
    const t = this.step + 1;
    const scalar = (x: number) => this.paramSet.store.upload(new Float32Array([x]), []);
    const feeds: Record<string, ort.Tensor> = {
      [adamwNames.lr]: scalar(lr),
      [adamwNames.biasCorrection1]: scalar(1 - this.config.adam_beta1 ** t),
      [adamwNames.biasCorrection2]: scalar(1 - this.config.adam_beta2 ** t),
    };
    for (const p of this.params) {
      feeds[adamwNames.param(p.name)] = this.paramSet.get(p.name)!;
      feeds[adamwNames.grad(p.name)] = grads.get(p.name)!;
      feeds[adamwNames.m(p.name)] = this.m.get(p.name)!;
      feeds[adamwNames.v(p.name)] = this.v.get(p.name)!;
    }
    const out = await (await this.adamGraph()).run(feeds);
    for (const name of [adamwNames.lr, adamwNames.biasCorrection1, adamwNames.biasCorrection2]) dispose(feeds[name]);
    for (const p of this.params) dispose(grads.get(p.name));
    const gradNorm = (await readTensor(out[adamwNames.gradNorm]))[0];
    dispose(out[adamwNames.gradNorm]);
    if (!Number.isFinite(gradNorm)) {
      for (const p of this.params) for (const n of [adamwNames.newParam, adamwNames.newM, adamwNames.newV]) dispose(out[n(p.name)]);
      return { applied: false, gradNorm, reason: `grad_norm is ${gradNorm}` };
    }
    for (const p of this.params) {
      this.paramSet.set(p.name, out[adamwNames.newParam(p.name)]);
      dispose(this.m.get(p.name));
      dispose(this.v.get(p.name));
      this.m.set(p.name, out[adamwNames.newM(p.name)]);
      this.v.set(p.name, out[adamwNames.newV(p.name)]);
    }
    this.step = t;
    return { applied: true, gradNorm };
  }

  /** Host copies of the moments (for checkpoints). */
  async state(): Promise<OptimizerState> {
    const m = new Map<string, Float32Array>();
    const v = new Map<string, Float32Array>();
    for (const p of this.params) {
      m.set(p.name, (await readTensor(this.m.get(p.name)!)).slice());
      v.set(p.name, (await readTensor(this.v.get(p.name)!)).slice());
    }
    return { adamStep: this.step, m, v };
  }

  async release(): Promise<void> {
    for (const s of [this.sumSession, this.adamSession]) if (s) await (await s).release().catch(() => undefined);
    for (const t of [...this.m.values(), ...this.v.values()]) dispose(t);
    this.m.clear();
    this.v.clear();
  }
}

/** Releases a gradient map that will not be used (e.g. a skipped step). */
export function disposeGradients(grads: Map<string, ort.Tensor> | undefined): void {
  if (grads) for (const t of grads.values()) dispose(t);
}
