/**
 * The settings form's model: which GRPOConfig fields it shows (under TRL's names), how typed text
 * becomes a config, and which field each validation error belongs to. Pure, so it is unit-tested
 * without a DOM.
 */
import { DEFAULT_CONFIG, LOSS_TYPES, LR_SCHEDULER_TYPES, SCALE_REWARDS, validateConfig, type GRPOConfig, type GRPOConfigInput } from '../grpo/config';
import { DEMO_GRPO_CONFIG } from '../grpo/presets';
import { LORA_MODULES, type LoraModuleName } from '../model/peft';

type FieldKind = { kind: 'number' } | { kind: 'integer' } | { kind: 'choice'; options: readonly string[] };

/** Fields typed as text (everything but the target-module checkboxes). */
export type ScalarSettingName =
  | 'learning_rate'
  | 'weight_decay'
  | 'max_grad_norm'
  | 'lr_scheduler_type'
  | 'warmup_ratio'
  | 'num_generations'
  | 'per_device_train_batch_size'
  | 'gradient_accumulation_steps'
  | 'max_prompt_length'
  | 'max_completion_length'
  | 'max_steps'
  | 'beta'
  | 'epsilon'
  | 'loss_type'
  | 'scale_rewards'
  | 'temperature'
  | 'top_p'
  | 'seed'
  | 'save_steps'
  | 'eval_steps'
  | 'lora_r'
  | 'lora_alpha';

export type SettingName = ScalarSettingName | 'lora_target_modules';

export interface SettingField {
  name: ScalarSettingName;
  help: string;
  type: FieldKind;
}

export interface SettingGroup {
  title: string;
  fields: SettingField[];
}

const number: FieldKind = { kind: 'number' };
const integer: FieldKind = { kind: 'integer' };
const choice = (options: readonly string[]): FieldKind => ({ kind: 'choice', options });

/** The form, in groups a person reads top to bottom. */
export const SETTING_GROUPS: readonly SettingGroup[] = [
  {
    title: 'Batch and lengths',
    fields: [
      { name: 'max_steps', help: 'Optimizer steps in the run', type: integer },
      { name: 'num_generations', help: 'Completions sampled per prompt (a group)', type: integer },
      { name: 'per_device_train_batch_size', help: 'Completions per forward/backward pass', type: integer },
      { name: 'gradient_accumulation_steps', help: 'Passes per optimizer step', type: integer },
      { name: 'max_prompt_length', help: 'Prompt tokens kept (longer schemas are truncated)', type: integer },
      { name: 'max_completion_length', help: 'Most tokens generated per completion', type: integer },
    ],
  },
  {
    title: 'Optimizer',
    fields: [
      { name: 'learning_rate', help: 'AdamW step size', type: number },
      { name: 'lr_scheduler_type', help: 'Learning-rate schedule after warmup', type: choice(LR_SCHEDULER_TYPES) },
      { name: 'warmup_ratio', help: 'Fraction of max_steps spent warming up', type: number },
      { name: 'weight_decay', help: 'AdamW decoupled weight decay', type: number },
      { name: 'max_grad_norm', help: 'Clip the gradient to this L2 norm (0: no clipping)', type: number },
      { name: 'seed', help: 'Seeds sampling, the split and LoRA init', type: integer },
    ],
  },
  {
    title: 'GRPO objective',
    fields: [
      { name: 'beta', help: 'KL penalty toward the base model (0: none)', type: number },
      { name: 'epsilon', help: 'Clip ratios to [1 − ε, 1 + ε]', type: number },
      { name: 'loss_type', help: 'How token losses are averaged', type: choice(LOSS_TYPES) },
      { name: 'scale_rewards', help: 'Divide advantages by the std of the group, the batch, or not', type: choice(SCALE_REWARDS) },
    ],
  },
  {
    title: 'Sampling',
    fields: [
      { name: 'temperature', help: 'Sampling temperature', type: number },
      { name: 'top_p', help: 'Nucleus sampling mass', type: number },
    ],
  },
  {
    title: 'LoRA',
    fields: [
      { name: 'lora_r', help: 'Adapter rank', type: integer },
      { name: 'lora_alpha', help: 'Scale is lora_alpha / lora_r', type: number },
    ],
  },
  {
    title: 'Checkpoints and evaluation',
    fields: [
      { name: 'save_steps', help: 'Save a checkpoint every N steps (0: never)', type: integer },
      { name: 'eval_steps', help: 'Evaluate on the held-out split every N steps (0: never)', type: integer },
    ],
  },
];

export const SCALAR_SETTINGS: readonly ScalarSettingName[] = SETTING_GROUPS.flatMap((g) => g.fields.map((f) => f.name));

export type SettingsForm = Record<ScalarSettingName, string> & { lora_target_modules: LoraModuleName[] };

/** Numbers as a person writes them: 5e-6, not 0.000005. */
export function formatSettingValue(value: unknown): string {
  if (typeof value !== 'number') return String(value);
  if (value !== 0 && Math.abs(value) < 1e-3) return value.toExponential();
  return String(value);
}

export function formFromConfig(config: GRPOConfig = DEFAULT_CONFIG): SettingsForm {
  const form = { lora_target_modules: [...config.lora_target_modules] } as SettingsForm;
  for (const name of SCALAR_SETTINGS) form[name] = formatSettingValue(config[name]);
  return form;
}

export const DEFAULT_FORM: Readonly<SettingsForm> = Object.freeze(formFromConfig());
/** The demo model's settings (src/grpo/presets.ts): what the form shows when the demo model is picked. */
export const DEMO_FORM: Readonly<SettingsForm> = Object.freeze(formFromConfig(validateConfig(DEMO_GRPO_CONFIG).config));

/** The settings a model starts from: the demo model's preset, or GRPOConfig's defaults. */
export function presetFormFor(modelKind: string): Readonly<SettingsForm> {
  return modelKind === 'bundled-demo' ? DEMO_FORM : DEFAULT_FORM;
}

/** Whether the form is exactly a preset (nothing typed over it). */
export function sameForm(a: Readonly<SettingsForm>, b: Readonly<SettingsForm>): boolean {
  return SCALAR_SETTINGS.every((n) => a[n].trim() === b[n].trim()) && [...a.lora_target_modules].sort().join() === [...b.lora_target_modules].sort().join();
}

export interface SettingsValidation {
  /** Defaults overlaid with every valid field (what a run would use). */
  config: GRPOConfig;
  /** Every problem, in words that name the field. */
  errors: string[];
  /** Problems by the form field(s) they name. */
  fieldErrors: Partial<Record<SettingName, string[]>>;
  /** Problems that name no field in the form. */
  otherErrors: string[];
  warnings: string[];
  /** The typed-in values, parsed: what a TrainingRequest carries. */
  input: GRPOConfigInput;
}

function fieldOf(name: ScalarSettingName): SettingField {
  for (const g of SETTING_GROUPS) for (const f of g.fields) if (f.name === name) return f;
  throw new Error(`no setting named ${name}`);
}

/** Text to a value, or a problem in words. */
function parseField(field: SettingField, text: string): { value: unknown } | { problem: string } {
  const t = text.trim();
  if (field.type.kind === 'choice') return { value: t };
  if (t === '') return { problem: `${field.name} is required` };
  const n = Number(t);
  if (!Number.isFinite(n)) return { problem: `${field.name} must be a number, got '${t}'` };
  return { value: n };
}

/** The setting names a message mentions (whole words, so epsilon does not match epsilon_high). */
export function settingsNamedIn(message: string, names: readonly SettingName[]): SettingName[] {
  return names.filter((n) => new RegExp(`(^|[^A-Za-z0-9_])${n}($|[^A-Za-z0-9_])`).test(message));
}

/** Sorts errors under the fields they name; a cross-field error shows under each field it names. */
export function errorsByField(errors: readonly string[], names: readonly SettingName[]): Pick<SettingsValidation, 'fieldErrors' | 'otherErrors'> {
  const fieldErrors: Partial<Record<SettingName, string[]>> = {};
  const otherErrors: string[] = [];
  for (const message of errors) {
    const named = settingsNamedIn(message, names);
    if (named.length === 0) otherErrors.push(message);
    for (const n of named) (fieldErrors[n] ??= []).push(message);
  }
  return { fieldErrors, otherErrors };
}

const FORM_NAMES: readonly SettingName[] = [...SCALAR_SETTINGS, 'lora_target_modules'];

export function validateSettings(form: SettingsForm): SettingsValidation {
  const input: Record<string, unknown> = {};
  const parseErrors: string[] = [];
  for (const name of SCALAR_SETTINGS) {
    const parsed = parseField(fieldOf(name), form[name]);
    if ('problem' in parsed) parseErrors.push(parsed.problem);
    else input[name] = parsed.value;
  }
  input.lora_target_modules = [...form.lora_target_modules];
  const checked = validateConfig(input);
  const errors = [...parseErrors, ...checked.errors];
  return { config: checked.config, errors, ...errorsByField(errors, FORM_NAMES), warnings: checked.warnings, input: input as GRPOConfigInput };
}

/** Fields whose text differs from the default (shown so a changed setting stands out). */
export function changedSettings(form: SettingsForm): SettingName[] {
  const changed: SettingName[] = SCALAR_SETTINGS.filter((n) => form[n].trim() !== DEFAULT_FORM[n]);
  const modules = [...form.lora_target_modules].sort().join();
  if (modules !== [...DEFAULT_FORM.lora_target_modules].sort().join()) changed.push('lora_target_modules');
  return changed;
}

/** Prompts per optimizer step, or null when the batch is not a whole number of groups. */
export function promptsPerStepOf(config: Pick<GRPOConfig, 'per_device_train_batch_size' | 'gradient_accumulation_steps' | 'num_generations'>): number | null {
  const completions = config.per_device_train_batch_size * config.gradient_accumulation_steps;
  return completions % config.num_generations === 0 ? completions / config.num_generations : null;
}

export { LORA_MODULES };
