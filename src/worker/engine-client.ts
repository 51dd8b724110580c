/**
 * Main-thread side of the engine worker: starts it and returns a typed EngineApi backed by comlink.
 */
import * as Comlink from 'comlink';
import type { EngineApi, GpuStatus } from './api';

export function startEngine(): EngineApi {
  const worker = new Worker(new URL('./engine.worker.ts', import.meta.url), { type: 'module', name: 'webgrpo-engine' });
  const remote = Comlink.wrap<EngineApi>(worker);

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

  return {
    gpuInfo: () => guard<GpuStatus>(remote.gpuInfo()),
    runSmokeSession: (backend) => guard(remote.runSmokeSession(backend)),
  };
}
