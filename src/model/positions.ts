/**
 * Host-side position tables: RoPE cos/sin per layer type and additive attention masks, computed
 * once per batch shape and fed to every layer (their values depend only on positions and type).
 */
import { MASK_NEG } from '../graph/nn';
import type { Gemma3Config, LayerType } from './config';

/**
 * cos/sin [B, 1, T, D] for positions [B][T], as transformers computes them in float32:
 * inv_freq = 1 / theta^(2i/D) (divided by the linear factor), angle = pos * inv_freq,
 * emb = concat(angles, angles).
 */
export function ropeTables(cfg: Gemma3Config, type: LayerType, positions: number[][]): { cos: Float32Array; sin: Float32Array } {
  const { theta, factor } = cfg.rope[type];
  const d = cfg.headDim;
  const half = d / 2;
  const invFreq = Array.from({ length: half }, (_, i) => Math.fround(Math.fround(1 / Math.fround(theta ** Math.fround((2 * i) / d))) / factor));
  const b = positions.length;
  const t = positions[0].length;
  const cos = new Float32Array(b * t * d);
  const sin = new Float32Array(b * t * d);
  for (let r = 0; r < b; r++) {
    for (let p = 0; p < t; p++) {
      for (let i = 0; i < half; i++) {
        const angle = Math.fround(positions[r][p] * invFreq[i]);
        const at = (r * t + p) * d;
        cos[at + i] = cos[at + i + half] = Math.cos(angle);
        sin[at + i] = sin[at + i + half] = Math.sin(angle);
      }
    }
  }
  return { cos, sin };
}

/**
 * Additive mask [B, 1, T, S]: query row i (at cache slot queryStart + i) sees slot j iff j is at or
 * before it, holds a real token (keyValid[b][j]) and, on sliding layers, lies within the window.
 */
export function attentionMask(cfg: Gemma3Config, type: LayerType, keyValid: number[][], queries: number, queryStart = 0): Float32Array {
  const b = keyValid.length;
  const s = keyValid[0].length;
  const window = type === 'sliding_attention' ? cfg.slidingWindow : Infinity;
  const m = new Float32Array(b * queries * s).fill(MASK_NEG);
  for (let r = 0; r < b; r++) {
    for (let i = 0; i < queries; i++) {
      const qi = queryStart + i;
      for (let j = 0; j <= qi && j < s; j++) {
        if (keyValid[r][j] && qi - j < window) m[(r * queries + i) * s + j] = 0;
      }
    }
  }
  return m;
}

/** Default position ids 0..T-1 per row (as transformers uses when none are given). */
export function defaultPositions(batch: number, seq: number): number[][] {
  return Array.from({ length: batch }, () => Array.from({ length: seq }, (_, i) => i));
}
