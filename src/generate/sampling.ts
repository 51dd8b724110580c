/**
 * Token sampling from one row of logits: temperature, top-k, top-p (nucleus), greedy at
 * temperature 0. Randomness comes from the caller's seeded Rng, so a run is reproducible.
 */
import type { Rng } from '../common/rng';

export interface SamplingParams {
  /** 0 = greedy (argmax). */
  temperature: number;
  /** Keep the k most likely tokens; 0 = no limit. */
  topK: number;
  /** Keep the smallest set of tokens whose probability reaches topP; 1 = no limit. */
  topP: number;
}

export function validateSampling(p: SamplingParams): void {
  if (!(p.temperature >= 0) || !Number.isFinite(p.temperature)) throw new Error(`temperature must be a finite number >= 0, got ${p.temperature}`);
  if (!Number.isInteger(p.topK) || p.topK < 0) throw new Error(`top_k must be an integer >= 0, got ${p.topK}`);
  if (!(p.topP > 0 && p.topP <= 1)) throw new Error(`top_p must be in (0, 1], got ${p.topP}`);
}

export function argmax(logits: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

/** Candidate ids (most likely first) and their renormalised probabilities after top-k / top-p. */
export function candidates(logits: ArrayLike<number>, p: SamplingParams): { ids: number[]; probs: number[] } {
  const n = logits.length;
  // Partial selection: only the top-k (or, without k, every token) is sorted.
  const k = p.topK > 0 ? Math.min(p.topK, n) : n;
  let ids: number[];
  if (k < n) {
    ids = [];
    // Keep a small sorted list of the best k: fine for the k values people use (<= a few hundred).
    for (let i = 0; i < n; i++) {
      const v = logits[i];
      if (ids.length === k && v <= logits[ids[k - 1]]) continue;
      let at = ids.length;
      while (at > 0 && logits[ids[at - 1]] < v) at--;
      ids.splice(at, 0, i);
      if (ids.length > k) ids.pop();
    }
  } else {
    // Tokens more than 40 nats (at this temperature) below the best have probability < 4e-18 of
    // it: dropping them before the sort changes nothing and avoids sorting a 262k vocabulary.
    let max = -Infinity;
    for (let i = 0; i < n; i++) if (logits[i] > max) max = logits[i];
    const floor = max - 40 * p.temperature;
    ids = [];
    for (let i = 0; i < n; i++) if (logits[i] >= floor) ids.push(i);
    ids.sort((a, b) => logits[b] - logits[a]);
  }
  const max = logits[ids[0]];
  let probs = ids.map((i) => Math.exp((logits[i] - max) / p.temperature));
  let total = probs.reduce((a, b) => a + b, 0);
  probs = probs.map((x) => x / total);
  if (p.topP < 1) {
    let acc = 0;
    let keep = 0;
    while (keep < probs.length && acc < p.topP) acc += probs[keep++];
    ids = ids.slice(0, keep);
    probs = probs.slice(0, keep);
    total = probs.reduce((a, b) => a + b, 0);
    probs = probs.map((x) => x / total);
  }
  return { ids, probs };
}

export function sampleToken(logits: ArrayLike<number>, p: SamplingParams, rng: Rng): number {
  if (p.temperature === 0) return argmax(logits);
  if (p.topK === 0 && p.topP === 1) return sampleFullSoftmax(logits, p.temperature, rng);
  const { ids, probs } = candidates(logits, p);
  return ids[rng.categorical(probs)];
}

/**
 * Without top-k or top-p nothing needs ordering: one draw from softmax(logits / T) over the whole
 * vocabulary in index order, O(V). (Sorting a near-flat 262k distribution, which a random model
 * or a real one at temperature 1 can give, costs about a second per token.)
 */
function sampleFullSoftmax(logits: ArrayLike<number>, temperature: number, rng: Rng): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  let total = 0;
  for (let i = 0; i < logits.length; i++) total += Math.exp((logits[i] - max) / temperature);
  // The same rule as Rng.categorical (first index whose running sum passes u), without storing weights.
  const u = rng.next() * total;
  let acc = 0;
  let last = 0;
  for (let i = 0; i < logits.length; i++) {
    const w = Math.exp((logits[i] - max) / temperature);
    if (w === 0) continue;
    acc += w;
    last = i;
    if (u < acc) return i;
  }
  return last;
}
