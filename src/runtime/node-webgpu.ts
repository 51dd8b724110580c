/**
 * WebGPU for Node.js through dawn.node (npm package `webgpu`), so the same onnxruntime-web WebGPU
 * kernels the browser runs also run headless (tests, benchmarks, CLI).
 */
import { create, globals } from 'webgpu';

let installed = false;

export function installNodeWebGPU(): void {
  if (installed) return;
  installed = true;
  Object.assign(globalThis, globals);
  const gpu = create([]);
  Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  // dawn.node rejects views of a SharedArrayBuffer, which onnxruntime-web's threaded wasm passes.
  const queueProto = (globalThis as unknown as { GPUQueue: { prototype: GPUQueue } }).GPUQueue.prototype;
  const writeBuffer = queueProto.writeBuffer;
  queueProto.writeBuffer = function (this: GPUQueue, buffer: GPUBuffer, offset: number, data: BufferSource | SharedArrayBuffer, dataOffset?: number, size?: number) {
    const view = ArrayBuffer.isView(data) ? data : new Uint8Array(data as ArrayBuffer);
    if (view.buffer instanceof SharedArrayBuffer) {
      const bpe = (view as unknown as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1;
      const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
      const start = (dataOffset ?? 0) * bpe;
      const len = size === undefined ? bytes.byteLength - start : size * bpe;
      return writeBuffer.call(this, buffer, offset, bytes.slice(start, start + len));
    }
    return writeBuffer.call(this, buffer, offset, data as BufferSource, dataOffset, size);
  } as GPUQueue['writeBuffer'];
}
