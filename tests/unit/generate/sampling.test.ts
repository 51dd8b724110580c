import { describe, expect, it } from 'vitest';
import { argmax, candidates, sampleToken, validateSampling } from '../../../src/generate/sampling';
import { Rng } from '../../../src/common/rng';

const logits = Float32Array.from([1.0, 3.0, 2.5, -1.0, 0.2, 2.9]);

describe('sampling', () => {
  it('is greedy at temperature 0', () => {
    expect(sampleToken(logits, { temperature: 0, topK: 0, topP: 1 }, Rng.fromSeed(1))).toBe(1);
    expect(argmax(logits)).toBe(1);
  });
  it('keeps the k most likely tokens, in order, renormalised', () => {
    const c = candidates(logits, { temperature: 1, topK: 3, topP: 1 });
    expect(c.ids).toEqual([1, 5, 2]);
    const z = Math.exp(logits[1]) + Math.exp(logits[5]) + Math.exp(logits[2]);
    c.probs.forEach((p, i) => expect(p).toBeCloseTo(Math.exp(logits[c.ids[i]]) / z, 12));
  });
  it('keeps the smallest nucleus reaching top_p', () => {
    const all = candidates(logits, { temperature: 1, topK: 0, topP: 1 });
    const acc = all.probs[0] + all.probs[1];
    const c = candidates(logits, { temperature: 1, topK: 0, topP: acc - 1e-9 });
    expect(c.ids).toEqual([1, 5]);
    expect(c.probs[0] + c.probs[1]).toBeCloseTo(1, 12);
  });
  it('samples with the right frequencies and reproducibly from a seed', () => {
    const p = { temperature: 0.7, topK: 0, topP: 1 };
    const draw = (seed: number) => {
      const rng = Rng.fromSeed(seed, 'tokens');
      return Array.from({ length: 4000 }, () => sampleToken(logits, p, rng));
    };
    const a = draw(3);
    expect(draw(3)).toEqual(a);
    expect(draw(4)).not.toEqual(a);
    const expected = candidates(logits, p);
    expected.ids.forEach((id, i) => {
      const freq = a.filter((x) => x === id).length / a.length;
      expect(Math.abs(freq - expected.probs[i])).toBeLessThan(0.03);
    });
  });
  it('rejects bad parameters with clear errors', () => {
    expect(() => validateSampling({ temperature: -1, topK: 0, topP: 1 })).toThrow(/temperature/);
    expect(() => validateSampling({ temperature: 1, topK: 1.5, topP: 1 })).toThrow(/top_k/);
    expect(() => validateSampling({ temperature: 1, topK: 0, topP: 0 })).toThrow(/top_p/);
  });
});
