/**
 * The Playground tab's logic, free of React: the form as typed, the request it makes (or what is
 * wrong with it), dataset rows to pick from, and the outputs as chunks stream in.
 */
import type { StepGroups } from './training-state';
import type { CheckpointInfo, ExportedAdapter, PlaygroundAdapterSource, PlaygroundChunk, PlaygroundModel, PlaygroundOutput, PlaygroundRequest, PlaygroundStatus } from '../worker/training-api';

export interface PlaygroundForm {
  question: string;
  /** CREATE TABLE statements. */
  context: string;
  /** A reference query (filled when a dataset row is picked; optional). */
  gold: string;
  /** Generate with the base model (LoRA off) as well as with the adapter. */
  compareBase: boolean;
  /** As typed. */
  temperature: string;
  topP: string;
  maxNewTokens: string;
  seed: string;
  /** Whose LoRA the adapter output uses: the run's current one, a saved checkpoint's, or picked files'. */
  adapterSource: PlaygroundAdapterSource['kind'];
  /** The checkpoint chosen when adapterSource is 'checkpoint'. */
  checkpointId: string;
}

/** Adapter files picked for the playground, read into memory. */
export interface PlaygroundAdapterFiles {
  /** Shown with the output (the weights file's folder or name). */
  name: string;
  adapter: ExportedAdapter;
}

export const DEFAULT_PLAYGROUND_FORM: PlaygroundForm = {
  question: '',
  context: '',
  gold: '',
  compareBase: true,
  temperature: '0',
  topP: '1',
  maxNewTokens: '128',
  seed: '0',
  adapterSource: 'run',
  checkpointId: '',
};

/** A question with its schema (and gold query) the run has seen. */
export interface PlaygroundRow {
  question: string;
  context: string;
  goldSql: string;
}

/** One column of the results: the text as it streams, then the whole output. */
export interface PlaygroundColumn {
  model: PlaygroundModel;
  text: string;
  tokens: number;
  output: PlaygroundOutput | null;
}

export interface PlaygroundState {
  /** What the engine said last (null: not asked yet; 'unsupported': the engine has no playground). */
  status: PlaygroundStatus | null | 'unsupported';
  form: PlaygroundForm;
  running: boolean;
  columns: PlaygroundColumn[];
  /** Why the last Generate did not start, or how it failed. */
  problems: string[];
  promptTokens: number | null;
  /** Saved checkpoints the engine listed (all of them; see playgroundCheckpoints). */
  checkpoints: CheckpointInfo[];
  /** Adapter files picked for adapterSource 'files'. */
  adapterFiles: PlaygroundAdapterFiles | null;
}

export const INITIAL_PLAYGROUND: PlaygroundState = { status: null, form: DEFAULT_PLAYGROUND_FORM, running: false, columns: [], problems: [], promptTokens: null, checkpoints: [], adapterFiles: null };

/** The checkpoints the playground can answer with: GRPO ones of the loaded model, newest step first. */
export function playgroundCheckpoints(checkpoints: readonly CheckpointInfo[], modelId: string | null): CheckpointInfo[] {
  return checkpoints.filter((c) => c.kind === undefined && c.modelId === modelId).sort((a, b) => b.step - a.step || b.createdAt.localeCompare(a.createdAt));
}

/**
 * Of files picked together, the adapter's two (adapter_config.json, and the .safetensors weights),
 * or what is wrong with the pick.
 */
export function adapterFilePair<F extends { name: string }>(files: readonly F[]): { ok: true; config: F; weights: F } | { ok: false; problem: string } {
  const configs = files.filter((f) => f.name.toLowerCase().endsWith('.json'));
  const weights = files.filter((f) => f.name.toLowerCase().endsWith('.safetensors'));
  const config = configs.find((f) => f.name === 'adapter_config.json') ?? (configs.length === 1 ? configs[0] : undefined);
  const weight = weights.find((f) => f.name === 'adapter_model.safetensors') ?? (weights.length === 1 ? weights[0] : undefined);
  if (!config && !weight) return { ok: false, problem: 'pick adapter_config.json and adapter_model.safetensors together' };
  if (!config) return { ok: false, problem: configs.length ? 'several .json files were picked: which is adapter_config.json?' : 'adapter_config.json is missing from the pick' };
  if (!weight) return { ok: false, problem: weights.length ? 'several .safetensors files were picked: which is the adapter?' : 'adapter_model.safetensors is missing from the pick' };
  return { ok: true, config, weights: weight };
}

/** The adapter source a form asks for, or why it cannot (no checkpoint chosen, no files picked). */
export function adapterSourceOf(form: Pick<PlaygroundForm, 'adapterSource' | 'checkpointId'>, files: PlaygroundAdapterFiles | null): { ok: true; source: PlaygroundAdapterSource } | { ok: false; problem: string } {
  if (form.adapterSource === 'checkpoint') return form.checkpointId ? { ok: true, source: { kind: 'checkpoint', id: form.checkpointId } } : { ok: false, problem: 'choose a checkpoint' };
  if (form.adapterSource === 'files') return files ? { ok: true, source: { kind: 'files', adapter: files.adapter, name: files.name } } : { ok: false, problem: 'pick the adapter files (adapter_config.json and adapter_model.safetensors)' };
  return { ok: true, source: { kind: 'run' } };
}

/** The models a Generate runs: the adapter (with the base beside it when asked), or the base alone. */
export function playgroundModels(form: Pick<PlaygroundForm, 'compareBase'>, adapter: boolean): PlaygroundModel[] {
  if (!adapter) return ['base'];
  return form.compareBase ? ['base', 'adapter'] : ['adapter'];
}

/**
 * The request a form makes, or every problem with it. `adapter`: the run has a LoRA of its own; a
 * checkpoint or picked files bring theirs, so the adapter output is there with them either way.
 */
export function playgroundRequestOf(form: PlaygroundForm, adapter: boolean, files: PlaygroundAdapterFiles | null = null): { ok: true; request: PlaygroundRequest } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const source = adapterSourceOf(form, files);
  const num = (text: string) => (text.trim() === '' ? NaN : Number(text));
  const temperature = num(form.temperature);
  const topP = num(form.topP);
  const maxNewTokens = num(form.maxNewTokens);
  const seed = num(form.seed);
  if (!form.question.trim()) problems.push('type a question');
  if (!form.context.trim()) problems.push('give the schema (CREATE TABLE statements), or pick a row');
  if (!(temperature >= 0) || !Number.isFinite(temperature)) problems.push('temperature must be a number >= 0 (0 = greedy)');
  if (!(topP > 0 && topP <= 1)) problems.push('top-p must be a number in (0, 1]');
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 1 || maxNewTokens > 1024) problems.push('max new tokens must be a whole number from 1 to 1024');
  if (!Number.isInteger(seed)) problems.push('seed must be a whole number');
  if (!source.ok) problems.push(source.problem);
  if (problems.length) return { ok: false, problems };
  if (!source.ok) return { ok: false, problems };
  const request: PlaygroundRequest = { question: form.question.trim(), context: form.context.trim(), models: playgroundModels(form, adapter || source.source.kind !== 'run'), temperature, topP, maxNewTokens, seed };
  if (form.gold.trim()) request.gold = form.gold.trim();
  if (source.source.kind !== 'run') request.adapter = source.source;
  return { ok: true, request };
}

/** Distinct questions of the run's recent groups, newest step first (at most `limit`). */
export function playgroundRows(groupSteps: readonly StepGroups[], limit = 50): PlaygroundRow[] {
  const seen = new Set<string>();
  const rows: PlaygroundRow[] = [];
  for (const step of [...groupSteps].reverse()) {
    for (const g of step.groups) {
      const key = `${g.question}\u0000${g.context}`;
      if (seen.has(key)) continue;
      seen.add(key);
      rows.push({ question: g.question, context: g.context, goldSql: g.goldSql });
      if (rows.length >= limit) return rows;
    }
  }
  return rows;
}

/** The columns with a chunk applied (a chunk of a model not shown yet opens its column). */
export function applyChunk(columns: readonly PlaygroundColumn[], chunk: PlaygroundChunk): PlaygroundColumn[] {
  const at = columns.findIndex((c) => c.model === chunk.model);
  const column: PlaygroundColumn = { model: chunk.model, text: chunk.text, tokens: chunk.tokens, output: null };
  return at < 0 ? [...columns, column] : columns.map((c, i) => (i === at ? { ...c, text: chunk.text, tokens: chunk.tokens } : c));
}

/** Empty columns for the models a request runs, in its order. */
export function columnsFor(models: readonly PlaygroundModel[]): PlaygroundColumn[] {
  return models.map((model) => ({ model, text: '', tokens: 0, output: null }));
}

/** The final outputs in place of the streamed text. */
export function withOutputs(columns: readonly PlaygroundColumn[], outputs: readonly PlaygroundOutput[]): PlaygroundColumn[] {
  return columns.map((c) => {
    const output = outputs.find((o) => o.model === c.model);
    return output ? { ...c, text: output.text, tokens: output.tokens, output } : c;
  });
}
