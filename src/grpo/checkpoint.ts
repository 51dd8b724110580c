/**
 * Checkpoints of a GRPO run: everything needed to continue it bit for bit. Two files:
 *   checkpoint.json     step, config, RNG and sampler states, metrics and eval history, hint store,
 *                       the generation batch still being trained on (num_iterations > 1), ...
 *   state.safetensors   the LoRA tensors and AdamW's moments (F32, exact).
 * Stores implement CheckpointStorage; a save is atomic in every implementation (a crash mid-save
 * leaves the previous checkpoints as they were and no half-written one that list() would return).
 */
import type { GRPOConfig } from './config';
import type { MetricsRow } from './metrics';
import type { RngState } from '../common/rng';
import type { PromptSamplerState } from './trainer-prompts';
import { MemoryByteSource, SafetensorsReader, serializeSafetensors } from '../model/safetensors';
import type { TrainingMode } from '../hints/config';
import type { CheckpointInfo, EvalRecord } from '../common/records';
import { WEIGHT_DTYPES, type WeightDtype } from '../model/weight-dtype';

export const CHECKPOINT_FORMAT = 'webgrpo-checkpoint';
export const CHECKPOINT_VERSION = 1;

/** A generation batch kept for the remaining num_iterations updates (plain JSON). */
export interface SavedGenerationBatch {
  createdAtStep: number;
  uses: number;
  rows: { promptIds: number[]; completionIds: number[]; terminated: boolean; advantage: number }[];
  /** Per micro-batch, the sampling policy's log-probs ([rows*seq]); present when num_iterations > 1. */
  oldLogp: number[][] | null;
  /** Per micro-batch, the reference policy's log-probs; present when beta > 0. */
  refLogp: number[][] | null;
  /** Reward and completion metrics of the batch (repeated on each of its steps). */
  metrics: Record<string, number | null>;
  timings: { generation: number; rewards: number };
  tokens: number;
}

export interface CheckpointState {
  id: string;
  runId: string;
  /** Optimizer steps taken (the next step is step + 1). */
  step: number;
  createdAt: string;
  modelId: string;
  mode: TrainingMode;
  config: GRPOConfig;
  rewards: { name: string; weight: number }[];
  /** Fingerprint of the training split, so a resume on other data is refused. */
  dataFingerprint: string;
  /**
   * Example ids of the split. A resume takes the same rows by id instead of validating and splitting
   * again (gold checks have time budgets, so a loaded machine could otherwise drop a row).
   */
  split: { train: string[]; heldOut: string[] };
  adamStep: number;
  samplingRng: RngState;
  prompts: PromptSamplerState;
  numTokens: number;
  metrics: MetricsRow[];
  evals: EvalRecord[];
  /** How the frozen base weights were stored (absent in checkpoints written before it was recorded). */
  weightDtype?: WeightDtype;
  /** HintStore.exportJson(), or null when the run has no hints. */
  hints: string | null;
  pendingBatch: SavedGenerationBatch | null;
  /** LoRA tensors by runner key (loraKeyOf) with their shapes. */
  lora: Map<string, { shape: number[]; values: Float32Array }>;
  adamM: Map<string, Float32Array>;
  adamV: Map<string, Float32Array>;
}

export interface CheckpointFiles {
  /** checkpoint.json */
  meta: string;
  /** state.safetensors */
  tensors: Uint8Array;
}

export interface CheckpointStorage {
  readonly kind: string;
  /** Complete checkpoints, oldest step first. */
  list(): Promise<CheckpointInfo[]>;
  /** Writes atomically: either the whole checkpoint is there afterwards, or none of it. */
  save(info: CheckpointInfo, files: CheckpointFiles): Promise<void>;
  load(id: string): Promise<CheckpointFiles>;
  delete(id: string): Promise<void>;
  /** Bytes a checkpoint takes (its two files); the storage inventory shows them. */
  sizeOf?(id: string): Promise<number>;
}

/** Bytes of a checkpoint's two files (checkpoint.json as UTF-8). */
export function checkpointBytes(files: CheckpointFiles): number {
  return new TextEncoder().encode(files.meta).byteLength + files.tensors.byteLength;
}

export class CheckpointError extends Error {
  constructor(message: string) {
    super(`checkpoint: ${message}`);
    this.name = 'CheckpointError';
  }
}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function checkCheckpointId(id: string): string {
  if (typeof id !== 'string' || !ID_PATTERN.test(id)) throw new CheckpointError(`invalid id ${JSON.stringify(id)} (letters, digits, '.', '_', '-'; not starting with a dot)`);
  return id;
}

/** FNV-1a over the training split, to refuse resuming on different data. */
export function splitFingerprint(examples: readonly { id: string; context: string; answer: string }[]): string {
  let h = 0x811c9dc5;
  for (const e of examples) {
    const s = `${e.id}\u0000${e.context}\u0000${e.answer}\u0001`;
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  }
  return `${examples.length}:${h.toString(16).padStart(8, '0')}`;
}

export function checkpointId(runId: string, step: number): string {
  return checkCheckpointId(`${runId}-step${String(step).padStart(6, '0')}`);
}

export function infoOf(state: Pick<CheckpointState, 'id' | 'step' | 'createdAt' | 'modelId'>): CheckpointInfo {
  return { id: state.id, step: state.step, createdAt: state.createdAt, modelId: state.modelId };
}

const tensorName = {
  lora: (k: string) => k,
  m: (k: string) => `adam_m.${k}`,
  v: (k: string) => `adam_v.${k}`,
};

/** JSON has no NaN/Infinity: metrics carry them as null (read back as NaN). */
const finiteOrNull = (_k: string, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v);

export function encodeCheckpoint(state: CheckpointState): CheckpointFiles {
  const { lora, adamM, adamV, ...rest } = state;
  const tensors = [];
  for (const [key, t] of lora) {
    const m = adamM.get(key);
    const v = adamV.get(key);
    if (!m || !v) throw new CheckpointError(`no optimizer moments for ${key}`);
    tensors.push({ name: tensorName.lora(key), shape: t.shape, data: t.values }, { name: tensorName.m(key), shape: t.shape, data: m }, { name: tensorName.v(key), shape: t.shape, data: v });
  }
  const meta = { format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, ...rest, loraKeys: [...lora.keys()] };
  return { meta: JSON.stringify(meta, finiteOrNull), tensors: serializeSafetensors(tensors, { format: 'webgrpo' }) };
}

function nullToNaN(rows: unknown[]): MetricsRow[] {
  return rows.map((r) => Object.fromEntries(Object.entries(r as Record<string, unknown>).map(([k, v]) => [k, v === null ? NaN : v])) as MetricsRow);
}

/** The frozen weights' dtype a checkpoint records, checked; undefined for one written before it was recorded. */
export function recordedWeightDtype(meta: Record<string, unknown>): WeightDtype | undefined {
  if (meta.weightDtype === undefined) return undefined;
  if (!WEIGHT_DTYPES.includes(meta.weightDtype as WeightDtype)) throw new CheckpointError(`checkpoint.json: weightDtype must be one of ${WEIGHT_DTYPES.join(', ')}, got ${JSON.stringify(meta.weightDtype)}`);
  return meta.weightDtype as WeightDtype;
}

export async function decodeCheckpoint(files: CheckpointFiles): Promise<CheckpointState> {
  let meta: Record<string, unknown>;
  try {
    meta = JSON.parse(files.meta) as Record<string, unknown>;
  } catch (e) {
    throw new CheckpointError(`checkpoint.json is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (meta.format !== CHECKPOINT_FORMAT) throw new CheckpointError(`not a WebGRPO checkpoint (format ${JSON.stringify(meta.format)})`);
  if (meta.version !== CHECKPOINT_VERSION) throw new CheckpointError(`version ${JSON.stringify(meta.version)} is not supported (expected ${CHECKPOINT_VERSION})`);
  for (const field of ['id', 'runId', 'step', 'config', 'samplingRng', 'prompts', 'loraKeys', 'metrics', 'split']) {
    if (!(field in meta)) throw new CheckpointError(`checkpoint.json has no "${field}"`);
  }
  recordedWeightDtype(meta);
  const reader = await SafetensorsReader.open(new MemoryByteSource(files.tensors, 'state.safetensors'));
  const lora = new Map<string, { shape: number[]; values: Float32Array }>();
  const adamM = new Map<string, Float32Array>();
  const adamV = new Map<string, Float32Array>();
  for (const key of meta.loraKeys as string[]) {
    for (const name of [tensorName.lora(key), tensorName.m(key), tensorName.v(key)]) {
      if (!reader.has(name)) throw new CheckpointError(`state.safetensors has no ${name}`);
    }
    lora.set(key, { shape: [...reader.info(key).shape], values: await reader.readFloat32(tensorName.lora(key)) });
    adamM.set(key, await reader.readFloat32(tensorName.m(key)));
    adamV.set(key, await reader.readFloat32(tensorName.v(key)));
  }
  const { format: _f, version: _v, loraKeys: _k, ...rest } = meta;
  const state = rest as unknown as Omit<CheckpointState, 'lora' | 'adamM' | 'adamV'>;
  return { ...state, metrics: nullToNaN(state.metrics), lora, adamM, adamV };
}

/**
 * Deletes the oldest checkpoints of run `runId` beyond the newest `keep` (TRL's save_total_limit);
 * other runs' checkpoints are left alone. Returns the deleted ids.
 */
export async function pruneCheckpoints(storage: CheckpointStorage, runId: string, keep: number): Promise<string[]> {
  if (!Number.isInteger(keep) || keep < 1) throw new CheckpointError(`keep must be a positive integer, got ${keep}`);
  const prefix = `${runId}-step`;
  const mine = (await storage.list()).filter((c) => c.id.startsWith(prefix) && /^\d+$/.test(c.id.slice(prefix.length)));
  const doomed = mine.sort((a, b) => b.step - a.step).slice(keep).map((c) => c.id);
  for (const id of doomed) await storage.delete(id);
  return doomed;
}

/** Checkpoints in memory (tests; environments without persistent storage). Saves are atomic by construction. */
export class MemoryCheckpointStorage implements CheckpointStorage {
  readonly kind = 'memory';
  private readonly entries = new Map<string, { info: CheckpointInfo; files: CheckpointFiles }>();

  async list(): Promise<CheckpointInfo[]> {
    return [...this.entries.values()].map((e) => ({ ...e.info })).sort((a, b) => a.step - b.step || a.createdAt.localeCompare(b.createdAt));
  }
  async save(info: CheckpointInfo, files: CheckpointFiles): Promise<void> {
    checkCheckpointId(info.id);
    this.entries.set(info.id, { info: { ...info }, files: { meta: files.meta, tensors: files.tensors.slice() } });
  }
  async load(id: string): Promise<CheckpointFiles> {
    const e = this.entries.get(id);
    if (!e) throw new CheckpointError(`no checkpoint ${JSON.stringify(id)}`);
    return { meta: e.files.meta, tensors: e.files.tensors.slice() };
  }
  async delete(id: string): Promise<void> {
    this.entries.delete(id);
  }
  async sizeOf(id: string): Promise<number> {
    const e = this.entries.get(id);
    return e ? checkpointBytes(e.files) : 0;
  }
}
