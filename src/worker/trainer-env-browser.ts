/**
 * The trainer's environment in the browser's engine worker: hub downloads cached in OPFS, the
 * bundled tiny model and the sample dataset from the app's own URL, checkpoints in IndexedDB, SQL in
 * web workers.
 */
import { fetchHubDataset } from '../dataset/hub';
import { loadSampleDataset } from '../dataset/sample';
import { IndexedDbCheckpointStorage } from '../grpo/checkpoint-idb';
import { defaultBrowserCache, HubClient, MemoryHubCache } from '../model/hub';
import { TINY_MODEL_FILES, TINY_MODEL_ID, TINY_MODEL_PATH } from '../model/tiny-model';
import { browserWorkerFactory } from '../sql/worker-port-browser';
import { describeSource, parseHubDatasetId, parseUpload, readSyntheticDataset } from './trainer-data';
import { MODEL_TEXT_FILES, openHubModel } from './trainer-model';
import type { TrainerEnvironment } from './trainer-service';

const REVISION = 'main';

/** The app's root URL (Vite's base) as seen from this worker, without a trailing slash. */
function appRoot(): string {
  return new URL(import.meta.env.BASE_URL ?? '/', self.location.origin).href.replace(/\/+$/, '');
}

/**
 * A HubClient for the bundled tiny model: the same download, verification and loading code as a
 * hub repo, with resolve URLs mapped onto <app>/models/tiny-gemma3/. Only the model's own files
 * exist there; anything else (e.g. a shard index) is answered 404 without asking the server, whose
 * single-page fallback would answer index.html.
 */
export function bundledTinyClient(root = appRoot(), doFetch: typeof fetch = (i, init) => fetch(i, init)): HubClient {
  const prefix = `${root}/${TINY_MODEL_ID}/resolve/${REVISION}/`;
  const files = new Set<string>(TINY_MODEL_FILES);
  return new HubClient({
    repo: TINY_MODEL_ID,
    revision: REVISION,
    baseUrl: root,
    cache: new MemoryHubCache(),
    fetch: async (input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      const file = url.startsWith(prefix) ? decodeURIComponent(url.slice(prefix.length)) : null;
      if (file === null || !files.has(file)) return new Response(null, { status: 404, statusText: 'Not Found' });
      return doFetch(`${root}/${TINY_MODEL_PATH}/${file}`, init);
    },
  });
}

export function browserTrainerEnvironment(): TrainerEnvironment {
  return {
    async openModel(source, onProgress) {
      if (source.kind === 'local') throw new Error('a local model folder can only be used from the command line (npm run train); in the browser, choose a hub model or the bundled tiny model');
      if (source.kind === 'bundled-tiny') return openHubModel(bundledTinyClient(), { modelId: TINY_MODEL_ID, baseModelNameOrPath: null, onProgress });
      const client = new HubClient({ repo: source.repo, revision: source.revision, token: source.token, cache: await defaultBrowserCache() });
      return openHubModel(client, { modelId: source.repo, baseModelNameOrPath: source.repo, onProgress });
    },
    async modelCacheStatus(source) {
      if (source.kind !== 'hub') return { model: 'bundled-tiny', cached: true };
      const client = new HubClient({ repo: source.repo, revision: source.revision, cache: await defaultBrowserCache() });
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
        onProgress: (p) => onProgress({ type: 'progress', label: `downloading dataset ${describeSource(source)}`, done: p.loadedBytes, total: p.totalBytes ?? 0, unit: 'bytes' }),
      });
    },
    sqlWorkerFactory: browserWorkerFactory,
    checkpointStorage: () => IndexedDbCheckpointStorage.open(),
    hasWebGPU: () => Boolean((self.navigator as Navigator & { gpu?: unknown }).gpu),
    // A Gemma-3-1B rank-8 checkpoint is ~80 MB (LoRA + AdamW moments): keep the origin's quota in check.
    keepCheckpoints: 3,
  };
}
