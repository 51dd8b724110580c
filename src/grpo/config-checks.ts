import { LORA_MODULES } from '../model/peft';

/** Field checks shared by the trainers' configs: each returns a message, or undefined when the value is fine. */
export type Check = (v: unknown) => string | undefined;

export const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
export const num = (ok: (x: number) => boolean, what: string): Check => (v) => (isNum(v) && ok(v) ? undefined : `must be ${what}, got ${show(v)}`);
export const int = (min: number): Check => (v) => (isNum(v) && Number.isInteger(v) && v >= min ? undefined : `must be an integer ≥ ${min}, got ${show(v)}`);
export const oneOf = (values: readonly string[]): Check => (v) => (typeof v === 'string' && values.includes(v) ? undefined : `must be one of ${values.map((x) => `'${x}'`).join(', ')}, got ${show(v)}`);
export const bool: Check = (v) => (typeof v === 'boolean' ? undefined : `must be true or false, got ${show(v)}`);

export function show(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  return JSON.stringify(v);
}

export const loraModules: Check = (v) =>
  Array.isArray(v) && v.length > 0 && v.every((m) => (LORA_MODULES as readonly unknown[]).includes(m)) && new Set(v).size === v.length
    ? undefined
    : `must be a non-empty list of distinct modules from ${LORA_MODULES.join(', ')}, got ${show(v)}`;

export interface FieldValidation<C> {
  /** Defaults overlaid with every valid field given; invalid fields keep their defaults. */
  config: C;
  errors: string[];
  /** Fields that were ignored (unknown or not used by this trainer). */
  warnings: string[];
  /** Fields given with an invalid value (cross-field rules skip them). */
  invalid: Set<string>;
}

/** Checks each given field, overlays the valid ones on the defaults (arrays copied). */
export function validateFields<C extends object>(defaults: Readonly<C>, checks: { [K in keyof C]: Check }, given: Record<string, unknown>, ignored: Record<string, string> = {}): FieldValidation<C> {
  const errors: string[] = [];
  const warnings: string[] = [];
  const invalid = new Set<string>();
  const config = Object.fromEntries(Object.entries(defaults).map(([k, v]) => [k, Array.isArray(v) ? [...v] : v])) as C;
  for (const [key, value] of Object.entries(given)) {
    if (value === undefined) continue;
    if (!(key in checks)) {
      warnings.push(key in ignored ? `${key} is ignored: ${ignored[key]}` : `unknown option ${key} is ignored`);
      continue;
    }
    const problem = checks[key as keyof C](value);
    if (problem) {
      errors.push(`${key} ${problem}`);
      invalid.add(key);
    } else (config as Record<string, unknown>)[key] = Array.isArray(value) ? [...value] : value;
  }
  return { config, errors, warnings, invalid };
}
