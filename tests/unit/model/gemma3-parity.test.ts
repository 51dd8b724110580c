import { describe, expect, it } from 'vitest';
import { expectFixtureParity } from '../../support/fixture-parity';

describe('Gemma-3 step graphs match HF transformers + PEFT (tiny-gemma3-a, wasm backend)', () => {
  it('logits, token log-probs, loss and every LoRA gradient', () => expectFixtureParity('wasm', expect));
});
