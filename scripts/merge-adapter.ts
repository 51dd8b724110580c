/**
 * Merges a PEFT LoRA adapter into its base Gemma-3 and writes the merged model in Hugging Face's
 * layout (what PEFT's merge_and_unload() + save_pretrained() give):
 *
 *   npm run merge-adapter -- --model DIR --adapter DIR --out DIR
 *
 * --model: a model folder (config.json, model.safetensors or its shards, tokenizer files);
 * --adapter: adapter_config.json + adapter_model.safetensors (e.g. what npm run train wrote to --out).
 * Writes --out/model.safetensors (the base's dtype) and copies config.json, generation_config.json and
 * the tokenizer files. Bad input (missing files, an adapter for another base) exits with status 2.
 */
import path from 'node:path';
import { mibProgress } from './lib/progress';
import { runCli } from './lib/run-cli';
import { MergeError } from '../src/model/merge';
import { mergeAdapterFolders } from '../src/model/merge-node';
import { Gemma3ConfigError } from '../src/model/config';
import { PeftError } from '../src/model/peft';
import { SafetensorsError } from '../src/model/safetensors';

const USAGE = 'usage: npm run merge-adapter -- --model DIR --adapter DIR --out DIR';

function parseArgs(argv: string[]): { model: string; adapter: string; out: string } | string {
  const o: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (!['--model', '--adapter', '--out'].includes(flag)) return `unknown option ${JSON.stringify(flag)}`;
    const value = argv[++i];
    if (value === undefined || value.startsWith('--')) return `${flag} needs a folder`;
    o[flag.slice(2)] = value;
  }
  const missing = ['model', 'adapter', 'out'].filter((k) => !o[k]);
  if (missing.length) return `missing ${missing.map((k) => `--${k}`).join(', ')}`;
  return { model: o['model']!, adapter: o['adapter']!, out: o['out']! };
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (typeof args === 'string') {
    console.error(`${args}\n${USAGE}`);
    return 2;
  }
  const started = Date.now();
  const result = await mergeAdapterFolders(args.model, args.adapter, args.out, mibProgress('merging'));
  process.stderr.write('\n');
  console.log(`wrote ${path.resolve(args.out)}: ${result.files.join(', ')} (model.safetensors ${(result.weightBytes / 2 ** 20).toFixed(1)} MiB) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return 0;
}

runCli(main, [MergeError, PeftError, SafetensorsError, Gemma3ConfigError]);
