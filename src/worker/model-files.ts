/**
 * A model folder opened in the browser (a directory picker, or files dropped on the page): the
 * files are read in place through their File objects, never uploaded nor copied. What a folder
 * must hold: config.json, tokenizer.json, tokenizer_config.json, and model.safetensors or
 * model.safetensors.index.json with every shard it names.
 */
import { BlobByteSource, parseShardIndex, SafetensorsReader, ShardedSafetensorsReader, type TensorReader } from '../model/safetensors';
import { Gemma3Tokenizer } from '../model/tokenizer';
import { filesByName, missingModelFiles } from './model-folder';
import { checkedGemma3Config, type OpenedModel } from './trainer-model';

export { filesByName, missingModelFiles } from './model-folder';

async function readJson(file: File, name: string): Promise<unknown> {
  try {
    return JSON.parse(await file.text());
  } catch (e) {
    throw new Error(`${name}: not valid JSON (${(e as Error).message})`);
  }
}

export async function openModelFiles(folder: string, files: readonly File[]): Promise<OpenedModel> {
  const byName = filesByName(files);
  const missing = missingModelFiles(byName.keys());
  if (missing.length > 0) throw new Error(`the model folder "${folder}" lacks ${missing.join(', ')}: choose the folder save_pretrained wrote (config.json, tokenizer files, safetensors weights)`);
  const file = (name: string) => byName.get(name)!;
  const config = checkedGemma3Config(await readJson(file('config.json'), 'config.json'), `the model folder "${folder}"`);
  const tokenizer = Gemma3Tokenizer.fromJson(await readJson(file('tokenizer.json'), 'tokenizer.json'), await readJson(file('tokenizer_config.json'), 'tokenizer_config.json'));
  let weights: TensorReader;
  if (byName.has('model.safetensors')) weights = await SafetensorsReader.open(new BlobByteSource(file('model.safetensors'), 'model.safetensors'));
  else {
    const index = parseShardIndex(await readJson(file('model.safetensors.index.json'), 'model.safetensors.index.json'));
    const absent = index.shards.filter((s) => !byName.has(s));
    if (absent.length > 0) throw new Error(`the model folder "${folder}" lacks ${absent.length === 1 ? 'the shard' : `${absent.length} shards`} named in model.safetensors.index.json: ${absent.join(', ')}`);
    weights = await ShardedSafetensorsReader.open(index, async (s) => new BlobByteSource(file(s), s));
  }
  return { modelId: folder, baseModelNameOrPath: null, config, weights, tokenizer };
}
