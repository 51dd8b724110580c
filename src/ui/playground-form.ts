/**
 * The Playground tab's logic, free of React: the form as typed, the request it makes (or what is
 * wrong with it), dataset rows to pick from, and the outputs as chunks stream in.
 */
import type { StepGroups } from './training-state';
import type { PlaygroundChunk, PlaygroundModel, PlaygroundOutput, PlaygroundRequest, PlaygroundStatus } from '../worker/training-api';

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
}

export const INITIAL_PLAYGROUND: PlaygroundState = { status: null, form: DEFAULT_PLAYGROUND_FORM, running: false, columns: [], problems: [], promptTokens: null };

/** The models a Generate runs: the adapter (with the base beside it when asked), or the base alone. */
export function playgroundModels(form: Pick<PlaygroundForm, 'compareBase'>, adapter: boolean): PlaygroundModel[] {
  if (!adapter) return ['base'];
  return form.compareBase ? ['base', 'adapter'] : ['adapter'];
}

/** The request a form makes, or every problem with it. */
export function playgroundRequestOf(form: PlaygroundForm, adapter: boolean): { ok: true; request: PlaygroundRequest } | { ok: false; problems: string[] } {
  const problems: string[] = [];
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
  if (problems.length) return { ok: false, problems };
  const request: PlaygroundRequest = { question: form.question.trim(), context: form.context.trim(), models: playgroundModels(form, adapter), temperature, topP, maxNewTokens, seed };
  if (form.gold.trim()) request.gold = form.gold.trim();
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
