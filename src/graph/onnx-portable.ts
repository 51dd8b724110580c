/**
 * ONNX with dynamic axes from our static-shape graphs. The graph IR knows only static shapes, so a
 * model with dynamic axes (batch, sequence, past length: what transformers.js feeds) is serialised
 * from two builds of the same graph at different sizes of those axes (the "twin"): every dim that
 * differs between the two is dynamic, and is declared by name (`dimNames`: its values in the two
 * builds). Everything else must be identical, node for node; where a dynamic dim reaches an op
 * parameter the serialiser cannot express, it throws naming the node instead of writing a model
 * that would only run at one size:
 *
 * - Reshape: a dynamic target dim that equals the input's dim at the same axis becomes ONNX's 0
 *   (copy); one more may be -1 (inferred); beyond that, the target shape is computed at run time
 *   from the graph inputs' shapes (Shape → Mul → Concat), each dim a product of named dims and a
 *   constant.
 * - Expand: a dynamic dim the input already has becomes 1 (broadcast keeps it); others at run time.
 * - Slice, Pad, Split, TopK and constants: their parameters / data must not depend on a dynamic dim.
 */
import { GraphError } from './errors';
import type { Graph, Node, Tensor } from './graph';
import { int64Tensor, liveNodes, nodeProto, toModelProto, type InitializerData, type SerializeOptions } from './onnx';

export interface PortableOptions {
  /** Named dynamic dims with their values in (graph, twin), e.g. batch_size: [2, 3]. */
  dimNames: Record<string, [number, number]>;
  initializers?: ReadonlyMap<string, InitializerData>;
  docString?: string;
}

type Prelude = NonNullable<SerializeOptions['prelude']>;

const sameArray = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/** A dynamic dim as c · Π named dims, read at run time from the axis of a graph input that carries each. */
interface DimExpr {
  factor: number;
  names: string[];
}

export function toPortableModelProto(graph: Graph, twin: Graph, options: PortableOptions): Uint8Array {
  const names = Object.entries(options.dimNames);
  const nameOf = (a: number, b: number) => names.find(([, [x, y]]) => x === a && y === b)?.[0];

  // The two builds must be the same graph: same live nodes, ops, names and tensor names.
  const nodesA = liveNodes(graph);
  const nodesB = liveNodes(twin);
  if (nodesA.length !== nodesB.length) throw new GraphError(`portable ONNX: the two builds of ${graph.name} have ${nodesA.length} and ${nodesB.length} nodes`);
  const twinOf = new Map<Node, Node>();
  nodesA.forEach((n, i) => {
    const m = nodesB[i];
    if (n.op !== m.op || n.name !== m.name || !sameArray(n.inputs.map((t) => t.id), m.inputs.map((t) => t.id))) {
      throw new GraphError(`portable ONNX: node ${i} differs between the builds (${n.op} ${n.name} vs ${m.op} ${m.name})`);
    }
    twinOf.set(n, m);
  });
  const tensorsB = new Map<number, Tensor>();
  for (const n of nodesB) for (const t of [...n.inputs, ...n.outputs]) tensorsB.set(t.id, t);
  for (const { tensor } of twin.inputs) tensorsB.set(tensor.id, tensor);
  const twinTensor = (t: Tensor) => {
    const u = tensorsB.get(t.id);
    if (!u || u.name !== t.name) throw new GraphError(`portable ONNX: tensor ${t.name} has no twin`);
    return u;
  };

  // Constants and op parameters must not vary.
  for (const c of graph.constants) {
    const d = twin.constants.find((x) => x.name === c.name);
    if (!d || !sameArray(c.shape, d.shape) || !sameArray(Array.from(c.data!), Array.from(d.data!))) {
      if (nodesA.some((n) => n.inputs.includes(c))) throw new GraphError(`portable ONNX: constant ${c.name} depends on a dynamic dim`);
    }
  }
  for (const n of nodesA) {
    if (n.op === 'Reshape' || n.op === 'Expand') continue;
    if (JSON.stringify(n.params) !== JSON.stringify(twinOf.get(n)!.params)) {
      throw new GraphError(`portable ONNX: ${n.op} ${n.name} has parameters that depend on a dynamic dim (${JSON.stringify(n.params)} vs ${JSON.stringify(twinOf.get(n)!.params)})`);
    }
  }

  // Where each named dim can be read at run time: the first graph input with it on some axis.
  const sources = new Map<string, { input: string; axis: number }>();
  graph.inputs.forEach(({ tensor }) => {
    const u = twinTensor(tensor);
    tensor.shape.forEach((d, axis) => {
      const name = d !== u.shape[axis] ? nameOf(d, u.shape[axis]) : undefined;
      if (name && !sources.has(name)) sources.set(name, { input: tensor.name, axis });
    });
  });

  const declared = (t: Tensor, role: 'input' | 'output') => {
    const u = twinTensor(t);
    return t.shape.map((d, i) => {
      if (d === u.shape[i]) return d;
      const name = nameOf(d, u.shape[i]);
      // An output's derived dim (e.g. 2·sequence) needs no name of its own: a symbol of its own says "dynamic".
      if (!name && role === 'output') return `${t.name}_dim${i}`;
      if (!name) throw new GraphError(`portable ONNX: ${role} ${t.name} axis ${i} is dynamic (${d} vs ${u.shape[i]}) but matches no named dim`);
      return name;
    });
  };

  /** d (graph) / e (twin) as factor · product of up to two named dims. */
  const express = (d: number, e: number, where: string): DimExpr => {
    const known = [...sources.keys()].map((name) => ({ name, v: options.dimNames[name] }));
    const tries: DimExpr[] = [];
    for (const a of known) {
      tries.push({ factor: d / a.v[0], names: [a.name] });
      for (const b of known) tries.push({ factor: d / (a.v[0] * b.v[0]), names: [a.name, b.name] });
    }
    for (const t of tries) {
      if (!Number.isInteger(t.factor) || t.factor < 1) continue;
      const atTwin = t.factor * t.names.reduce((p, n) => p * options.dimNames[n][1], 1);
      if (atTwin === e) return t;
    }
    throw new GraphError(`portable ONNX: ${where}: dynamic dim (${d} vs ${e}) is no product of the named dims ${[...sources.keys()].join(', ')}`);
  };

  const prelude: Prelude = { nodes: [], initializers: [] };
  const dimTensors = new Map<string, string>();
  const dimTensor = (name: string) => {
    let t = dimTensors.get(name);
    if (!t) {
      const src = sources.get(name)!;
      t = `dim/${name}`;
      prelude.nodes.push(nodeProto(`${t}/shape`, 'Shape', [src.input], [t], [{ name: 'start', type: 'INT', value: src.axis }, { name: 'end', type: 'INT', value: src.axis + 1 }]));
      dimTensors.set(name, t);
    }
    return t;
  };
  /** A run-time int64 [rank] shape for a node whose target dims are `dims` (numbers static, exprs dynamic). */
  const runtimeShape = (n: Node, dims: (number | DimExpr)[]) => {
    const parts = dims.map((d, i) => {
      if (typeof d === 'number') {
        const c = `${n.name}/dim${i}`;
        prelude.initializers.push(int64Tensor(c, [d]));
        return c;
      }
      let acc = dimTensor(d.names[0]);
      for (const [k, name] of d.names.slice(1).entries()) {
        const out = `${n.name}/dim${i}_mul${k}`;
        prelude.nodes.push(nodeProto(out, 'Mul', [acc, dimTensor(name)], [out]));
        acc = out;
      }
      if (d.factor !== 1) {
        const c = `${n.name}/dim${i}_factor`;
        prelude.initializers.push(int64Tensor(c, [d.factor]));
        const out = `${n.name}/dim${i}_scaled`;
        prelude.nodes.push(nodeProto(out, 'Mul', [acc, c], [out]));
        acc = out;
      }
      return acc;
    });
    const out = `${n.name}/runtime_shape`;
    prelude.nodes.push(nodeProto(out, 'Concat', parts, [out], [{ name: 'axis', type: 'INT', value: 0 }]));
    return out;
  };

  const shapeInput = (n: Node): { name?: string; values?: number[] } => {
    const m = twinOf.get(n)!;
    const target = (n.params as { shape: number[] }).shape;
    const targetB = (m.params as { shape: number[] }).shape;
    const input = n.inputs[0].shape;
    const inputB = m.inputs[0].shape;
    if (target.length !== targetB.length) throw new GraphError(`portable ONNX: ${n.op} ${n.name} has a different rank in the two builds`);
    if (sameArray(target, targetB)) {
      // Static target: still the input may be dynamic where the target is not (then its sizes must be static too).
      return { values: target };
    }
    const keep = n.op === 'Reshape' ? 0 : 1; // ONNX: Reshape 0 copies the input dim; Expand 1 keeps it
    const values: number[] = [];
    const open: number[] = [];
    target.forEach((d, i) => {
      if (d === targetB[i]) values.push(d);
      else if (i < input.length && input[i] === d && inputB[i] === targetB[i]) values.push(keep);
      else {
        values.push(-1);
        open.push(i);
      }
    });
    if (open.length === 0) return { values };
    if (n.op === 'Reshape' && open.length === 1) return { values };
    return { name: runtimeShape(n, target.map((d, i) => (d === targetB[i] ? d : express(d, targetB[i], `${n.op} ${n.name} axis ${i}`)))) };
  };

  return toModelProto(graph, {
    dims: declared,
    shapeInput: (n) => shapeInput(n),
    prelude,
    initializers: options.initializers,
    docString: options.docString,
  });
}
