/**
 * Which panel shows a progress event. The contract's labels are free text, so this goes by unit
 * and words: downloads and weight loading belong to the model, anything naming the dataset or rows
 * to the dataset, the rest (compiling, evaluating, steps) to the run.
 */
import type { ProgressEvent } from '../worker/training-api';

export type ProgressArea = 'model' | 'dataset' | 'run';

export function progressArea(p: ProgressEvent): ProgressArea {
  if (/dataset|rows|examples|validat/i.test(p.label)) return 'dataset';
  if (p.unit === 'bytes' || p.unit === 'tensors') return 'model';
  return 'run';
}

const UNITS: Record<ProgressEvent['unit'], string> = { bytes: '', tensors: 'tensors', steps: 'steps', tokens: 'tokens', items: 'items' };

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v >= 100 ? 0 : 1)} ${units[u]}`;
}

/** "12.5 MiB of 1.9 GiB", "3 of 26 tensors". */
export function progressText(p: ProgressEvent): string {
  if (p.unit === 'bytes') return p.total > 0 ? `${formatBytes(p.done)} of ${formatBytes(p.total)}` : formatBytes(p.done);
  const unit = UNITS[p.unit];
  return p.total > 0 ? `${p.done.toLocaleString('en-US')} of ${p.total.toLocaleString('en-US')} ${unit}` : `${p.done.toLocaleString('en-US')} ${unit}`;
}

/** 0..1, or null when the total is unknown. */
export function progressFraction(p: ProgressEvent): number | null {
  return p.total > 0 ? Math.min(1, Math.max(0, p.done / p.total)) : null;
}
