/**
 * Saved checkpoints grouped by the run that wrote them: what the storage inventory lists and deletes
 * as one entry. Ids are `<runId>-step<NNNNNN>` (GRPO, checkpointId) and `<runId>-warmup-step<NNNNNN>`
 * (the warm-up, sftCheckpointId); an id of neither shape is a run of its own.
 */
import type { CheckpointInfo } from '../common/records';
import type { CheckpointStorage } from './checkpoint';

export interface CheckpointRun {
  runId: string;
  kind: 'grpo' | 'warmup';
  modelId: string;
  /** Oldest step first. */
  checkpoints: CheckpointInfo[];
}

const STEP_SUFFIX = /^(.+?)-(warmup-)?step\d+$/;

/** The run a checkpoint belongs to, from its id. */
export function checkpointRunOf(info: CheckpointInfo): { runId: string; kind: 'grpo' | 'warmup' } {
  const m = STEP_SUFFIX.exec(info.id);
  const kind = info.kind === 'warmup' ? 'warmup' : 'grpo';
  if (!m || (kind === 'warmup') !== Boolean(m[2])) return { runId: info.id, kind };
  return { runId: m[1]!, kind };
}

export function groupCheckpointRuns(infos: readonly CheckpointInfo[]): CheckpointRun[] {
  const runs = new Map<string, CheckpointRun>();
  for (const info of infos) {
    const { runId, kind } = checkpointRunOf(info);
    const key = `${kind}:${runId}`;
    let run = runs.get(key);
    if (!run) runs.set(key, (run = { runId, kind, modelId: info.modelId, checkpoints: [] }));
    run.checkpoints.push(info);
  }
  for (const run of runs.values()) run.checkpoints.sort((a, b) => a.step - b.step || a.createdAt.localeCompare(b.createdAt));
  return [...runs.values()].sort((a, b) => (a.checkpoints.at(-1)!.createdAt < b.checkpoints.at(-1)!.createdAt ? 1 : -1));
}

/** Deletes every checkpoint of one run (GRPO's or the warm-up's), and nothing else; returns the ids deleted. */
export async function deleteCheckpointRun(storage: CheckpointStorage, runId: string, kind: 'grpo' | 'warmup'): Promise<string[]> {
  const mine = (await storage.list()).filter((c) => {
    const r = checkpointRunOf(c);
    return r.runId === runId && r.kind === kind;
  });
  for (const c of mine) await storage.delete(c.id);
  return mine.map((c) => c.id);
}
