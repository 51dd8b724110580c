/**
 * The GRPO objective per token, as graph nodes to place inside a step graph (TRL's
 * GRPOTrainer._compute_loss with importance_sampling_level 'token'):
 *
 *   ratio          = exp(logp - old_logp)
 *   per_token_loss = -min(ratio · A, clip(ratio, 1 - ε_low, 1 + ε_high) · A) + β · kl
 *   kl             = exp(ref_logp - logp) - (ref_logp - logp) - 1        (the k3 estimator)
 *   loss           = Σ weight · per_token_loss
 *
 * The weights carry the loss_type normalisation and the completion mask (loss-weights.ts), so the
 * same graph serves every loss_type and gradient accumulation is a plain sum of gradients.
 * Built from ops.ts primitives only: min and clip are Where/Less/Greater.
 */
import { GraphError } from '../graph/errors';
import type { Tensor } from '../graph/graph';
import * as op from '../graph/ops';
import { broadcastShapes, sameShape } from '../graph/shape';

export interface GrpoObjectiveInputs {
  /** Log-probabilities of the sampled tokens under the current policy; the tensor to differentiate. */
  logp: Tensor;
  /**
   * Log-probabilities under the policy that sampled the tokens. Omit it when num_iterations = 1:
   * the sampling policy is then the current one and TRL uses logp.detach(), ratio 1 in value with
   * gradient ∇logp.
   */
  oldLogp?: Tensor;
  /** Log-probabilities under the reference policy (LoRA off). Required when beta > 0. */
  refLogp?: Tensor;
  /** Advantage of each token's completion: logp's shape, or broadcastable to it (e.g. [B, 1] for [B, L]). */
  advantages: Tensor;
  /** Per-token loss weights (0 on padding), logp's shape. */
  weights: Tensor;
}

export interface GrpoObjectiveOptions {
  /** ε_low: ratios below 1 - epsilon are clipped. */
  epsilon: number;
  /** ε_high: ratios above 1 + epsilonHigh are clipped; defaults to epsilon. */
  epsilonHigh?: number;
  /** KL coefficient β. */
  beta: number;
}

export interface GrpoObjective {
  /** Scalar: Σ weights · perTokenLoss. */
  loss: Tensor;
  perTokenLoss: Tensor;
  /** exp(logp - old_logp). */
  ratio: Tensor;
  /** k3 KL estimate per token; present whenever refLogp is given (for the kl metric). */
  perTokenKl?: Tensor;
  /** 1 where ratio < 1 - ε_low and A < 0 (the clipped branch is active), else 0; float32. */
  isLowClipped: Tensor;
  /** 1 where ratio > 1 + ε_high and A > 0, else 0; float32. */
  isHighClipped: Tensor;
}

function checkLike(name: string, t: Tensor, logp: Tensor): void {
  if (t.graph !== logp.graph) throw new GraphError(`grpoObjective: ${name} belongs to another graph`);
  if (t.dtype !== logp.dtype) throw new GraphError(`grpoObjective: ${name} ${t} and logp ${logp} differ in dtype`);
}

export function grpoObjective(inputs: GrpoObjectiveInputs, options: GrpoObjectiveOptions): GrpoObjective {
  const { logp, advantages, weights } = inputs;
  const epsLow = options.epsilon;
  const epsHigh = options.epsilonHigh ?? options.epsilon;
  if (!(epsLow >= 0 && epsLow < 1) || !(epsHigh >= 0)) throw new GraphError(`grpoObjective: bad clip range epsilon ${epsLow}, epsilon_high ${epsHigh}`);
  if (!(options.beta >= 0)) throw new GraphError(`grpoObjective: beta must be ≥ 0, got ${options.beta}`);
  if (logp.dtype !== 'float32' && logp.dtype !== 'float16') throw new GraphError(`grpoObjective: logp ${logp} must be float`);
  if (logp.rank === 0) throw new GraphError('grpoObjective: logp must have at least one axis');
  for (const [name, t] of [['advantages', advantages], ['weights', weights], ['oldLogp', inputs.oldLogp], ['refLogp', inputs.refLogp]] as const) {
    if (t) checkLike(name, t, logp);
  }
  if (inputs.oldLogp && !sameShape(inputs.oldLogp.shape, logp.shape)) throw new GraphError(`grpoObjective: oldLogp ${inputs.oldLogp} does not match logp ${logp}`);
  if (inputs.refLogp && !sameShape(inputs.refLogp.shape, logp.shape)) throw new GraphError(`grpoObjective: refLogp ${inputs.refLogp} does not match logp ${logp}`);
  if (!sameShape(weights.shape, logp.shape)) throw new GraphError(`grpoObjective: weights ${weights} do not match logp ${logp}`);
  if (!sameShape(broadcastShapes(advantages.shape, logp.shape, 'grpoObjective advantages'), logp.shape)) {
    throw new GraphError(`grpoObjective: advantages ${advantages} do not broadcast to logp ${logp}`);
  }
  if (options.beta > 0 && !inputs.refLogp) throw new GraphError('grpoObjective: beta > 0 needs refLogp');

  return logp.graph.scope('grpo_objective', () => {
    const old = inputs.oldLogp ?? op.stopGradient(logp);
    const ratio = op.exp(op.sub(logp, old));
    const lo = 1 - epsLow;
    const hi = 1 + epsHigh;
    // clip(ratio, lo, hi): the gradient flows only where the ratio is inside the range.
    const clipped = op.where(op.less(ratio, lo), lo, op.where(op.greater(ratio, hi), hi, ratio));
    const unclippedObjective = op.mul(ratio, advantages);
    const clippedObjective = op.mul(clipped, advantages);
    // min(a, b); ties (ratio inside the range) take a, whose gradient equals b's there.
    const surrogate = op.where(op.less(clippedObjective, unclippedObjective), clippedObjective, unclippedObjective);
    let perTokenLoss = op.neg(surrogate);

    let perTokenKl: Tensor | undefined;
    if (inputs.refLogp) {
      const refMinusLogp = op.sub(inputs.refLogp, logp);
      perTokenKl = op.sub(op.sub(op.exp(refMinusLogp), refMinusLogp), 1);
      if (options.beta > 0) perTokenLoss = op.add(perTokenLoss, op.mul(perTokenKl, options.beta));
    }

    const loss = op.reduceSum(op.mul(perTokenLoss, weights), logp.shape.map((_, i) => i));
    const asFloat = (b: Tensor) => op.cast(b, logp.dtype);
    const isLowClipped = op.mul(asFloat(op.less(ratio, lo)), asFloat(op.less(advantages, 0)));
    const isHighClipped = op.mul(asFloat(op.greater(ratio, hi)), asFloat(op.greater(advantages, 0)));
    return { loss, perTokenLoss, ratio, perTokenKl, isLowClipped, isHighClipped };
  });
}
