import { describe, expect, it } from 'vitest';
import { decodeParity } from '../support/decode-check';

describe('KV-cache decode (WebGPU backend)', () => {
  it('matches the full-sequence forward at every step, left padding, beyond the sliding window', async () => {
    const { errors, res } = await decodeParity('webgpu', 12);
    expect(res.completions.map((c) => c.length)).toEqual([12, 12]);
    for (const e of errors) expect(e).toBeLessThan(1e-4);
  });
});
