/**
 * The setup survives a reload (localStorage), so a resumed run gets the model, data and settings it
 * was trained with. The hub token is never stored; an uploaded file only while it is small.
 */
import { isTrainingMode } from '../hints/config';
import type { Setup } from './run-request';
import { SCALAR_SETTINGS, type SettingsForm } from './settings-form';
import { LORA_MODULES } from '../model/peft';
import { WEIGHT_DTYPES, type WeightDtype } from '../model/weight-dtype';
import { WARMUP_FIELDS, type WarmupForm } from './warmup-form';

export const SETUP_STORAGE_KEY = 'webgrpo.setup.v1';
/** localStorage holds about 5 MB per origin; larger uploads are chosen again after a reload. */
export const MAX_STORED_UPLOAD_CHARS = 1_000_000;

export type SetupStorage = Pick<Storage, 'getItem' | 'setItem'>;

export function serializeSetup(setup: Setup): string {
  // Neither the token nor a folder's File objects are stored (a reload asks for the folder again).
  const model = setup.model.kind === 'hub' ? { ...setup.model, token: '' } : setup.model.kind === 'files' ? { kind: 'files', name: setup.model.name, files: [], keepCopy: setup.model.keepCopy === true } : setup.model;
  const dataset = setup.dataset.kind === 'upload' && setup.dataset.file && setup.dataset.file.text.length > MAX_STORED_UPLOAD_CHARS ? { kind: 'upload' as const, file: null } : setup.dataset;
  return JSON.stringify({ ...setup, model, dataset });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string';

/** Each part of a stored setup that still reads correctly; anything else keeps its default. */
export function parseStoredSetup(text: string | null, defaults: Setup): Setup {
  if (!text) return defaults;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return defaults;
  }
  if (!isObject(raw)) return defaults;
  const out: Setup = { ...defaults };

  const m = raw.model;
  if (isObject(m) && (m.kind === 'bundled-tiny' || m.kind === 'bundled-demo')) out.model = { kind: m.kind };
  else if (isObject(m) && m.kind === 'hub' && isString(m.repo)) out.model = { kind: 'hub', repo: m.repo, token: '' };
  else if (isObject(m) && m.kind === 'files' && isString(m.name)) out.model = { kind: 'files', name: m.name, files: [], keepCopy: m.keepCopy === true };

  const d = raw.dataset;
  if (isObject(d) && d.kind === 'sample') out.dataset = { kind: 'sample' };
  else if (isObject(d) && d.kind === 'hub' && isString(d.id)) out.dataset = { kind: 'hub', id: d.id };
  else if (isObject(d) && d.kind === 'synthetic' && isString(d.size) && isString(d.seed)) out.dataset = { kind: 'synthetic', size: d.size, seed: d.seed };
  else if (isObject(d) && d.kind === 'upload') {
    const f = d.file;
    const fileOk = isObject(f) && isString(f.name) && isString(f.text) && Array.isArray(f.columns) && f.columns.every(isString) && isObject(f.mapping) && ['question', 'context', 'answer'].every((k) => isString((f.mapping as Record<string, unknown>)[k]));
    out.dataset = { kind: 'upload', file: fileOk ? (f as unknown as Extract<Setup['dataset'], { kind: 'upload' }>['file']) : null };
  }

  const s = raw.settings;
  if (isObject(s)) {
    const settings: SettingsForm = { ...defaults.settings };
    for (const name of SCALAR_SETTINGS) if (isString(s[name])) settings[name] = s[name];
    const modules = s.lora_target_modules;
    if (Array.isArray(modules) && modules.every((x) => (LORA_MODULES as readonly unknown[]).includes(x))) settings.lora_target_modules = modules as SettingsForm['lora_target_modules'];
    out.settings = settings;
  }

  // Known rewards only, in the registry's order; one missing from the stored list keeps its default.
  if (Array.isArray(raw.rewards)) {
    const stored = new Map(raw.rewards.filter((r): r is Record<string, unknown> => isObject(r) && isString(r.name)).map((r) => [r.name as string, r]));
    out.rewards = defaults.rewards.map((r) => {
      const st = stored.get(r.name);
      return st && typeof st.enabled === 'boolean' && isString(st.weight) ? { name: r.name, enabled: st.enabled, weight: st.weight } : r;
    });
  }

  const w = raw.warmup;
  if (isObject(w)) {
    const warmup: WarmupForm = { ...defaults.warmup };
    if (typeof w.enabled === 'boolean') warmup.enabled = w.enabled;
    for (const f of WARMUP_FIELDS) if (isString(w[f.name])) warmup[f.name] = w[f.name] as string;
    out.warmup = warmup;
  }

  if (isTrainingMode(raw.mode)) out.mode = raw.mode;
  if (raw.backend === 'webgpu' || raw.backend === 'wasm') out.backend = raw.backend;
  // Kept as typed (an invalid one shows its error again rather than vanishing).
  if (isString(raw.hubEndpoint)) out.hubEndpoint = raw.hubEndpoint;
  if (isString(raw.gpuMemoryBudget)) out.gpuMemoryBudget = raw.gpuMemoryBudget;
  if (WEIGHT_DTYPES.includes(raw.weightDtype as WeightDtype)) out.weightDtype = raw.weightDtype as WeightDtype;
  return out;
}

export function loadSetup(storage: SetupStorage | undefined, defaults: Setup): Setup {
  try {
    return parseStoredSetup(storage?.getItem(SETUP_STORAGE_KEY) ?? null, defaults);
  } catch {
    return defaults; // storage disabled (privacy mode) or unreadable: start from the defaults
  }
}

export function saveSetup(storage: SetupStorage | undefined, setup: Setup): void {
  try {
    storage?.setItem(SETUP_STORAGE_KEY, serializeSetup(setup));
  } catch {
    // Quota or disabled storage: the setup just does not survive a reload.
  }
}
