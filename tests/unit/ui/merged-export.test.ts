/**
 * "Download merged model": the store asks the engine for the merged files, shows its progress while it
 * works, downloads every file under its Hugging Face name, and turns a refusal (no room in browser
 * storage, an adapter for another base) into a notice; the panel's button and progress bar render
 * from that state (static markup with the real store).
 */
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { AdapterPanel } from '../../../src/ui/results/AdapterPanel';
import type { DownloadFile } from '../../../src/ui/downloads';
import { createAppStore, type AppStore } from '../../../src/ui/store';
import { AppStoreProvider } from '../../../src/ui/store-context';
import type { EngineApi } from '../../../src/worker/api';
import type { DashboardEngine } from '../../../src/worker/engine-client';
import type { ExportedModel, ProgressEvent } from '../../../src/worker/training-api';

const shell: EngineApi = {
  gpuInfo: async () => ({ available: false, reason: 'test' }),
  runSmokeSession: async () => {
    throw new Error('not in this test');
  },
};

function render(store: AppStore): string {
  const view = { ...store, getInitialState: store.getState };
  return renderToStaticMarkup(createElement(AppStoreProvider, { store: view, children: createElement(AdapterPanel) }));
}

/** An engine whose exportMergedModel waits until the test releases it, after reporting progress. */
function engineWith(result: () => Promise<ExportedModel>) {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let progress: ((e: ProgressEvent) => void) | undefined;
  const engine = {
    ...shell,
    async exportMergedModel(onProgress?: (e: ProgressEvent) => void) {
      progress = onProgress;
      onProgress?.({ type: 'progress', label: 'merging the adapter into webgrpo/tiny-gemma3', done: 3 * 2 ** 20, total: 12 * 2 ** 20, unit: 'bytes' });
      await gate;
      return result();
    },
  } as unknown as DashboardEngine;
  return { engine, release: () => release(), progress: () => progress };
}

describe('Download merged model', () => {
  it('shows progress while the engine merges, then downloads every file under its Hugging Face name', async () => {
    const weights = new Blob([new Uint8Array(16)]);
    const config = new TextEncoder().encode('{"model_type":"gemma3_text"}');
    const fake = engineWith(async () => ({ files: [{ name: 'model.safetensors', data: weights }, { name: 'config.json', data: config }], bytes: 16 + config.byteLength }));
    const downloads: DownloadFile[] = [];
    const store = createAppStore(fake.engine, { download: (f) => void downloads.push(f) });
    expect(render(store)).toMatch(/data-testid="export-merged"[^>]*>Download merged model</);

    const done = store.getState().exportMergedModel();
    await Promise.resolve();
    expect(store.getState().mergeProgress).toEqual({ done: 3 * 2 ** 20, total: 12 * 2 ** 20 });
    const busy = render(store);
    expect(busy).toMatch(/<button[^>]*disabled=""[^>]*data-testid="export-merged"[^>]*>Merging…</);
    expect(busy).toMatch(/data-testid="merge-progress".*3\.0 \/ 12\.0 MiB/);
    await store.getState().exportMergedModel(); // a second click while merging does nothing

    fake.release();
    await done;
    expect(store.getState().mergeProgress).toBeNull();
    expect(downloads.map((f) => [f.name, f.type])).toEqual([['model.safetensors', 'application/octet-stream'], ['config.json', 'application/json']]);
    expect(downloads[0]!.data).toBe(weights); // the disk-backed Blob itself, never copied into memory
    expect(downloads[1]!.data).toBe(config);
    expect(store.getState().notices.at(-1)?.text).toMatch(/Merged model saved as 2 files/);
  });

  it('a refusal (e.g. not enough browser storage) becomes a notice and downloads nothing', async () => {
    const fake = engineWith(async () => {
      throw new Error('merging the adapter: the merged model needs 1.86 GiB of browser storage but only 512.0 MiB is free');
    });
    const downloads: DownloadFile[] = [];
    const store = createAppStore(fake.engine, { download: (f) => void downloads.push(f) });
    const done = store.getState().exportMergedModel();
    fake.release();
    await done;
    expect(downloads).toEqual([]);
    expect(store.getState().mergeProgress).toBeNull();
    expect(store.getState().notices.map((n) => n.text)).toEqual([
      'Merging the adapter into the model failed: merging the adapter: the merged model needs 1.86 GiB of browser storage but only 512.0 MiB is free',
    ]);
  });

  it('an engine without the method says so', async () => {
    const store = createAppStore(shell, { download: () => undefined });
    await store.getState().exportMergedModel();
    expect(store.getState().notices.map((n) => n.text)).toEqual(['Merging the adapter into the model is not available yet: The engine worker does not implement exportMergedModel() yet.']);
  });
});
