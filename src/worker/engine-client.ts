/**
 * Main-thread side of the engine worker: starts it and returns a typed engine (EngineApi and the
 * training contract, TrainerApi) backed by comlink.
 */
import * as Comlink from 'comlink';
import type { EngineApi, GpuStatus } from './api';
import type { DashboardExtrasApi, StorageApi } from './dashboard-api';
import type { TrainerApi, TrainingEvent } from './training-api';

/**
 * Everything the UI can call on the engine worker. A method the worker lacks rejects with
 * EngineMethodMissingError (the extras are optional by design; TrainerApi is being implemented).
 */
export type DashboardEngine = EngineApi & TrainerApi & DashboardExtrasApi & Partial<StorageApi>;

/** The worker does not implement a method the UI called (e.g. an engine built before the trainer). */
export class EngineMethodMissingError extends Error {
  constructor(readonly method: string) {
    super(`The engine worker does not implement ${method}() yet`);
    this.name = 'EngineMethodMissingError';
  }
}

/**
 * Comlink calls a missing method as `undefined.apply(...)` in the worker; the TypeError comes back
 * with the browser's wording. Recognise it so callers can say "not implemented" instead of a riddle.
 */
export function asMissingMethodError(method: string, error: unknown): unknown {
  const message = error instanceof Error ? error.message : String(error);
  const missing = /reading 'apply'|\.apply is not a function|undefined is not an object \(evaluating '.*\.apply'\)/.test(message);
  return missing ? new EngineMethodMissingError(method) : error;
}

export function startEngine(): DashboardEngine {
  const worker = new Worker(new URL('./engine.worker.ts', import.meta.url), { type: 'module', name: 'webgrpo-engine' });
  const remote = Comlink.wrap<DashboardEngine & StorageApi>(worker);

  // A worker that fails to load (or throws outside a call) would leave comlink calls pending forever;
  // turn that into a rejection of every call in flight and every later one.
  const crashed = new Promise<never>((_, reject) => {
    worker.addEventListener('error', (event) => {
      const detail = event.message || 'the script failed to load or threw outside a call';
      reject(new Error(`The engine worker stopped: ${detail}`));
    });
  });
  crashed.catch(() => {}); // Only callers should see this rejection, not the unhandled-rejection log.
  const guard = <T>(call: Promise<T>): Promise<T> => Promise.race([call, crashed]);
  const trainer = <T>(method: keyof (TrainerApi & DashboardExtrasApi & StorageApi), call: () => Promise<T>): Promise<T> =>
    guard(call()).catch((e: unknown) => {
      throw asMissingMethodError(method, e);
    });

  return {
    gpuInfo: () => guard<GpuStatus>(remote.gpuInfo()),
    runSmokeSession: (backend) => guard(remote.runSmokeSession(backend)),
    // The callback runs on this thread: the worker gets a proxy it calls back through.
    startTraining: (request, onEvent) => trainer('startTraining', () => remote.startTraining(request, Comlink.proxy((e: TrainingEvent) => onEvent(e)))),
    pause: () => trainer('pause', () => remote.pause()),
    resume: () => trainer('resume', () => remote.resume()),
    stop: () => trainer('stop', () => remote.stop()),
    listCheckpoints: () => trainer('listCheckpoints', () => remote.listCheckpoints()),
    exportAdapter: () => trainer('exportAdapter', () => remote.exportAdapter()),
    exportMergedModel: (onProgress) => trainer('exportMergedModel', () => remote.exportMergedModel(onProgress ? Comlink.proxy(onProgress) : undefined)),
    exportOnnxModel: (dtype, onProgress) => trainer('exportOnnxModel', () => remote.exportOnnxModel(dtype, onProgress ? Comlink.proxy(onProgress) : undefined)),
    importAdapter: (files) => trainer('importAdapter', () => remote.importAdapter(files)),
    exportHints: () => trainer('exportHints', () => remote.exportHints()),
    importHints: (json) => trainer('importHints', () => remote.importHints(json)),
    editHint: (id, change) => trainer('editHint', () => remote.editHint(id, change)),
    inspectDataset: (source) => trainer('inspectDataset', () => remote.inspectDataset(source)),
    modelCacheStatus: (source) => trainer('modelCacheStatus', () => remote.modelCacheStatus(source)),
    memoryPlan: (request) => trainer('memoryPlan', () => remote.memoryPlan(request)),
    gpuMemoryUse: () => trainer('gpuMemoryUse', () => remote.gpuMemoryUse()),
    playgroundStatus: () => trainer('playgroundStatus', () => remote.playgroundStatus()),
    playground: (request, onChunk) => trainer('playground', () => remote.playground(request, onChunk ? Comlink.proxy(onChunk) : undefined)),
    storageInventory: () => trainer('storageInventory', () => remote.storageInventory()),
    deleteStored: (ref) => trainer('deleteStored', () => remote.deleteStored(ref)),
  };
}
