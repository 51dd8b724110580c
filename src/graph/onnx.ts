/**
 * Serialises a Graph to ONNX ModelProto bytes (opset 18) with onnx-proto. Our op parameters become
 * ONNX attributes or small int64 initializers (axes, shapes, pads); nodes that no output needs are
 * dropped, so dead code never reaches a session.
 */
import onnxProto from 'onnx-proto';
import { BYTES_PER_ELEMENT, ONNX_DTYPE, type DType } from './dtype';
import type { Graph, Node, Tensor } from './graph';
import { GraphError } from './errors';

const { onnx } = onnxProto;
export const OPSET = 18;
/** onnxruntime's contrib ops (FastGelu). */
const MS_DOMAIN = 'com.microsoft';
const IR_VERSION = 8;

type AttrType = 'INT' | 'INTS' | 'FLOAT';
export interface Attr {
  name: string;
  type: AttrType;
  value: number | number[];
}

/** float32 -> IEEE half bits (round to nearest even), for float16 constants. */
export function float32ToFloat16Bits(value: number): number {
  const f32 = new Float32Array([value]);
  const bits = new Uint32Array(f32.buffer)[0];
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}

export function encodeValues(values: ArrayLike<number>, dtype: DType): Uint8Array {
  const n = values.length;
  const bytes = new Uint8Array(n * BYTES_PER_ELEMENT[dtype]);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    switch (dtype) {
      case 'float32': view.setFloat32(i * 4, v, true); break;
      case 'float16': view.setUint16(i * 2, float32ToFloat16Bits(v), true); break;
      case 'int32': view.setInt32(i * 4, v, true); break;
      case 'int64': view.setBigInt64(i * 8, BigInt(Math.trunc(v)), true); break;
      case 'bool': view.setUint8(i, v ? 1 : 0); break;
      case 'uint8': view.setUint8(i, v); break;
    }
  }
  return bytes;
}

function valueInfo(name: string, dtype: DType, shape: readonly (number | string)[]) {
  return { name, type: { tensorType: { elemType: ONNX_DTYPE[dtype], shape: { dim: shape.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } } };
}

function tensorProto(name: string, values: ArrayLike<number>, dtype: DType, shape: readonly number[]) {
  return { name, dataType: ONNX_DTYPE[dtype], dims: [...shape], rawData: encodeValues(values, dtype) };
}

/** The nodes that `wanted` (default: the graph outputs) depend on, in their original (topological) order. */
export function liveNodes(graph: Graph, wanted: readonly Tensor[] = graph.outputs): Node[] {
  const needed = new Set<number>(wanted.map((t) => t.id));
  const live: Node[] = [];
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const n = graph.nodes[i];
    if (n.outputs.some((o) => needed.has(o.id))) {
      live.push(n);
      for (const t of n.inputs) needed.add(t.id);
    }
  }
  return live.reverse();
}

/** A graph input stored in the model as an initializer (an exported model's weights). */
export type InitializerData =
  | { bytes: Uint8Array }
  /** In an external data file beside the model (ONNX's external data, for models past protobuf's 2 GB). */
  | { external: { location: string; offset: number; length: number } };

/** How a graph becomes a model other runtimes load (see onnx-portable.ts); default: every shape static. */
export interface SerializeOptions {
  /** Declared dims of a graph input or output: a number, or a symbolic name for a dynamic axis. */
  dims?(t: Tensor, role: 'input' | 'output'): (number | string)[];
  /**
   * The int64 shape input of a Reshape or Expand: a name of a tensor made by `prelude`, or
   * undefined for the static shape (`values`, which may hold ONNX's 0 / -1 for a Reshape).
   */
  shapeInput?(n: Node): { name?: string; values?: number[] };
  /** Nodes (and their small initializers) placed before the graph's own: shape computations. */
  prelude?: { nodes: ReturnType<typeof nodeProto>[]; initializers: ReturnType<typeof tensorProto>[] };
  /** Graph inputs that become initializers, by name, with their data. */
  initializers?: ReadonlyMap<string, InitializerData>;
  /** Marks the model's metadata (producer name etc. stay). */
  docString?: string;
}

/** A node proto from its parts (for prelude nodes). */
export function nodeProto(name: string, opType: string, input: string[], output: string[], attrs: Attr[] = [], domain?: string) {
  return {
    name,
    opType,
    ...(domain ? { domain } : {}),
    input,
    output,
    attribute: attrs.map((a) =>
      a.type === 'INT'
        ? { name: a.name, type: onnx.AttributeProto.AttributeType.INT, i: a.value as number }
        : a.type === 'FLOAT'
          ? { name: a.name, type: onnx.AttributeProto.AttributeType.FLOAT, f: a.value as number }
          : { name: a.name, type: onnx.AttributeProto.AttributeType.INTS, ints: a.value as number[] },
    ),
  };
}

/** An int64 initializer (for prelude nodes). */
export const int64Tensor = (name: string, values: number[], shape: number[] = [values.length]) => tensorProto(name, values, 'int64', shape);

export function toModelProto(graph: Graph, options: SerializeOptions = {}): Uint8Array {
  if (graph.outputs.length === 0) throw new GraphError(`graph ${graph.name} has no outputs`);
  const nodes = liveNodes(graph);
  const initializers: object[] = [];
  const used = new Set<number>();
  for (const n of nodes) for (const t of n.inputs) used.add(t.id);
  for (const c of graph.constants) if (used.has(c.id)) initializers.push(tensorProto(c.name, c.data!, c.dtype, c.shape));
  const weights = options.initializers ?? new Map<string, InitializerData>();
  for (const { tensor: t } of graph.inputs) {
    const w = weights.get(t.name);
    if (!w) continue;
    if ('bytes' in w) {
      if (w.bytes.byteLength !== t.size * BYTES_PER_ELEMENT[t.dtype]) throw new GraphError(`initializer ${t.name}: ${w.bytes.byteLength} bytes for ${t}`);
      initializers.push({ name: t.name, dataType: ONNX_DTYPE[t.dtype], dims: [...t.shape], rawData: w.bytes });
    } else {
      const { location, offset, length } = w.external;
      initializers.push({
        name: t.name,
        dataType: ONNX_DTYPE[t.dtype],
        dims: [...t.shape],
        dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
        externalData: [
          { key: 'location', value: location },
          { key: 'offset', value: String(offset) },
          { key: 'length', value: String(length) },
        ],
      });
    }
  }

  const int64Input = (n: Node, suffix: string, values: number[]) => {
    const name = `${n.name}/${suffix}`;
    initializers.push(tensorProto(name, values, 'int64', [values.length]));
    return name;
  };
  const shapeInput = (n: Node, values: number[]) => {
    const custom = options.shapeInput?.(n);
    if (custom?.name) return custom.name;
    return int64Input(n, 'shape', custom?.values ?? values);
  };
  const domains = new Set<string>();
  const nodeProtos = nodes.map((n) => {
    const inputs = n.inputs.map((t: Tensor) => t.name);
    const attrs: Attr[] = [];
    let opType: string = n.op;
    let domain: string | undefined;
    const p = n.params as Record<string, unknown>;
    switch (n.op) {
      case 'ReduceSum':
      case 'ReduceMean':
      case 'ReduceMax':
      case 'ReduceMin':
        inputs.push(int64Input(n, 'axes', p.axes as number[]));
        attrs.push({ name: 'keepdims', type: 'INT', value: p.keepdims ? 1 : 0 });
        break;
      case 'Gemm':
        attrs.push({ name: 'transA', type: 'INT', value: p.transA ? 1 : 0 }, { name: 'transB', type: 'INT', value: p.transB ? 1 : 0 });
        break;
      case 'Softmax':
        attrs.push({ name: 'axis', type: 'INT', value: p.axis as number });
        break;
      case 'Transpose':
        attrs.push({ name: 'perm', type: 'INTS', value: p.perm as number[] });
        break;
      case 'Reshape':
      case 'Expand':
        inputs.push(shapeInput(n, p.shape as number[]));
        break;
      case 'Slice':
        inputs.push(int64Input(n, 'starts', p.starts as number[]), int64Input(n, 'ends', p.ends as number[]), int64Input(n, 'axes', p.axes as number[]));
        break;
      case 'Pad': {
        inputs.push(int64Input(n, 'pads', p.pads as number[]));
        const zero = `${n.name}/zero`;
        initializers.push(tensorProto(zero, [0], n.inputs[0].dtype, []));
        inputs.push(zero);
        break;
      }
      case 'Concat':
      case 'Gather':
        attrs.push({ name: 'axis', type: 'INT', value: p.axis as number });
        break;
      case 'Split':
        inputs.push(int64Input(n, 'split', p.sizes as number[]));
        attrs.push({ name: 'axis', type: 'INT', value: p.axis as number });
        break;
      case 'ScatterElements':
        attrs.push({ name: 'axis', type: 'INT', value: p.axis as number });
        break;
      case 'CumSum': {
        const axis = `${n.name}/axis`;
        initializers.push(tensorProto(axis, [p.axis as number], 'int64', []));
        inputs.push(axis);
        attrs.push({ name: 'exclusive', type: 'INT', value: p.exclusive ? 1 : 0 });
        break;
      }
      case 'TopK':
        inputs.push(int64Input(n, 'k', [p.k as number]));
        attrs.push({ name: 'axis', type: 'INT', value: p.axis as number }, { name: 'largest', type: 'INT', value: 1 }, { name: 'sorted', type: 'INT', value: 1 });
        break;
      case 'Cast':
        attrs.push({ name: 'to', type: 'INT', value: ONNX_DTYPE[p.to as DType] });
        break;
      case 'DequantizeLinear':
        attrs.push({ name: 'axis', type: 'INT', value: p.axis as number });
        break;
      case 'Identity':
        opType = 'Identity';
        break;
      case 'RmsNorm':
        // onnxruntime registers SimplifiedLayerNormalization in the ONNX domain; stash_type 1 = float32 statistics.
        opType = 'SimplifiedLayerNormalization';
        attrs.push({ name: 'axis', type: 'INT', value: -1 }, { name: 'epsilon', type: 'FLOAT', value: p.epsilon as number }, { name: 'stash_type', type: 'INT', value: 1 });
        break;
      case 'FastGelu':
        domain = MS_DOMAIN;
        break;
      default:
        break;
    }
    if (domain) domains.add(domain);
    return nodeProto(n.name, opType, inputs, n.outputs.map((t) => t.name), attrs, domain);
  });

  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    producerName: 'webgrpo',
    docString: options.docString,
    opsetImport: [{ domain: '', version: OPSET }, ...[...domains].map((domain) => ({ domain, version: 1 }))],
    graph: {
      name: graph.name,
      node: [...(options.prelude?.nodes ?? []), ...nodeProtos],
      // The prelude's initializers are read last: its shape computations are made while nodes serialise.
      initializer: [...initializers, ...(options.prelude?.initializers ?? [])],
      input: graph.inputs.filter((i) => !weights.has(i.tensor.name)).map((i) => valueInfo(i.tensor.name, i.tensor.dtype, options.dims?.(i.tensor, 'input') ?? i.tensor.shape)),
      output: graph.outputs.map((t) => valueInfo(t.name, t.dtype, options.dims?.(t, 'output') ?? t.shape)),
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
