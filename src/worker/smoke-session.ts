/**
 * Runs the smoke-test model on one onnxruntime-web backend and measures how far it is from plain JS.
 */
import { createSession, ort, type Backend } from '../runtime/ort';
import { SMOKE_TOLERANCE, type SmokeResult } from './api';
import { buildMatMulAddModel, matMulAddReference, maxAbsDifference, seededUniform, type MatMulAddDims } from './smoke-graph';

/** Small, and deliberately not square or a power of two, so transposed or mis-tiled kernels show up. */
const SMOKE_DIMS: MatMulAddDims = { m: 24, k: 80, n: 40 };

export async function runSmokeSession(backend: Backend, seed = 1): Promise<SmokeResult> {
  const dims = SMOKE_DIMS;
  const { m, k, n } = dims;
  const a = seededUniform(m * k, seed);
  const b = seededUniform(k * n, seed + 1);
  const c = seededUniform(n, seed + 2);

  const start = performance.now();
  const session = await createSession(buildMatMulAddModel(dims), backend);
  try {
    const runStart = performance.now();
    const outputs = await session.run({
      A: new ort.Tensor('float32', a, [m, k]),
      B: new ort.Tensor('float32', b, [k, n]),
      C: new ort.Tensor('float32', c, [n]),
    });
    const y = outputs.Y;
    if (!y) throw new Error('The smoke session returned no output named Y');
    const actual = (await y.getData()) as Float32Array;
    const end = performance.now();
    const maxAbsError = maxAbsDifference(actual, matMulAddReference(a, b, c, dims));
    return {
      backend,
      maxAbsError,
      passed: maxAbsError <= SMOKE_TOLERANCE,
      ms: end - start,
      runMs: end - runStart,
      dims,
    };
  } finally {
    await session.release();
  }
}
