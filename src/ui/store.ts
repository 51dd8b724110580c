/**
 * App state (zustand). The store gets the engine injected, so it can be tested with a fake and the
 * UI never touches the worker directly.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { Backend, EngineApi, GpuStatus, SmokeResult } from '../worker/api';

export type GpuState =
  | { phase: 'detecting' }
  | { phase: 'ready'; status: GpuStatus }
  /** The check itself failed (e.g. the engine worker did not start): we know nothing about WebGPU. */
  | { phase: 'failed'; error: string };

export type SmokeState =
  | { phase: 'idle' }
  | { phase: 'running'; backend: Backend }
  | { phase: 'done'; result: SmokeResult }
  | { phase: 'failed'; backend: Backend; error: string };

export interface AppState {
  gpu: GpuState;
  smoke: SmokeState;
  detectGpu(): Promise<void>;
  /** Runs the engine's smoke session on the best backend we have; ignored while one is running or WebGPU is still being detected. */
  runSmokeTest(): Promise<void>;
}

export type AppStore = StoreApi<AppState>;

/** WebGPU when the engine has it, else the wasm (CPU) backend; null until detection has finished. */
export function smokeBackend(gpu: GpuState): Backend | null {
  if (gpu.phase === 'detecting') return null;
  return gpu.phase === 'ready' && gpu.status.available ? 'webgpu' : 'wasm';
}

export function createAppStore(engine: EngineApi): AppStore {
  return createStore<AppState>()((set, get) => ({
    gpu: { phase: 'detecting' },
    smoke: { phase: 'idle' },

    async detectGpu() {
      set({ gpu: { phase: 'detecting' } });
      try {
        set({ gpu: { phase: 'ready', status: await engine.gpuInfo() } });
      } catch (e) {
        set({ gpu: { phase: 'failed', error: errorMessage(e) } });
      }
    },

    async runSmokeTest() {
      const backend = smokeBackend(get().gpu);
      if (!backend || get().smoke.phase === 'running') return;
      set({ smoke: { phase: 'running', backend } });
      try {
        set({ smoke: { phase: 'done', result: await engine.runSmokeSession(backend) } });
      } catch (e) {
        set({ smoke: { phase: 'failed', backend, error: errorMessage(e) } });
      }
    },
  }));
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
