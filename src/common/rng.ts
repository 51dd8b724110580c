/**
 * A seeded random number generator whose whole state is four 32-bit words, so a checkpoint can
 * store it (getState) and a resumed run continues the same stream (Rng.fromState). Used for prompt
 * sampling and token sampling; separate uses take separate streams (Rng.fromSeed(seed, 'prompts')).
 *
 * Algorithm: xoshiro128** (Blackman & Vigna), seeded through a splitmix32-style mixer so that
 * nearby seeds give unrelated streams. Not for cryptography.
 */

export interface RngState {
  algorithm: 'xoshiro128**';
  /** Four unsigned 32-bit words, not all zero. */
  s: [number, number, number, number];
}

const rotl = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0;

/** FNV-1a over UTF-16 code units: turns a stream label into 32 bits. */
function hashLabel(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** A Weyl sequence through murmur3's 32-bit finaliser: successive well-mixed words from one seed. */
function mixer(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

function isUint32(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 0xffffffff;
}

export class Rng {
  private readonly s: Uint32Array;

  private constructor(s: ArrayLike<number>) {
    this.s = Uint32Array.from(s);
  }

  /**
   * A generator for `seed` (a non-negative safe integer), optionally on a named stream: the same
   * seed with different labels gives independent streams.
   */
  static fromSeed(seed: number, ...streams: string[]): Rng {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`Rng: seed must be a non-negative safe integer, got ${seed}`);
    // Fold the seed's high bits, then each label, into the mixer's starting point.
    let h = mixer(seed >>> 0)() ^ Math.floor(seed / 2 ** 32);
    for (const label of streams) h = mixer(h ^ hashLabel(label))();
    const next = mixer(h);
    const s = [next(), next(), next(), next()];
    if ((s[0] | s[1] | s[2] | s[3]) === 0) s[0] = 1; // the all-zero state is a fixed point
    return new Rng(s);
  }

  static fromState(state: RngState): Rng {
    if (!state || state.algorithm !== 'xoshiro128**') throw new Error(`Rng: unsupported state ${JSON.stringify(state)}`);
    if (!Array.isArray(state.s) || state.s.length !== 4 || !state.s.every(isUint32)) throw new Error(`Rng: state words must be four uint32, got ${JSON.stringify(state.s)}`);
    if (state.s.every((w) => w === 0)) throw new Error('Rng: the all-zero state is invalid');
    return new Rng(state.s);
  }

  /** A copy of the state; JSON-serialisable. */
  getState(): RngState {
    return { algorithm: 'xoshiro128**', s: [this.s[0], this.s[1], this.s[2], this.s[3]] };
  }

  /** An independent copy that continues from the same point. */
  clone(): Rng {
    return new Rng(this.s);
  }

  /** Uniform unsigned 32-bit integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits (two draws). */
  next(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [lo, hi] (inclusive), without modulo bias. */
  int(lo: number, hi: number): number {
    if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || hi < lo) throw new Error(`Rng.int: bad range [${lo}, ${hi}]`);
    const range = hi - lo + 1;
    if (range > 2 ** 32) return lo + Math.floor(this.next() * range);
    // Reject the top sliver of 2^32 that does not divide evenly into `range`.
    const limit = 2 ** 32 - (2 ** 32 % range);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return lo + (x % range);
    }
  }

  /** A new array with the items in uniformly random order (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }

  /** Index drawn with probability proportional to weights (non-negative, finite, not all zero). */
  categorical(weights: ArrayLike<number>): number {
    let total = 0;
    for (let i = 0; i < weights.length; i++) {
      const w = weights[i];
      if (!(w >= 0) || !Number.isFinite(w)) throw new Error(`Rng.categorical: weight ${i} is ${w}`);
      total += w;
    }
    if (!(total > 0)) throw new Error('Rng.categorical: weights sum to 0');
    const u = this.next() * total;
    let acc = 0;
    let last = -1;
    for (let i = 0; i < weights.length; i++) {
      if (weights[i] === 0) continue;
      acc += weights[i];
      last = i;
      if (u < acc) return i;
    }
    return last; // u landed past the rounded running sum: the last index with weight
  }

  /** A child stream derived from this one's next output and a label; advances this stream by one draw. */
  fork(label: string): Rng {
    return Rng.fromSeed(this.nextUint32(), label);
  }
}
