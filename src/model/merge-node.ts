/**
 * Node side of the merge: a base model folder + a PEFT adapter folder (or an adapter in memory) →
 * a merged model folder in Hugging Face's layout. model.safetensors is written under a temporary
 * name and renamed when complete, so a failure never leaves a half file under the real name.
 */
import { existsSync, openAsBlob } from 'node:fs';
import { copyFile, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { parseGemma3Config, type Gemma3Config } from './config';
import { MERGED_COPIED_FILES, MergeError, planMerge, writeMergedWeights, type MergedWeightsSink, type MergeProgress } from './merge';
import { PeftError, readLoraAdapter, type LoraAdapter } from './peft';
import { MemoryByteSource, parseShardIndex, SafetensorsReader, ShardedSafetensorsReader, type TensorReader } from './safetensors';
import { openFileSource } from './storage-node';

async function readJsonFile(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new MergeError(`cannot read ${what} ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new MergeError(`${file} is not JSON: ${(e as Error).message}`);
  }
}

/** A base model folder's config and weights (model.safetensors, or the shards of its index). */
export async function openModelFolder(dir: string): Promise<{ config: Gemma3Config; weights: TensorReader }> {
  if (!existsSync(dir)) throw new MergeError(`model folder ${dir} does not exist`);
  const config = parseGemma3Config(await readJsonFile(path.join(dir, 'config.json'), 'the model config'));
  const single = path.join(dir, 'model.safetensors');
  if (existsSync(single)) return { config, weights: await SafetensorsReader.open(await openFileSource(single)) };
  const indexFile = path.join(dir, 'model.safetensors.index.json');
  if (!existsSync(indexFile)) throw new MergeError(`model folder ${dir} has neither model.safetensors nor model.safetensors.index.json`);
  const index = parseShardIndex(await readJsonFile(indexFile, 'the shard index'));
  return { config, weights: await ShardedSafetensorsReader.open(index, (file) => openFileSource(path.join(dir, file))) };
}

/** adapter_config.json + adapter_model.safetensors of a folder, read (not yet checked against a base). */
export async function readAdapterFolder(dir: string): Promise<LoraAdapter> {
  if (!existsSync(dir)) throw new MergeError(`adapter folder ${dir} does not exist`);
  const json = await readJsonFile(path.join(dir, 'adapter_config.json'), 'the adapter config');
  const weightsFile = path.join(dir, 'adapter_model.safetensors');
  if (!existsSync(weightsFile)) throw new MergeError(`adapter folder ${dir} has no adapter_model.safetensors`);
  const reader = await SafetensorsReader.open(new MemoryByteSource(new Uint8Array(await readFile(weightsFile)), weightsFile));
  return readLoraAdapter(json, reader);
}

export interface MergedFolder {
  /** File names written into the output folder. */
  files: string[];
  /** Size of model.safetensors. */
  weightBytes: number;
}

/** Writes the merged model of `modelDir` and `adapter` into `outDir` (created; must not be the base's folder). */
export async function writeMergedFolder(modelDir: string, adapter: LoraAdapter, outDir: string, onProgress?: (p: MergeProgress) => void): Promise<MergedFolder> {
  if (path.resolve(modelDir) === path.resolve(outDir)) throw new MergeError('the output folder is the base model\'s folder; choose another');
  const { config, weights } = await openModelFolder(modelDir);
  try {
    const plan = planMerge(weights, config, adapter);
    await mkdir(outDir, { recursive: true });
    const sink = await fileMergedWeightsSink(path.join(outDir, 'model.safetensors'));
    try {
      await writeMergedWeights(plan, weights, (bytes) => sink.write(bytes), onProgress);
      await sink.finish();
    } catch (e) {
      await sink.abort();
      throw e;
    }
    const files = ['model.safetensors'];
    for (const f of MERGED_COPIED_FILES) {
      if (!existsSync(path.join(modelDir, f))) continue;
      await copyFile(path.join(modelDir, f), path.join(outDir, f));
      files.push(f);
    }
    return { files, weightBytes: plan.layout.byteLength };
  } finally {
    await weights.close();
  }
}

/** The CLI's whole job: folders in, merged folder out. */
export async function mergeAdapterFolders(modelDir: string, adapterDir: string, outDir: string, onProgress?: (p: MergeProgress) => void): Promise<MergedFolder> {
  let adapter: LoraAdapter;
  try {
    adapter = await readAdapterFolder(adapterDir);
  } catch (e) {
    if (e instanceof PeftError) throw new MergeError(`${adapterDir}: ${e.message}`);
    throw e;
  }
  return writeMergedFolder(modelDir, adapter, outDir, onProgress);
}

/** A merged model.safetensors written to `file` (under a temporary name until finished). */
export async function fileMergedWeightsSink(file: string): Promise<MergedWeightsSink> {
  await mkdir(path.dirname(file), { recursive: true });
  const partial = `${file}.partial-${process.pid}`;
  const handle = await open(partial, 'w');
  return {
    async write(bytes) {
      await handle.write(bytes);
    },
    async finish() {
      await handle.close();
      await rename(partial, file);
      return openAsBlob(file);
    },
    async abort() {
      await handle.close().catch(() => undefined);
      await rm(partial, { force: true });
    },
  };
}
