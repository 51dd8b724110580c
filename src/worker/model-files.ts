/**
 * A model folder opened in the browser (a directory picker, or files dropped on the page): the
 * files are read in place through their File objects, never uploaded. What a folder must hold:
 * config.json, tokenizer.json, tokenizer_config.json, and model.safetensors or
 * model.safetensors.index.json with every shard it names.
 *
 * Only when asked, the model's files are also copied into the hub cache (OPFS in the browser), so
 * that after a reload, which takes the page's access to the folder away, the copy opens instead.
 */
import { LOCAL_FOLDERS_DIR } from '../model/cache-inventory';
import type { HubCache } from '../model/hub-cache';
import { BlobByteSource, parseShardIndex, SafetensorsReader, ShardedSafetensorsReader, type ByteSource, type TensorReader } from '../model/safetensors';
import { isStorageFull, storageFullError, type StorageEstimate } from '../model/storage-quota';
import { Gemma3Tokenizer } from '../model/tokenizer';
import { filesByName, missingModelFiles, MODEL_TEXT_FILES } from './model-folder';
import { checkedGemma3Config, type OpenedModel } from './trainer-model';
import type { ProgressEvent } from './training-api';

export { filesByName, missingModelFiles } from './model-folder';

/** A folder's files by name, wherever they are (File objects, or copies in a cache). */
interface FolderReader {
  has(name: string): Promise<boolean>;
  open(name: string): Promise<ByteSource>;
}

async function readJson(folder: FolderReader, name: string): Promise<unknown> {
  const src = await folder.open(name);
  try {
    return JSON.parse(new TextDecoder().decode(await src.read(0, src.size)));
  } catch (e) {
    throw new Error(`${name}: not valid JSON (${(e as Error).message})`);
  } finally {
    await src.close?.();
  }
}

/** The weight files of a folder: model.safetensors, or the index and the shards it names (missing ones named). */
async function weightFiles(label: string, folder: FolderReader): Promise<string[]> {
  if (await folder.has('model.safetensors')) return ['model.safetensors'];
  const index = parseShardIndex(await readJson(folder, 'model.safetensors.index.json'));
  const absent: string[] = [];
  for (const s of index.shards) if (!(await folder.has(s))) absent.push(s);
  if (absent.length > 0) throw new Error(`${label} lacks ${absent.length === 1 ? 'the shard' : `${absent.length} shards`} named in model.safetensors.index.json: ${absent.join(', ')}`);
  return ['model.safetensors.index.json', ...index.shards];
}

async function openFolder(label: string, modelId: string, folder: FolderReader): Promise<OpenedModel> {
  const present = await Promise.all(['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors', 'model.safetensors.index.json'].map(async (n) => ((await folder.has(n)) ? [n] : [])));
  const missing = missingModelFiles(present.flat());
  if (missing.length > 0) throw new Error(`${label} lacks ${missing.join(', ')}: choose the folder save_pretrained wrote (config.json, tokenizer files, safetensors weights)`);
  const config = checkedGemma3Config(await readJson(folder, 'config.json'), label);
  const tokenizer = Gemma3Tokenizer.fromJson(await readJson(folder, 'tokenizer.json'), await readJson(folder, 'tokenizer_config.json'));
  const files = await weightFiles(label, folder);
  let weights: TensorReader;
  if (files[0] === 'model.safetensors') weights = await SafetensorsReader.open(await folder.open('model.safetensors'), 'model.safetensors');
  else weights = await ShardedSafetensorsReader.open(parseShardIndex(await readJson(folder, 'model.safetensors.index.json')), (s) => folder.open(s));
  return { modelId, baseModelNameOrPath: null, config, weights, tokenizer };
}

function fileReader(files: readonly File[]): FolderReader {
  const byName = filesByName(files);
  return {
    has: async (name) => byName.has(name),
    open: async (name) => {
      const f = byName.get(name);
      if (!f) throw new Error(`no file ${name}`);
      return new BlobByteSource(f, name);
    },
  };
}

export function openModelFiles(folder: string, files: readonly File[]): Promise<OpenedModel> {
  return openFolder(`the model folder "${folder}"`, folder, fileReader(files));
}

/** Where the copy of a folder's file is kept in the cache. */
export function storedFileKey(folder: string, file: string): string {
  return [LOCAL_FOLDERS_DIR, encodeURIComponent(folder), encodeURIComponent(file)].join('/');
}

function cacheReader(cache: HubCache, folder: string): FolderReader {
  return {
    has: async (name) => (await cache.status(storedFileKey(folder, name))).state === 'complete',
    open: async (name) => {
      const src = await cache.open(storedFileKey(folder, name));
      if (!src) throw new Error(`the copy of "${folder}" has no complete ${name}`);
      return src;
    },
  };
}

/** The copy of a folder kept by copyModelFiles (after a reload, when the folder itself is out of reach). */
export async function openStoredModel(cache: HubCache, folder: string): Promise<OpenedModel> {
  if ((await cache.status(storedFileKey(folder, 'config.json'))).state !== 'complete') {
    throw new Error(`no copy of the model folder "${folder}" is kept in this browser: open the folder again`);
  }
  return openFolder(`the copy of the model folder "${folder}"`, folder, cacheReader(cache, folder));
}

/**
 * Copies the model's files of a folder into `cache` (complete, marked like downloads); a file
 * already copied at the same size and modification time is left alone. Storage running out stops
 * with what is needed and free; copied files stay.
 */
export async function copyModelFiles(cache: HubCache, folder: string, files: readonly File[], onProgress?: (e: ProgressEvent) => void, estimate?: () => Promise<StorageEstimate>): Promise<void> {
  const label = `the model folder "${folder}"`;
  const byName = filesByName(files);
  const missing = missingModelFiles(byName.keys());
  if (missing.length > 0) throw new Error(`${label} lacks ${missing.join(', ')}`);
  const optional = ['generation_config.json', 'special_tokens_map.json', 'tokenizer.model'].filter((n) => byName.has(n));
  const names = [...MODEL_TEXT_FILES, ...optional, ...(await weightFiles(label, fileReader(files)))];
  const total = names.reduce((a, n) => a + byName.get(n)!.size, 0);
  let done = 0;
  const report = () => onProgress?.({ type: 'progress', label: `copying ${folder} into site storage (OPFS)`, done, total, unit: 'bytes' });
  for (const name of names) {
    const file = byName.get(name)!;
    const key = storedFileKey(folder, name);
    const identity = { commit: null, etag: `"${file.size}-${file.lastModified}"`, size: file.size };
    const stored = await cache.status(key);
    if (stored.state === 'complete' && stored.etag === identity.etag && stored.bytes === file.size) {
      done += file.size;
      report();
      continue;
    }
    try {
      const writer = await cache.beginWrite(key, 0, identity);
      try {
        const reader = file.stream().getReader();
        for (;;) {
          const { done: end, value } = await reader.read();
          if (end) break;
          await writer.write(value);
          done += value.byteLength;
          report();
        }
      } finally {
        await writer.close();
      }
      await cache.commit(key, identity);
    } catch (e) {
      if (!isStorageFull(e)) throw e;
      const rest = names.slice(names.indexOf(name)).reduce((a, n) => a + byName.get(n)!.size, 0);
      // The file in progress cannot be finished: its bytes are freed, the files before it stay.
      await cache.delete(key);
      throw await storageFullError({ path: name, url: `folder:${folder}`, needed: rest, error: e, estimate, subject: `the copy of "${folder}" (from ${name} on)`, kept: 'the files already copied are kept; the folder itself still opens in place' });
    }
  }
}
