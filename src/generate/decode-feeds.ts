/**
 * Position inputs of a decode run, written into buffers that live as long as the run's state:
 * per step j (its token goes to cache slot q = firstSlot + j) and row b, the additive mask row over
 * the cache and the RoPE cos/sin at position q - pad[b]. The mask covers the slots written before
 * the run (pad[b] .. firstSlot - 1: the row's prompt, then its earlier tokens; within the window on
 * sliding layers); the run's own entries are attended to separately (see buildDecodeGraph).
 */
import { MASK_NEG } from '../graph/nn';
import type { Gemma3Config, LayerType } from '../model/config';
import { ropeTables } from '../model/positions';

export interface StepPositions {
  /** [K, B, 1, 1, S] per layer type. */
  mask: Record<string, Float32Array>;
  /** [K, B, 1, 1, D] per layer type. */
  cos: Record<string, Float32Array>;
  sin: Record<string, Float32Array>;
}

export function stepPositions(cfg: Gemma3Config, types: LayerType[], batch: number, steps: number, cacheLen: number): StepPositions {
  const make = (n: number) => Object.fromEntries(types.map((t) => [t, new Float32Array(steps * batch * n)]));
  return { mask: make(cacheLen), cos: make(cfg.headDim), sin: make(cfg.headDim) };
}

export function writeStepPositions(cfg: Gemma3Config, types: LayerType[], pads: number[], firstSlot: number, steps: number, cacheLen: number, out: StepPositions): void {
  const batch = pads.length;
  const d = cfg.headDim;
  for (const type of types) {
    const window = type === 'sliding_attention' ? cfg.slidingWindow : Infinity;
    const mask = out.mask[type];
    mask.fill(MASK_NEG);
    for (let j = 0; j < steps; j++) {
      const q = firstSlot + j;
      for (let b = 0; b < batch; b++) {
        const row = (j * batch + b) * cacheLen;
        const from = Math.max(pads[b], q - window + 1, 0);
        if (from < firstSlot) mask.fill(0, row + from, row + firstSlot);
      }
      const { cos, sin } = ropeTables(cfg, type, pads.map((p) => [q - p]));
      out.cos[type].set(cos, j * batch * d);
      out.sin[type].set(sin, j * batch * d);
    }
  }
}
