import { describe, expect, it } from 'vitest';
import { createAppStore, smokeBackend } from '../../../src/ui/store';
import type { Backend, EngineApi, GpuStatus, SmokeResult } from '../../../src/worker/api';

const withGpu: GpuStatus = {
  available: true,
  adapter: { name: 'google swiftshader', vendor: 'google', architecture: 'swiftshader', device: '', description: '', isSoftware: true },
  limits: {
    maxBufferSize: 2 ** 30,
    maxStorageBufferBindingSize: 2 ** 30,
    maxComputeWorkgroupStorageSize: 32768,
    maxStorageBuffersPerShaderStage: 10,
    maxComputeInvocationsPerWorkgroup: 256,
  },
  features: ['subgroups'],
  shaderF16: false,
};
const withoutGpu: GpuStatus = { available: false, reason: 'no adapter' };

function result(backend: Backend): SmokeResult {
  return { backend, maxAbsError: 2e-6, passed: true, ms: 12, runMs: 3, dims: { m: 2, k: 3, n: 4 } };
}

/** A fake engine that records smoke calls and lets the test decide when they finish. */
function fakeEngine(gpu: GpuStatus | Error) {
  const smokeCalls: Backend[] = [];
  let finishSmoke: ((r: SmokeResult | Error) => void) | undefined;
  const engine: EngineApi = {
    gpuInfo: () => (gpu instanceof Error ? Promise.reject(gpu) : Promise.resolve(gpu)),
    runSmokeSession: (backend = 'webgpu') => {
      smokeCalls.push(backend);
      return new Promise((resolve, reject) => {
        finishSmoke = (r) => (r instanceof Error ? reject(r) : resolve(r));
      });
    },
  };
  return { engine, smokeCalls, finishSmoke: (r: SmokeResult | Error) => finishSmoke?.(r) };
}

describe('app store', () => {
  it('starts detecting, then holds what the engine reports', async () => {
    const store = createAppStore(fakeEngine(withGpu).engine);
    expect(store.getState().gpu).toEqual({ phase: 'detecting' });
    await store.getState().detectGpu();
    expect(store.getState().gpu).toEqual({ phase: 'ready', status: withGpu });
  });

  it('records a failed detection (e.g. the worker did not start) as an error, not as "no WebGPU"', async () => {
    const store = createAppStore(fakeEngine(new Error('The engine worker stopped: boom')).engine);
    await store.getState().detectGpu();
    expect(store.getState().gpu).toEqual({ phase: 'failed', error: 'The engine worker stopped: boom' });
    expect(smokeBackend(store.getState().gpu)).toBe('wasm');
  });

  it('runs the smoke test on WebGPU when available and shows running, then the result', async () => {
    const fake = fakeEngine(withGpu);
    const store = createAppStore(fake.engine);
    await store.getState().detectGpu();
    const run = store.getState().runSmokeTest();
    expect(store.getState().smoke).toEqual({ phase: 'running', backend: 'webgpu' });
    fake.finishSmoke(result('webgpu'));
    await run;
    expect(store.getState().smoke).toEqual({ phase: 'done', result: result('webgpu') });
    expect(fake.smokeCalls).toEqual(['webgpu']);
  });

  it('falls back to wasm without WebGPU', async () => {
    const fake = fakeEngine(withoutGpu);
    const store = createAppStore(fake.engine);
    await store.getState().detectGpu();
    const run = store.getState().runSmokeTest();
    fake.finishSmoke(result('wasm'));
    await run;
    expect(fake.smokeCalls).toEqual(['wasm']);
  });

  it('does not run before detection finishes, nor twice at once', async () => {
    const fake = fakeEngine(withGpu);
    const store = createAppStore(fake.engine);
    await store.getState().runSmokeTest();
    expect(fake.smokeCalls).toEqual([]);
    expect(store.getState().smoke).toEqual({ phase: 'idle' });

    await store.getState().detectGpu();
    const first = store.getState().runSmokeTest();
    await store.getState().runSmokeTest();
    expect(fake.smokeCalls).toEqual(['webgpu']);
    fake.finishSmoke(result('webgpu'));
    await first;
  });

  it('keeps the error message of a failed smoke session', async () => {
    const fake = fakeEngine(withGpu);
    const store = createAppStore(fake.engine);
    await store.getState().detectGpu();
    const run = store.getState().runSmokeTest();
    fake.finishSmoke(new Error('onnxruntime-web could not create a webgpu session: no adapter'));
    await run;
    expect(store.getState().smoke).toEqual({
      phase: 'failed',
      backend: 'webgpu',
      error: 'onnxruntime-web could not create a webgpu session: no adapter',
    });
  });
});
