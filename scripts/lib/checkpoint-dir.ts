/**
 * Opens a Hugging Face checkpoint directory (config.json + model.safetensors, or shards behind
 * model.safetensors.index.json) and a PEFT adapter directory from local disk, with errors that say
 * which file is missing or malformed.
 */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseGemma3Config, type Gemma3Config } from '../../src/model/config';
import { readLoraAdapter, type LoraAdapter } from '../../src/model/peft';
import { parseShardIndex, SafetensorsReader, ShardedSafetensorsReader, type TensorReader } from '../../src/model/safetensors';
import { openFileSource } from '../../src/model/storage-node';

export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

function requireDir(dir: string, what: string): void {
  if (!existsSync(dir)) throw new InputError(`${what} directory ${dir} does not exist`);
  if (!statSync(dir).isDirectory()) throw new InputError(`${what} ${dir} is not a directory`);
}

/** Reads and parses a JSON file, naming it in every error. */
export async function readJsonFile(file: string, what: string): Promise<unknown> {
  if (!existsSync(file)) throw new InputError(`${what} ${file} does not exist`);
  const text = await readFile(file, 'utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InputError(`${what} ${file} is not valid JSON: ${(e as Error).message}`);
  }
}

/** Wraps an error from a parser so the message names the file it came from. */
async function inFile<T>(file: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`${file}: ${(e as Error).message}`);
  }
}

export interface OpenedModel {
  cfg: Gemma3Config;
  reader: TensorReader;
  /** The weight files read (one, or the shards in index order). */
  files: string[];
}

export async function openModelDir(dir: string): Promise<OpenedModel> {
  requireDir(dir, 'model');
  const configFile = path.join(dir, 'config.json');
  const json = await readJsonFile(configFile, 'model config');
  const cfg = await inFile(configFile, async () => parseGemma3Config(json));
  const single = path.join(dir, 'model.safetensors');
  const indexFile = path.join(dir, 'model.safetensors.index.json');
  if (existsSync(single)) {
    return { cfg, reader: await inFile(single, async () => SafetensorsReader.open(await openFileSource(single))), files: [single] };
  }
  if (existsSync(indexFile)) {
    const index = await inFile(indexFile, async () => parseShardIndex(await readJsonFile(indexFile, 'shard index'), indexFile));
    for (const shard of index.shards) {
      if (!existsSync(path.join(dir, shard))) throw new InputError(`${indexFile} lists shard ${shard}, which is not in ${dir}`);
    }
    const reader = await inFile(indexFile, () => ShardedSafetensorsReader.open(index, (f) => openFileSource(path.join(dir, f))));
    return { cfg, reader, files: index.shards.map((s) => path.join(dir, s)) };
  }
  throw new InputError(`model directory ${dir} has neither model.safetensors nor model.safetensors.index.json`);
}

export async function openAdapterDir(dir: string, cfg: Gemma3Config): Promise<LoraAdapter> {
  requireDir(dir, 'adapter');
  const configFile = path.join(dir, 'adapter_config.json');
  const weightsFile = path.join(dir, 'adapter_model.safetensors');
  const json = await readJsonFile(configFile, 'adapter config');
  if (!existsSync(weightsFile)) throw new InputError(`adapter weights ${weightsFile} do not exist`);
  const reader = await inFile(weightsFile, async () => SafetensorsReader.open(await openFileSource(weightsFile)));
  try {
    return await inFile(dir, () => readLoraAdapter(json, reader, cfg));
  } finally {
    await reader.close();
  }
}
