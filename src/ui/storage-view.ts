/**
 * The Browser storage panel's words: sections in a fixed order, each item's title and details,
 * usage against the quota, and what the confirmation says before a deletion.
 */
import { formatBytes } from '../model/storage-quota';
import type { StorageInventory, StoredItem } from '../worker/dashboard-api';

export interface StorageSection {
  key: 'models' | 'folders' | 'datasets' | 'checkpoints' | 'exports';
  title: string;
  items: StoredItem[];
}

const SECTIONS: { key: StorageSection['key']; title: string; has: (i: StoredItem) => boolean }[] = [
  { key: 'models', title: 'Cached models (Hugging Face hub)', has: (i) => i.ref.kind === 'hub-repo' && i.ref.repoType === 'model' },
  { key: 'folders', title: 'Copies of model folders', has: (i) => i.ref.kind === 'folder-copy' },
  { key: 'checkpoints', title: 'Checkpoints', has: (i) => i.ref.kind === 'checkpoints' },
  { key: 'exports', title: 'Exports', has: (i) => i.ref.kind === 'export' },
  { key: 'datasets', title: 'Cached datasets', has: (i) => i.ref.kind === 'hub-repo' && i.ref.repoType === 'dataset' },
];

/** The non-empty sections, largest item first within each. */
export function storageSections(inv: StorageInventory): StorageSection[] {
  return SECTIONS.map((s) => ({ key: s.key, title: s.title, items: inv.items.filter(s.has).sort((a, b) => b.bytes - a.bytes) })).filter((s) => s.items.length > 0);
}

export function sizeText(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : bytes < 2 ** 20 ? `${(bytes / 1024).toFixed(1)} KiB` : formatBytes(bytes);
}

export function storedTitle(item: StoredItem): string {
  const r = item.ref;
  switch (r.kind) {
    case 'hub-repo':
      return r.repo;
    case 'folder-copy':
      return `"${r.name}"`;
    case 'export':
      return r.which === 'merged' ? 'Merged model (last export)' : 'transformers.js export (last export)';
    case 'checkpoints':
      return `${r.runKind === 'warmup' ? 'Warm-up run' : 'Run'} ${r.runId}`;
  }
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** One line of details under the title. */
export function storedDetail(item: StoredItem): string {
  const r = item.ref;
  if (r.kind === 'hub-repo') {
    const snaps = (item.snapshots ?? []).map((s) => `${s.revisions.length ? `${s.revisions.join(', ')} → ` : ''}${/^[0-9a-f]{40}$/.test(s.id) ? s.id.slice(0, 8) : decodeURIComponent(s.id)}`);
    const state = item.state === 'partial' ? `, ${plural(item.partialFiles ?? 0, 'file')} partly downloaded` : ', complete';
    return `${plural(item.files, 'file')}${state}${snaps.length ? ` · ${snaps.length > 1 ? `${snaps.length} snapshots: ` : ''}${snaps.join('; ')}` : ''}`;
  }
  if (r.kind === 'folder-copy') return `${plural(item.files, 'file')}${item.state === 'partial' ? ', copy unfinished' : ''} · opens after a reload without the folder`;
  if (r.kind === 'export') return `${plural(item.files, 'file')} · written for download; not needed once saved`;
  const c = item.checkpoints;
  if (!c) return plural(item.files, 'checkpoint');
  const steps = c.steps.length > 1 ? `steps ${c.steps[0]}–${c.steps[c.steps.length - 1]}` : `step ${c.steps[0]}`;
  return `${plural(item.files, 'checkpoint')} (${steps}) · ${c.modelId} · saved ${c.lastSavedAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}`;
}

/** What deleting it means, for the confirmation. */
export function deletionWarning(item: StoredItem): string {
  const r = item.ref;
  const unload = item.unloads ? ' The model loaded for the Playground and Export is unloaded.' : '';
  if (r.kind === 'hub-repo') return `Delete ${r.repo} (${sizeText(item.bytes)}) from this browser? It is downloaded again when next used.${unload}`;
  if (r.kind === 'folder-copy') return `Delete the copy of "${r.name}" (${sizeText(item.bytes)})? The folder on your computer is not touched; after a reload, open it again.${unload}`;
  if (r.kind === 'export') return `Delete the ${r.which === 'merged' ? 'merged-model' : 'transformers.js'} export (${sizeText(item.bytes)})? Files you already downloaded are not touched.`;
  return `Delete ${plural(item.files, 'checkpoint')} of ${r.runId} (${sizeText(item.bytes)})? The run can no longer be resumed from them.`;
}

/** Usage against the quota: text and the fraction for a meter (null without an estimate). */
export function usageView(inv: Pick<StorageInventory, 'usage' | 'quota' | 'items'>): { text: string; fraction: number | null; listed: string } {
  const listed = `${sizeText(inv.items.reduce((a, i) => a + i.bytes, 0))} listed here`;
  if (inv.usage === null || inv.quota === null || inv.quota <= 0) return { text: 'The browser gives no usage estimate.', fraction: null, listed };
  const fraction = Math.min(1, inv.usage / inv.quota);
  return { text: `${sizeText(inv.usage)} of ${sizeText(inv.quota)} used (${(fraction * 100).toFixed(fraction < 0.01 ? 2 : 0)}%)`, fraction, listed };
}
