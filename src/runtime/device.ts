/**
 * Where tensors live: GPU buffers on the WebGPU device that onnxruntime-web uses (so sessions read
 * them in place), or host memory for the wasm backend.
 */
import { webgpuDevice } from './gpu-device';
import { ort, type Backend } from './ort';

export { gpuMemory, onDeviceLost, webgpuDevice } from './gpu-device';

/** onnxruntime's kernels may read whole vec4s: buffers are sized in multiples of 16 bytes. */
const paddedSize = (bytes: number) => Math.max(16, Math.ceil(bytes / 16) * 16);

export type TensorValues = Float32Array | Int32Array | Uint8Array;

type StoredType = 'float32' | 'int32' | 'uint8';
const typeOf = (values: TensorValues): StoredType => (values instanceof Int32Array ? 'int32' : values instanceof Uint8Array ? 'uint8' : 'float32');
const elementBytes = (type: string) => (type === 'uint8' ? 1 : 4);

/** writeBuffer copies whole 4-byte words: a byte array of another length is copied into one that is. */
function wordAligned(values: TensorValues): TensorValues {
  if (values.byteLength % 4 === 0) return values;
  const padded = new Uint8Array(Math.ceil(values.byteLength / 4) * 4);
  padded.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  return padded;
}

/** Uploads and reads tensors for one backend. */
export class TensorStore {
  private constructor(
    readonly backend: Backend,
    readonly device: GPUDevice | undefined,
  ) {}

  static async create(backend: Backend): Promise<TensorStore> {
    return new TensorStore(backend, backend === 'webgpu' ? await webgpuDevice() : undefined);
  }

  /** The largest buffer one shader may bind (what a single weight tensor must fit in). */
  get maxBindingBytes(): number {
    return this.device ? this.device.limits.maxStorageBufferBindingSize : 2 ** 31 - 1;
  }

  /** A tensor of these values: float32, int32, or uint8 (8-bit weights). */
  upload(values: TensorValues, dims: readonly number[]): ort.Tensor {
    const type = typeOf(values);
    if (!this.device) return new ort.Tensor(type, values, [...dims]);
    const buffer = this.device.createBuffer({ size: paddedSize(values.byteLength), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    const aligned = wordAligned(values);
    this.device.queue.writeBuffer(buffer, 0, aligned.buffer, aligned.byteOffset, aligned.byteLength);
    return this.wrap(buffer, type, dims);
  }

  /** A GPU tensor filled piece by piece (large weights streamed from disk or network). */
  async uploadChunks(dims: readonly number[], chunks: AsyncIterable<{ elementOffset: number; values: Float32Array }>): Promise<ort.Tensor> {
    const count = dims.reduce((a, b) => a * b, 1);
    if (!this.device) {
      const all = new Float32Array(count);
      for await (const c of chunks) all.set(c.values, c.elementOffset);
      return new ort.Tensor('float32', all, [...dims]);
    }
    const buffer = this.device.createBuffer({ size: paddedSize(count * 4), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    for await (const c of chunks) this.device.queue.writeBuffer(buffer, c.elementOffset * 4, c.values.buffer, c.values.byteOffset, c.values.byteLength);
    return this.wrap(buffer, 'float32', dims);
  }

  /** Overwrites a tensor made by this store in place (same buffer: sessions that bound it see the new values). */
  write(t: ort.Tensor, values: TensorValues): void {
    if (values.length !== t.size) throw new Error(`write: ${values.length} values for a tensor of ${t.size}`);
    if (!this.device) {
      (t.data as TensorValues).set(values);
      return;
    }
    const aligned = wordAligned(values);
    this.device.queue.writeBuffer(t.gpuBuffer as GPUBuffer, 0, aligned.buffer, aligned.byteOffset, aligned.byteLength);
  }

  /** Copies src's values into dst (same size), on the device when there is one. */
  copy(src: ort.Tensor, dst: ort.Tensor): void {
    if (src.size !== dst.size || src.type !== dst.type) throw new Error(`copy: ${src.type}[${src.dims.join(', ')}] into ${dst.type}[${dst.dims.join(', ')}]`);
    if (!this.device) {
      (dst.data as TensorValues).set(src.data as TensorValues);
      return;
    }
    const enc = this.device.createCommandEncoder();
    enc.copyBufferToBuffer(src.gpuBuffer as GPUBuffer, 0, dst.gpuBuffer as GPUBuffer, 0, Math.ceil((src.size * elementBytes(src.type)) / 4) * 4);
    this.device.queue.submit([enc.finish()]);
  }

  /**
   * A tensor's values on the host, leaving the tensor as it is (ort.Tensor.getData would turn a GPU
   * tensor into a CPU one). On WebGPU the copy is queued now, behind the work already submitted, so
   * the caller may submit more work before awaiting the result.
   */
  read(t: ort.Tensor): Promise<TensorValues> {
    if (t.location === 'cpu' || t.location === 'cpu-pinned') {
      const d = t.data;
      return Promise.resolve(d instanceof Int32Array || d instanceof Float32Array || d instanceof Uint8Array ? d.slice() : Float32Array.from(d as ArrayLike<number>));
    }
    if (!this.device || t.location !== 'gpu-buffer') throw new Error(`read: a ${t.location} tensor`);
    const buffer = t.gpuBuffer as GPUBuffer;
    const type = t.type;
    const bytes = t.size * elementBytes(type);
    const words = Math.ceil(bytes / 4) * 4;
    const staging = this.device.createBuffer({ size: paddedSize(words), usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
    const enc = this.device.createCommandEncoder();
    enc.copyBufferToBuffer(buffer, 0, staging, 0, words);
    this.device.queue.submit([enc.finish()]);
    return staging.mapAsync(GPUMapMode.READ).then(() => {
      const copy = staging.getMappedRange().slice(0, bytes);
      staging.unmap();
      staging.destroy();
      return type === 'int32' ? new Int32Array(copy) : type === 'uint8' ? new Uint8Array(copy) : new Float32Array(copy);
    });
  }

  zeros(dims: readonly number[]): ort.Tensor {
    return this.upload(new Float32Array(dims.reduce((a, b) => a * b, 1)), dims);
  }

  private wrap(buffer: GPUBuffer, type: StoredType, dims: readonly number[]): ort.Tensor {
    const device = this.device!;
    return ort.Tensor.fromGpuBuffer(buffer, {
      dataType: type,
      dims: [...dims],
      download: async () => {
        const staging = device.createBuffer({ size: buffer.size, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
        const enc = device.createCommandEncoder();
        enc.copyBufferToBuffer(buffer, 0, staging, 0, buffer.size);
        device.queue.submit([enc.finish()]);
        await staging.mapAsync(GPUMapMode.READ);
        const bytes = staging.getMappedRange().slice(0);
        staging.unmap();
        staging.destroy();
        const n = dims.reduce((a, b) => a * b, 1);
        return (type === 'int32' ? new Int32Array(bytes, 0, n) : type === 'uint8' ? new Uint8Array(bytes, 0, n) : new Float32Array(bytes, 0, n)) as never;
      },
      dispose: () => buffer.destroy(),
    });
  }
}

/** A tensor's values on the host, whatever backend holds it. */
export async function readTensor(t: ort.Tensor): Promise<Float32Array> {
  const data = t.location === 'cpu' ? t.data : await t.getData();
  return data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
}
