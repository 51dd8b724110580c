/**
 * What the dashboard understands beyond the training contract (training-api.ts). All optional: the
 * dashboard works without them and shows more when the engine sends or implements them.
 *
 * Extra events go through the same onEvent callback as TrainingEvents.
 */
import type { ProblemKind, RowProblem } from '../dataset/types';
import type { HintEvent } from '../hints/types';
import type { DatasetSource, HintRecord, ModelSource, TrainingEvent } from './training-api';

/** How the dataset was read: usable rows, skipped rows by reason, the split. */
export interface DatasetReport {
  /** What was read, in words: "b-mc2/sql-create-context", "sample", "my-file.csv". */
  source: string;
  /** Records in the source. */
  total: number;
  usable: number;
  skipped: number;
  byKind: Partial<Record<ProblemKind, number>>;
  /** The first few skipped rows with their reasons (the engine picks how many; 20 is plenty). */
  skippedExamples: RowProblem[];
  /**
   * Prompts built for the rows at max_prompt_length, from each question and its schema (never the
   * gold SQL): how many rows reached the check, how many prompts had their schema pruned to fit,
   * how many were refused (those rows are skipped, counted in byKind under their reason). Absent
   * when prompts were not built up front (no model loaded yet, or a set too large to check: its
   * prompts are then built, and refused ones skipped, as training draws them).
   */
  prompts?: { maxPromptLength: number; checked: number; pruned: number; refused: number };
  /** Sizes of the seeded train / held-out split, once made. */
  split?: { train: number; eval: number };
  /** The source column used for each field. */
  mapping?: { question: string; context: string; answer: string };
}

export interface DatasetReportEvent extends DatasetReport {
  type: 'dataset';
}

/** Whether a model's files are already in the browser's cache (OPFS), so loading needs no network. */
export interface ModelCacheStatus {
  /** The repo id, or 'bundled-tiny'. */
  model: string;
  cached: boolean;
  /** Bytes cached so far (a partial download counts). */
  bytes?: number;
}

export interface ModelCacheEvent extends ModelCacheStatus {
  type: 'model-cache';
}

/** A hint as the 'hints' event may carry it: with its audit log (src/hints/types.ts HintEvent). */
export interface HintRecordWithHistory extends HintRecord {
  history?: HintEvent[];
}

/** Everything the dashboard's event reducer accepts. */
export type DashboardEvent = TrainingEvent | DatasetReportEvent | ModelCacheEvent;

/** Engine methods the dashboard calls when present (a missing one is no error). */
export interface DashboardExtrasApi {
  /** Reads and validates a dataset without training, so the counts show before Train. */
  inspectDataset(source: DatasetSource): Promise<DatasetReport>;
  modelCacheStatus(source: ModelSource): Promise<ModelCacheStatus>;
}
