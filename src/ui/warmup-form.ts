/**
 * The warm-up (supervised fine-tuning before GRPO) part of the setup: off by default; when on, a
 * few SFTConfig fields under TRL's names. Pure, unit-tested without a DOM.
 */
import { DEFAULT_SFT_CONFIG, validateSftConfig, type SFTConfigInput } from '../sft/config';

export const WARMUP_FIELDS = [
  { name: 'max_steps', help: 'Supervised steps before GRPO', integer: true },
  { name: 'learning_rate', help: 'AdamW step size of the warm-up', integer: false },
  { name: 'per_device_train_batch_size', help: 'Examples per warm-up step', integer: true },
] as const;

export type WarmupFieldName = (typeof WARMUP_FIELDS)[number]['name'];

export type WarmupForm = { enabled: boolean } & Record<WarmupFieldName, string>;

export const DEFAULT_WARMUP_FORM: Readonly<WarmupForm> = Object.freeze({
  enabled: false,
  max_steps: String(DEFAULT_SFT_CONFIG.max_steps),
  learning_rate: DEFAULT_SFT_CONFIG.learning_rate.toExponential(),
  per_device_train_batch_size: String(DEFAULT_SFT_CONFIG.per_device_train_batch_size),
});

export interface WarmupValidation {
  /** The request's warmup field (undefined when the warm-up is off or has problems). */
  input: SFTConfigInput | undefined;
  /** Problems, each naming its field, prefixed "warm-up". */
  errors: string[];
  fieldErrors: Partial<Record<WarmupFieldName, string[]>>;
}

export function validateWarmup(form: WarmupForm): WarmupValidation {
  if (!form.enabled) return { input: undefined, errors: [], fieldErrors: {} };
  const input: Record<string, unknown> = { use_peft: true };
  const errors: string[] = [];
  const fieldErrors: Partial<Record<WarmupFieldName, string[]>> = {};
  const add = (name: WarmupFieldName, message: string) => {
    errors.push(`warm-up ${message}`);
    (fieldErrors[name] ??= []).push(message);
  };
  for (const f of WARMUP_FIELDS) {
    const t = form[f.name].trim();
    const n = Number(t);
    if (t === '' || !Number.isFinite(n)) add(f.name, `${f.name} must be a number, got '${t}'`);
    else input[f.name] = n;
  }
  for (const e of validateSftConfig(input).errors) {
    const named = WARMUP_FIELDS.find((f) => e.startsWith(f.name));
    if (named) add(named.name, e);
    else errors.push(`warm-up ${e}`);
  }
  return { input: errors.length ? undefined : (input as SFTConfigInput), errors, fieldErrors };
}
