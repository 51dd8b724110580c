/**
 * Compares computed parity tensors with an expected safetensors file by relative L2 error
 * ||ours - expected|| / ||expected||, each against the cases file's tolerance for its kind.
 */
import type { ParityTensor } from '../../src/model/parity';
import type { SafetensorsReader } from '../../src/model/safetensors';

export interface Tolerances {
  logits_rel_l2: number;
  grad_rel_l2: number;
}

export interface ComparisonRow {
  name: string;
  /** NaN when the tensor could not be compared (missing, shape mismatch, non-finite values). */
  error: number;
  tolerance: number;
  ok: boolean;
  note?: string;
}

/**
 * Gradients are held to grad_rel_l2; everything computed by the forward pass (logits, token
 * log-probs, loss) to logits_rel_l2.
 */
export function toleranceFor(name: string, tol: Tolerances): number {
  return name.startsWith('grad.') ? tol.grad_rel_l2 : tol.logits_rel_l2;
}

/** Relative L2 error in float64; NaN if either side has a non-finite value. */
export function relativeL2(ours: ArrayLike<number>, expected: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = ours[i] - expected[i];
    num += d * d;
    den += expected[i] * expected[i];
  }
  if (den === 0) return num === 0 ? 0 : Infinity;
  return Math.sqrt(num / den);
}

export async function compareWithExpected(ours: Map<string, ParityTensor>, expected: SafetensorsReader, tol: Tolerances): Promise<ComparisonRow[]> {
  const rows: ComparisonRow[] = [];
  for (const info of expected.tensors) {
    const tolerance = toleranceFor(info.name, tol);
    const mine = ours.get(info.name);
    if (!mine) {
      rows.push({ name: info.name, error: NaN, tolerance, ok: false, note: 'expected has it, we computed no such tensor' });
      continue;
    }
    if (mine.shape.join(',') !== info.shape.join(',')) {
      rows.push({ name: info.name, error: NaN, tolerance, ok: false, note: `shape [${mine.shape.join(', ')}] vs expected [${info.shape.join(', ')}]` });
      continue;
    }
    const error = relativeL2(mine.values, await expected.readFloat32(info.name));
    // `!(error <= tolerance)` also fails NaN.
    rows.push({ name: info.name, error, tolerance, ok: !Number.isNaN(error) && error <= tolerance });
  }
  for (const name of ours.keys()) {
    if (!expected.has(name)) rows.push({ name, error: NaN, tolerance: 0, ok: true, note: 'not in the expected file (not compared)' });
  }
  return rows;
}

export function formatReport(rows: ComparisonRow[]): { text: string; failed: number } {
  const width = Math.max(...rows.map((r) => r.name.length));
  const lines = rows.map((r) => {
    const err = Number.isNaN(r.error) ? '-' : r.error.toExponential(3);
    const verdict = r.note && r.ok ? 'skip' : r.ok ? 'ok' : 'FAIL';
    return `${r.name.padEnd(width)}  rel_l2 ${err.padStart(10)}  tol ${r.tolerance.toExponential(0)}  ${verdict}${r.note ? `  (${r.note})` : ''}`;
  });
  const compared = rows.filter((r) => !(r.ok && r.note));
  const failed = compared.filter((r) => !r.ok).length;
  const worst = (prefix: (n: string) => boolean) => Math.max(...compared.filter((r) => prefix(r.name) && !Number.isNaN(r.error)).map((r) => r.error), 0);
  lines.push(
    `${compared.length} tensors compared, ${failed} over tolerance; worst rel_l2: logits ${worst((n) => n.endsWith('logits')).toExponential(3)}, gradients ${worst((n) => n.startsWith('grad.')).toExponential(3)}`,
  );
  return { text: lines.join('\n'), failed };
}
