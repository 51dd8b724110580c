/**
 * onnxruntime-web, configured once. Step graphs run as ordinary InferenceSessions on the WebGPU EP
 * (or the wasm EP, for CPU references and machines without WebGPU).
 */
import * as ort from 'onnxruntime-web/webgpu';
import { webgpuDevice } from './gpu-device';

export { ort };

// Without `navigator` (plain Node), onnxruntime-web asks node:os for a thread count through a
// require() that fails under ESM; choose the count here instead.
if (typeof navigator === 'undefined' && !ort.env.wasm.numThreads) ort.env.wasm.numThreads = 1;
export type Backend = 'wasm' | 'webgpu';

export interface SessionOptions {
  /** Where outputs land; 'gpu-buffer' keeps them on the GPU for the next graph. */
  preferredOutputLocation?: ort.InferenceSession.SessionOptions['preferredOutputLocation'];
  /**
   * WebGPU: record the session's GPU commands on its first runs and replay them afterwards (no
   * per-kernel CPU work). Every input and output must then be a GPU tensor, the same buffers on
   * every run (their contents may change), and shapes static.
   */
  graphCapture?: boolean;
  /** Log level for ORT's own diagnostics. */
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
}

/**
 * Creates a session. On WebGPU, CPU fallback is disabled: a node that the WebGPU EP cannot run makes
 * creation fail instead of silently running on the CPU.
 */
export async function createSession(model: Uint8Array, backend: Backend, options: SessionOptions = {}): Promise<ort.InferenceSession> {
  const so: ort.InferenceSession.SessionOptions = {
    // On WebGPU, the app's own device: tensors uploaded by the app are then valid in every session.
    executionProviders: [backend === 'webgpu' ? ({ name: 'webgpu', device: await webgpuDevice() } as ort.InferenceSession.ExecutionProviderConfig) : backend],
    graphOptimizationLevel: 'all',
    logSeverityLevel: options.logSeverityLevel ?? 3,
  };
  if (backend === 'webgpu') {
    so.extra = { session: { disable_cpu_ep_fallback: '1' } };
    if (options.preferredOutputLocation) so.preferredOutputLocation = options.preferredOutputLocation;
    if (options.graphCapture) so.enableGraphCapture = true;
  }
  try {
    return await ort.InferenceSession.create(model, so);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new Error(`onnxruntime-web could not create a ${backend} session: ${msg}`);
  }
}
