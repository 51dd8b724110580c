/**
 * Exports a Gemma-3 model folder (optionally with a PEFT LoRA adapter merged in) for transformers.js:
 *
 *   npm run export-onnx -- --model DIR [--adapter DIR] --out DIR [--dtype fp32|fp16] [--external-data]
 *
 * Writes --out/onnx/model.onnx (fp32, the default) or --out/onnx/model_fp16.onnx (fp16 weights),
 * with the weights in an external `_data` file when the model would pass 2 GB (or always with
 * --external-data), and config.json (with transformers.js_config), generation_config.json and the
 * tokenizer files. Load it with AutoModelForCausalLM.from_pretrained(--out) in transformers.js.
 * Bad input (missing files, an adapter for another base) exits with status 2.
 */
import path from 'node:path';
import { mibProgress } from './lib/progress';
import { runCli } from './lib/run-cli';
import { Gemma3ConfigError } from '../src/model/config';
import { MergeError } from '../src/model/merge';
import { readAdapterFolder } from '../src/model/merge-node';
import { ONNX_DTYPES, OnnxExportError, type OnnxDtype } from '../src/model/onnx-export';
import { exportOnnxFolder } from '../src/model/onnx-export-node';
import { PeftError } from '../src/model/peft';
import { SafetensorsError } from '../src/model/safetensors';

const USAGE = 'usage: npm run export-onnx -- --model DIR [--adapter DIR] --out DIR [--dtype fp32|fp16] [--external-data]';

interface Args {
  model: string;
  adapter?: string;
  out: string;
  dtype: OnnxDtype;
  external?: boolean;
}

function parseArgs(argv: string[]): Args | string {
  const o: Record<string, string> = {};
  let external: boolean | undefined;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === '--external-data') {
      external = true;
      continue;
    }
    if (!['--model', '--adapter', '--out', '--dtype'].includes(flag)) return `unknown option ${JSON.stringify(flag)}`;
    const value = argv[++i];
    if (value === undefined || value.startsWith('--')) return `${flag} needs a value`;
    o[flag.slice(2)] = value;
  }
  const missing = ['model', 'out'].filter((k) => !o[k]);
  if (missing.length) return `missing ${missing.map((k) => `--${k}`).join(', ')}`;
  const dtype = (o['dtype'] ?? 'fp32') as OnnxDtype;
  if (!ONNX_DTYPES.includes(dtype)) return `--dtype must be one of ${ONNX_DTYPES.join(', ')}, got ${JSON.stringify(o['dtype'])}`;
  return { model: o['model']!, adapter: o['adapter'], out: o['out']!, dtype, external };
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (typeof args === 'string') {
    console.error(`${args}\n${USAGE}`);
    return 2;
  }
  const started = Date.now();
  const adapter = args.adapter ? await readAdapterFolder(args.adapter) : null;
  const result = await exportOnnxFolder({
    modelDir: args.model,
    adapter,
    outDir: args.out,
    dtype: args.dtype,
    external: args.external,
    onProgress: mibProgress('weights'),
  });
  process.stderr.write('\n');
  console.log(`wrote ${path.resolve(args.out)}: ${result.files.join(', ')} (${(result.bytes / 2 ** 20).toFixed(1)} MiB) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return 0;
}

runCli(main, [OnnxExportError, MergeError, PeftError, SafetensorsError, Gemma3ConfigError]);
