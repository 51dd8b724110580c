import { describe, expect, it } from 'vitest';
import { fixtureParity } from '../../support/fixture-parity';

describe('Gemma-3 step graphs match HF transformers + PEFT (tiny-gemma3-a, wasm backend)', () => {
  it('logits, token log-probs, loss and every LoRA gradient', async () => {
    const { errors, cases } = await fixtureParity('wasm');
    const tol = cases.tolerances;
    expect(errors.size).toBe(88);
    for (const [name, err] of errors) {
      const limit = name.endsWith('logits') ? tol.logits_rel_l2 : tol.grad_rel_l2;
      expect(err, name).toBeLessThan(limit);
    }
  });
});
