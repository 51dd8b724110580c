/**
 * 8-bit storage of frozen weights: symmetric int8 per output channel (one float32 scale per row of
 * an [out, in] projection, per vocabulary row of the embedding). q = round(w / s) in [-127, 127]
 * with s = max|row| / 127 (an all-zero row has s = 0 and q = 0); w ≈ q * s. The bytes hold q + 128
 * (the graphs' DequantizeLinear zero point): onnxruntime-web binds no int8 GPU buffers, uint8 ones.
 */
import { INT8_ZERO_POINT } from '../graph/nn';

/** Name of the per-row scales that go with an 8-bit weight (graph input and runner key alike). */
export const scaleName = (weight: string) => `${weight}.scale`;

export interface QuantizedRows {
  /** q + 128 per value, row-major [rows, cols]. */
  bytes: Uint8Array;
  /** One scale per row [rows]. */
  scales: Float32Array;
}

/** Quantizes one row into `bytes` (offset `at`); returns its scale. */
function quantizeRow(values: Float32Array, from: number, cols: number, bytes: Uint8Array, at: number): number {
  let max = 0;
  for (let j = 0; j < cols; j++) max = Math.max(max, Math.abs(values[from + j]));
  if (!Number.isFinite(max)) throw new Error('cannot quantize a row holding a non-finite value');
  const scale = Math.fround(max / 127);
  for (let j = 0; j < cols; j++) {
    const x = scale ? values[from + j] / scale : 0;
    // Half away from zero, so the grid is symmetric; the clamp catches ±127.0000x from rounding of s.
    const q = Math.max(-127, Math.min(127, Math.sign(x) * Math.round(Math.abs(x))));
    bytes[at + j] = q + INT8_ZERO_POINT;
  }
  return scale;
}

/** Quantizes a row-major [rows, cols] float32 matrix. */
export function quantizeRows(values: Float32Array, rows: number, cols: number): QuantizedRows {
  if (values.length !== rows * cols) throw new Error(`quantizeRows: ${values.length} values for [${rows}, ${cols}]`);
  const bytes = new Uint8Array(rows * cols);
  const scales = new Float32Array(rows);
  for (let r = 0; r < rows; r++) scales[r] = quantizeRow(values, r * cols, cols, bytes, r * cols);
  return { bytes, scales };
}

/** The float32 values 8-bit weights stand for: (byte - 128) * scale of the row (one float32 product, as DequantizeLinear computes). */
export function dequantizeRows({ bytes, scales }: QuantizedRows, cols: number): Float32Array {
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = (bytes[i] - INT8_ZERO_POINT) * scales[Math.floor(i / cols)];
  return out;
}

/**
 * Quantizes rows [rowStart, rowEnd) of a [*, cols] tensor streamed as float32 chunks (in order,
 * possibly splitting rows), holding at most one partial row besides the output.
 */
export async function quantizeRowsFromChunks(chunks: AsyncIterable<{ elementOffset: number; values: Float32Array }>, cols: number, rowStart: number, rowEnd: number): Promise<QuantizedRows> {
  const rows = rowEnd - rowStart;
  const bytes = new Uint8Array(rows * cols);
  const scales = new Float32Array(rows);
  const row = new Float32Array(cols);
  let next = rowStart * cols; // the next element expected
  const end = rowEnd * cols;
  for await (const c of chunks) {
    const from = Math.max(c.elementOffset, next);
    const to = Math.min(c.elementOffset + c.values.length, end);
    if (from >= to) continue;
    if (from !== next) throw new Error(`quantizing rows: expected element ${next}, the chunk starts at ${c.elementOffset}`);
    for (let e = from; e < to; e++) {
      const j = e % cols;
      row[j] = c.values[e - c.elementOffset];
      if (j === cols - 1) {
        const r = Math.floor(e / cols) - rowStart;
        scales[r] = quantizeRow(row, 0, cols, bytes, r * cols);
      }
    }
    next = to;
    if (next === end) break;
  }
  if (next !== end) throw new Error(`quantizing rows: the tensor ended at element ${next}, rows [${rowStart}, ${rowEnd}) need ${end}`);
  return { bytes, scales };
}
