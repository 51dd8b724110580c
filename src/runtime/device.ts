/**
 * Where tensors live: GPU buffers on the WebGPU device that onnxruntime-web uses (so sessions read
 * them in place), or host memory for the wasm backend.
 */
import { webgpuDevice } from './gpu-device';
import { ort, type Backend } from './ort';

export { gpuMemory, onDeviceLost, webgpuDevice } from './gpu-device';

/** onnxruntime's kernels may read whole vec4s: buffers are sized in multiples of 16 bytes. */
const paddedSize = (bytes: number) => Math.max(16, Math.ceil(bytes / 16) * 16);

export type TensorValues = Float32Array | Int32Array;

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

  upload(values: TensorValues, dims: readonly number[]): ort.Tensor {
    const type = values instanceof Int32Array ? 'int32' : 'float32';
    if (!this.device) return new ort.Tensor(type, values, [...dims]);
    const buffer = this.device.createBuffer({ size: paddedSize(values.byteLength), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    this.device.queue.writeBuffer(buffer, 0, values.buffer, values.byteOffset, values.byteLength);
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

  zeros(dims: readonly number[]): ort.Tensor {
    return this.upload(new Float32Array(dims.reduce((a, b) => a * b, 1)), dims);
  }

  private wrap(buffer: GPUBuffer, type: 'float32' | 'int32', dims: readonly number[]): ort.Tensor {
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
        return (type === 'int32' ? new Int32Array(bytes, 0, n) : new Float32Array(bytes, 0, n)) as never;
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
