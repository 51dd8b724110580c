/**
 * The playground from the command line: one question answered by a model folder's base weights and
 * by a PEFT LoRA adapter (side by side, the same sampling stream), the extracted SQL run in sql.js
 * on the schema's synthetic databases and, with --gold, judged against a reference query.
 *
 *   npm run playground -- --question "How many singers are there?" --schema "CREATE TABLE singer (...)"
 *                         [--model demo|tiny|DIR] [--adapter DIR] [--models base,adapter] [--gold SQL]
 *                         [--temperature 0] [--top-p 1] [--max-new-tokens 128] [--seed 0] [--max-prompt-length 512]
 *
 * --adapter: a folder with adapter_config.json + adapter_model.safetensors (what the dashboard's
 * Export tab, `npm run train` and PEFT's save_pretrained write). Without it only the base runs.
 * Temperature 0 is greedy. Bad input exits with status 2 and says what is wrong.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from './lib/run-cli';
import { Generator } from '../src/generate/generator';
import { applyAdapter, readAdapterFiles } from '../src/grpo/export';
import { Gemma3ConfigError, type Gemma3Config } from '../src/model/config';
import { DEMO_MODEL_PATH } from '../src/model/demo-model';
import { Gemma3Runner } from '../src/model/gemma3-runner';
import { MergeError } from '../src/model/merge';
import { loraSpecOf } from '../src/model/parity';
import { PeftError, type LoraAdapter } from '../src/model/peft';
import { SafetensorsError } from '../src/model/safetensors';
import { TensorStore } from '../src/runtime/device';
import { SqlEvaluator } from '../src/sql/evaluator';
import { nodeWorkerFactory } from '../src/sql/worker-port-node';
import { playgroundProblems, runPlayground } from '../src/worker/playground';
import { openLocalModel } from '../src/worker/trainer-env-node';
import type { PlaygroundModel, PlaygroundRequest } from '../src/worker/training-api';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const USAGE =
  'usage: npm run playground -- --question TEXT --schema "CREATE TABLE ..." [--model demo|tiny|DIR] [--adapter DIR] [--models base,adapter] [--gold SQL] [--temperature 0] [--top-p 1] [--max-new-tokens 128] [--seed 0] [--max-prompt-length 512]';
const FLAGS = ['question', 'schema', 'model', 'adapter', 'models', 'gold', 'temperature', 'top-p', 'max-new-tokens', 'seed', 'max-prompt-length'];

class UsageError extends Error {}

function parseArgs(argv: string[]): Map<string, string> {
  const o = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (!flag.startsWith('--') || !FLAGS.includes(flag.slice(2))) throw new UsageError(`unknown option ${JSON.stringify(flag)}`);
    const value = argv[++i];
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    o.set(flag.slice(2), value);
  }
  return o;
}

function numberFlag(o: Map<string, string>, name: string, fallback: number): number {
  const text = o.get(name);
  if (text === undefined) return fallback;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got ${JSON.stringify(text)}`);
  return n;
}

function modelDir(arg: string): string {
  if (arg === 'demo') return path.join(repoRoot, 'public', DEMO_MODEL_PATH);
  if (arg === 'tiny') return path.join(repoRoot, 'public/models/tiny-gemma3');
  return path.resolve(arg);
}

/** A PEFT adapter folder, checked against the model's shapes (an adapter for another base names its tensor). */
async function readAdapter(dir: string, config: Gemma3Config): Promise<LoraAdapter> {
  for (const f of ['adapter_config.json', 'adapter_model.safetensors']) {
    if (!existsSync(path.join(dir, f))) throw new MergeError(existsSync(dir) ? `adapter folder ${dir} has no ${f}` : `adapter folder ${dir} does not exist`);
  }
  const [configJson, safetensors] = await Promise.all([readFile(path.join(dir, 'adapter_config.json'), 'utf8'), readFile(path.join(dir, 'adapter_model.safetensors'))]);
  return readAdapterFiles({ configJson, safetensors: new Uint8Array(safetensors) }, config);
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  const models = (o.get('models') ?? (o.has('adapter') ? 'base,adapter' : 'base')).split(',').map((m) => m.trim()) as PlaygroundModel[];
  const request: PlaygroundRequest = {
    question: o.get('question') ?? '',
    context: o.get('schema') ?? '',
    ...(o.has('gold') ? { gold: o.get('gold')! } : {}),
    models,
    temperature: numberFlag(o, 'temperature', 0),
    topP: numberFlag(o, 'top-p', 1),
    maxNewTokens: numberFlag(o, 'max-new-tokens', 128),
    seed: numberFlag(o, 'seed', 0),
  };
  const maxPromptLength = numberFlag(o, 'max-prompt-length', 512);
  if (!Number.isInteger(maxPromptLength) || maxPromptLength < 16) throw new UsageError(`--max-prompt-length must be an integer ≥ 16, got ${maxPromptLength}`);
  // Every problem of the request before anything is loaded.
  const problems = playgroundProblems(request, o.has('adapter'));
  if (problems.length) throw new UsageError(problems.join('; '));

  const dir = modelDir(o.get('model') ?? 'demo');
  const model = await openLocalModel(dir, path.basename(dir));
  const adapter = o.has('adapter') ? await readAdapter(path.resolve(o.get('adapter')!), model.config) : null;
  const runner = await Gemma3Runner.load(model.config, model.weights, await TensorStore.create('wasm'), { lora: adapter ? loraSpecOf(adapter) : { modules: {} } });
  if (adapter) applyAdapter(runner, adapter);
  const generator = new Generator(runner);
  const executor = new SqlEvaluator(nodeWorkerFactory, { size: 1 });
  try {
    const result = await runPlayground({ generator, tokenizer: model.tokenizer, executor, maxPromptLength, hasAdapter: adapter !== null, adapterLabel: adapter ? o.get('adapter')! : undefined }, request);
    console.log(`prompt: ${result.promptTokens} tokens${result.prunedTables.length ? ` (tables pruned to fit: ${result.prunedTables.join(', ')})` : ''}`);
    for (const out of result.outputs) {
      console.log(`\n== ${out.model}${out.adapterLabel ? ` (${out.adapterLabel})` : ''}: ${out.tokens} tokens in ${(out.ms / 1000).toFixed(1)} s${out.finished ? '' : ' (cut at --max-new-tokens)'}`);
      console.log(out.text);
      console.log(`-- SQL: ${out.sql ?? '(none found)'}`);
      const ex = out.execution;
      if (ex?.error) console.log(`-- did not run: ${ex.error}`);
      else if (ex) {
        console.log(`-- result on the first synthetic database: ${ex.columns.join(' | ')}`);
        for (const row of ex.rows.slice(0, 10)) console.log(`   ${row.map((v) => String(v)).join(' | ')}`);
        if (ex.rows.length > 10) console.log(`   … ${ex.rows.length - 10} more rows`);
        if (ex.equivalent !== undefined) console.log(`-- against --gold: ${ex.equivalent ? 'equivalent on every database' : 'different'}`);
      }
    }
  } finally {
    executor.close();
    await generator.release();
    await runner.release();
  }
  return 0;
}

runCli(main, [UsageError, MergeError, PeftError, SafetensorsError, Gemma3ConfigError], { error: UsageError, text: USAGE });
