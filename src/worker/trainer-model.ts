/**
 * Opening a model for training, the same way for every source: config.json, the tokenizer files
 * and the weights through a HubClient (a hub repo, or the app's own URL for the bundled tiny model;
 * downloads cached, verified, with progress), or the same files from a local folder (Node).
 */
import { notGemma3Text, parseGemma3Config, type Gemma3Config } from '../model/config';
import type { HubClient } from '../model/hub';
import type { TensorReader } from '../model/safetensors';
import { Gemma3Tokenizer } from '../model/tokenizer';
import { MODEL_TEXT_FILES } from './model-folder';
import type { ProgressEvent } from './training-api';

export interface OpenedModel {
  /** What checkpoints record: the hub id, 'webgrpo/tiny-gemma3', or the folder. */
  modelId: string;
  /** base_model_name_or_path of exported adapters (a hub id; null when the model has none). */
  baseModelNameOrPath: string | null;
  config: Gemma3Config;
  weights: TensorReader;
  tokenizer: Gemma3Tokenizer;
  /** Another file of the model's folder (generation_config.json, tokenizer files), null when it has none; for a merged copy. */
  readFile?: (name: string) => Promise<Uint8Array | null>;
}

export { MODEL_TEXT_FILES };

export async function openHubModel(client: HubClient, options: { modelId: string; baseModelNameOrPath: string | null; onProgress?: (e: ProgressEvent) => void }): Promise<OpenedModel> {
  const progress = (label: string) => (p: { loaded: number; total: number | null }) => options.onProgress?.({ type: 'progress', label, done: p.loaded, total: p.total ?? 0, unit: 'bytes' });
  // config.json alone first: a model of another kind is refused before anything else is downloaded.
  const config = await readHubConfig(client, options.modelId, progress(`downloading ${options.modelId} config`));
  await client.download([...MODEL_TEXT_FILES], progress(`downloading ${options.modelId} config and tokenizer`));
  const tokenizer = Gemma3Tokenizer.fromJson(await client.json('tokenizer.json'), await client.json('tokenizer_config.json'));
  // A tokenizer of another model is refused before the weights are downloaded.
  checkTokenizerFits({ config, tokenizer, modelId: options.modelId });
  const weights = await client.openWeights(progress(`downloading ${options.modelId} weights`));
  const readFile = async (name: string) => {
    if (!(await client.exists(name))) return null;
    const source = await client.open(name);
    try {
      return (await source.read(0, source.size)).slice();
    } finally {
      await source.close?.();
    }
  };
  return { modelId: options.modelId, baseModelNameOrPath: options.baseModelNameOrPath, config, weights, tokenizer, readFile };
}

/** A hub model's config.json alone (downloaded and cached; a model of another kind refused). */
export async function readHubConfig(client: HubClient, modelId: string, onProgress?: (p: { loaded: number; total: number | null }) => void): Promise<Gemma3Config> {
  await client.download(['config.json'], onProgress);
  return checkedGemma3Config(await client.json('config.json'), modelId);
}

/** The model's config, or an error that names what the model is when it is not a Gemma-3 text model. */
export function checkedGemma3Config(json: unknown, modelId: string): Gemma3Config {
  const other = notGemma3Text(json);
  if (other !== null) throw new Error(`${modelId} is not a Gemma-3 text model: its config.json describes ${other}. Choose a Gemma-3 model (e.g. unsloth/gemma-3-1b-it)`);
  return parseGemma3Config(json);
}

/** How far a model's vocabulary may run past its tokenizer's ids (checkpoints pad vocab_size, e.g. gemma-3-4b: 262,145 ids, vocab_size 262,208). */
const VOCAB_PADDING = 128;

/**
 * Checks that the tokenizer and the model agree, before any weight is read: text must encode to
 * ids the embedding has rows for (else the first prompt fails), and the model must not sample
 * ids the tokenizer cannot decode (beyond vocab_size padding).
 */
export function checkTokenizerFits(model: Pick<OpenedModel, 'config' | 'tokenizer' | 'modelId'>): void {
  const { special, textVocabSize, vocabSize } = model.tokenizer;
  const v = model.config.vocabSize;
  const other = 'the tokenizer belongs to another model (or the files come from two checkpoints)';
  for (const [name, id] of Object.entries(special)) {
    if (id >= v) throw new Error(`${model.modelId}: tokenizer.json's ${name} id ${id} is outside the model's vocabulary (config.json vocab_size ${v}): ${other}`);
  }
  if (textVocabSize > v) throw new Error(`${model.modelId}: tokenizer.json encodes text to ids up to ${textVocabSize - 1}, but config.json's vocab_size is ${v} (the embedding has no rows for the rest): ${other}`);
  if (v > Math.ceil(vocabSize / VOCAB_PADDING) * VOCAB_PADDING) throw new Error(`${model.modelId}: config.json's vocab_size ${v} is larger than tokenizer.json's ${vocabSize} ids (ids the model samples could not be decoded): ${other}`);
}
