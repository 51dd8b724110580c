import { beforeAll, describe, expect, it } from 'vitest';
import { runGradCheck } from '../support/grad-check';
import { ALL_CASES } from '../support/grad-cases';

// The same gradient checks as on wasm, with every node on the WebGPU EP (CPU fallback disabled).
let hasF16 = false;
beforeAll(async () => {
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) throw new Error('no WebGPU adapter: is SwiftShader (Debian chromium) installed?');
  hasF16 = adapter.features.has('shader-f16');
});

describe('autodiff on the WebGPU backend', () => {
  for (const c of ALL_CASES) {
    it(c.name, async (ctx) => {
      if (c.fp16 && !hasF16) ctx.skip();
      const r = await runGradCheck(c, 'webgpu');
      const tolerance = c.fp16 ? 1e-3 : (c.webgpuForwardTolerance ?? 1e-5);
      expect(r.forwardError).toBeLessThan(tolerance);
      expect(r.lossError).toBeLessThan(tolerance);
      for (const [name, err] of Object.entries(r.gradErrors)) {
        expect(err, `d loss / d ${name}`).toBeLessThan(c.gradTolerance ?? 1e-3);
      }
    });
  }
});
