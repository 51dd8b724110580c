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

/** One thing the app keeps in this browser that can be deleted as a whole. */
export type StoredItemRef =
  /** A hub repo's cached files (every snapshot) and its refs. */
  | { kind: 'hub-repo'; repoType: 'model' | 'dataset'; repo: string }
  /** The copy of a model folder kept on request (opens as 'stored-folder' after a reload). */
  | { kind: 'folder-copy'; name: string }
  /** The last merged-model or transformers.js export (written for download, not needed afterwards). */
  | { kind: 'export'; which: 'merged' | 'transformersjs' }
  /** Every saved checkpoint of one run (GRPO's, or the warm-up's). */
  | { kind: 'checkpoints'; runId: string; runKind: 'grpo' | 'warmup' };

/** One snapshot of a cached hub repo. */
export interface StoredSnapshot {
  /** The commit (or the revision, on servers without commits). */
  id: string;
  /** Branches or tags that point at it (empty: a pinned commit, or one the branch has left). */
  revisions: string[];
  files: number;
  bytes: number;
  partialFiles: number;
}

export interface StoredItem {
  ref: StoredItemRef;
  /** Stable across refreshes (React keys, test ids). */
  id: string;
  files: number;
  bytes: number;
  /** Hub repos and folder copies: 'partial' while some file is an interrupted download. */
  state?: 'complete' | 'partial';
  partialFiles?: number;
  /** Hub repos: what each snapshot holds. */
  snapshots?: StoredSnapshot[];
  /** Checkpoint runs: the model trained, the steps saved (oldest first), the newest save's time. */
  checkpoints?: { modelId: string; steps: number[]; lastSavedAt: string };
  /** Why it cannot be deleted now (a run is using it); null when it can. */
  blockedBy: string | null;
  /** Deleting it also unloads the model the Playground and Export use (it was loaded from here). */
  unloads?: boolean;
}

/** What the app keeps in this browser, and the origin's usage against its quota. */
export interface StorageInventory {
  items: StoredItem[];
  /** navigator.storage.estimate(): everything the origin stores (these items and the browser's own overhead). */
  usage: number | null;
  quota: number | null;
  /** Other folders at the top of the origin's OPFS (not the app's: listed, never deleted). */
  other: { name: string; bytes: number }[];
  /** Stores that could not be read, in words (the rest is still listed). */
  problems: string[];
}

/** Everything the dashboard's event reducer accepts. */
export type DashboardEvent = TrainingEvent | DatasetReportEvent | ModelCacheEvent;

/** Engine methods the dashboard calls when present (a missing one is no error). */
export interface DashboardExtrasApi {
  /** Reads and validates a dataset without training, so the counts show before Train. */
  inspectDataset(source: DatasetSource): Promise<DatasetReport>;
  modelCacheStatus(source: ModelSource): Promise<ModelCacheStatus>;
}

/** The storage inventory (the Browser storage panel); an engine without it simply lists nothing. */
export interface StorageApi {
  /** What the app keeps in this browser (hub cache, folder copies, exports, checkpoints) and the quota. */
  storageInventory(): Promise<StorageInventory>;
  /**
   * Deletes one stored item, exactly it; refused (with the reason) while a run uses it. Returns the
   * inventory afterwards.
   */
  deleteStored(ref: StoredItemRef): Promise<StorageInventory>;
}
