import { describe, expect, it } from 'vitest';
import { runGradCheck } from '../../support/grad-check';
import { ALL_CASES } from '../../support/grad-cases';

// Forward values and autodiff gradients on onnxruntime-web's wasm backend, against the float64
// interpreter and its central finite differences.
describe('autodiff on the wasm backend', () => {
  for (const c of ALL_CASES) {
    it(c.name, async () => {
      const r = await runGradCheck(c, 'wasm');
      expect(r.forwardError).toBeLessThan(c.fp16 ? 1e-3 : 1e-5);
      expect(r.lossError).toBeLessThan(c.fp16 ? 1e-3 : 1e-5);
      expect(Object.keys(r.gradErrors).length).toBeGreaterThan(0);
      for (const [name, err] of Object.entries(r.gradErrors)) {
        expect(err, `d loss / d ${name}`).toBeLessThan(c.gradTolerance ?? 1e-3);
      }
    });
  }
});
