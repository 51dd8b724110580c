/**
 * The engine worker's API, as the UI sees it through comlink. Every method returns a Promise and
 * every value is structured-cloneable: calls cross a thread boundary.
 */
import type { GpuStatus } from '../runtime/gpu-info';
import type { Backend } from '../runtime/ort';

export type { Backend, GpuStatus };

/** Float32 on any backend lands within ~1e-5 of the float64 reference at the smoke test's size. */
export const SMOKE_TOLERANCE = 1e-4;

export interface SmokeResult {
  backend: Backend;
  /** Largest |ORT - JS reference| over the output (Infinity if any value is NaN). */
  maxAbsError: number;
  /** maxAbsError <= SMOKE_TOLERANCE. */
  passed: boolean;
  /** Wall time of the whole check: session creation (includes shader compilation on first use) + run. */
  ms: number;
  /** Of which: the `session.run` call alone. */
  runMs: number;
  /** Problem size: A [m, k] x B [k, n] + C [n]. */
  dims: { m: number; k: number; n: number };
}

export interface EngineApi {
  /** WebGPU as the worker sees it (training runs here, so this is the view that counts). */
  gpuInfo(): Promise<GpuStatus>;
  /**
   * Builds a tiny MatMul + Add ONNX model, runs it with onnxruntime-web on `backend` (default
   * 'webgpu') and checks the output against plain JS. Rejects with a readable error if the session
   * cannot be created or run.
   */
  runSmokeSession(backend?: Backend): Promise<SmokeResult>;
}
