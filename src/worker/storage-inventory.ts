/**
 * The storage inventory: everything the app keeps in this browser (the hub cache's repos and model
 * folder copies in OPFS, the export folders, the checkpoints in IndexedDB) with sizes, the origin's
 * usage against its quota, and deleting one item exactly. Which items a run is using is the
 * service's to say (StorageUse); this module refuses nothing by itself except what is not there.
 */
import { deleteCacheKeys, groupCacheListing } from '../model/cache-inventory';
import type { ExportFolders } from '../model/export-folders';
import type { InventoryCache } from '../model/hub-cache';
import type { StorageEstimate } from '../model/storage-quota';
import type { CheckpointStorage } from '../grpo/checkpoint';
import { deleteCheckpointRun, groupCheckpointRuns } from '../grpo/checkpoint-runs';
import type { StorageInventory, StoredItem, StoredItemRef } from './dashboard-api';
import type { DatasetSource, ModelSource } from './training-api';

/** Where an environment keeps things (any may be missing: it is then not listed). */
export interface StorageSources {
  cache: InventoryCache | null;
  checkpoints: CheckpointStorage | null;
  exports: ExportFolders | null;
  estimate?: () => Promise<StorageEstimate>;
  /** Top-level OPFS folders that are none of the above. */
  other?: () => Promise<{ name: string; bytes: number }[]>;
}

/** What the engine holds on to now, as the service knows it. */
export interface StorageUse {
  /** A run is loading or training (paused included). */
  active: boolean;
  /** The active run's model, or the model a finished run left loaded; null when none. */
  model: ModelSource | null;
  /** A model is loaded (for the Playground and Export) from `model`. */
  modelLoaded: boolean;
  /** The active run's dataset. */
  dataset: DatasetSource | null;
  /** The checkpoint runs the active run writes or resumed from. */
  runs: { runId: string; kind: 'grpo' | 'warmup' }[];
  /** A merged-model or transformers.js export is being written. */
  exporting: boolean;
  /** The Playground is generating. */
  playing: boolean;
}

export const IDLE_STORAGE_USE: StorageUse = { active: false, model: null, modelLoaded: false, dataset: null, runs: [], exporting: false, playing: false };

export function storedItemId(ref: StoredItemRef): string {
  switch (ref.kind) {
    case 'hub-repo':
      return `hub-${ref.repoType}:${ref.repo}`;
    case 'folder-copy':
      return `folder:${ref.name}`;
    case 'export':
      return `export:${ref.which}`;
    case 'checkpoints':
      return `checkpoints-${ref.runKind}:${ref.runId}`;
  }
}

/** The item in words, for messages. */
export function describeStored(ref: StoredItemRef): string {
  switch (ref.kind) {
    case 'hub-repo':
      return `the cached ${ref.repoType} ${ref.repo}`;
    case 'folder-copy':
      return `the copy of the model folder "${ref.name}"`;
    case 'export':
      return ref.which === 'merged' ? 'the merged-model export' : 'the transformers.js export';
    case 'checkpoints':
      return `the checkpoints of ${ref.runKind === 'warmup' ? 'warm-up run' : 'run'} ${ref.runId}`;
  }
}

/** The model source reads from this item. */
function modelUses(ref: StoredItemRef, model: ModelSource | null): boolean {
  if (!model) return false;
  if (ref.kind === 'hub-repo') return ref.repoType === 'model' && model.kind === 'hub' && model.repo === ref.repo;
  if (ref.kind === 'folder-copy') return ((model.kind === 'files' && model.keepCopy === true) || model.kind === 'stored-folder') && model.name === ref.name;
  return false;
}

function datasetUses(ref: StoredItemRef, dataset: DatasetSource | null): boolean {
  if (ref.kind !== 'hub-repo' || ref.repoType !== 'dataset' || dataset?.kind !== 'hub') return false;
  // "owner/name" or "owner/name/file.jsonl": the repo is the first two parts.
  return dataset.id.trim().split('/').slice(0, 2).join('/') === ref.repo;
}

/** Why this item cannot be deleted now; null when it can. */
export function storageBlockedBy(ref: StoredItemRef, use: StorageUse): string | null {
  if (ref.kind === 'hub-repo' || ref.kind === 'folder-copy') {
    if (use.active && modelUses(ref, use.model)) return 'the run in progress uses this model: stop it (or let it finish) first';
    if (use.active && datasetUses(ref, use.dataset)) return 'the run in progress reads this dataset: stop it (or let it finish) first';
    if (use.playing && use.modelLoaded && modelUses(ref, use.model)) return 'the Playground is generating with this model: wait for it to finish';
  }
  if (ref.kind === 'checkpoints') {
    if (use.active && use.runs.some((r) => r.runId === ref.runId && r.kind === ref.runKind)) return 'the run in progress saves its checkpoints here: stop it (or let it finish) first';
    if (use.playing) return 'the Playground is generating (it may be using a checkpoint): wait for it to finish';
  }
  if (ref.kind === 'export' && use.exporting) return 'an export is being written: wait for it to finish';
  return null;
}

/** Deleting this item also unloads the loaded model (it reads its weights from here). */
export function storageUnloads(ref: StoredItemRef, use: StorageUse): boolean {
  return !use.active && use.modelLoaded && modelUses(ref, use.model);
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

export async function readStorageInventory(src: StorageSources, use: StorageUse): Promise<StorageInventory> {
  const items: StoredItem[] = [];
  const problems: string[] = [];
  const add = (item: Omit<StoredItem, 'id' | 'blockedBy' | 'unloads'>) => {
    const unloads = storageUnloads(item.ref, use);
    items.push({ ...item, id: storedItemId(item.ref), blockedBy: storageBlockedBy(item.ref, use), ...(unloads ? { unloads } : {}) });
  };

  if (src.cache) {
    try {
      const { repos, folders } = groupCacheListing(await src.cache.list());
      for (const r of repos) {
        add({
          ref: { kind: 'hub-repo', repoType: r.repoType, repo: r.repo },
          files: r.files,
          bytes: r.bytes,
          state: r.partialFiles > 0 ? 'partial' : 'complete',
          partialFiles: r.partialFiles,
          snapshots: r.snapshots.map((s) => ({ id: s.id, revisions: s.revisions, files: s.files, bytes: s.bytes, partialFiles: s.partialFiles })),
        });
      }
      for (const f of folders) add({ ref: { kind: 'folder-copy', name: f.name }, files: f.files, bytes: f.bytes, state: f.partialFiles > 0 ? 'partial' : 'complete', partialFiles: f.partialFiles });
    } catch (e) {
      problems.push(`the model cache could not be read: ${message(e)}`);
    }
  }
  if (src.exports) {
    try {
      for (const x of await src.exports.list()) add({ ref: { kind: 'export', which: x.which }, files: x.files, bytes: x.bytes });
    } catch (e) {
      problems.push(`the export folders could not be read: ${message(e)}`);
    }
  }
  if (src.checkpoints) {
    try {
      const storage = src.checkpoints;
      for (const run of groupCheckpointRuns(await storage.list())) {
        let bytes = 0;
        // One at a time: reading a checkpoint's size may read its record.
        for (const c of run.checkpoints) bytes += storage.sizeOf ? await storage.sizeOf(c.id) : 0;
        add({
          ref: { kind: 'checkpoints', runId: run.runId, runKind: run.kind },
          files: run.checkpoints.length,
          bytes,
          checkpoints: { modelId: run.modelId, steps: run.checkpoints.map((c) => c.step), lastSavedAt: run.checkpoints.reduce((a, c) => (c.createdAt > a ? c.createdAt : a), '') },
        });
      }
    } catch (e) {
      problems.push(`the saved checkpoints could not be read: ${message(e)}`);
    }
  }
  let other: { name: string; bytes: number }[] = [];
  try {
    other = (await src.other?.()) ?? [];
  } catch (e) {
    problems.push(`the rest of the site's storage could not be read: ${message(e)}`);
  }
  let usage: number | null = null;
  let quota: number | null = null;
  try {
    const est = await src.estimate?.();
    usage = typeof est?.usage === 'number' ? est.usage : null;
    quota = typeof est?.quota === 'number' ? est.quota : null;
  } catch (e) {
    problems.push(`the browser gave no storage estimate: ${message(e)}`);
  }
  return { items, usage, quota, other, problems };
}

/** Checks a ref that crossed the worker boundary; returns the problem, or null. */
export function storedRefProblem(ref: unknown): string | null {
  const r = ref as Partial<Record<string, unknown>> | null;
  const str = (v: unknown) => typeof v === 'string' && v.length > 0;
  if (typeof r !== 'object' || r === null) return 'expected a stored item';
  if (r.kind === 'hub-repo') return (r.repoType === 'model' || r.repoType === 'dataset') && str(r.repo) ? null : 'a hub repo needs repoType model|dataset and a repo id';
  if (r.kind === 'folder-copy') return str(r.name) ? null : 'a folder copy needs its name';
  if (r.kind === 'export') return r.which === 'merged' || r.which === 'transformersjs' ? null : "an export is 'merged' or 'transformersjs'";
  if (r.kind === 'checkpoints') return str(r.runId) && (r.runKind === 'grpo' || r.runKind === 'warmup') ? null : 'checkpoints need a runId and runKind grpo|warmup';
  return `unknown kind of stored item ${JSON.stringify(r.kind)}`;
}

/**
 * Deletes exactly one item (every file and ref that belongs to it, nothing else); throws when it
 * is not stored. Whether it may be deleted now is the caller's check.
 */
export async function deleteStoredItem(src: StorageSources, ref: StoredItemRef): Promise<{ bytes: number }> {
  const missing = () => new Error(`${describeStored(ref)} is not stored in this browser (deleted already?)`);
  if (ref.kind === 'hub-repo' || ref.kind === 'folder-copy') {
    if (!src.cache) throw missing();
    const { repos, folders } = groupCacheListing(await src.cache.list());
    const group = ref.kind === 'hub-repo' ? repos.find((r) => r.repoType === ref.repoType && r.repo === ref.repo) : folders.find((f) => f.name === ref.name);
    if (!group) throw missing();
    await deleteCacheKeys(src.cache, group.keys, 'refKeys' in group ? group.refKeys : []);
    return { bytes: group.bytes };
  }
  if (ref.kind === 'export') {
    const stored = (await src.exports?.list())?.find((x) => x.which === ref.which);
    if (!src.exports || !stored) throw missing();
    await src.exports.delete(ref.which);
    return { bytes: stored.bytes };
  }
  if (!src.checkpoints) throw missing();
  const done = await sizesThenDelete(src.checkpoints, ref.runId, ref.runKind);
  if (done.deleted === 0) throw missing();
  return { bytes: done.bytes };
}

async function sizesThenDelete(storage: CheckpointStorage, runId: string, kind: 'grpo' | 'warmup'): Promise<{ deleted: number; bytes: number }> {
  const run = groupCheckpointRuns(await storage.list()).find((r) => r.runId === runId && r.kind === kind);
  let bytes = 0;
  for (const c of run?.checkpoints ?? []) bytes += storage.sizeOf ? await storage.sizeOf(c.id) : 0;
  const deleted = await deleteCheckpointRun(storage, runId, kind);
  return { deleted: deleted.length, bytes };
}
