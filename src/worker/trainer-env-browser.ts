/**
 * The trainer's environment in the browser's engine worker: hub downloads cached in OPFS, the
 * bundled tiny model and the sample dataset from the app's own URL, checkpoints in IndexedDB, SQL in
 * web workers.
 */
import { fetchHubDataset } from '../dataset/hub';
import { loadSampleDataset } from '../dataset/sample';
import { IndexedDbCheckpointStorage } from '../grpo/checkpoint-idb';
import { defaultBrowserCache, HubClient, MemoryHubCache } from '../model/hub';
import { DEMO_MODEL_FILES, DEMO_MODEL_ID, DEMO_MODEL_PATH } from '../model/demo-model';
import { TINY_MODEL_FILES, TINY_MODEL_ID, TINY_MODEL_PATH } from '../model/tiny-model';
import { browserWorkerFactory } from '../sql/worker-port-browser';
import { describeSource, parseHubDatasetId, parseUpload, readSyntheticDataset } from './trainer-data';
import { copyModelFiles, openModelFiles, openStoredModel } from './model-files';
import { checkedGemma3Config, MODEL_TEXT_FILES, openHubModel, readHubConfig } from './trainer-model';
import type { TrainerEnvironment } from './trainer-service';
import { opfsMergedWeightsSink } from '../model/merge-opfs';
import { opfsOnnxExportSinks } from '../model/onnx-export-opfs';
import { OPFS_EXPORT_DIRS, opfsExportFolders, opfsOtherEntries } from '../model/export-folders';
import { isInventoryCache } from '../model/hub-cache';
import { OPFS_CACHE_DIR } from '../model/storage-opfs';
import type { StorageSources } from './storage-inventory';

const REVISION = 'main';

/** The app's root URL (Vite's base) as seen from this worker, without a trailing slash. */
function appRoot(): string {
  return new URL(import.meta.env.BASE_URL ?? '/', self.location.origin).href.replace(/\/+$/, '');
}

/** The models that ship with the app: their repo-like id, folder under the app's URL and files. */
const BUNDLED = {
  tiny: { id: TINY_MODEL_ID, path: TINY_MODEL_PATH, files: TINY_MODEL_FILES },
  demo: { id: DEMO_MODEL_ID, path: DEMO_MODEL_PATH, files: DEMO_MODEL_FILES },
} as const;

/**
 * A HubClient for a bundled model: the same download, verification and loading code as a hub
 * repo, with resolve URLs mapped onto <app>/models/<folder>/. Only the model's own files exist
 * there; anything else (e.g. a shard index) is answered 404 without asking the server, whose
 * single-page fallback would answer index.html.
 */
export function bundledClient(which: keyof typeof BUNDLED, root = appRoot(), doFetch: typeof fetch = (i, init) => fetch(i, init)): HubClient {
  const { id, path: folder, files: names } = BUNDLED[which];
  const prefix = `${root}/${id}/resolve/${REVISION}/`;
  const files = new Set<string>(names);
  return new HubClient({
    repo: id,
    revision: REVISION,
    baseUrl: root,
    cache: new MemoryHubCache(),
    fetch: async (input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      const file = url.startsWith(prefix) ? decodeURIComponent(url.slice(prefix.length)) : null;
      if (file === null || !files.has(file)) return new Response(null, { status: 404, statusText: 'Not Found' });
      return doFetch(`${root}/${folder}/${file}`, init);
    },
  });
}

/** What the app keeps in this browser: the OPFS hub cache and export folders, the IndexedDB checkpoints. */
function browserStorage(checkpoints: () => Promise<IndexedDbCheckpointStorage>): () => Promise<StorageSources> {
  return async () => {
    const storage = (self.navigator as Navigator | undefined)?.storage;
    const opfs = typeof storage?.getDirectory === 'function';
    const cache = await defaultBrowserCache();
    return {
      // Without OPFS the cache lives in memory and is gone with the worker: nothing to list.
      cache: opfs && isInventoryCache(cache) ? cache : null,
      checkpoints: await checkpoints().catch(() => null),
      exports: opfs ? opfsExportFolders(storage) : null,
      estimate: typeof storage?.estimate === 'function' ? () => storage.estimate() : undefined,
      other: opfs ? () => opfsOtherEntries([OPFS_CACHE_DIR, ...Object.values(OPFS_EXPORT_DIRS)], storage) : undefined,
    };
  };
}

export function browserTrainerEnvironment(): TrainerEnvironment {
  // One IndexedDB connection for the inventory (listing it again must not open another each time).
  let inventoryCheckpoints: Promise<IndexedDbCheckpointStorage> | null = null;
  const checkpointsForInventory = () => {
    inventoryCheckpoints ??= IndexedDbCheckpointStorage.open();
    inventoryCheckpoints.catch(() => (inventoryCheckpoints = null));
    return inventoryCheckpoints;
  };
  return {
    async openModel(source, onProgress) {
      if (source.kind === 'local') throw new Error('a local model folder can only be used from the command line (npm run train); in the browser, open the folder with "Open a model folder"');
      if (source.kind === 'files') {
        if (source.keepCopy) await copyModelFiles(await defaultBrowserCache(), source.name, source.files, onProgress);
        return openModelFiles(source.name, source.files);
      }
      if (source.kind === 'stored-folder') return openStoredModel(await defaultBrowserCache(), source.name);
      if (source.kind === 'bundled-tiny') return openHubModel(bundledClient('tiny'), { modelId: TINY_MODEL_ID, baseModelNameOrPath: null, onProgress });
      if (source.kind === 'bundled-demo') return openHubModel(bundledClient('demo'), { modelId: DEMO_MODEL_ID, baseModelNameOrPath: null, onProgress });
      const client = new HubClient({ repo: source.repo, revision: source.revision, token: source.token, baseUrl: source.endpoint, cache: await defaultBrowserCache() });
      return openHubModel(client, { modelId: source.repo, baseModelNameOrPath: source.repo, onProgress });
    },
    async modelConfig(source) {
      if (source.kind === 'bundled-tiny') return readHubConfig(bundledClient('tiny'), TINY_MODEL_ID);
      if (source.kind === 'bundled-demo') return readHubConfig(bundledClient('demo'), DEMO_MODEL_ID);
      if (source.kind === 'hub') return readHubConfig(new HubClient({ repo: source.repo, revision: source.revision, token: source.token, baseUrl: source.endpoint, cache: await defaultBrowserCache() }), source.repo);
      if (source.kind === 'files') {
        const file = source.files.find((f) => f.name === 'config.json');
        if (!file) throw new Error(`the model folder "${source.name}" has no config.json`);
        return checkedGemma3Config(JSON.parse(await file.text()), source.name);
      }
      return (await this.openModel(source, () => {})).config;
    },
    async modelCacheStatus(source) {
      if (source.kind !== 'hub') return { model: source.kind === 'files' || source.kind === 'stored-folder' ? source.name : source.kind, cached: true };
      const client = new HubClient({ repo: source.repo, revision: source.revision, baseUrl: source.endpoint, cache: await defaultBrowserCache() });
      const status = await client.cacheStatus([...MODEL_TEXT_FILES, 'model.safetensors']);
      return { model: source.repo, cached: status.every((s) => s.state === 'complete'), bytes: status.reduce((a, s) => a + s.bytes, 0) };
    },
    async readDataset(source, onProgress) {
      if (source.kind === 'sample') return loadSampleDataset(`${appRoot()}/`);
      if (source.kind === 'upload') return parseUpload(source);
      if (source.kind === 'synthetic') return readSyntheticDataset(source);
      const { datasetId, file } = parseHubDatasetId(source.id);
      return fetchHubDataset({
        datasetId,
        file,
        endpoint: source.endpoint,
        onProgress: (p) => onProgress({ type: 'progress', label: `downloading dataset ${describeSource(source)}`, done: p.loadedBytes, total: p.totalBytes ?? 0, unit: 'bytes' }),
      });
    },
    sqlWorkerFactory: browserWorkerFactory,
    checkpointStorage: () => IndexedDbCheckpointStorage.open(),
    mergedWeightsSink: (bytes) => opfsMergedWeightsSink(bytes),
    onnxExportSinks: (bytes) => opfsOnnxExportSinks(bytes),
    hasWebGPU: () => Boolean((self.navigator as Navigator & { gpu?: unknown }).gpu),
    // A Gemma-3-1B rank-8 checkpoint is ~80 MB (LoRA + AdamW moments): keep the origin's quota in check.
    keepCheckpoints: 3,
    storage: browserStorage(checkpointsForInventory),
  };
}
