/**
 * The Browser storage panel: its words (sections, titles, details, usage, the confirmation), the
 * store calls behind it (list, confirm, delete, a refusal shown in the panel, stale cache status
 * asked again), and the markup (labelled delete buttons, a disabled one for what a run uses, the
 * confirmation group). The storage-full message names the panel by its title and tab.
 */
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { storageFullError, STORAGE_PANEL_TAB, STORAGE_PANEL_TITLE } from '../../../src/model/storage-quota';
import { RESULT_TABS } from '../../../src/ui/result-tabs';
import { StoragePanel } from '../../../src/ui/StoragePanel';
import { SystemPanels } from '../../../src/ui/SystemPanels';
import { createAppStore, INITIAL_SETUP, type AppStore } from '../../../src/ui/store';
import { AppStoreProvider } from '../../../src/ui/store-context';
import { deletionWarning, storageSections, storedDetail, storedTitle, usageView } from '../../../src/ui/storage-view';
import type { EngineApi } from '../../../src/worker/api';
import type { ModelCacheStatus, StorageInventory, StoredItem, StoredItemRef } from '../../../src/worker/dashboard-api';
import type { ModelSource } from '../../../src/worker/training-api';

const C1 = 'a1b2c3d4'.repeat(5);
const repo: StoredItem = {
  ref: { kind: 'hub-repo', repoType: 'model', repo: 'google/gemma-3-1b-it' },
  id: 'hub-model:google/gemma-3-1b-it',
  files: 5,
  bytes: 2_000_000_000,
  state: 'complete',
  partialFiles: 0,
  snapshots: [{ id: C1, revisions: ['main'], files: 5, bytes: 2_000_000_000, partialFiles: 0 }],
  blockedBy: null,
};
const partial: StoredItem = { ...repo, ref: { kind: 'hub-repo', repoType: 'model', repo: 'o/p' }, id: 'hub-model:o/p', files: 2, bytes: 3 * 2 ** 20, state: 'partial', partialFiles: 1, snapshots: [{ id: C1, revisions: [], files: 2, bytes: 3 * 2 ** 20, partialFiles: 1 }] };
const run: StoredItem = { ref: { kind: 'checkpoints', runId: 'run-20260101-120000', runKind: 'grpo' }, id: 'checkpoints-grpo:run-20260101-120000', files: 3, bytes: 240 * 2 ** 20, checkpoints: { modelId: 'google/gemma-3-1b-it', steps: [10, 20, 30], lastSavedAt: '2026-01-01T13:00:00.000Z' }, blockedBy: 'the run in progress saves its checkpoints here: stop it (or let it finish) first' };
const folder: StoredItem = { ref: { kind: 'folder-copy', name: 'my-gemma' }, id: 'folder:my-gemma', files: 4, bytes: 10 * 2 ** 20, state: 'complete', partialFiles: 0, blockedBy: null, unloads: true };
const merged: StoredItem = { ref: { kind: 'export', which: 'merged' }, id: 'export:merged', files: 1, bytes: 500 * 2 ** 20, blockedBy: null };
const inventory = (items: StoredItem[]): StorageInventory => ({ items, usage: 3 * 2 ** 30, quota: 12 * 2 ** 30, other: [{ name: 'x', bytes: 2048 }], problems: [] });

describe('storage view', () => {
  it('orders sections models, folders, checkpoints, exports, largest first, and words each item', () => {
    const sections = storageSections(inventory([merged, partial, run, repo, folder]));
    expect(sections.map((s) => [s.key, s.items.map((i) => i.id)])).toEqual([
      ['models', ['hub-model:google/gemma-3-1b-it', 'hub-model:o/p']],
      ['folders', ['folder:my-gemma']],
      ['checkpoints', ['checkpoints-grpo:run-20260101-120000']],
      ['exports', ['export:merged']],
    ]);
    expect(storedDetail(repo)).toBe('5 files, complete · main → a1b2c3d4');
    expect(storedDetail(partial)).toBe('2 files, 1 file partly downloaded · a1b2c3d4');
    expect(storedTitle(run)).toBe('Run run-20260101-120000');
    expect(storedDetail(run)).toBe('3 checkpoints (steps 10–30) · google/gemma-3-1b-it · saved 2026-01-01 13:00:00 UTC');
    expect(deletionWarning(folder)).toMatch(/^Delete the copy of "my-gemma" \(10 MiB\)\? The folder on your computer is not touched.* The model loaded for the Playground and Export is unloaded\.$/);
    expect(deletionWarning(repo)).toBe('Delete google/gemma-3-1b-it (1.86 GiB) from this browser? It is downloaded again when next used.');
  });

  it('shows usage against the quota, and says when there is no estimate', () => {
    expect(usageView(inventory([repo]))).toEqual({ text: '3.00 GiB of 12.00 GiB used (25%)', fraction: 0.25, listed: '1.86 GiB listed here' });
    expect(usageView({ items: [], usage: null, quota: null })).toEqual({ text: 'The browser gives no usage estimate.', fraction: null, listed: '0 B listed here' });
  });

  it('is the panel the storage-full message names, on the tab it names', async () => {
    const e = await storageFullError({ path: 'model.safetensors', url: 'u', needed: 2 ** 30, error: new DOMException('full', 'QuotaExceededError'), estimate: async () => ({ usage: 1, quota: 2 }) });
    expect(e.message).toContain(`in the "${STORAGE_PANEL_TITLE}" panel (${STORAGE_PANEL_TAB} tab)`);
    expect(RESULT_TABS.find((t) => t.label === STORAGE_PANEL_TAB)?.Content).toBe(SystemPanels);
  });
});

const shell: EngineApi = { gpuInfo: async () => ({ available: false, reason: 'test' }), runSmokeSession: async () => Promise.reject(new Error('not here')) };

/** An engine double holding a list: deleting removes the item, or refuses what is blocked. */
function engine(items: StoredItem[]) {
  const asked: { deleted: StoredItemRef[]; cacheChecks: ModelSource[] } = { deleted: [], cacheChecks: [] };
  let held = [...items];
  const e = {
    ...shell,
    async storageInventory() {
      return inventory(held);
    },
    async deleteStored(ref: StoredItemRef) {
      asked.deleted.push(ref);
      const it = held.find((i) => JSON.stringify(i.ref) === JSON.stringify(ref));
      if (it?.blockedBy) throw new Error(`cannot delete it: ${it.blockedBy}`);
      held = held.filter((i) => i !== it);
      return inventory(held);
    },
    async modelCacheStatus(source: ModelSource): Promise<ModelCacheStatus> {
      asked.cacheChecks.push(source);
      return { model: 'google/gemma-3-1b-it', cached: false, bytes: 0 };
    },
  };
  return { engine: e, asked };
}

function render(store: AppStore): string {
  const view = { ...store, getInitialState: store.getState };
  return renderToStaticMarkup(createElement(AppStoreProvider, { store: view, children: createElement(StoragePanel) }));
}

describe('store and panel', () => {
  it('lists, confirms, deletes; the cache status is asked again and the stale report dropped', async () => {
    const { engine: e, asked } = engine([repo, run, merged]);
    const store = createAppStore(e, { storage: { getItem: () => JSON.stringify({ ...INITIAL_SETUP, model: { kind: 'hub', repo: 'google/gemma-3-1b-it', token: '' } }), setItem: () => {} } });
    await store.getState().refreshStorage();
    expect(store.getState().storage).toMatchObject({ phase: 'known', confirming: null, error: null });
    let html = render(store);
    expect(html).toContain('<h2 id="panel-browser-storage">Browser storage</h2>');
    expect(html).toContain('3.00 GiB of 12.00 GiB used (25%)');
    expect(html).toMatch(/<progress[^>]*aria-label="Site storage used of the quota"/);
    expect(html).toMatch(/aria-label="Delete google\/gemma-3-1b-it"/);
    // What the run uses: its delete button is disabled and says why.
    expect(html).toMatch(/<button[^>]*disabled=""[^>]*aria-label="Delete Run run-20260101-120000"/);
    expect(html).toContain('Kept while in use: the run in progress saves its checkpoints here');
    expect(html).toContain('Also in this site&#x27;s storage, not the app&#x27;s (left alone): x (2.0 KiB)');

    store.getState().confirmStorageDelete(repo.id);
    html = render(store);
    expect(html).toMatch(/role="group" aria-label="Confirm deleting google\/gemma-3-1b-it"/);
    expect(html).toContain('Delete google/gemma-3-1b-it (1.86 GiB) from this browser?');
    store.setState((s) => ({ run: { ...s.run, modelCache: { model: 'google/gemma-3-1b-it', cached: true, bytes: 2e9 } } }));
    await store.getState().deleteStored(repo.ref);
    expect(asked.deleted).toEqual([repo.ref]);
    expect(store.getState().storage.inventory!.items.map((i) => i.id)).toEqual([run.id, merged.id]);
    expect(store.getState().storage.confirming).toBeNull();
    expect(store.getState().run.modelCache).toBeNull();
    expect(asked.cacheChecks.at(-1)).toMatchObject({ kind: 'hub', repo: 'google/gemma-3-1b-it' });
    expect(store.getState().notices.at(-1)?.text).toBe('Deleted google/gemma-3-1b-it (1.86 GiB freed).');
  });

  it('shows a refusal in the panel and keeps the list as it was', async () => {
    const { engine: e } = engine([run]);
    const store = createAppStore(e);
    await store.getState().refreshStorage();
    await store.getState().deleteStored(run.ref);
    expect(store.getState().storage).toMatchObject({ error: expect.stringMatching(/^cannot delete it: the run in progress saves its checkpoints here/), deleting: null });
    expect(store.getState().storage.inventory!.items).toEqual([run]);
    expect(render(store)).toMatch(/role="alert" data-testid="storage-error">cannot delete it: the run in progress/);
  });

  it('an engine without the inventory leaves the panel saying so', async () => {
    const store = createAppStore(shell);
    await store.getState().refreshStorage();
    expect(store.getState().storage.phase).toBe('unsupported');
    expect(render(store)).toContain('This engine does not list its storage.');
  });
});
