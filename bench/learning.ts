/**
 * Proof of learning: GRPO from the demo model raises execution accuracy on held-out questions about
 * schemas that neither the demo model's training (its recipe's corpus) nor GRPO saw.
 *
 *   npx tsx bench/learning.ts run --mode lora|hints|both|frozen|sft --seed N [--steps 300] [--eval-size 400] [--train-size N] [--out docs/learning] [--config JSON] [--sft-config JSON]
 *   npx tsx bench/learning.ts report [--out docs/learning]
 *   npx tsx bench/learning.ts pass-at-k [--k 8] [--temperature 0.7] [--eval-size 200]
 *
 * One `run` is one (mode, seed): it measures the model before (greedy and sampled at temperature
 * 1), runs GRPO with the app's trainer (the CLI's defaults, TRL names), evaluates greedily along
 * the way for the learning curve, measures again after, and writes <out>/<mode>-seed<N>.json.
 * Mode 'frozen' measures the untouched model the same way (same prompts, same sampling seeds).
 * Mode 'sft' is the supervised control: the same LoRA adapter, learning rate, schedule, steps and
 * training prompts (the trainers share the seeded sampler, so the same prompts in the same order),
 * but each prompt's gold answer instead of sampled answers and rewards: what the same prompts teach
 * when the right answer is handed over, a yardstick for what GRPO gets out of them.
 * `pass-at-k` measures the untouched model's pass@1..k on the same questions (k samples each at a
 * temperature, unbiased estimator): how much of what it can sample GRPO could make its first answer.
 * Runs are separate processes so that they can go in parallel; `report` gathers them into the
 * table and the curves (docs/BENCHMARKS.md, "Learning").
 *
 * The evaluation set: the held-out split (by schema) of the GRPO corpus, minus every question whose
 * schema also occurs in the demo model's training split (regenerated from its manifest), so no
 * schema of the evaluation was seen by either training.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { splitExamples } from '../src/dataset/split';
import { generateSyntheticCorpus, type SyntheticMeta } from '../src/dataset/synthetic';
import type { DatasetExample } from '../src/dataset/types';
import { Generator } from '../src/generate/generator';
import { validateConfig, type GRPOConfig, type GRPOConfigInput } from '../src/grpo/config';
import { DEMO_GRPO_CONFIG } from '../src/grpo/presets';
import { evaluatePolicy } from '../src/grpo/evaluate';
import type { MetricsRow } from '../src/grpo/metrics';
import { Rng } from '../src/common/rng';
import { GrpoTrainer } from '../src/grpo/trainer';
import { applyAdapter } from '../src/grpo/export';
import type { TrainingMode } from '../src/hints/config';
import { DEMO_MODEL_PATH } from '../src/model/demo-model';
import { Gemma3Runner } from '../src/model/gemma3-runner';
import { loraSpecOf } from '../src/model/parity';
import { createLoraAdapter } from '../src/model/peft';
import { PRESETS, RewardRegistry, rewardByName } from '../src/rewards/registry';
import { TensorStore } from '../src/runtime/device';
import { SftTrainer } from '../src/sft/trainer';
import { validateSftConfig, type SFTConfig, type SFTConfigInput } from '../src/sft/config';
import { SqlEvaluator } from '../src/sql/evaluator';
import { nodeWorkerFactory } from '../src/sql/worker-port-node';
import { openLocalModel } from '../src/worker/trainer-env-node';
import type { EvalRecord } from '../src/worker/training-api';

/** The GRPO corpus: other questions and schemas than the demo model's (another seed). */
const GRPO_CORPUS = { size: 6000, seed: 77, heldOut: 700 };
/** Held-out questions measured before and after (the first of the filtered held-out split); --eval-size. */
const EVAL_SIZE = 400;
/** Questions of the along-the-way greedy evaluations (the learning curve). */
const CURVE_SIZE = 100;
const MAX_NEW_TOKENS = 96;
const MAX_PROMPT_LENGTH = 256;
/** Questions generated at once when measuring. */
const MEASURE_BATCH = 16;

/** GRPO settings of the proof: the demo model's preset, as the app and the CLI use it. */
export const LEARNING_CONFIG: GRPOConfigInput = { ...DEMO_GRPO_CONFIG, max_completion_length: MAX_NEW_TOKENS, save_steps: 0 };

interface Measured {
  greedy: number;
  sampled: number;
  greedyByType: Record<string, [number, number]>;
  sampledByType: Record<string, [number, number]>;
  refused: number;
}

/** What a `run` can be (and the order `report` lists them in): a GRPO training mode, the untouched model or the supervised control. */
const RUN_MODES = ['frozen', 'lora', 'hints', 'both', 'sft'] as const satisfies readonly (TrainingMode | 'frozen' | 'sft')[];
type RunMode = (typeof RUN_MODES)[number];

interface RunResult {
  mode: RunMode;
  seed: number;
  steps: number;
  config: GRPOConfigInput;
  /** Mode 'sft': the supervised control's settings. */
  sftConfig?: SFTConfig;
  evalQuestions: number;
  before: Measured;
  after: Measured;
  curve: EvalRecord[];
  metrics: MetricsRow[];
  minutes: number;
  machine: string;
}

function args(argv: string[]): { command: string; flags: Map<string, string> } {
  const [command = '', ...rest] = argv;
  const flags = new Map<string, string>();
  for (let i = 0; i < rest.length; i += 2) {
    if (!rest[i]!.startsWith('--') || rest[i + 1] === undefined) throw new Error(`expected --flag value pairs, got ${rest.slice(i).join(' ')}`);
    flags.set(rest[i]!.slice(2), rest[i + 1]!);
  }
  return { command, flags };
}

/** The evaluation questions: GRPO corpus held-out, minus schemas the demo model trained on. */
async function datasets(modelDir: string, evalSize: number) {
  const manifest = JSON.parse(await readFile(path.join(modelDir, 'manifest.json'), 'utf8')) as { recipe: { seed: number; corpusSize: number; heldOut: number } };
  const sft = generateSyntheticCorpus({ size: manifest.recipe.corpusSize, seed: manifest.recipe.seed });
  const sftSplit = splitExamples(sft.rows.map((r, i) => ({ id: `sft#${i}`, ...r })), { seed: manifest.recipe.seed, heldOut: manifest.recipe.heldOut });
  const seen = new Set(sftSplit.train.map((e) => e.context));
  const corpus = generateSyntheticCorpus({ size: GRPO_CORPUS.size, seed: GRPO_CORPUS.seed });
  const examples = corpus.rows.map((r, i) => ({ id: `synthetic(size=${GRPO_CORPUS.size},seed=${GRPO_CORPUS.seed})#${i}`, ...r }));
  const meta = new Map<string, SyntheticMeta>(examples.map((e, i) => [e.id, corpus.meta[i]!]));
  const split = splitExamples(examples, { seed: GRPO_CORPUS.seed, heldOut: GRPO_CORPUS.heldOut });
  const unseen = split.heldOut.filter((e) => !seen.has(e.context));
  return { train: split.train, evalSet: unseen.slice(0, evalSize), meta, overlap: split.heldOut.length - unseen.length, sftTrainSchemas: seen.size };
}

async function measure(generator: Generator, tokenizer: Parameters<typeof evaluatePolicy>[0]['tokenizer'], examples: DatasetExample[], executor: SqlEvaluator, meta: Map<string, SyntheticMeta>, step: number, hints?: Parameters<typeof evaluatePolicy>[0]['hints']): Promise<Measured> {
  const out = {} as Measured;
  for (const [name, sampling] of [['greedy', undefined], ['sampled', { temperature: 1, topK: 0, topP: 1, seed: 12345 }]] as const) {
    const r = await evaluatePolicy({ generator, tokenizer, examples, executor, step, maxPromptLength: MAX_PROMPT_LENGTH, maxNewTokens: MAX_NEW_TOKENS, batchSize: MEASURE_BATCH, sampling, hints });
    const byType: Record<string, [number, number]> = {};
    for (const x of r.examples) {
      const t = meta.get(x.id)!.type;
      const c = (byType[t] ??= [0, 0]);
      c[0] += x.equivalent ? 1 : 0;
      c[1] += 1;
    }
    out[name] = r.record.execution_accuracy;
    out[`${name}ByType`] = byType;
    out.refused = r.refused.length;
  }
  return out;
}

/** What `run` and `pass-at-k` both start from: the SQL workers, the demo model and the questions (--model, --eval-size). */
async function openBench(flags: Map<string, string>) {
  const modelDir = path.resolve(flags.get('model') ?? path.join('public', DEMO_MODEL_PATH));
  const evalSize = Number(flags.get('eval-size') ?? EVAL_SIZE);
  if (!Number.isInteger(evalSize) || evalSize < 1) throw new Error(`--eval-size must be a positive integer, got ${flags.get('eval-size')}`);
  // SQL workers first: they start slowly once onnxruntime's wasm is being optimised.
  const executor = new SqlEvaluator(nodeWorkerFactory, { size: 2 });
  await executor.warmUp();
  const model = await openLocalModel(modelDir, 'webgrpo/demo-sql-gemma3');
  const data = await datasets(modelDir, evalSize);
  return { executor, model, data };
}

async function run(flags: Map<string, string>): Promise<void> {
  const mode = (flags.get('mode') ?? 'lora') as RunMode;
  if (!RUN_MODES.includes(mode)) throw new Error(`--mode must be one of ${RUN_MODES.join(', ')}, got ${mode}`);
  const seed = Number(flags.get('seed') ?? 1);
  const steps = Number(flags.get('steps') ?? 300);
  const out = path.resolve(flags.get('out') ?? 'docs/learning');
  const t0 = performance.now();
  const log = (s: string) => console.log(`[${((performance.now() - t0) / 60000).toFixed(1).padStart(5)} min] ${s}`);

  const { executor, model, data } = await openBench(flags);
  // --train-size N: GRPO on the first N training questions only (seen many times), evaluated on the held-out set.
  if (flags.has('train-size')) {
    const n = Number(flags.get('train-size'));
    if (!Number.isInteger(n) || n < 1) throw new Error(`--train-size must be a positive integer, got ${flags.get('train-size')}`);
    data.train = data.train.slice(0, n);
  }
  // --overfit N: train and evaluate on the same N training questions (a check that GRPO can learn at all).
  if (flags.has('overfit')) {
    data.train = data.train.slice(0, Number(flags.get('overfit')));
    data.evalSet = data.train;
  }
  log(`${mode} seed ${seed}: GRPO corpus ${data.train.length} train questions; evaluation ${data.evalSet.length} held-out questions (${data.overlap} dropped: schema seen by the demo model's training)`);

  // --config '{"learning_rate": 1e-3}' tries other settings over the preset (recorded in the result).
  const overrides = JSON.parse(flags.get('config') ?? '{}') as GRPOConfigInput;
  const v = validateConfig({ ...LEARNING_CONFIG, max_steps: steps, seed, eval_steps: Math.max(1, Math.round(steps / 6)), ...overrides });
  if (v.errors.length) throw new Error(v.errors.join('; '));
  const config = v.config;
  // --sft-config '{"use_peft": false}': the supervised control on every weight, without an adapter.
  const sftConfig = mode === 'sft' ? sftControlConfig(config, JSON.parse(flags.get('sft-config') ?? '{}') as SFTConfigInput) : undefined;
  const rng = Rng.fromSeed(seed, 'lora-init');
  const adapter = createLoraAdapter(model.config, { r: config.lora_r, alpha: config.lora_alpha, targetModules: config.lora_target_modules, random: () => rng.next() });
  const full = sftConfig?.use_peft === false;
  const runner = await Gemma3Runner.load(model.config, model.weights, await TensorStore.create('wasm'), full ? { lora: { modules: {} }, trainable: 'full' } : { lora: loraSpecOf(adapter) });
  if (!full) applyAdapter(runner, adapter);
  const generator = new Generator(runner);
  const before = await measure(generator, model.tokenizer, data.evalSet, executor, data.meta, 0);
  log(`before: greedy ${(100 * before.greedy).toFixed(1)}%, sampled ${(100 * before.sampled).toFixed(1)}%`);

  let after = before;
  let curve: EvalRecord[] = [];
  let metrics: MetricsRow[] = [];
  if (sftConfig) {
    const trainer = new SftTrainer({
      runner,
      tokenizer: model.tokenizer,
      train: data.train,
      heldOut: data.evalSet,
      executor,
      config: sftConfig,
      modelId: model.modelId,
      evalExamples: CURVE_SIZE,
      evalBatchSize: MEASURE_BATCH,
      evalMaxNewTokens: MAX_NEW_TOKENS,
      onEvent: (e) => {
        if (e.type === 'warmup-metrics' && (e.row.step % 10 === 0 || e.row.step === 1)) log(`step ${e.row.step}/${trainer.totalSteps} loss ${e.row.loss.toFixed(4)} grad_norm ${e.row.grad_norm.toFixed(3)} ${e.row.step_time.toFixed(1)} s`);
        if (e.type === 'warmup-eval') log(`eval at step ${e.record.step}: greedy ${(100 * e.record.execution_accuracy).toFixed(1)}% (${e.record.examples})`);
        if (e.type === 'error' || e.type === 'warning') log(`${e.type}: ${e.message}`);
      },
    });
    const outcome = await trainer.run();
    if (outcome.status !== 'finished') throw new Error(`the supervised control ended ${outcome.status}`);
    curve = [...trainer.evals];
    metrics = [...trainer.metrics];
    after = await measure(generator, model.tokenizer, data.evalSet, executor, data.meta, trainer.step);
  } else if (mode !== 'frozen' && mode !== 'sft') {
    // --rewards name=weight,... tries other reward functions than the default preset.
    const rewardList = flags.has('rewards') ? flags.get('rewards')!.split(',').map((p) => p.split('=')).map(([name, w]) => [name!, Number(w ?? 1)] as const) : Object.entries(PRESETS.default);
    const rewards = new RewardRegistry(rewardList.map(([name, weight]) => ({ reward: rewardByName(name), weight })));
    const trainer = new GrpoTrainer({
      runner,
      tokenizer: model.tokenizer,
      train: data.train,
      heldOut: data.evalSet,
      rewards,
      executor,
      config,
      mode,
      modelId: model.modelId,
      evalExamples: CURVE_SIZE,
      evalBatchSize: MEASURE_BATCH,
      onEvent: (e) => {
        if (e.type === 'metrics' && (e.row.step % 10 === 0 || e.row.step === 1)) log(`step ${e.row.step}/${steps} reward ${e.row.reward?.toFixed(3)} equivalence ${e.row['rewards/execution_equivalence_reward/mean']?.toFixed(3)} zero-std ${e.row.frac_reward_zero_std?.toFixed(2)} loss ${e.row.loss?.toFixed(4) ?? '-'} ${e.row.step_time.toFixed(1)} s`);
        if (e.type === 'eval') log(`eval at step ${e.record.step}: greedy ${(100 * e.record.execution_accuracy).toFixed(1)}% (${e.record.examples})`);
        if (e.type === 'error' || e.type === 'warning') log(`${e.type}: ${e.message}`);
      },
    });
    const outcome = await trainer.run();
    if (outcome.status !== 'finished') throw new Error(`GRPO ended ${outcome.status}`);
    curve = [...trainer.evals];
    metrics = [...trainer.metrics];
    const hints = mode === 'lora' ? undefined : { hints: trainer.hintStore.hints(), budgetTokens: 64 };
    after = await measure(generator, model.tokenizer, data.evalSet, executor, data.meta, steps, hints);
    await trainer.release();
  }
  // 'frozen': greedy decoding and the fixed sampling seed make a second measurement identical.
  log(`after: greedy ${(100 * after.greedy).toFixed(1)}%, sampled ${(100 * after.sampled).toFixed(1)}%`);
  const result: RunResult = {
    mode,
    seed,
    steps: mode === 'frozen' ? 0 : steps,
    config: { ...LEARNING_CONFIG, max_steps: steps, seed, ...overrides },
    sftConfig,
    evalQuestions: data.evalSet.length,
    before,
    after,
    curve,
    metrics,
    minutes: (performance.now() - t0) / 60000,
    machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, wasm backend, load average at the end ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`,
  };
  await mkdir(out, { recursive: true });
  await writeFile(path.join(out, `${mode}-seed${seed}.json`), JSON.stringify(result) + '\n');
  executor.close();
  await generator.release();
  await runner.release();
}

/**
 * The supervised control's settings: GRPO's adapter, optimizer, schedule and steps, one gold answer
 * per GRPO prompt (per_device_train_batch_size × gradient_accumulation_steps / num_generations
 * prompts a step); --sft-config overrides any of them (e.g. more examples a step).
 */
function sftControlConfig(grpo: GRPOConfig, overrides: SFTConfigInput): SFTConfig {
  const v = validateSftConfig({
    learning_rate: grpo.learning_rate,
    lr_scheduler_type: grpo.lr_scheduler_type,
    warmup_ratio: grpo.warmup_ratio,
    warmup_steps: grpo.warmup_steps,
    weight_decay: grpo.weight_decay,
    adam_beta1: grpo.adam_beta1,
    adam_beta2: grpo.adam_beta2,
    adam_epsilon: grpo.adam_epsilon,
    max_grad_norm: grpo.max_grad_norm,
    seed: grpo.seed,
    max_steps: grpo.max_steps,
    per_device_train_batch_size: (grpo.per_device_train_batch_size * grpo.gradient_accumulation_steps) / grpo.num_generations,
    max_prompt_length: grpo.max_prompt_length,
    max_length: grpo.max_prompt_length + grpo.max_completion_length,
    completion_only_loss: true,
    use_peft: true,
    save_steps: 0,
    eval_steps: grpo.eval_steps,
    ...overrides,
  });
  if (v.errors.length) throw new Error(`--sft-config: ${v.errors.join('; ')}`);
  return v.config;
}

/** Unbiased pass@j from n samples of which c are right (Chen et al. 2021): 1 - C(n-c, j) / C(n, j). */
function passAt(n: number, c: number, j: number): number {
  if (n - c < j) return 1;
  let miss = 1;
  for (let i = n - c + 1; i <= n; i++) miss *= 1 - j / i;
  return 1 - miss;
}

async function passAtK(flags: Map<string, string>): Promise<void> {
  const k = Number(flags.get('k') ?? 8);
  const temperature = Number(flags.get('temperature') ?? 0.7);
  if (!Number.isInteger(k) || k < 1) throw new Error(`--k must be a positive integer, got ${flags.get('k')}`);
  if (!(temperature > 0)) throw new Error(`--temperature must be positive, got ${flags.get('temperature')}`);
  const { executor, model, data } = await openBench(flags);
  const runner = await Gemma3Runner.load(model.config, model.weights, await TensorStore.create('wasm'), { lora: { modules: {} } });
  const generator = new Generator(runner);
  const right = new Map<string, number>(data.evalSet.map((e) => [e.id, 0]));
  for (let s = 0; s < k; s++) {
    const r = await evaluatePolicy({ generator, tokenizer: model.tokenizer, examples: data.evalSet, executor, step: 0, maxPromptLength: MAX_PROMPT_LENGTH, maxNewTokens: MAX_NEW_TOKENS, batchSize: MEASURE_BATCH, sampling: { temperature, topK: 0, topP: 1, seed: 1000 + s } });
    for (const x of r.examples) if (x.equivalent) right.set(x.id, right.get(x.id)! + 1);
    console.log(`sample ${s + 1}/${k}: ${pct(r.record.execution_accuracy)} right`);
  }
  const counts = [...right.values()];
  const line = Array.from({ length: k }, (_, j) => `pass@${j + 1} ${pct(counts.reduce((a, c) => a + passAt(k, c, j + 1), 0) / counts.length)}`);
  console.log(`${data.evalSet.length} held-out questions, ${k} samples each at temperature ${temperature}: ${line.join(', ')}`);
  executor.close();
  await generator.release();
  await runner.release();
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const meanStd = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1)) : 0;
  return { m, sd };
};

async function report(flags: Map<string, string>): Promise<void> {
  const out = path.resolve(flags.get('out') ?? 'docs/learning');
  const files = (await readdir(out)).filter((f) => new RegExp(`^(${RUN_MODES.join('|')})-seed\\d+\\.json$`).test(f));
  const results = await Promise.all(files.map(async (f) => JSON.parse(await readFile(path.join(out, f), 'utf8')) as RunResult));
  const lines = ['| mode | seeds | steps | greedy before | greedy after | Δ greedy (mean ± sd) | sampled before | sampled after | Δ sampled (mean ± sd) |', '|---|---|---|---|---|---|---|---|---|'];
  for (const mode of RUN_MODES) {
    const rs = results.filter((r) => r.mode === mode).sort((a, b) => a.seed - b.seed);
    if (!rs.length) continue;
    const dg = meanStd(rs.map((r) => r.after.greedy - r.before.greedy));
    const ds = meanStd(rs.map((r) => r.after.sampled - r.before.sampled));
    const list = (f: (r: RunResult) => number) => rs.map((r) => pct(f(r))).join(' / ');
    lines.push(`| ${mode} | ${rs.map((r) => r.seed).join(', ')} | ${rs[0]!.steps} | ${list((r) => r.before.greedy)} | ${list((r) => r.after.greedy)} | ${(100 * dg.m).toFixed(1)} ± ${(100 * dg.sd).toFixed(1)} pt | ${list((r) => r.before.sampled)} | ${list((r) => r.after.sampled)} | ${(100 * ds.m).toFixed(1)} ± ${(100 * ds.sd).toFixed(1)} pt |`);
  }
  console.log(lines.join('\n'));
  await writeFile(path.join(out, 'summary.md'), lines.join('\n') + '\n');
}

const { command, flags } = args(process.argv.slice(2));
(command === 'run' ? run(flags) : command === 'report' ? report(flags) : command === 'pass-at-k' ? passAtK(flags) : Promise.reject(new Error('usage: bench/learning.ts run --mode M --seed N [--steps S] | report | pass-at-k [--k 8] [--temperature 0.7]'))).then(
  () => process.exit(0),
  (e) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    process.exit(1);
  },
);
