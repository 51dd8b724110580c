import { describe, expect, it } from 'vitest';
import { decodeParity } from '../../support/decode-check';

describe('KV-cache decode (wasm backend)', () => {
  it('matches the full-sequence forward at every step, left padding, beyond the sliding window', { timeout: 300_000 }, async () => {
    const { errors, res } = await decodeParity('wasm', 14);
    expect(res.completions.map((c) => c.length)).toEqual([14, 14]);
    expect(errors.length).toBe(28);
    for (const e of errors) expect(e).toBeLessThan(1e-4);
  });
});
