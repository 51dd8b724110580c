/**
 * The dataset of a run: read from its source, rows validated (structure always; with the model's
 * tokenizer, each question's prompt within max_prompt_length; the gold query on synthetic
 * databases; the last two when the set is small enough to check up front), split into train and
 * held-out with the run's seed, and described in a DatasetReport for the dashboard.
 */
import { DEFAULT_DATASET_FILE, DEFAULT_DATASET_ID } from '../dataset/hub';
import { parseDatasetText, type ParsedRows } from '../dataset/parse-rows';
import { splitExamples } from '../dataset/split';
import { generateSyntheticCorpus, resolveSyntheticOptions } from '../dataset/synthetic';
import { DatasetError, type DatasetExample, type SqlRow } from '../dataset/types';
import { validateRows, type PromptCheck } from '../dataset/validate';
import { renderPrompt, type PromptTokenizer } from '../grpo/trainer-prompts';
import { promptInputOf } from '../prompt/build-prompt';
import type { GoldReport } from '../sql/example-suite';
import type { DatasetReport } from './dashboard-api';
import type { DatasetSource, ProgressEvent } from './training-api';

/** Above this many rows, gold queries are not all run before training (scoring still judges each). */
export const GOLD_CHECK_LIMIT = 5000;
/**
 * Above this many rows, prompts are not all built before training (1-2 ms each with the Gemma-3
 * tokenizer, without progress events); the trainer still builds each one it draws and skips those refused.
 */
export const PROMPT_CHECK_LIMIT = 5000;

/** What validateRows needs to build each row's prompt: the trainer's own renderPrompt, without hints. */
export interface PromptCheckOptions {
  tokenizer: PromptTokenizer;
  maxPromptLength: number;
}

/** The prompt check of one row: the same prompt training and evaluation build, from question and schema only. */
export function promptCheck(row: SqlRow, o: PromptCheckOptions): PromptCheck {
  const r = renderPrompt(promptInputOf(row), o.tokenizer, o.maxPromptLength);
  return r.ok ? { ok: true, pruned: r.prompt.prunedTables.length > 0 } : { ok: false, kind: r.kind, reason: r.reason };
}

export interface LoadedDataset {
  train: DatasetExample[];
  heldOut: DatasetExample[];
  report: DatasetReport;
}

/** "owner/name" (the default dataset's file) or "owner/name/path/to/file.jsonl". */
export function parseHubDatasetId(id: string): { datasetId: string; file: string } {
  const parts = id.trim().split('/');
  if (parts.length < 2 || parts.some((p) => p === '')) throw new DatasetError(`dataset id must be "owner/name" or "owner/name/file.json", got ${JSON.stringify(id)}`);
  const datasetId = `${parts[0]}/${parts[1]}`;
  if (parts.length > 2) return { datasetId, file: parts.slice(2).join('/') };
  if (datasetId === DEFAULT_DATASET_ID) return { datasetId, file: DEFAULT_DATASET_FILE };
  throw new DatasetError(`which file of ${datasetId}? Give it as "${datasetId}/<file>.jsonl" (or .json / .csv)`);
}

/** The source's name in reports and example ids ("<name>#<row>"); a synthetic corpus is named by its options, so ids stay valid for resume. */
export function describeSource(source: DatasetSource): string {
  switch (source.kind) {
    case 'hub':
      return source.id;
    case 'sample':
      return 'sample';
    case 'upload':
      return source.name;
    case 'synthetic':
      return `synthetic(size=${source.size},seed=${source.seed})`;
  }
}

/** What is wrong with a dataset source before anything is read (today: the synthetic options). */
export function datasetSourceProblems(source: DatasetSource): string[] {
  if (source?.kind !== 'synthetic') return [];
  try {
    resolveSyntheticOptions({ size: source.size, seed: source.seed });
    return [];
  } catch (e) {
    return [(e as Error).message];
  }
}

/** The synthetic corpus as parsed rows (generated here: deterministic in size and seed). */
export function readSyntheticDataset(source: Extract<DatasetSource, { kind: 'synthetic' }>): ParsedRows {
  const { rows } = generateSyntheticCorpus({ size: source.size, seed: source.seed });
  return { rows, problems: [], format: 'json', mapping: { question: 'question', context: 'context', answer: 'answer' } };
}

/** Parses an uploaded file with its column mapping. */
export function parseUpload(source: Extract<DatasetSource, { kind: 'upload' }>): ParsedRows {
  return parseDatasetText(source.text, { fileName: source.name, ...(source.mapping ? { columns: source.mapping } : {}) });
}

/**
 * The split a checkpoint was trained on, taken by id from the parsed rows (ids are
 * "<source>#<row index>"), without validating again; fails when the rows are not there any more.
 */
export function datasetFromSplit(source: DatasetSource, parsed: ParsedRows, split: { train: string[]; heldOut: string[] }): LoadedDataset {
  const name = describeSource(source);
  const take = (id: string): DatasetExample => {
    const m = /#(\d+)$/.exec(id);
    const row = m && id.slice(0, m.index) === name ? parsed.rows[Number(m[1])] : null;
    if (!row) throw new DatasetError(`the checkpoint's example ${id} is not in ${name} any more: resume needs the dataset it was trained on`);
    return { id, ...row };
  };
  const train = split.train.map(take);
  const heldOut = split.heldOut.map(take);
  const usable = train.length + heldOut.length;
  return {
    train,
    heldOut,
    report: { source: name, total: parsed.rows.length, usable, skipped: parsed.rows.length - usable, byKind: {}, skippedExamples: [], split: { train: train.length, eval: heldOut.length }, mapping: parsed.mapping },
  };
}

export async function prepareDataset(
  source: DatasetSource,
  parsed: ParsedRows,
  options: { seed: number; inspectGold: (row: SqlRow) => Promise<GoldReport>; prompts?: PromptCheckOptions; onProgress?: (e: ProgressEvent) => void },
): Promise<LoadedDataset> {
  const name = describeSource(source);
  const checkGold = parsed.rows.length <= GOLD_CHECK_LIMIT;
  const prompts = parsed.rows.length <= PROMPT_CHECK_LIMIT ? options.prompts : undefined;
  const validation = await validateRows(parsed, {
    source: name,
    ...(prompts ? { checkPrompt: (row: SqlRow) => promptCheck(row, prompts) } : {}),
    ...(checkGold ? { inspectGold: options.inspectGold } : {}),
    onProgress: (done, total) => options.onProgress?.({ type: 'progress', label: `validating dataset rows (gold queries on synthetic databases)`, done, total, unit: 'items' }),
  });
  const examples = validation.examples;
  if (examples.length < 2) throw new DatasetError(`${name}: ${examples.length} usable row(s) of ${validation.counts.total}; training needs at least 2 (${validation.skipped.slice(0, 3).map((s) => s.reason).join('; ')})`);
  // A tenth held out (at least 1, at most 500): enough for a stable evaluation subset.
  const heldOutCount = Math.min(500, Math.max(1, Math.round(examples.length * 0.1)));
  const split = splitExamples(examples, { seed: options.seed, heldOut: heldOutCount });
  if (split.train.length === 0) throw new DatasetError(`${name}: nothing left to train on after holding out ${split.heldOut.length} example(s)`);
  return {
    train: split.train,
    heldOut: split.heldOut,
    report: {
      source: name,
      total: validation.counts.total,
      usable: validation.counts.valid,
      skipped: validation.counts.skipped,
      byKind: validation.counts.byKind,
      skippedExamples: validation.skipped.slice(0, 20),
      ...(prompts && validation.counts.prompts ? { prompts: { maxPromptLength: prompts.maxPromptLength, ...validation.counts.prompts } } : {}),
      split: { train: split.train.length, eval: split.heldOut.length },
      mapping: parsed.mapping,
    },
  };
}
