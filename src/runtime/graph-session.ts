/**
 * A built Graph compiled into an onnxruntime-web session, with feeds checked against the graph's
 * declared inputs (names, dtypes, sizes) before anything reaches the runtime.
 */
import type { DType } from '../graph/dtype';
import type { Graph } from '../graph/graph';
import { toModelProto, type InitializerData } from '../graph/onnx';
import { yieldToEventLoop } from '../common/yield';
import { createSession, ort, type Backend, type SessionOptions } from './ort';

export type HostArray = Float32Array | Int32Array | Uint8Array | Uint16Array | BigInt64Array;
export type Feed = HostArray | ort.Tensor;

const ORT_TYPE: Record<DType, ort.Tensor.Type> = {
  float32: 'float32',
  float16: 'float16',
  int32: 'int32',
  int64: 'int64',
  bool: 'bool',
  uint8: 'uint8',
};

export interface GraphSessionOptions extends SessionOptions {
  /**
   * Graph inputs baked into the model as initializers, by name: host tensors whose values are
   * fixed for the session's life. They are not fed again (on wasm every fed input is copied into
   * onnxruntime's heap on each run), and onnxruntime can prepack them (its GEMM's B operands).
   */
  baked?: ReadonlyMap<string, ort.Tensor>;
}

export class GraphSession {
  private constructor(
    readonly graph: Graph,
    readonly backend: Backend,
    readonly session: ort.InferenceSession,
    /** Names of the inputs baked in (not fed). */
    readonly baked: ReadonlySet<string>,
  ) {}

  static async create(graph: Graph, backend: Backend, options: GraphSessionOptions = {}): Promise<GraphSession> {
    const initializers = new Map<string, InitializerData>();
    for (const [name, t] of options.baked ?? []) {
      const input = graph.inputs.find((i) => i.tensor.name === name);
      if (!input) throw new Error(`graph "${graph.name}": no input ${name} to bake`);
      if (t.location !== 'cpu' || t.type !== ORT_TYPE[input.tensor.dtype]) throw new Error(`graph "${graph.name}": input ${name} can only be baked from a host ${input.tensor.dtype} tensor, got ${t.location} ${t.type}`);
      const data = t.data as HostArray;
      initializers.set(name, { bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
    }
    const bytes = toModelProto(graph, { initializers });
    try {
      return new GraphSession(graph, backend, await createSession(bytes, backend, options), new Set(initializers.keys()));
    } catch (e) {
      throw new Error(`graph "${graph.name}": ${(e as Error).message}`);
    }
  }

  /**
   * Runs the session; host arrays are wrapped as tensors of the input's declared dtype and shape.
   * `fetches` names the outputs wanted, or gives pre-allocated tensors to write outputs into (on
   * WebGPU an output may be bound to an input's own buffer: the in-place cache update).
   */
  async run(feeds: Record<string, Feed>, fetches?: string[] | Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const { tensor } of this.graph.inputs) {
      if (this.baked.has(tensor.name)) continue;
      const f = feeds[tensor.name];
      if (f === undefined) throw new Error(`graph "${this.graph.name}": missing input ${tensor}`);
      if (f instanceof ort.Tensor) {
        if (f.type !== ORT_TYPE[tensor.dtype]) throw new Error(`graph "${this.graph.name}": input ${tensor.name} is ${f.type}, expected ${tensor.dtype}`);
        ortFeeds[tensor.name] = f;
        continue;
      }
      const host = f as HostArray;
      if (host.length !== tensor.size) throw new Error(`graph "${this.graph.name}": input ${tensor.name} has ${host.length} values, expected ${tensor.size} for [${tensor.shape.join(', ')}]`);
      ortFeeds[tensor.name] = new ort.Tensor(ORT_TYPE[tensor.dtype], host as never, [...tensor.shape]);
    }
    const unknown = Object.keys(feeds).filter((k) => this.baked.has(k) || !this.graph.inputs.some((i) => i.tensor.name === k));
    if (unknown.length) throw new Error(`graph "${this.graph.name}": unknown inputs ${unknown.join(', ')} (or inputs baked into the session)`);
    if (fetches && !Array.isArray(fetches)) {
      for (const [name, t] of Object.entries(fetches)) {
        const out = this.graph.outputs.find((o) => o.name === name);
        if (!out) throw new Error(`graph "${this.graph.name}": no output ${name}`);
        if (t.type !== ORT_TYPE[out.dtype] || t.size !== out.size) throw new Error(`graph "${this.graph.name}": output ${name} is ${out}, the tensor given for it is ${t.type}[${t.dims.join(', ')}]`);
      }
    }
    await yieldToEventLoop();
    return fetches ? this.session.run(ortFeeds, fetches) : this.session.run(ortFeeds);
  }

  release(): Promise<void> {
    return this.session.release();
  }
}
