/**
 * The engine worker: everything heavy (onnxruntime-web sessions, generation, training) runs here,
 * off the UI thread. The UI talks to it through comlink (see ./api.ts, ./training-api.ts and
 * ./engine-client.ts); training events come back through a comlink-proxied callback.
 */
import * as Comlink from 'comlink';
import { detectGpu, type GpuLike } from '../runtime/gpu-info';
import type { DashboardEngine } from './engine-client';
import { runSmokeSession } from './smoke-session';
import { browserTrainerEnvironment } from './trainer-env-browser';
import { TrainerService } from './trainer-service';
import type { TrainingEvent } from './training-api';

const trainer = new TrainerService(browserTrainerEnvironment());

const engine: DashboardEngine = {
  gpuInfo: () => detectGpu(workerGpu(), { secureContext: self.isSecureContext }),
  runSmokeSession: (backend = 'webgpu') => runSmokeSession(backend),
  // onEvent is a comlink proxy: each call is a message to the page. A page that went away must not
  // fail the run, so its rejections are dropped.
  startTraining: (request, onEvent) => trainer.startTraining(request, (e: TrainingEvent) => void Promise.resolve(onEvent(e)).catch(() => undefined)),
  pause: () => trainer.pause(),
  resume: () => trainer.resume(),
  stop: () => trainer.stop(),
  listCheckpoints: () => trainer.listCheckpoints(),
  exportAdapter: async () => {
    const files = await trainer.exportAdapter();
    return Comlink.transfer(files, [files.safetensors.buffer as ArrayBuffer]);
  },
  // The weights come back as an OPFS-backed File (cloned as a reference, not copied); progress is a comlink proxy.
  exportMergedModel: async (onProgress) => {
    const model = await trainer.exportMergedModel(onProgress && ((e) => void Promise.resolve(onProgress(e)).catch(() => undefined)));
    return Comlink.transfer(model, model.files.flatMap((f) => (f.data instanceof Uint8Array ? [f.data.buffer as ArrayBuffer] : [])));
  },
  exportOnnxModel: async (dtype, onProgress) => {
    const model = await trainer.exportOnnxModel(dtype, onProgress && ((e) => void Promise.resolve(onProgress(e)).catch(() => undefined)));
    return Comlink.transfer(model, model.files.flatMap((f) => (f.data instanceof Uint8Array ? [f.data.buffer as ArrayBuffer] : [])));
  },
  importAdapter: (files) => trainer.importAdapter(files),
  exportHints: () => trainer.exportHints(),
  importHints: (json) => trainer.importHints(json),
  editHint: (id, change) => trainer.editHint(id, change),
  inspectDataset: (source) => trainer.inspectDataset(source),
  modelCacheStatus: (source) => trainer.modelCacheStatus(source),
  memoryPlan: (request) => trainer.memoryPlan(request),
  gpuMemoryUse: () => trainer.gpuMemoryUse(),
  playgroundStatus: () => trainer.playgroundStatus(),
  // onChunk is a comlink proxy: a page that went away must not fail the generation.
  playground: (request, onChunk) => trainer.playground(request, onChunk && ((c) => void Promise.resolve(onChunk(c)).catch(() => undefined))),
  storageInventory: () => trainer.storageInventory(),
  deleteStored: (ref) => trainer.deleteStored(ref),
};

function workerGpu(): GpuLike | undefined {
  return (self.navigator as Navigator & { gpu?: GpuLike }).gpu;
}

// In the production build onnxruntime-web is bundled into this file, and its wasm threads
// ("em-pthread" workers, when numThreads > 1) load this same file. They need only ORT: keep the
// engine out of them.
if (!self.name.startsWith('em-pthread')) Comlink.expose(engine);
