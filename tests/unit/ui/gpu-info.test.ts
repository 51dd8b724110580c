import { describe, expect, it } from 'vitest';
import { detectGpu, formatBytes, summarizeAdapter, type AdapterLike, type GpuLike } from '../../../src/runtime/gpu-info';

/** Like GPUSupportedLimits: the values live in getters on a prototype, not as own properties. */
function limitsObject(values: Record<string, number>): AdapterLike['limits'] {
  const proto = {};
  for (const [name, value] of Object.entries(values)) Object.defineProperty(proto, name, { get: () => value, enumerable: false });
  return Object.create(proto) as AdapterLike['limits'];
}

const swiftShaderLimits = {
  maxBufferSize: 1024 ** 3,
  maxStorageBufferBindingSize: 1024 ** 3,
  maxComputeWorkgroupStorageSize: 32 * 1024,
  maxStorageBuffersPerShaderStage: 10,
  maxComputeInvocationsPerWorkgroup: 256,
  maxTextureDimension2D: 8192, // not a key limit: must not be copied
};

function fakeGpu(adapter: AdapterLike | null): GpuLike & { requestedWith: unknown[] } {
  const requestedWith: unknown[] = [];
  return {
    requestedWith,
    async requestAdapter(options) {
      requestedWith.push(options);
      return adapter;
    },
  };
}

describe('detectGpu', () => {
  it('summarizes a software adapter: name, limits as plain data, sorted features', async () => {
    const gpu = fakeGpu({
      info: { vendor: 'google', architecture: 'swiftshader', device: '', description: '', isFallbackAdapter: false },
      limits: limitsObject(swiftShaderLimits),
      features: new Set(['timestamp-query', 'subgroups', 'float32-filterable']),
    });
    const status = await detectGpu(gpu);
    expect(status).toEqual({
      available: true,
      adapter: {
        name: 'google swiftshader',
        vendor: 'google',
        architecture: 'swiftshader',
        device: '',
        description: '',
        isSoftware: true,
      },
      limits: {
        maxBufferSize: 1073741824,
        maxStorageBufferBindingSize: 1073741824,
        maxComputeWorkgroupStorageSize: 32768,
        maxStorageBuffersPerShaderStage: 10,
        maxComputeInvocationsPerWorkgroup: 256,
      },
      features: ['float32-filterable', 'subgroups', 'timestamp-query'],
      shaderF16: false,
    });
    // The result crosses the worker boundary: it must survive structured clone unchanged.
    expect(structuredClone(status)).toEqual(status);
    expect(gpu.requestedWith).toEqual([{ powerPreference: 'high-performance' }]);
  });

  it('names a hardware adapter by its description and reports shader-f16', async () => {
    const status = await detectGpu(
      fakeGpu({
        info: { vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA H100 80GB HBM3', isFallbackAdapter: false },
        limits: limitsObject(swiftShaderLimits),
        features: ['shader-f16', 'subgroups'],
      }),
    );
    expect(status.available).toBe(true);
    if (!status.available) return;
    expect(status.adapter.name).toBe('NVIDIA H100 80GB HBM3');
    expect(status.adapter.isSoftware).toBe(false);
    expect(status.shaderF16).toBe(true);
  });

  it('falls back to requestAdapterInfo() on browsers without adapter.info', async () => {
    const status = await detectGpu(
      fakeGpu({
        requestAdapterInfo: async () => ({ vendor: 'intel', architecture: 'gen-12lp' }),
        limits: limitsObject(swiftShaderLimits),
        features: [],
      }),
    );
    expect(status.available && status.adapter.name).toBe('intel gen-12lp');
  });

  it('says plainly when navigator.gpu is missing, and why on an insecure page', async () => {
    expect(await detectGpu(undefined)).toEqual({ available: false, reason: expect.stringMatching(/does not offer WebGPU/) });
    expect(await detectGpu(undefined, { secureContext: false })).toEqual({
      available: false,
      reason: expect.stringMatching(/secure pages .*localhost/),
    });
  });

  it('reports a browser that finds no adapter', async () => {
    const status = await detectGpu(fakeGpu(null));
    expect(status).toEqual({ available: false, reason: expect.stringMatching(/no usable GPU adapter/) });
  });

  it('turns a throwing requestAdapter into a reason instead of an exception', async () => {
    const gpu: GpuLike = {
      requestAdapter: () => Promise.reject(new Error('GPU process crashed')),
    };
    expect(await detectGpu(gpu)).toEqual({ available: false, reason: 'Requesting a WebGPU adapter failed: GPU process crashed' });
  });
});

describe('summarizeAdapter', () => {
  it('flags fallback and known CPU adapters as software, real GPUs not', () => {
    expect(summarizeAdapter({ vendor: 'mesa', architecture: '', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' }).isSoftware).toBe(true);
    expect(summarizeAdapter({ vendor: 'x', isFallbackAdapter: true }).isSoftware).toBe(true);
    expect(summarizeAdapter({ vendor: 'x' }, true).isSoftware).toBe(true);
    expect(summarizeAdapter({ vendor: 'apple', architecture: 'metal-3' }).isSoftware).toBe(false);
    // "warp" must match as a word (Microsoft's WARP), not inside another name.
    expect(summarizeAdapter({ vendor: 'acme', description: 'Warpspeed 9000' }).isSoftware).toBe(false);
  });

  it('never returns an empty name', () => {
    expect(summarizeAdapter({}).name).toBe('Unknown adapter');
    expect(summarizeAdapter({ device: '0x1234' }).name).toBe('0x1234');
  });
});

describe('formatBytes', () => {
  it('uses binary units and drops needless decimals', () => {
    expect(formatBytes(7)).toBe('7 B');
    expect(formatBytes(16 * 1024)).toBe('16 KiB');
    expect(formatBytes(1024 ** 3)).toBe('1 GiB');
    expect(formatBytes(1.5 * 1024 ** 2)).toBe('1.50 MiB');
    expect(formatBytes(2 ** 31 - 4)).toBe('2.00 GiB');
    expect(formatBytes(1024 ** 5)).toBe('1024 TiB');
  });
});
