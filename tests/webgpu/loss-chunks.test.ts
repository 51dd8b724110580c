import { describe, expect, it } from 'vitest';
import { expectChunksMatchOneChunk } from '../support/loss-chunks-check';

describe('runner loss head: several chunks per step = one chunk (WebGPU backend)', () => {
  for (const trainable of ['lora', 'full'] as const) {
    it(`${trainable}: loss, log-probs and every gradient, with and without lossRows`, () => expectChunksMatchOneChunk('webgpu', trainable, expect, 1e-4), 600_000);
  }
});
