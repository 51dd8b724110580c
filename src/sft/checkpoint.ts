/**
 * Checkpoints of a supervised warm-up, in the same storage as GRPO's (CheckpointStorage) and the
 * same two files: checkpoint.json (step, config, sampler state, metrics) and state.safetensors (the
 * trained tensors — LoRA matrices, or every weight with use_peft false — and AdamW's moments).
 * `kind` tells a warm-up checkpoint from a GRPO one.
 */
import { CheckpointError, checkCheckpointId, recordedWeightDtype, type CheckpointFiles } from '../grpo/checkpoint';
import type { WeightDtype } from '../model/weight-dtype';
import type { MetricsRow } from '../grpo/metrics';
import type { PromptSamplerState } from '../grpo/trainer-prompts';
import { MemoryByteSource, SafetensorsReader, serializeSafetensors } from '../model/safetensors';
import type { EvalRecord } from '../common/records';
import type { SFTConfig } from './config';

export const SFT_CHECKPOINT_FORMAT = 'webgrpo-sft-checkpoint';
export const SFT_CHECKPOINT_VERSION = 1;

export interface SftCheckpointState {
  id: string;
  runId: string;
  step: number;
  createdAt: string;
  modelId: string;
  config: SFTConfig;
  /** Fingerprint of the training split (a resume on other data is refused). */
  dataFingerprint: string;
  split: { train: string[]; heldOut: string[] };
  adamStep: number;
  sampler: PromptSamplerState;
  numTokens: number;
  skipped: { noAnswer: number; tooLong: number; truncated: number };
  metrics: MetricsRow[];
  evals: EvalRecord[];
  /** How the frozen base weights were stored (absent in checkpoints written before it was recorded). */
  weightDtype?: WeightDtype;
  /** Trained tensors by their runner key, with their AdamW moments. */
  params: Map<string, { shape: number[]; values: Float32Array }>;
  adamM: Map<string, Float32Array>;
  adamV: Map<string, Float32Array>;
}

export function sftCheckpointId(runId: string, step: number): string {
  return checkCheckpointId(`${runId}-warmup-step${String(step).padStart(6, '0')}`);
}

const finiteOrNull = (_k: string, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v);

export function encodeSftCheckpoint(state: SftCheckpointState): CheckpointFiles {
  const { params, adamM, adamV, ...rest } = state;
  const tensors = [];
  for (const [key, t] of params) {
    const m = adamM.get(key);
    const v = adamV.get(key);
    if (!m || !v) throw new CheckpointError(`no optimizer moments for ${key}`);
    tensors.push({ name: key, shape: t.shape, data: t.values }, { name: `adam_m.${key}`, shape: t.shape, data: m }, { name: `adam_v.${key}`, shape: t.shape, data: v });
  }
  const meta = { format: SFT_CHECKPOINT_FORMAT, version: SFT_CHECKPOINT_VERSION, kind: 'warmup', ...rest, paramKeys: [...params.keys()] };
  return { meta: JSON.stringify(meta, finiteOrNull), tensors: serializeSafetensors(tensors, { format: 'webgrpo' }) };
}

/** Whether checkpoint.json text belongs to a warm-up checkpoint. */
export function isSftCheckpoint(meta: string): boolean {
  try {
    return (JSON.parse(meta) as { format?: unknown }).format === SFT_CHECKPOINT_FORMAT;
  } catch {
    return false;
  }
}

export async function decodeSftCheckpoint(files: CheckpointFiles): Promise<SftCheckpointState> {
  let meta: Record<string, unknown>;
  try {
    meta = JSON.parse(files.meta) as Record<string, unknown>;
  } catch (e) {
    throw new CheckpointError(`checkpoint.json is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (meta.format !== SFT_CHECKPOINT_FORMAT) throw new CheckpointError(`not a warm-up checkpoint (format ${JSON.stringify(meta.format)})`);
  if (meta.version !== SFT_CHECKPOINT_VERSION) throw new CheckpointError(`warm-up checkpoint version ${JSON.stringify(meta.version)} is not supported (expected ${SFT_CHECKPOINT_VERSION})`);
  for (const field of ['id', 'runId', 'step', 'config', 'sampler', 'paramKeys', 'metrics', 'split', 'adamStep']) {
    if (!(field in meta)) throw new CheckpointError(`checkpoint.json has no "${field}"`);
  }
  recordedWeightDtype(meta);
  const reader = await SafetensorsReader.open(new MemoryByteSource(files.tensors, 'state.safetensors'));
  const params = new Map<string, { shape: number[]; values: Float32Array }>();
  const adamM = new Map<string, Float32Array>();
  const adamV = new Map<string, Float32Array>();
  for (const key of meta.paramKeys as string[]) {
    for (const name of [key, `adam_m.${key}`, `adam_v.${key}`]) if (!reader.has(name)) throw new CheckpointError(`state.safetensors has no ${name}`);
    params.set(key, { shape: [...reader.info(key).shape], values: await reader.readFloat32(key) });
    adamM.set(key, await reader.readFloat32(`adam_m.${key}`));
    adamV.set(key, await reader.readFloat32(`adam_v.${key}`));
  }
  const { format: _f, version: _v, kind: _k, paramKeys: _p, ...rest } = meta;
  const state = rest as unknown as Omit<SftCheckpointState, 'params' | 'adamM' | 'adamV'>;
  const metrics = state.metrics.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? NaN : v])) as MetricsRow);
  return { ...state, metrics, params, adamM, adamV };
}
