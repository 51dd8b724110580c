/**
 * The GRPO trainer end to end on wasm: the shipped tiny model (real Gemma-3 tokenizer, random
 * weights), the shipped sample dataset, the real SQL worker pool. Reference values are recomputed
 * here in float64 from what the step read back (log-probs, weights, advantages), not taken from the
 * trainer's own arithmetic.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCheckpoint, MemoryCheckpointStorage, type CheckpointState } from '../../../src/grpo/checkpoint';
import type { GRPOConfig, GRPOConfigInput } from '../../../src/grpo/config';
import { applyAdapter, exportAdapter, readAdapterFiles } from '../../../src/grpo/export';
import type { MetricsRow } from '../../../src/grpo/metrics';
import { GrpoTrainer, restoreLora, type TrainerHooks, type TrainerOptions } from '../../../src/grpo/trainer';
import { loraSpecOf } from '../../../src/model/parity';
import { RewardRegistry, rewardByName } from '../../../src/rewards/registry';
import { SqlEvaluator } from '../../../src/sql/evaluator';
import { nodeWorkerFactory } from '../../../src/sql/worker-port-node';
import type { GroupRecord, TrainingEvent } from '../../../src/worker/training-api';
import { relL2 } from '../../support/random';
import { config, gemmaTokenizer, sampleSplit, tinyRunner, varietyReward } from './tiny-setup';

const BASE: GRPOConfigInput = {
  num_generations: 2,
  per_device_train_batch_size: 4,
  gradient_accumulation_steps: 1,
  max_completion_length: 8,
  lora_r: 2,
  lora_alpha: 4,
  learning_rate: 0.02,
  lr_scheduler_type: 'constant',
  warmup_ratio: 0,
  eval_steps: 0,
  save_steps: 0,
  seed: 5,
};
const TIMING = /^(step_time|tokens_per_second|timing\/)/;
const comparable = (row: MetricsRow) => Object.fromEntries(Object.entries(row).filter(([k]) => !TIMING.test(k)));

let executor: SqlEvaluator;
let data: Awaited<ReturnType<typeof sampleSplit>>;

function registry(varietyWeight = 1): RewardRegistry {
  return new RewardRegistry([
    { reward: varietyReward(), weight: varietyWeight },
    { reward: rewardByName('execution_equivalence_reward'), weight: 2 },
  ]);
}

interface Run {
  trainer: GrpoTrainer;
  events: TrainingEvent[];
  micro: Parameters<NonNullable<TrainerHooks['onMicroBatch']>>[0][];
  grads: Map<number, Map<string, Float32Array>>;
}

async function makeRun(c: GRPOConfig, extra: Partial<TrainerOptions> = {}, onEvent?: (e: TrainingEvent, run: Run) => void): Promise<Run> {
  const { runner } = await tinyRunner('wasm', c);
  if (extra.resume) restoreLora(runner, extra.resume);
  const run = { events: [], micro: [], grads: new Map() } as unknown as Run;
  run.trainer = new GrpoTrainer({
    runner,
    tokenizer: gemmaTokenizer(),
    train: data.train,
    heldOut: data.heldOut,
    rewards: registry(),
    executor,
    config: c,
    mode: 'lora',
    modelId: 'webgrpo/tiny-gemma3',
    runId: 'test',
    hooks: {
      onMicroBatch: (info) => run.micro.push({ ...info, logprobs: info.logprobs.slice() }),
      onGradients: (step, g) => run.grads.set(step, g),
    },
    onEvent: (e) => {
      run.events.push(e);
      onEvent?.(e, run);
    },
    ...extra,
  });
  return run;
}

const metricsOf = (run: Run) => run.events.flatMap((e) => (e.type === 'metrics' ? [e.row] : []));
const phasesOf = (run: Run) => run.events.flatMap((e) => (e.type === 'phase' ? [e.phase] : []));

beforeAll(async () => {
  gemmaTokenizer();
  data = await sampleSplit();
  executor = new SqlEvaluator(nodeWorkerFactory, { size: 1 });
}, 120_000);
afterAll(() => executor?.close());

describe('GrpoTrainer (tiny model, wasm)', () => {
  // num_iterations 2 (the second step reuses the completions: ratio != 1, PPO clipping) and beta > 0
  // (reference log-probs with the LoRA off).
  const cfgA = config({ ...BASE, num_iterations: 2, beta: 0.05, epsilon: 0.1, max_steps: 3, save_steps: 1 });
  let runA: Run;
  let storageA: MemoryCheckpointStorage;
  let initial: CheckpointState;

  beforeAll(async () => {
    storageA = new MemoryCheckpointStorage();
    runA = await makeRun(cfgA, { checkpoints: storageA });
    initial = await runA.trainer.checkpointState();
    const outcome = await runA.trainer.run();
    expect(outcome).toEqual({ status: 'finished', step: 3 });
  }, 300_000);

  it('changes the LoRA, and its advantages and loss match a float64 recomputation', async () => {
    const saved = await storageA.list();
    expect(saved.map((c) => c.step)).toEqual([1, 2, 3]);
    const after1 = await decodeCheckpoint(await storageA.load(saved[0].id));
    // PEFT init: B starts at 0; one update moves every A and B.
    for (const [key, t] of initial.lora) {
      if (key.endsWith('.B')) expect(t.values.every((v) => v === 0)).toBe(true);
      expect(relL2(after1.lora.get(key)!.values, t.values), key).toBeGreaterThan(key.endsWith('.B') ? 0.5 : 1e-6);
    }
    expect(after1.adamStep).toBe(1);

    // Advantages: (r - mean) / (unbiased std + 1e-4) within each group of 2, from the rewards shown.
    const groups = runA.events.flatMap((e) => (e.type === 'groups' ? e.groups : [])) as GroupRecord[];
    expect(groups.length).toBe(4); // 2 generations x 2 prompts each
    for (const g of groups) {
      const totals = g.completions.map((c) => c.rewards.character_variety * 1 + c.rewards.execution_equivalence_reward * 2);
      g.completions.forEach((c, i) => expect(c.total).toBeCloseTo(totals[i], 12));
      const mean = totals.reduce((a, b) => a + b, 0) / totals.length;
      const std = Math.sqrt(totals.reduce((a, r) => a + (r - mean) ** 2, 0) / (totals.length - 1));
      g.completions.forEach((c, i) => expect(c.advantage).toBeCloseTo((totals[i] - mean) / (std + 1e-4), 9));
    }

    // Loss: the clipped surrogate with the k3 KL term, weighted, summed (float64 here).
    expect(runA.micro.length).toBe(3);
    const metrics = metricsOf(runA);
    let sawRatioOff = false;
    runA.micro.forEach((m, k) => {
      const { weights, advantages, mask } = m.microBatch;
      let loss = 0;
      let scale = 0;
      let low = 0;
      let high = 0;
      let kl = 0;
      let n = 0;
      for (let i = 0; i < weights.length; i++) {
        if (!mask[i]) continue;
        const lp = m.logprobs[i];
        const old = m.oldLogp![i];
        const ref = m.refLogp![i];
        const ratio = Math.exp(lp - old);
        if (Math.abs(ratio - 1) > 1e-3) sawRatioOff = true;
        const clipped = Math.min(Math.max(ratio, 1 - 0.1), 1 + 0.1);
        const a = advantages[i];
        const d = ref - lp;
        const perToken = -Math.min(ratio * a, clipped * a) + 0.05 * (Math.exp(d) - d - 1);
        loss += weights[i] * perToken;
        scale += Math.abs(weights[i] * perToken);
        if (ratio < 0.9 && a < 0) low++;
        if (ratio > 1.1 && a > 0) high++;
        kl += Math.exp(d) - d - 1;
        n++;
      }
      expect(Math.abs(m.loss - loss)).toBeLessThanOrEqual(1e-5 * scale + 1e-7);
      expect(metrics[k].loss).toBe(m.loss);
      expect(metrics[k].kl).toBeCloseTo(kl / n, 5);
      expect(metrics[k]['clip_ratio/low_mean']).toBeCloseTo(low / n, 9);
      expect(metrics[k]['clip_ratio/high_mean']).toBeCloseTo(high / n, 9);
    });
    // Steps 1 and 3 generate (old = current policy: ratio exactly 1); step 2 reuses step 1's completions.
    expect(runA.micro.map((m) => m.iteration)).toEqual([0, 1, 0]);
    expect(sawRatioOff).toBe(true);
    for (const row of metrics) {
      expect(Number.isFinite(row.grad_norm)).toBe(true);
      expect(row.learning_rate).toBe(0.02);
    }
    expect(metrics.map((r) => r.num_tokens)).toEqual([metrics[0].num_tokens, metrics[0].num_tokens, metrics[2].num_tokens]);
  });

  it('resumes from a checkpoint bit-identically (mid num_iterations, with the reused batch)', async () => {
    const first = (await storageA.list())[0];
    const state = await decodeCheckpoint(await storageA.load(first.id));
    expect(state.pendingBatch?.uses).toBe(1);
    const runB = await makeRun(state.config, { resume: state, checkpoints: new MemoryCheckpointStorage() });
    expect(await runB.trainer.run()).toEqual({ status: 'finished', step: 3 });
    const a = metricsOf(runA).map(comparable);
    const b = metricsOf(runB).map(comparable);
    // The resumed run first replays step 1's row from the checkpoint, then computes steps 2 and 3.
    expect(b).toEqual(a);
    const endA = await runA.trainer.checkpointState();
    const endB = await runB.trainer.checkpointState();
    for (const [key, t] of endA.lora) expect(Buffer.from(endB.lora.get(key)!.values.buffer).equals(Buffer.from(t.values.buffer)), key).toBe(true);
    for (const [key, m] of endA.adamV) expect(Buffer.from(endB.adamV.get(key)!.buffer).equals(Buffer.from(m.buffer)), key).toBe(true);
  }, 300_000);

  it('pauses and resumes between phases, stops mid-generation keeping the last complete step, and resumes from there identically', async () => {
    const storage = new MemoryCheckpointStorage();
    let paused = false;
    const runC = await makeRun({ ...cfgA, save_steps: 0 }, { checkpoints: storage }, (e, run) => {
      if (e.type === 'phase' && e.phase === 'training' && !paused) {
        paused = true;
        run.trainer.pause();
      }
      if (e.type === 'phase' && e.phase === 'paused') setTimeout(() => run.trainer.resume(), 50);
      // Step 3 generates: stop after its first token.
      if (e.type === 'progress' && e.label === 'generating step 3' && e.done === 1) run.trainer.stop();
    });
    expect(await runC.trainer.run()).toEqual({ status: 'stopped', step: 2 });
    const phases = phasesOf(runC);
    // Paused as training began: it waits before its first micro-batch, then goes on.
    expect(phases.slice(0, 5)).toEqual(['generating', 'scoring', 'training', 'paused', 'training']);
    expect(phases.at(-1)).toBe('stopped');
    expect(metricsOf(runC).map(comparable)).toEqual(metricsOf(runA).slice(0, 2).map(comparable));
    // The stop saved step 2, with the RNG and prompt order as they were before step 3 began.
    const [saved] = await storage.list();
    expect(saved.step).toBe(2);
    const state = await decodeCheckpoint(await storage.load(saved.id));
    const runD = await makeRun(state.config, { resume: state });
    expect(await runD.trainer.run()).toEqual({ status: 'finished', step: 3 });
    expect(comparable(metricsOf(runD).at(-1)!)).toEqual(comparable(metricsOf(runA)[2]));
  }, 300_000);

  it('sums gradients over 2 micro-batches to those of one batch of the same completions', async () => {
    const two = await makeRun(config({ ...BASE, per_device_train_batch_size: 2, gradient_accumulation_steps: 2, max_steps: 1 }));
    const one = await makeRun(config({ ...BASE, per_device_train_batch_size: 4, gradient_accumulation_steps: 1, max_steps: 1 }));
    await two.trainer.run();
    await one.trainer.run();
    expect(two.micro.length).toBe(2);
    expect(one.micro.length).toBe(1);
    const g2 = two.grads.get(1)!;
    const g1 = one.grads.get(1)!;
    expect([...g2.keys()].sort()).toEqual([...g1.keys()].sort());
    let norm = 0;
    for (const [key, g] of g1) {
      norm += g.reduce((a, v) => a + v * v, 0);
      expect(relL2(g2.get(key)!, g), key).toBeLessThan(1e-5);
    }
    expect(Math.sqrt(norm)).toBeGreaterThan(1e-4); // a real gradient, not zeros on both sides
    expect(comparable(metricsOf(two)[0]).loss).toBeCloseTo(comparable(metricsOf(one)[0]).loss as number, 6);
  }, 300_000);

  it('skips a step whose loss or gradient norm is not finite, leaving LoRA and AdamW state bit-identical', async () => {
    const c = config({ ...BASE, scale_rewards: 'none', max_steps: 3 });
    const rewards = registry();
    const run = await makeRun(c, { rewards });
    await run.trainer.trainStep();
    const same = async (before: CheckpointState) => {
      const after = await run.trainer.checkpointState();
      for (const [key, t] of before.lora) expect(Buffer.from(after.lora.get(key)!.values.buffer).equals(Buffer.from(t.values.buffer)), key).toBe(true);
      for (const map of ['adamM', 'adamV'] as const) for (const [key, t] of before[map]) expect(Buffer.from(after[map].get(key)!.buffer).equals(Buffer.from(t.buffer)), key).toBe(true);
      expect(after.adamStep).toBe(before.adamStep);
    };
    // Advantages beyond float32 range: the loss is not finite.
    rewards.setWeight('character_variety', 1e40);
    let before = await run.trainer.checkpointState();
    const row2 = await run.trainer.trainStep();
    expect(Number.isFinite(row2.loss)).toBe(false);
    await same(before);
    // Advantages near 1e29: a finite loss, but the squared gradient norm overflows.
    rewards.setWeight('character_variety', 1e29);
    before = await run.trainer.checkpointState();
    const row3 = await run.trainer.trainStep();
    expect(Number.isFinite(row3.loss)).toBe(true);
    expect(Number.isFinite(row3.grad_norm)).toBe(false);
    await same(before);
    const warnings = run.events.flatMap((e) => (e.type === 'warning' ? [e] : []));
    expect(warnings.map((w) => w.step)).toEqual([2, 3]);
    expect(warnings[0].message).toMatch(/loss is (NaN|-?Infinity)/);
    expect(warnings[1].message).toMatch(/grad_norm is (NaN|Infinity)/);
  }, 300_000);

  it('stops with an error when the GPU device is lost; the last checkpoint stays loadable', async () => {
    const storage = new MemoryCheckpointStorage();
    let lose: ((info: { message: string }) => void) | undefined;
    const run = await makeRun(
      config({ ...BASE, max_steps: 3, save_steps: 1 }),
      { checkpoints: storage, onDeviceLost: (listener) => ((lose = listener), () => (lose = undefined)) },
      (e) => {
        if (e.type === 'progress' && e.label === 'generating step 2' && e.done === 2) lose?.({ message: 'device destroyed' });
      },
    );
    const outcome = await run.trainer.run();
    expect(outcome.status).toBe('failed');
    expect(outcome.step).toBe(1);
    const errors = run.events.flatMap((e) => (e.type === 'error' ? [e.message] : []));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/GPU device was lost \(device destroyed\).*last checkpoint \(step 1\) is intact/);
    expect(phasesOf(run).at(-1)).toBe('failed');
    expect((await storage.list()).map((c) => c.step)).toEqual([1]);
    const state = await decodeCheckpoint(await storage.load((await storage.list())[0].id));
    expect(state.step).toBe(1);
  }, 300_000);

  it('exports a PEFT adapter that reproduces the trained logits in a fresh runner', async () => {
    const trained = runA.trainer as unknown as { o: TrainerOptions };
    const files = await exportAdapter(trained.o.runner, { baseModelNameOrPath: 'webgrpo/tiny-gemma3' });
    const adapter = await readAdapterFiles(files, trained.o.runner.cfg);
    const { runner: fresh } = await tinyRunner('wasm', cfgA, adapter);
    applyAdapter(fresh, adapter);
    expect(loraSpecOf(adapter)).toEqual(trained.o.runner.options.lora);
    const ids = gemmaTokenizer().applyChatTemplate([{ role: 'user', content: 'How many heads of the departments are older than 56?' }], { addGenerationPrompt: true });
    const batch = { inputIds: [ids], attentionMask: [ids.map(() => 1)] };
    const want = await trained.o.runner.logits(batch);
    const got = await fresh.logits(batch);
    expect(relL2(got, want)).toBeLessThan(1e-6);
    // The adapter is trained (not the zero-B init): its logits differ from the base model's.
    expect(relL2(await fresh.logits(batch, 0), want)).toBeGreaterThan(1e-4);
    await fresh.release();
  }, 300_000);
});

describe('GrpoTrainer at a sampling temperature (tiny model, wasm)', () => {
  it('scores the completions under softmax(logits / temperature), the policy that sampled them', async () => {
    const c = config({ ...BASE, temperature: 0.7, max_steps: 1 });
    const run = await makeRun(c);
    expect(await run.trainer.run()).toEqual({ status: 'finished', step: 1 });
    // Step 1 runs before any update, and PEFT's LoRA starts with B = 0: the base model's log-probs.
    const { runner } = await tinyRunner('wasm', c);
    try {
      for (const m of run.micro) {
        const mb = m.microBatch;
        const tempered = await runner.logprobs(mb, 1, mb.lossRows, 0.7);
        expect(relL2(m.logprobs, tempered)).toBeLessThan(1e-5);
        expect(relL2(m.logprobs, await runner.logprobs(mb, 1, mb.lossRows, 1))).toBeGreaterThan(1e-2);
      }
    } finally {
      await runner.release();
      await run.trainer.release();
    }
  }, 300_000);
});
