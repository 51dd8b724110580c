/**
 * The engine worker: everything heavy (onnxruntime-web sessions, later generation and training)
 * runs here, off the UI thread. The UI talks to it through comlink (see ./api.ts).
 */
import * as Comlink from 'comlink';
import { detectGpu, type GpuLike } from '../runtime/gpu-info';
import type { EngineApi } from './api';
import { runSmokeSession } from './smoke-session';

const engine: EngineApi = {
  gpuInfo: () => detectGpu(workerGpu(), { secureContext: self.isSecureContext }),
  runSmokeSession: (backend = 'webgpu') => runSmokeSession(backend),
};

function workerGpu(): GpuLike | undefined {
  return (self.navigator as Navigator & { gpu?: GpuLike }).gpu;
}

// In the production build onnxruntime-web is bundled into this file, and its wasm threads
// ("em-pthread" workers, when numThreads > 1) load this same file. They need only ORT: keep the
// engine out of them.
if (!self.name.startsWith('em-pthread')) Comlink.expose(engine);
