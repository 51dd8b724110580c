/**
 * The graph IR: symbolic tensors with static dtype and shape, and nodes of a small op set.
 * Every shape is known when the graph is built, so shape errors surface here, naming the node,
 * instead of inside onnxruntime at run time.
 */
import type { DType } from './dtype';
import { GraphError } from './errors';
import { sizeOf } from './shape';

export { GraphError };

/** Parameters of each op, in our own terms; onnx.ts translates them to ONNX inputs/attributes. */
export interface OpParams {
  MatMul: Record<string, never>;
  /** 2-D product op(A) @ op(B), op = transpose when the flag is set. */
  Gemm: { transA: boolean; transB: boolean };
  Add: Record<string, never>;
  Sub: Record<string, never>;
  Mul: Record<string, never>;
  Div: Record<string, never>;
  Pow: Record<string, never>;
  Max: Record<string, never>;
  Sqrt: Record<string, never>;
  Exp: Record<string, never>;
  Log: Record<string, never>;
  Tanh: Record<string, never>;
  Cos: Record<string, never>;
  Sin: Record<string, never>;
  Erf: Record<string, never>;
  Neg: Record<string, never>;
  Reciprocal: Record<string, never>;
  Sigmoid: Record<string, never>;
  ReduceSum: { axes: number[]; keepdims: boolean };
  ReduceMean: { axes: number[]; keepdims: boolean };
  ReduceMax: { axes: number[]; keepdims: boolean };
  ReduceMin: { axes: number[]; keepdims: boolean };
  Softmax: { axis: number };
  Transpose: { perm: number[] };
  Reshape: { shape: number[] };
  Slice: { starts: number[]; ends: number[]; axes: number[] };
  Pad: { pads: number[] };
  Concat: { axis: number };
  Split: { axis: number; sizes: number[] };
  Gather: { axis: number };
  /** Copy of data with updates written at indices along axis (ONNX ScatterElements, no reduction). */
  ScatterElements: { axis: number };
  /** Running sum along axis; exclusive leaves each element out of its own sum. */
  CumSum: { axis: number; exclusive: boolean };
  /** The k largest values along axis, sorted descending (and their int64 indices, second output). */
  TopK: { k: number; axis: number };
  Where: Record<string, never>;
  Expand: { shape: number[] };
  Cast: { to: DType };
  /**
   * ONNX DequantizeLinear, per axis: (x - zero_point[i]) * scale[i] along `axis`, x uint8 ->
   * float32 (inputs x, scale [x.shape[axis]], zero_point uint8 [x.shape[axis]]).
   */
  DequantizeLinear: { axis: number };
  Equal: Record<string, never>;
  Less: Record<string, never>;
  Greater: Record<string, never>;
  /** Identity; with stopGradient set, autodiff treats the output as a constant. */
  Identity: { stopGradient: boolean };
  /**
   * Inference-only kernels of onnxruntime (no gradient rule): one node where the composed form
   * takes several, for graphs run step after step (decode).
   * RmsNorm: x / sqrt(mean(x^2, last axis) + epsilon) * scale (onnxruntime's SimplifiedLayerNormalization).
   */
  RmsNorm: { epsilon: number };
  /** gelu_pytorch_tanh: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (onnxruntime's com.microsoft FastGelu). */
  FastGelu: Record<string, never>;
}
export type OpType = keyof OpParams;

export class Tensor {
  constructor(
    readonly graph: Graph,
    readonly id: number,
    readonly name: string,
    readonly dtype: DType,
    readonly shape: readonly number[],
    /** The node that produces it; undefined for graph inputs and constants. */
    readonly producer?: Node,
    /** Constant data (an initializer), if this is a constant. */
    readonly data?: ArrayLike<number>,
  ) {}

  get rank(): number {
    return this.shape.length;
  }
  get size(): number {
    return sizeOf(this.shape);
  }
  toString(): string {
    return `${this.name}: ${this.dtype}[${this.shape.join(', ')}]`;
  }
}

export interface Node<K extends OpType = OpType> {
  readonly op: K;
  readonly name: string;
  readonly inputs: Tensor[];
  readonly outputs: Tensor[];
  readonly params: OpParams[K];
}

export interface GraphInput {
  tensor: Tensor;
  /** Fed from a GPU buffer that outlives the session (weights, LoRA, optimizer state). */
  gpuResident: boolean;
}

export class Graph {
  readonly nodes: Node[] = [];
  readonly inputs: GraphInput[] = [];
  readonly constants: Tensor[] = [];
  readonly outputs: Tensor[] = [];
  private nextId = 0;
  private readonly names = new Set<string>();
  private readonly scopes: string[] = [];

  /**
   * `portable`: the graph is for any ONNX runtime (an exported model), not only our WebGPU sessions,
   * so int64 tensors (transformers.js feeds token ids and masks as int64) may be cast.
   */
  constructor(
    readonly name = 'graph',
    readonly options: { portable?: boolean } = {},
  ) {}

  /** Runs `fn` with node names prefixed by `scope/`, so errors and profiles say where a node came from. */
  scope<T>(scope: string, fn: () => T): T {
    this.scopes.push(scope);
    try {
      return fn();
    } finally {
      this.scopes.pop();
    }
  }

  private uniqueName(base: string): string {
    const prefix = this.scopes.length ? this.scopes.join('/') + '/' : '';
    let name = prefix + base;
    if (this.names.has(name)) {
      let i = 1;
      while (this.names.has(`${name}_${i}`)) i++;
      name = `${name}_${i}`;
    }
    this.names.add(name);
    return name;
  }

  input(name: string, dtype: DType, shape: readonly number[], opts: { gpuResident?: boolean } = {}): Tensor {
    if (this.names.has(name)) throw new GraphError(`input name "${name}" is already used in graph ${this.name}`);
    checkShape(shape, `input "${name}"`);
    this.names.add(name);
    const t = new Tensor(this, this.nextId++, name, dtype, [...shape]);
    this.inputs.push({ tensor: t, gpuResident: opts.gpuResident ?? false });
    return t;
  }

  /** A constant (ONNX initializer). Keep these small: weights are inputs, not constants. */
  constant(data: ArrayLike<number>, dtype: DType, shape: readonly number[], name = 'const'): Tensor {
    checkShape(shape, `constant "${name}"`);
    if (data.length !== sizeOf(shape)) {
      throw new GraphError(`constant "${name}": ${data.length} values for shape [${shape.join(', ')}]`);
    }
    const t = new Tensor(this, this.nextId++, this.uniqueName(name), dtype, [...shape], undefined, Array.from(data));
    this.constants.push(t);
    return t;
  }

  scalar(value: number, dtype: DType = 'float32'): Tensor {
    return this.constant([value], dtype, [], 'scalar');
  }

  /** Marks tensors as graph outputs under the given names (renaming through an Identity when needed). */
  output(tensor: Tensor, name?: string): Tensor {
    if (tensor.graph !== this) throw new GraphError(`output ${tensor.name} belongs to another graph`);
    let out = tensor;
    const isInputOrConst = !tensor.producer;
    const alreadyOutput = this.outputs.includes(tensor);
    if ((name && name !== tensor.name) || isInputOrConst || alreadyOutput) {
      const outName = name ?? `${tensor.name}_out`;
      if (this.names.has(outName)) throw new GraphError(`output name "${outName}" is already used`);
      this.names.add(outName);
      const node: Node<'Identity'> = { op: 'Identity', name: this.uniqueName(`${outName}_identity`), inputs: [tensor], outputs: [], params: { stopGradient: false } };
      out = new Tensor(this, this.nextId++, outName, tensor.dtype, tensor.shape, node);
      node.outputs.push(out);
      this.nodes.push(node);
    }
    this.outputs.push(out);
    return out;
  }

  /** Appends a node; called by the op builders after they have checked and inferred shapes. */
  addNode<K extends OpType>(op: K, inputs: Tensor[], params: OpParams[K], outputTypes: { dtype: DType; shape: readonly number[] }[]): Tensor[] {
    for (const t of inputs) {
      if (t.graph !== this) throw new GraphError(`${op}: input ${t.name} belongs to another graph`);
    }
    const name = this.uniqueName(op);
    const node: Node<K> = { op, name, inputs, outputs: [], params };
    outputTypes.forEach((o, i) => {
      checkShape(o.shape, `node ${name}`);
      const t = new Tensor(this, this.nextId++, outputTypes.length === 1 ? `${name}_out` : `${name}_out${i}`, o.dtype, [...o.shape], node);
      this.names.add(t.name);
      node.outputs.push(t);
    });
    this.nodes.push(node as unknown as Node);
    return node.outputs;
  }
}

function checkShape(shape: readonly number[], where: string): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new GraphError(`${where}: invalid dimension ${d} in shape [${shape.join(', ')}]`);
  }
}
