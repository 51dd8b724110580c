/**
 * The one WebGPU device of the app, created with the adapter's largest limits. Every buffer made on
 * it, ours and onnxruntime's, is counted, which gives the peak GPU memory a step really allocates.
 */
export interface GpuMemoryMeter {
  live: number;
  peak: number;
  resetPeak(): void;
}

export const gpuMemory: GpuMemoryMeter = {
  live: 0,
  peak: 0,
  resetPeak() {
    this.peak = this.live;
  },
};

let devicePromise: Promise<GPUDevice> | undefined;
const lostListeners = new Set<(info: GPUDeviceLostInfo) => void>();

/** Called when the GPU device is lost (driver reset, tab in background too long, ...). */
export function onDeviceLost(listener: (info: GPUDeviceLostInfo) => void): () => void {
  lostListeners.add(listener);
  return () => lostListeners.delete(listener);
}

const WANTED_LIMITS = ['maxBufferSize', 'maxStorageBufferBindingSize', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupSizeY', 'maxComputeWorkgroupSizeZ', 'maxStorageBuffersPerShaderStage'] as const;

/**
 * Creates the GPU device once, with the adapter's largest buffer limits (the 1B model's tensors
 * need far more than WebGPU's 128 MiB default binding), and that every
 * session and tensor of the app shares (createSession passes it to onnxruntime-web's WebGPU EP).
 */
export function webgpuDevice(): Promise<GPUDevice> {
  devicePromise ??= (async () => {
    if (typeof navigator === 'undefined' || !navigator.gpu) throw new Error('WebGPU is not available here');
    const adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) throw new Error('WebGPU: no adapter found');
    const requiredLimits: Record<string, number> = {};
    for (const k of WANTED_LIMITS) requiredLimits[k] = (adapter.limits as unknown as Record<string, number>)[k];
    const requiredFeatures = (['shader-f16', 'subgroups', 'timestamp-query'] as GPUFeatureName[]).filter((f) => adapter.features.has(f));
    const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
    meterBuffers(device);
    void device.lost.then((info) => lostListeners.forEach((l) => l(info)));
    return device;
  })();
  return devicePromise;
}

function meterBuffers(device: GPUDevice): void {
  const create = device.createBuffer.bind(device);
  device.createBuffer = (desc: GPUBufferDescriptor) => {
    const buffer = create(desc);
    const size = desc.size;
    gpuMemory.live += size;
    gpuMemory.peak = Math.max(gpuMemory.peak, gpuMemory.live);
    const destroy = buffer.destroy.bind(buffer);
    let destroyed = false;
    buffer.destroy = () => {
      if (!destroyed) {
        destroyed = true;
        gpuMemory.live -= size;
      }
      destroy();
    };
    return buffer;
  };
}
