/**
 * The setup a person makes (model, dataset, settings, rewards, mode, backend) and the one function
 * that turns it into a TrainingRequest or says, field by field, why it cannot.
 */
import { DEFAULT_DATASET_ID } from '../dataset/hub';
import { resolveSyntheticOptions } from '../dataset/synthetic';
import type { TrainingMode } from '../hints/config';
import { DEFAULT_HUB_ENDPOINT, parseHubEndpoint } from '../model/hub-endpoint';
import { ALL_REWARDS, PRESETS, type PresetName } from '../rewards/registry';
import type { Backend } from '../runtime/ort';
import type { WeightDtype } from '../model/weight-dtype';
import { filesByName, missingModelFiles } from '../worker/model-folder';
import type { DatasetSource, ModelSource, TrainingRequest } from '../worker/training-api';
import { parseBudgetGiB } from './memory-view';
import { validateSettings, type SettingsForm } from './settings-form';
import { validateWarmup, type WarmupForm } from './warmup-form';

export const DEFAULT_MODEL_REPO = 'unsloth/gemma-3-1b-it';
export { DEFAULT_DATASET_ID };

/**
 * files: a model folder opened in this page (its File objects; none after a reload, when it must be
 * opened again, or its copy used when keepCopy asked for one).
 */
export type ModelChoice = { kind: 'hub'; repo: string; token: string } | { kind: 'bundled-demo' } | { kind: 'bundled-tiny' } | { kind: 'files'; name: string; files: File[]; keepCopy?: boolean };

export type FieldName = 'question' | 'context' | 'answer';
export type ColumnChoice = Record<FieldName, string>;

export interface UploadedDataset {
  name: string;
  text: string;
  /** Column names found in the file (empty if they could not be read). */
  columns: string[];
  /** Source column per field; '' where none is chosen yet. */
  mapping: ColumnChoice;
}

/** The synthetic corpus's size and seed, as typed. */
export type DatasetChoice = { kind: 'hub'; id: string } | { kind: 'sample' } | { kind: 'upload'; file: UploadedDataset | null } | { kind: 'synthetic'; size: string; seed: string };

export const DEFAULT_SYNTHETIC_CHOICE = { kind: 'synthetic', size: '2000', seed: '1' } as const satisfies DatasetChoice;

export interface RewardChoice {
  name: string;
  enabled: boolean;
  /** As typed. */
  weight: string;
}

export interface Setup {
  model: ModelChoice;
  dataset: DatasetChoice;
  settings: SettingsForm;
  /** Supervised warm-up before GRPO (off by default). */
  warmup: WarmupForm;
  rewards: RewardChoice[];
  mode: TrainingMode;
  backend: Backend;
  /** The hub's base URL for hub models and datasets, as typed ('': https://huggingface.co). */
  hubEndpoint?: string;
  /** GPU memory budget in GiB, as typed ('': the default, 6 GiB). */
  gpuMemoryBudget?: string;
  /** How the model's frozen weights sit on the GPU (absent: float32). */
  weightDtype?: WeightDtype;
}

/** Every known reward, with a preset's picks enabled and weighted. */
export function rewardsFromPreset(preset: PresetName): RewardChoice[] {
  const weights = PRESETS[preset];
  return ALL_REWARDS.map((r) => ({ name: r.name, enabled: r.name in weights, weight: String(weights[r.name] ?? 1) }));
}

/** "owner/name" with the characters the hub allows. */
export function isRepoId(text: string): boolean {
  return /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/.test(text.trim());
}

/** A hub dataset: "owner/name", or "owner/name/path/to/file.jsonl" naming the file to read. */
export function isDatasetId(text: string): boolean {
  return /^[A-Za-z0-9][\w.-]*\/[\w.-]+(\/[\w.-]+)*$/.test(text.trim());
}

export type SetupProblems = Partial<Record<'model' | 'dataset' | 'settings' | 'rewards', string[]>>;

/** The endpoint field of a hub source: absent for the default; or the problem with what was typed. */
export function hubEndpointOf(text: string): { endpoint?: string } | { problem: string } {
  const parsed = parseHubEndpoint(text);
  if ('problem' in parsed) return parsed;
  return parsed.endpoint === DEFAULT_HUB_ENDPOINT ? {} : { endpoint: parsed.endpoint };
}

export function modelSourceOf(model: ModelChoice, hubEndpoint = ''): ModelSource | { problem: string } {
  if (model.kind === 'bundled-tiny' || model.kind === 'bundled-demo') return { kind: model.kind };
  if (model.kind === 'files') {
    if (model.files.length === 0) {
      if (model.name && model.keepCopy) return { kind: 'stored-folder', name: model.name };
      return { problem: model.name ? `open the model folder "${model.name}" again (a page keeps no access to it after a reload)` : 'open a model folder' };
    }
    const missing = missingModelFiles(filesByName(model.files).keys());
    if (missing.length > 0) return { problem: `the folder "${model.name}" lacks ${missing.join(', ')}` };
    return model.keepCopy ? { kind: 'files', name: model.name, files: model.files, keepCopy: true } : { kind: 'files', name: model.name, files: model.files };
  }
  const repo = model.repo.trim();
  if (!isRepoId(repo)) return { problem: `"${repo}" is not a Hugging Face repo id (owner/name)` };
  const endpoint = hubEndpointOf(hubEndpoint);
  if ('problem' in endpoint) return endpoint;
  const token = model.token.trim();
  return token ? { kind: 'hub', repo, token, ...endpoint } : { kind: 'hub', repo, ...endpoint };
}

/** The synthetic corpus's options, or the first thing wrong with them. */
export function syntheticSourceOf(size: string, seed: string): DatasetSource | { problem: string } {
  for (const [name, text] of [['size', size], ['seed', seed]] as const) {
    if (!/^-?\d+$/.test(text.trim())) return { problem: `synthetic ${name} must be a whole number, got '${text}'` };
  }
  const source = { kind: 'synthetic' as const, size: Number(size), seed: Number(seed) };
  try {
    resolveSyntheticOptions(source);
  } catch (e) {
    return { problem: (e as Error).message };
  }
  return source;
}

export function datasetSourceOf(dataset: DatasetChoice, hubEndpoint = ''): DatasetSource | { problem: string } {
  if (dataset.kind === 'sample') return { kind: 'sample' };
  if (dataset.kind === 'synthetic') return syntheticSourceOf(dataset.size, dataset.seed);
  if (dataset.kind === 'hub') {
    const id = dataset.id.trim();
    if (!isDatasetId(id)) return { problem: `"${id}" is not a Hugging Face dataset id (owner/name or owner/name/file.jsonl)` };
    const endpoint = hubEndpointOf(hubEndpoint);
    return 'problem' in endpoint ? endpoint : { kind: 'hub', id, ...endpoint };
  }
  const file = dataset.file;
  if (!file) return { problem: 'choose a file to upload' };
  const unmapped = (Object.keys(file.mapping) as FieldName[]).filter((f) => !file.mapping[f]);
  if (unmapped.length > 0) return { problem: `choose the column for ${unmapped.join(', ')}` };
  return { kind: 'upload', name: file.name, text: file.text, mapping: { ...file.mapping } };
}

export function rewardsOf(rewards: readonly RewardChoice[]): { name: string; weight: number }[] | { problem: string[] } {
  const chosen = rewards.filter((r) => r.enabled);
  if (chosen.length === 0) return { problem: ['choose at least one reward function'] };
  const problems: string[] = [];
  const out = chosen.map((r) => {
    const weight = Number(r.weight.trim());
    if (r.weight.trim() === '' || !Number.isFinite(weight)) problems.push(`weight of ${r.name} must be a number, got '${r.weight}'`);
    return { name: r.name, weight };
  });
  return problems.length ? { problem: problems } : out;
}

/** The request for this setup, or every problem that stops it. */
export function buildTrainingRequest(setup: Setup, resumeFrom?: string): { request: TrainingRequest } | { problems: SetupProblems } {
  const problems: SetupProblems = {};
  const model = modelSourceOf(setup.model, setup.hubEndpoint);
  if ('problem' in model) problems.model = [model.problem];
  const dataset = datasetSourceOf(setup.dataset, setup.hubEndpoint);
  if ('problem' in dataset) problems.dataset = [dataset.problem];
  const settings = validateSettings(setup.settings);
  const warmup = validateWarmup(setup.warmup);
  const budget = parseBudgetGiB(setup.gpuMemoryBudget ?? '');
  const settingErrors = [...settings.errors, ...warmup.errors, ...('problem' in budget ? [budget.problem] : [])];
  if (settingErrors.length) problems.settings = settingErrors;
  const rewards = rewardsOf(setup.rewards);
  if ('problem' in rewards) problems.rewards = rewards.problem;
  if ('problem' in model || 'problem' in dataset || 'problem' in rewards || settingErrors.length) return { problems };
  const request: TrainingRequest = { model, dataset, config: settings.input, rewards, mode: setup.mode, backend: setup.backend };
  if ('bytes' in budget) request.gpuMemoryBudget = budget.bytes;
  if (setup.weightDtype && setup.weightDtype !== 'float32') request.weightDtype = setup.weightDtype;
  if (warmup.input) request.warmup = warmup.input;
  if (resumeFrom !== undefined) request.resumeFrom = resumeFrom;
  return { request };
}

/** Every problem as one line each, for the summary under the Train button. */
export function problemLines(problems: SetupProblems): string[] {
  const label = { model: 'Model', dataset: 'Dataset', settings: 'Settings', rewards: 'Rewards' } as const;
  return (Object.keys(label) as (keyof SetupProblems)[]).flatMap((k) => (problems[k] ?? []).map((p) => `${label[k]}: ${p}`));
}
