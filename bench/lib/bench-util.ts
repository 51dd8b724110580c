/** Small helpers shared by the engine benchmarks: flags, statistics, JSON results. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export function median(xs: number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Reads --name VALUE flags as positive integers, with defaults; unknown flags are errors. */
export function intFlags<K extends string>(argv: string[], defaults: Record<K, number>, extra: string[] = []): { ints: Record<K, number>; strings: Record<string, string> } {
  const ints = { ...defaults };
  const strings: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${JSON.stringify(a)}`);
    const name = a.slice(2);
    const value = argv[++i];
    if (value === undefined) throw new Error(`--${name} needs a value`);
    if (name in defaults) {
      const n = Number(value);
      if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got ${JSON.stringify(value)}`);
      ints[name as K] = n;
    } else if (extra.includes(name)) {
      strings[name] = value;
    } else {
      throw new Error(`unknown flag --${name} (known: ${[...Object.keys(defaults), ...extra].map((k) => `--${k}`).join(', ')})`);
    }
  }
  return { ints, strings };
}

export function writeJson(file: string | undefined, value: unknown): void {
  if (!file) return;
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileSync(file, JSON.stringify(value, null, 2));
}

export const GiB = 2 ** 30;
export const MiB = 2 ** 20;
