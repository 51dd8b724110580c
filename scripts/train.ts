/**
 * Headless GRPO training in Node, with the same trainer as the app's engine worker.
 *
 *   npm run train -- [--model <demo|tiny|hub-id|dir>] [--dataset <synthetic|sample|hub-id|file>] [--steps N] [--backend wasm|webgpu]
 *                    [--synthetic-size N] [--synthetic-seed S] [--mode lora|hints|both] [--config file.json] [--set key=value ...] [--out dir]
 *                    [--warmup-steps N] [--warmup-set key=value ...]
 *                    [--rewards default|doc000|doc003|name=weight,...] [--resume checkpoint-id]
 *                    [--eval-examples N] [--cache-dir dir] [--token hf_...] [--endpoint URL] [--save-merged] [--save-onnx]
 *
 * WebGPU in Node comes from dawn.node; on a machine without a GPU adapter the command restarts
 * itself on SwiftShader (the CPU Vulkan of Debian's chromium package), as the parity CLI does.
 *
 * Prints one metrics line per step (stdout; progress and phases go to stderr) and writes into --out:
 * metrics.jsonl, metrics.csv, eval.jsonl, adapter_config.json + adapter_model.safetensors, hints.json
 * (hints modes), checkpoints/, and with --save-merged merged/ (the adapter merged into the base weights,
 * Hugging Face's layout, as npm run merge-adapter writes it). Ctrl-C stops after saving a checkpoint (a second Ctrl-C exits at once).
 */
import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { GRPOConfigInput } from '../src/grpo/config';
import type { SFTConfigInput } from '../src/sft/config';
import { metricsToCSV, metricsToJSONL, type MetricsRow } from '../src/grpo/metrics';
import { isTrainingMode, type TrainingMode } from '../src/hints/config';
import { MAX_SYNTHETIC_SIZE } from '../src/dataset/synthetic';
import { DEMO_GRPO_CONFIG } from '../src/grpo/presets';
import { parseHubEndpoint } from '../src/model/hub-endpoint';
import { WEIGHT_DTYPES, type WeightDtype } from '../src/model/weight-dtype';
import { PRESETS, type PresetName } from '../src/rewards/registry';
import type { DashboardEvent } from '../src/worker/dashboard-api';
import { datasetSourceProblems } from '../src/worker/trainer-data';
import { nodeTrainerEnvironment } from '../src/worker/trainer-env-node';
import { RequestError, TrainerService } from '../src/worker/trainer-service';
import type { DatasetSource, EvalRecord, ModelSource, TrainingRequest } from '../src/worker/training-api';
import { requireNodeWebGPU } from './lib/node-gpu';

const SYNTHETIC_DEFAULTS = { size: 2000, seed: 1 };

const USAGE = `usage: npm run train -- [--model <demo|tiny|hub-id|dir>] [--dataset <synthetic|sample|hub-id|file>] [--steps N] [--backend wasm|webgpu]
  [--synthetic-size N] [--synthetic-seed S] [--mode lora|hints|both] [--config file.json] [--set key=value ...] [--out dir]
  [--warmup-steps N] [--warmup-set key=value ...]
  [--rewards default|doc000|doc003|name=weight,...] [--resume checkpoint-id] [--eval-examples N] [--cache-dir dir] [--token hf_...] [--endpoint URL]
  [--save-merged] [--save-onnx] [--gpu-memory-budget GiB] [--weight-dtype float32|int8]

  --endpoint URL        the hub's base URL for hub models and datasets: a mirror (default: $HF_ENDPOINT, else https://huggingface.co)
  defaults: --model demo (the demo model that ships with the app; its GRPO settings, DEMO_GRPO_CONFIG, apply
            before --config and --set), --dataset synthetic, --backend wasm
  --warmup-steps N      a supervised warm-up (SFT) of the LoRA adapter for N steps before GRPO
  --gpu-memory-budget G GPU memory the run may use, in GiB (default 6): the run takes the largest per_device_train_batch_size
                        (at most the one asked for) and loss-head chunk that fit, and is refused when even the smallest does not
  --weight-dtype D      how the model's frozen weights sit on the GPU: float32 (default) or int8 (8 bits per value of the
                        projections and the embedding, a float32 scale per row: about a quarter of the weights' memory)
  --save-merged         also write <out>/merged/: the adapter merged into the base weights (config, tokenizer, model.safetensors)
  --save-onnx           also write <out>/transformersjs/: the merged model for transformers.js (onnx/model.onnx, config, tokenizer)
  --warmup-set k=v      a warm-up setting under TRL SFTConfig's names (learning_rate, per_device_train_batch_size, ...)

  --dataset synthetic   the seeded synthetic Text-to-SQL corpus: --synthetic-size questions (default ${SYNTHETIC_DEFAULTS.size},
                        at most ${MAX_SYNTHETIC_SIZE}) generated from --synthetic-seed (default ${SYNTHETIC_DEFAULTS.seed}); the same seed gives the same corpus`;

class UsageError extends Error {}

/** --endpoint, else HF_ENDPOINT (as huggingface_hub reads it), checked; {} for the default. */
function cliHubEndpoint(flag: string | undefined, env: string | undefined): { endpoint?: string } {
  const [text, from] = flag !== undefined ? [flag, '--endpoint'] : env !== undefined && env.trim() !== '' ? [env, 'HF_ENDPOINT'] : [undefined, ''];
  if (text === undefined) return {};
  const parsed = parseHubEndpoint(text);
  if ('problem' in parsed) throw new UsageError(`${from}: ${parsed.problem}`);
  return { endpoint: parsed.endpoint };
}

/** A whole number option, as typed. */
function wholeNumber(option: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^-?\d+$/.test(text.trim())) throw new UsageError(`${option} must be a whole number, got ${JSON.stringify(text)}`);
  return Number(text);
}

interface CliOptions {
  model: ModelSource;
  dataset: DatasetSource;
  backend: 'wasm' | 'webgpu';
  mode: TrainingMode;
  config: GRPOConfigInput;
  rewards: { name: string; weight: number }[];
  out: string;
  resume?: string;
  evalExamples: number;
  cacheDir: string;
  warmup?: SFTConfigInput;
  saveMerged: boolean;
  /** Bytes; undefined for the default. */
  gpuMemoryBudget?: number;
  weightDtype?: WeightDtype;
  saveOnnx: boolean;
}

function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text; // a bare string, e.g. --set lr_scheduler_type=linear
  }
}

async function parseArgs(argv: string[]): Promise<CliOptions> {
  const single = new Map<string, string>();
  const sets: string[] = [];
  const warmupSets: string[] = [];
  let saveMerged = false;
  let saveOnnx = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') throw new UsageError(USAGE);
    if (!a.startsWith('--')) throw new UsageError(`unexpected argument ${JSON.stringify(a)}\n${USAGE}`);
    if (a === '--save-merged') {
      saveMerged = true;
      continue;
    }
    if (a === '--save-onnx') {
      saveOnnx = true;
      continue;
    }
    const value = argv[i + 1];
    if (value === undefined || value.startsWith('--')) throw new UsageError(`${a} needs a value\n${USAGE}`);
    i++;
    if (a === '--set') sets.push(value);
    else if (a === '--warmup-set') warmupSets.push(value);
    else if (['--model', '--dataset', '--synthetic-size', '--synthetic-seed', '--steps', '--backend', '--mode', '--config', '--out', '--rewards', '--resume', '--eval-examples', '--cache-dir', '--token', '--endpoint', '--warmup-steps', '--gpu-memory-budget', '--weight-dtype'].includes(a)) single.set(a.slice(2), value);
    else throw new UsageError(`unknown option ${a}\n${USAGE}`);
  }
  const modelArg = single.get('model') ?? 'demo';
  const token = single.get('token') ?? process.env.HF_TOKEN;
  const endpoint = cliHubEndpoint(single.get('endpoint'), process.env.HF_ENDPOINT);
  const model: ModelSource =
    modelArg === 'demo' ? { kind: 'bundled-demo' } : modelArg === 'tiny' ? { kind: 'bundled-tiny' } : existsSync(modelArg) && statSync(modelArg).isDirectory() ? { kind: 'local', dir: path.resolve(modelArg) } : { kind: 'hub', repo: modelArg, ...(token ? { token } : {}), ...endpoint };
  const datasetArg = single.get('dataset') ?? 'synthetic';
  if (datasetArg !== 'synthetic' && (single.has('synthetic-size') || single.has('synthetic-seed'))) throw new UsageError('--synthetic-size and --synthetic-seed go with --dataset synthetic');
  const dataset: DatasetSource =
    datasetArg === 'sample'
      ? { kind: 'sample' }
      : datasetArg === 'synthetic'
        ? { kind: 'synthetic', size: wholeNumber('--synthetic-size', single.get('synthetic-size'), SYNTHETIC_DEFAULTS.size), seed: wholeNumber('--synthetic-seed', single.get('synthetic-seed'), SYNTHETIC_DEFAULTS.seed) }
        : existsSync(datasetArg) && statSync(datasetArg).isFile()
          ? { kind: 'upload', name: path.basename(datasetArg), text: await readFile(datasetArg, 'utf8') }
          : { kind: 'hub', id: datasetArg, ...endpoint };
  const datasetProblems = datasetSourceProblems(dataset);
  if (datasetProblems.length > 0) throw new UsageError(datasetProblems.join('; '));

  const backend = single.get('backend') ?? 'wasm';
  if (backend !== 'wasm' && backend !== 'webgpu') throw new UsageError(`--backend must be wasm or webgpu, got ${backend}`);
  const mode = single.get('mode') ?? 'lora';
  if (!isTrainingMode(mode)) throw new UsageError(`--mode must be lora, hints or both, got ${mode}`);

  // The demo model learns with its own settings (the Gemma-3-1B recipe's are for a model 300× larger).
  let config: Record<string, unknown> = model.kind === 'bundled-demo' ? { ...DEMO_GRPO_CONFIG } : {};
  if (single.has('config')) {
    const file = single.get('config')!;
    try {
      config = { ...config, ...(JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>) };
    } catch (e) {
      throw new UsageError(`--config ${file}: ${(e as Error).message}`);
    }
    if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new UsageError(`--config ${file}: expected a JSON object of GRPOConfig fields`);
  }
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set expects key=value, got ${JSON.stringify(s)}`);
    config[s.slice(0, eq)] = parseValue(s.slice(eq + 1));
  }
  if (single.has('steps')) config.max_steps = parseValue(single.get('steps')!);
  let warmup: Record<string, unknown> | undefined;
  if (single.has('warmup-steps') || warmupSets.length > 0) {
    warmup = {};
    for (const s of warmupSets) {
      const eq = s.indexOf('=');
      if (eq <= 0) throw new UsageError(`--warmup-set expects key=value, got ${JSON.stringify(s)}`);
      warmup[s.slice(0, eq)] = parseValue(s.slice(eq + 1));
    }
    if (single.has('warmup-steps')) warmup.max_steps = parseValue(single.get('warmup-steps')!);
  }

  const rewardsArg = single.get('rewards') ?? 'default';
  const rewards =
    rewardsArg in PRESETS
      ? Object.entries(PRESETS[rewardsArg as PresetName]).map(([name, weight]) => ({ name, weight }))
      : rewardsArg.split(',').map((part) => {
          const [name, w] = part.split('=');
          const weight = w === undefined ? 1 : Number(w);
          if (!name || !Number.isFinite(weight)) throw new UsageError(`--rewards: bad entry ${JSON.stringify(part)} (name=weight)`);
          return { name, weight };
        });
  const evalExamples = Number(single.get('eval-examples') ?? 16);
  if (!Number.isInteger(evalExamples) || evalExamples < 1) throw new UsageError('--eval-examples must be a positive integer');
  const budgetText = single.get('gpu-memory-budget');
  const budgetGiB = budgetText === undefined ? undefined : Number(budgetText);
  if (budgetGiB !== undefined && !(Number.isFinite(budgetGiB) && budgetGiB > 0)) throw new UsageError(`--gpu-memory-budget must be a positive number of GiB, got ${JSON.stringify(budgetText)}`);
  const dtypeText = single.get('weight-dtype');
  if (dtypeText !== undefined && !WEIGHT_DTYPES.includes(dtypeText as WeightDtype)) throw new UsageError(`--weight-dtype must be one of ${WEIGHT_DTYPES.join(', ')}, got ${JSON.stringify(dtypeText)}`);
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return {
    model,
    dataset,
    backend,
    mode,
    config: config as GRPOConfigInput,
    rewards,
    out: path.resolve(single.get('out') ?? path.join('runs', `train-${stamp}`)),
    resume: single.get('resume'),
    evalExamples,
    cacheDir: path.resolve(single.get('cache-dir') ?? path.join(os.homedir(), '.cache', 'webgrpo', 'hub')),
    ...(warmup ? { warmup: warmup as SFTConfigInput } : {}),
    saveMerged,
    ...(budgetGiB !== undefined ? { gpuMemoryBudget: budgetGiB * 2 ** 30 } : {}),
    ...(dtypeText !== undefined ? { weightDtype: dtypeText as WeightDtype } : {}),
    saveOnnx,
  };
}

const fmt = (v: number | undefined, digits = 4) => (v === undefined ? '-' : Number.isFinite(v) ? (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : v.toFixed(digits)) : String(v));

/** One line per step: the numbers a person watches, TRL's names. */
function metricsLine(row: MetricsRow, maxSteps: number): string {
  const parts = [`step ${row.step}/${maxSteps}`];
  for (const [k, d] of [['loss', 4], ['reward', 3], ['reward_std', 3], ['kl', 4], ['clip_ratio/region_mean', 3], ['grad_norm', 4], ['learning_rate', 8], ['completions/mean_length', 1]] as const) {
    if (k in row) parts.push(`${k} ${fmt(row[k], d)}`);
  }
  const t = (k: string) => `${fmt(row[k], 2)}s`;
  parts.push(`gen ${t('timing/generation')} rewards ${t('timing/rewards')} train ${t('timing/training')} step ${t('step_time')}`, `tokens/s ${fmt(row.tokens_per_second, 1)}`);
  return parts.join('  ');
}

async function main(): Promise<number> {
  let o: CliOptions;
  try {
    o = await parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    return e instanceof UsageError && (e as Error).message === USAGE ? 0 : 2;
  }
  if (o.backend === 'webgpu') {
    // Restarts this command on SwiftShader when the machine has no GPU adapter.
    const adapter = await requireNodeWebGPU();
    console.error(`WebGPU adapter: ${[adapter.vendor, adapter.architecture, adapter.description].filter(Boolean).join(' / ')}${adapter.swiftshader ? ' (SwiftShader: CPU emulation, slow)' : ''}`);
  }
  await mkdir(o.out, { recursive: true });
  const service = new TrainerService(nodeTrainerEnvironment({ cacheDir: o.cacheDir, checkpointDir: path.join(o.out, 'checkpoints'), evalExamples: o.evalExamples }));
  const request: TrainingRequest = { model: o.model, dataset: o.dataset, config: o.config, rewards: o.rewards, mode: o.mode, backend: o.backend, ...(o.resume ? { resumeFrom: o.resume } : {}), ...(o.warmup ? { warmup: o.warmup } : {}), ...(o.gpuMemoryBudget ? { gpuMemoryBudget: o.gpuMemoryBudget } : {}), ...(o.weightDtype ? { weightDtype: o.weightDtype } : {}) };
  const maxSteps = Number(o.config.max_steps ?? 50);
  const rows: MetricsRow[] = [];
  const evals: EvalRecord[] = [];
  let lastProgress = '';

  const onEvent = (e: DashboardEvent) => {
    switch (e.type) {
      case 'metrics':
        rows.push(e.row);
        console.log(metricsLine(e.row, maxSteps));
        break;
      case 'warmup-metrics':
        console.log(`warm-up step ${e.row.step}  loss ${fmt(e.row.loss)}  grad_norm ${fmt(e.row.grad_norm)}  learning_rate ${fmt(e.row.learning_rate, 8)}  epoch ${fmt(e.row.epoch, 2)}  ${fmt(e.row.step_time, 2)}s`);
        break;
      case 'warmup-eval':
        console.error(`warm-up eval at step ${e.record.step}: execution_accuracy ${fmt(e.record.execution_accuracy, 3)}  format_compliance ${fmt(e.record.format_compliance, 3)}  (${e.record.examples} held-out examples)`);
        break;
      case 'eval':
        evals.push(e.record);
        console.error(
          `eval at step ${e.record.step}: execution_accuracy ${fmt(e.record.execution_accuracy, 3)}  format_compliance ${fmt(e.record.format_compliance, 3)}  ` +
            `(${e.record.examples} held-out examples; prompts pruned ${e.record.prompts_pruned}, refused ${e.record.prompts_refused})`,
        );
        break;
      case 'phase':
        console.error(`[${e.phase}]${e.message ? ` ${e.message}` : ''}`);
        break;
      case 'progress': {
        // Only the start and end of each progress bar: the CLI is for logs, not animations.
        const key = `${e.label}:${e.done >= e.total && e.total > 0 ? 'done' : e.done === 0 ? 'start' : ''}`;
        if (key !== lastProgress && (key.endsWith(':done') || key.endsWith(':start'))) console.error(`  ${e.label}: ${e.done}${e.total ? `/${e.total}` : ''} ${e.unit}`);
        lastProgress = key;
        break;
      }
      case 'dataset':
        console.error(
          `dataset ${e.source}: ${e.usable}/${e.total} usable rows (${e.skipped} skipped${Object.keys(e.byKind).length ? `: ${JSON.stringify(e.byKind)}` : ''}); split ${e.split?.train} train / ${e.split?.eval} held out` +
            (e.prompts ? `; prompts at max_prompt_length ${e.prompts.maxPromptLength}: ${e.prompts.pruned} of ${e.prompts.checked} pruned, ${e.prompts.refused} refused` : ''),
        );
        break;
      case 'checkpoint':
        console.error(`checkpoint ${e.id} (step ${e.step})`);
        break;
      case 'warning':
        console.error(`warning (step ${e.step}): ${e.message}`);
        break;
      case 'error':
        console.error(`error: ${e.message}`);
        break;
      default:
        break;
    }
  };

  let interrupts = 0;
  process.on('SIGINT', () => {
    if (++interrupts > 1) process.exit(130);
    console.error('stopping after saving a checkpoint (Ctrl-C again to exit now)');
    void service.stop();
  });

  let outcome;
  try {
    outcome = await service.train(request, onEvent);
  } catch (e) {
    if (e instanceof RequestError) return 2; // its problems were printed by the 'error' event
    throw e;
  }
  await writeFile(path.join(o.out, 'metrics.jsonl'), metricsToJSONL(rows));
  await writeFile(path.join(o.out, 'metrics.csv'), metricsToCSV(rows));
  await writeFile(path.join(o.out, 'eval.jsonl'), evals.map((r) => JSON.stringify(r)).join('\n') + (evals.length ? '\n' : ''));
  const exported = service.trainer !== null;
  if (exported) {
    const adapter = await service.exportAdapter();
    await writeFile(path.join(o.out, 'adapter_config.json'), adapter.configJson);
    await writeFile(path.join(o.out, 'adapter_model.safetensors'), adapter.safetensors);
    if (o.mode !== 'lora') await writeFile(path.join(o.out, 'hints.json'), await service.exportHints());
    if (o.saveMerged) {
      // The environment writes merged/model.safetensors itself; the small files come back in memory.
      let shown = 0;
      const merged = await service.exportMergedModel((e) => {
        if (Date.now() - shown < 1000 && e.done < e.total) return;
        shown = Date.now();
        process.stderr.write(`\r${e.label}: ${(e.done / 2 ** 20).toFixed(1)} / ${(e.total / 2 ** 20).toFixed(1)} MiB`);
      });
      process.stderr.write('\n');
      for (const f of merged.files) if (f.data instanceof Uint8Array) await writeFile(path.join(o.out, 'merged', f.name), f.data);
    }
    if (o.saveOnnx) {
      // The environment writes transformersjs/onnx/* itself; config and tokenizer files come back in memory.
      let shown = 0;
      const exported = await service.exportOnnxModel('fp32', (e) => {
        if (Date.now() - shown < 1000 && e.done < e.total) return;
        shown = Date.now();
        process.stderr.write(`\r${e.label}: ${(e.done / 2 ** 20).toFixed(1)} / ${(e.total / 2 ** 20).toFixed(1)} MiB`);
      });
      process.stderr.write('\n');
      for (const f of exported.files) if (f.data instanceof Uint8Array) await writeFile(path.join(o.out, 'transformersjs', f.name), f.data);
    }
  }
  await service.release();
  console.error(`${outcome.status} at step ${outcome.step}; wrote ${path.relative(process.cwd(), o.out) || '.'}/{metrics.jsonl,metrics.csv,eval.jsonl${exported ? `,adapter_config.json,adapter_model.safetensors${o.mode !== 'lora' ? ',hints.json' : ''}${o.saveMerged ? ',merged/' : ''}${o.saveOnnx ? ',transformersjs/' : ''}` : ''},checkpoints/}`);
  return outcome.status === 'finished' ? 0 : outcome.status === 'stopped' ? 130 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    process.exit(1);
  },
);
