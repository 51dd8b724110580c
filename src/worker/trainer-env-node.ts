/**
 * The trainer's environment in Node (CLI, tests): hub downloads cached in a directory, local model
 * folders, the sample dataset from public/data, checkpoints in a directory, SQL in worker threads.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fetchHubDataset } from '../dataset/hub';
import { parseDatasetText } from '../dataset/parse-rows';
import { SAMPLE_DATASET_PATH } from '../dataset/sample';
import { NodeCheckpointStorage } from '../grpo/checkpoint-node';
import { HubClient } from '../model/hub';
import { parseShardIndex, SafetensorsReader, ShardedSafetensorsReader, type TensorReader } from '../model/safetensors';
import { NodeDirectoryCache, openFileSource } from '../model/storage-node';
import { fileMergedWeightsSink } from '../model/merge-node';
import { DEMO_MODEL_ID, DEMO_MODEL_PATH } from '../model/demo-model';
import { TINY_MODEL_ID } from '../model/tiny-model';
import { DEFAULT_TINY_MODEL_DIR, ensureTinyModel } from '../model/tiny-model-node';
import { Gemma3Tokenizer } from '../model/tokenizer';
import { nodeWorkerFactory } from '../sql/worker-port-node';
import { describeSource, parseHubDatasetId, parseUpload, readSyntheticDataset } from './trainer-data';
import { copyModelFiles, openModelFiles, openStoredModel } from './model-files';
import { checkedGemma3Config, checkTokenizerFits, MODEL_TEXT_FILES, openHubModel, readHubConfig, type OpenedModel } from './trainer-model';
import type { TrainerEnvironment } from './trainer-service';
import { nodeExportFolders } from '../model/export-folders-node';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The demo model committed under public/. */
export const DEFAULT_DEMO_MODEL_DIR = path.join(repoRoot, 'public', DEMO_MODEL_PATH);

export interface NodeEnvironmentOptions {
  /** Hub downloads (default ~/.cache/webgrpo/hub). */
  cacheDir: string;
  checkpointDir: string;
  evalExamples?: number;
  sqlWorkers?: number;
  /** Where a merged model's weights are written (default: <checkpointDir>/../merged). */
  mergedDir?: string;
  /** Where a transformers.js export's ONNX files are written (default: <checkpointDir>/../transformersjs). */
  onnxDir?: string;
}

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
}

/** A model folder as written by save_pretrained: config.json, tokenizer files, (sharded) safetensors. */
export async function openLocalModel(dir: string, modelId = dir, baseModelNameOrPath: string | null = null): Promise<OpenedModel> {
  const [configJson, tokenizerJson, tokenizerConfig] = await Promise.all(MODEL_TEXT_FILES.map((f) => readJson(path.join(dir, f))));
  const config = checkedGemma3Config(configJson, modelId);
  const tokenizer = Gemma3Tokenizer.fromJson(tokenizerJson, tokenizerConfig);
  let weights: TensorReader;
  try {
    weights = await SafetensorsReader.open(await openFileSource(path.join(dir, 'model.safetensors')));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    const index = parseShardIndex(await readJson(path.join(dir, 'model.safetensors.index.json')));
    weights = await ShardedSafetensorsReader.open(index, (file) => openFileSource(path.join(dir, file)));
  }
  const readModelFile = async (name: string) => {
    try {
      return new Uint8Array(await readFile(path.join(dir, name)));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  };
  const model = { modelId, baseModelNameOrPath, config, weights, tokenizer, readFile: readModelFile };
  checkTokenizerFits(model);
  return model;
}

export function nodeTrainerEnvironment(o: NodeEnvironmentOptions): TrainerEnvironment {
  return {
    async openModel(source, onProgress) {
      if (source.kind === 'bundled-tiny') {
        await ensureTinyModel(DEFAULT_TINY_MODEL_DIR);
        return openLocalModel(DEFAULT_TINY_MODEL_DIR, TINY_MODEL_ID, null);
      }
      if (source.kind === 'bundled-demo') return openLocalModel(DEFAULT_DEMO_MODEL_DIR, DEMO_MODEL_ID, null);
      if (source.kind === 'files') {
        if (source.keepCopy) await copyModelFiles(new NodeDirectoryCache(o.cacheDir), source.name, source.files, onProgress);
        return openModelFiles(source.name, source.files);
      }
      if (source.kind === 'stored-folder') return openStoredModel(new NodeDirectoryCache(o.cacheDir), source.name);
      if (source.kind === 'local') return openLocalModel(path.resolve(source.dir), path.resolve(source.dir), null);
      const client = new HubClient({ repo: source.repo, revision: source.revision, token: source.token, baseUrl: source.endpoint, cache: new NodeDirectoryCache(o.cacheDir) });
      return openHubModel(client, { modelId: source.repo, baseModelNameOrPath: source.repo, onProgress });
    },
    async modelConfig(source) {
      if (source.kind === 'hub') return readHubConfig(new HubClient({ repo: source.repo, revision: source.revision, token: source.token, baseUrl: source.endpoint, cache: new NodeDirectoryCache(o.cacheDir) }), source.repo);
      return (await this.openModel(source, () => {})).config;
    },
    async modelCacheStatus(source) {
      if (source.kind !== 'hub') return { model: source.kind === 'local' ? source.dir : source.kind === 'files' || source.kind === 'stored-folder' ? source.name : source.kind, cached: true };
      const client = new HubClient({ repo: source.repo, revision: source.revision, baseUrl: source.endpoint, cache: new NodeDirectoryCache(o.cacheDir) });
      const status = await client.cacheStatus([...MODEL_TEXT_FILES, 'model.safetensors']);
      return { model: source.repo, cached: status.every((s) => s.state === 'complete'), bytes: status.reduce((a, s) => a + s.bytes, 0) };
    },
    async readDataset(source, onProgress) {
      if (source.kind === 'sample') return parseDatasetText(await readFile(path.join(repoRoot, 'public', SAMPLE_DATASET_PATH), 'utf8'), { format: 'json' });
      if (source.kind === 'upload') return parseUpload(source);
      if (source.kind === 'synthetic') return readSyntheticDataset(source);
      const { datasetId, file } = parseHubDatasetId(source.id);
      return fetchHubDataset({
        datasetId,
        file,
        endpoint: source.endpoint,
        cache: new NodeDirectoryCache(o.cacheDir),
        onProgress: (p) => onProgress({ type: 'progress', label: `downloading dataset ${describeSource(source)}`, done: p.loadedBytes, total: p.totalBytes ?? 0, unit: 'bytes' }),
      });
    },
    sqlWorkerFactory: nodeWorkerFactory,
    checkpointStorage: async () => new NodeCheckpointStorage(o.checkpointDir),
    mergedWeightsSink: () => fileMergedWeightsSink(path.join(o.mergedDir ?? path.join(o.checkpointDir, '..', 'merged'), 'model.safetensors')),
    onnxExportSinks: async () => (file) => fileMergedWeightsSink(path.join(o.onnxDir ?? path.join(o.checkpointDir, '..', 'transformersjs'), file)),
    hasWebGPU: () => typeof navigator !== 'undefined' && Boolean((navigator as Navigator & { gpu?: unknown }).gpu),
    evalExamples: o.evalExamples,
    sqlWorkers: o.sqlWorkers,
    // The same inventory as the browser's, over the cache directory, the checkpoint directory and the export folders.
    storage: async () => ({
      cache: new NodeDirectoryCache(o.cacheDir),
      checkpoints: new NodeCheckpointStorage(o.checkpointDir),
      exports: nodeExportFolders({ merged: o.mergedDir ?? path.join(o.checkpointDir, '..', 'merged'), transformersjs: o.onnxDir ?? path.join(o.checkpointDir, '..', 'transformersjs') }),
    }),
  };
}
