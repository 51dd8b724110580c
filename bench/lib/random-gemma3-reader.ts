/**
 * A TensorReader that synthesises a Gemma-3 checkpoint's tensors on demand (random values with
 * roughly the scales of a trained model), chunk by chunk: Gemma3Runner.load streams them to the GPU
 * and at no time does more than one chunk exist in the JS heap. Values depend only on the tensor's
 * name and the chunk's position, so reading a tensor twice gives the same values.
 */
import type { Gemma3Config } from '../../src/model/config';
import { LAYER_WEIGHTS, layerWeightKey, layerWeightShape } from '../../src/model/gemma3-layer';
import { EMBED_KEY } from '../../src/model/gemma3-runner';
import { FINAL_NORM } from '../../src/model/gemma3-graphs';
import type { TensorInfo, TensorReader } from '../../src/model/safetensors';

/** Elements per synthesised chunk (16 MiB of float32). */
const CHUNK_ELEMENTS = 4 * 2 ** 20;

function hash(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h || 1;
}

/** Uniform values in [-bound, bound) (plus `center`) from xorshift32 seeded by `seed`. */
export function fillUniform(out: Float32Array, seed: number, bound: number, center = 0): void {
  let s = seed >>> 0 || 1;
  const k = (2 * bound) / 2 ** 32;
  for (let i = 0; i < out.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = center - bound + (s >>> 0) * k;
  }
}

export class RandomGemma3Reader implements TensorReader {
  readonly tensors: TensorInfo[] = [];
  private readonly byName = new Map<string, { info: TensorInfo; bound: number }>();

  constructor(readonly cfg: Gemma3Config, private readonly seed = 1) {
    let offset = 0;
    const add = (name: string, shape: number[], bound: number) => {
      const numel = shape.reduce((a, b) => a * b, 1);
      const info: TensorInfo = { name, dtype: 'F32', shape, numel, fileOffset: offset, byteLength: numel * 4, file: 'random' };
      offset += numel * 4;
      this.tensors.push(info);
      this.byName.set(name, { info, bound });
    };
    // Embedding rows of norm ~1 (x sqrt(hidden) in the model), projections ~ 1/sqrt(fan_in), norms near 0 (1 + w).
    add(EMBED_KEY, [cfg.vocabSize, cfg.hiddenSize], Math.sqrt(3 / cfg.hiddenSize));
    for (let l = 0; l < cfg.numLayers; l++) {
      for (const n of LAYER_WEIGHTS) {
        const shape = layerWeightShape(cfg, n);
        add(layerWeightKey(l, n), shape, shape.length === 2 ? 1 / Math.sqrt(shape[1]) : 0.1);
      }
    }
    add(FINAL_NORM, [cfg.hiddenSize], 0.1);
  }

  /** Bytes of all tensors (the fp32 checkpoint's size). */
  get totalBytes(): number {
    return this.tensors.reduce((a, t) => a + t.byteLength, 0);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  info(name: string): TensorInfo {
    const t = this.byName.get(name);
    if (!t) throw new Error(`random checkpoint: no tensor named "${name}"`);
    return t.info;
  }

  async *readFloat32Chunks(name: string): AsyncGenerator<{ elementOffset: number; values: Float32Array }> {
    const { info, bound } = this.byName.get(name) ?? { info: this.info(name), bound: 0 };
    const base = hash(name, this.seed);
    for (let start = 0, c = 0; start < info.numel; start += CHUNK_ELEMENTS, c++) {
      const values = new Float32Array(Math.min(CHUNK_ELEMENTS, info.numel - start));
      fillUniform(values, Math.imul(base ^ (c + 1), 0x9e3779b1), bound);
      yield { elementOffset: start, values };
    }
  }

  async readFloat32(name: string): Promise<Float32Array> {
    const info = this.info(name);
    if (info.numel > 64 * CHUNK_ELEMENTS) throw new Error(`random checkpoint: ${name} is too large to read whole; stream it`);
    const out = new Float32Array(info.numel);
    for await (const c of this.readFloat32Chunks(name)) out.set(c.values, c.elementOffset);
    return out;
  }

  async readBytes(name: string): Promise<Uint8Array> {
    const v = await this.readFloat32(name);
    return new Uint8Array(v.buffer);
  }

  async *readChunks(name: string): AsyncGenerator<{ byteOffset: number; bytes: Uint8Array }> {
    for await (const c of this.readFloat32Chunks(name)) yield { byteOffset: c.elementOffset * 4, bytes: new Uint8Array(c.values.buffer) };
  }

  async close(): Promise<void> {}
}
