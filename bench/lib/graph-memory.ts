/**
 * The GPU memory one run of a graph needs, from the graph alone: nodes run in build order (a
 * topological order), each output buffer is allocated when its node runs and freed after its last
 * reader, graph outputs stay. Reshape and Identity alias their input (onnxruntime runs them in
 * place). Graph inputs (weights, activations fed in) are not counted: they belong to the caller.
 * This ignores onnxruntime's fusions, which can only remove intermediates, so it is an upper bound
 * on what a run must allocate when buffers are freed eagerly.
 */
import type { DType } from '../../src/graph/dtype';
import type { Graph, Tensor } from '../../src/graph/graph';

const BYTES: Record<DType, number> = { float32: 4, int32: 4, int64: 8, float16: 2, bool: 1, uint8: 1 };
const ALIAS_OPS = new Set(['Reshape', 'Identity']);

export const tensorBytes = (t: Tensor) => t.size * BYTES[t.dtype];

export interface GraphMemory {
  /** Peak bytes of intermediates + outputs alive at once. */
  peak: number;
  /** Bytes of the graph outputs. */
  outputs: number;
  /** Bytes of constants (initializers, uploaded with the session). */
  constants: number;
}

export function graphMemory(g: Graph): GraphMemory {
  // Only nodes that some output depends on run (onnxruntime prunes the rest).
  const needed = new Set<Tensor>(g.outputs);
  const live: typeof g.nodes = [];
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const n = g.nodes[i];
    if (!n.outputs.some((t) => needed.has(t))) continue;
    live.unshift(n);
    for (const t of n.inputs) needed.add(t);
  }
  // Buffers: an aliasing node's output shares its input's buffer.
  const buffer = new Map<Tensor, Tensor>();
  const root = (t: Tensor): Tensor => buffer.get(t) ?? t;
  for (const n of live) {
    for (const t of n.outputs) buffer.set(t, ALIAS_OPS.has(n.op) ? root(n.inputs[0]) : t);
  }
  const lastUse = new Map<Tensor, number>();
  live.forEach((n, i) => n.inputs.forEach((t) => lastUse.set(root(t), i)));
  for (const t of g.outputs) lastUse.set(root(t), Infinity);
  const external = new Set<Tensor>([...g.inputs.map((x) => x.tensor), ...g.constants]);

  let current = 0;
  let peak = 0;
  live.forEach((n, i) => {
    if (!ALIAS_OPS.has(n.op)) for (const t of n.outputs) current += tensorBytes(t);
    peak = Math.max(peak, current);
    // Free what this node read for the last time (and its outputs nobody reads).
    const done = new Set<Tensor>();
    for (const t of [...n.inputs, ...n.outputs]) {
      const b = root(t);
      if (external.has(b) || done.has(b)) continue;
      if ((lastUse.get(b) ?? -1) <= i) {
        done.add(b);
        current -= tensorBytes(b);
      }
    }
  });
  return {
    peak,
    outputs: g.outputs.reduce((a, t) => a + tensorBytes(t), 0),
    constants: g.constants.reduce((a, t) => a + tensorBytes(t), 0),
  };
}
