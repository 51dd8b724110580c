/**
 * AdamW as a graph: one session run updates every trainable tensor. Gradients are first clipped to
 * a global norm (max_grad_norm), as TRL/transformers do. Step-dependent scalars (learning rate,
 * bias corrections) are inputs, so the same graph serves every step.
 */
import { Graph, type Tensor } from './graph';
import * as op from './ops';

export interface AdamWConfig {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Clip gradients to this global L2 norm; 0 or Infinity disables clipping. */
  maxGradNorm: number;
}

export interface AdamWParam {
  name: string;
  shape: number[];
  /** Apply weight decay to this tensor (default true; transformers exempts norm weights and biases). */
  decay?: boolean;
}

/** Names of the inputs and outputs of the AdamW graph, for the runtime to bind buffers. */
export const adamwNames = {
  param: (n: string) => `${n}`,
  grad: (n: string) => `grad.${n}`,
  m: (n: string) => `adam_m.${n}`,
  v: (n: string) => `adam_v.${n}`,
  newParam: (n: string) => `new.${n}`,
  newM: (n: string) => `new.adam_m.${n}`,
  newV: (n: string) => `new.adam_v.${n}`,
  lr: 'lr',
  /** 1 - beta1^t and 1 - beta2^t for the step t about to be taken (t >= 1). */
  biasCorrection1: 'bias_correction1',
  biasCorrection2: 'bias_correction2',
  gradNorm: 'grad_norm',
};

/**
 * Builds the update for `params`. Outputs new param/m/v per tensor and grad_norm (before clipping).
 * Decoupled weight decay: p <- p - lr*wd*p, then the Adam step with bias-corrected moments.
 */
export function buildAdamWGraph(params: AdamWParam[], cfg: AdamWConfig): Graph {
  const g = new Graph('adamw');
  const lr = g.input(adamwNames.lr, 'float32', []);
  const bc1 = g.input(adamwNames.biasCorrection1, 'float32', []);
  const bc2 = g.input(adamwNames.biasCorrection2, 'float32', []);
  const entries = params.map((p) => ({
    p,
    param: g.input(adamwNames.param(p.name), 'float32', p.shape, { gpuResident: true }),
    grad: g.input(adamwNames.grad(p.name), 'float32', p.shape, { gpuResident: true }),
    m: g.input(adamwNames.m(p.name), 'float32', p.shape, { gpuResident: true }),
    v: g.input(adamwNames.v(p.name), 'float32', p.shape, { gpuResident: true }),
  }));

  const sumSquares = entries
    .map((e) => op.reduceSum(op.mul(e.grad, e.grad), e.grad.shape.map((_, i) => i)))
    .reduce((a, b) => op.add(a, b));
  const norm = op.sqrt(sumSquares);
  g.output(norm, adamwNames.gradNorm);
  let clip: Tensor | undefined;
  if (cfg.maxGradNorm > 0 && Number.isFinite(cfg.maxGradNorm)) {
    const coef = op.div(cfg.maxGradNorm, op.add(norm, 1e-6));
    clip = op.where(op.less(coef, 1), coef, 1);
  }
  const stepSize = op.div(lr, bc1);
  const decay = op.sub(1, op.mul(lr, cfg.weightDecay));
  for (const e of entries) {
    const decayed = e.p.decay === false ? e.param : op.mul(e.param, decay);
    const grad = clip ? op.mul(e.grad, clip) : e.grad;
    const m = op.add(op.mul(e.m, cfg.beta1), op.mul(grad, 1 - cfg.beta1));
    const v = op.add(op.mul(e.v, cfg.beta2), op.mul(op.mul(grad, grad), 1 - cfg.beta2));
    const denom = op.add(op.sqrt(op.div(v, bc2)), cfg.eps);
    const p = op.sub(decayed, op.mul(op.div(m, denom), stepSize));
    g.output(p, adamwNames.newParam(e.p.name));
    g.output(m, adamwNames.newM(e.p.name));
    g.output(v, adamwNames.newV(e.p.name));
  }
  return g;
}
