/** The benchmark's model: gemma-3-1b-it's configuration, optionally shrunk for small machines. */
import { gemma3_1bConfig, type Gemma3Config } from '../src/model/config';

/** gemma-3-1b-it's config with the layer count, vocabulary and (optionally) widths overridden. */
export function benchConfig(layers: number, vocab: number, widths: Partial<Record<string, number>> = {}): Gemma3Config {
  const base = gemma3_1bConfig();
  if (layers > base.numLayers) throw new Error(`--layers ${layers}: the 1B model has ${base.numLayers}`);
  // The decode graph takes masks and RoPE tables for both attention kinds, so both must occur.
  if (layers < 2) throw new Error(`--layers ${layers}: at least 2 (one sliding-window and one global layer)`);
  const headDim = widths['head-dim'] ?? base.headDim;
  // Keep the 1B pattern (every 6th layer global); below 6 layers make the last one global so both
  // attention kinds (and both kinds of mask and RoPE table) are exercised.
  const layerTypes = base.layerTypes.slice(0, layers);
  if (!layerTypes.includes('full_attention')) layerTypes[layers - 1] = 'full_attention';
  return {
    ...base,
    numLayers: layers,
    layerTypes,
    layerRope: layerTypes.map((t) => base.rope[t]),
    vocabSize: vocab,
    hiddenSize: widths.hidden ?? base.hiddenSize,
    intermediateSize: widths.intermediate ?? base.intermediateSize,
    numHeads: widths.heads ?? base.numHeads,
    numKvHeads: widths['kv-heads'] ?? base.numKvHeads,
    headDim,
    queryPreAttnScalar: headDim,
  };
}
