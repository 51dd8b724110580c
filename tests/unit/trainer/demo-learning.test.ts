/**
 * The CI learning check: a short seeded GRPO run from the shipped demo model (public/models/demo-sql)
 * raises the mean reward. The demo model writes partly right SQL, so its groups carry signal; on a
 * handful of training questions, 20 steps of LoRA GRPO must make the last steps' groups score better
 * than the first steps' (the rewards come from executing the SQL in the real worker pool, not from
 * the trainer). The held-out proof is bench/learning.ts (docs/BENCHMARKS.md, "Learning").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitExamples } from '../../../src/dataset/split';
import { generateSyntheticCorpus } from '../../../src/dataset/synthetic';
import type { DatasetExample } from '../../../src/dataset/types';
import { validateConfig } from '../../../src/grpo/config';
import { applyAdapter } from '../../../src/grpo/export';
import type { MetricsRow } from '../../../src/grpo/metrics';
import { DEMO_GRPO_CONFIG } from '../../../src/grpo/presets';
import { Rng } from '../../../src/common/rng';
import { GrpoTrainer } from '../../../src/grpo/trainer';
import { Gemma3Runner } from '../../../src/model/gemma3-runner';
import { loraSpecOf } from '../../../src/model/parity';
import { createLoraAdapter } from '../../../src/model/peft';
import { PRESETS, RewardRegistry, rewardByName } from '../../../src/rewards/registry';
import { TensorStore } from '../../../src/runtime/device';
import { SqlEvaluator } from '../../../src/sql/evaluator';
import { nodeWorkerFactory } from '../../../src/sql/worker-port-node';
import { DEFAULT_DEMO_MODEL_DIR, openLocalModel } from '../../../src/worker/trainer-env-node';

const STEPS = 20;
const WINDOW = 5;
const SEED = Number(process.env.LEARNING_CHECK_SEED ?? 1);

let executor: SqlEvaluator;

beforeAll(async () => {
  executor = new SqlEvaluator(nodeWorkerFactory, { size: 2 });
  await executor.warmUp();
}, 180_000);
afterAll(() => executor?.close());

/** Eight training questions of a corpus the demo model never trained on (another seed). */
function trainingQuestions(): DatasetExample[] {
  const corpus = generateSyntheticCorpus({ size: 400, seed: 4242 });
  const examples = corpus.rows.map((r, i) => ({ id: `synthetic#${i}`, ...r }));
  return splitExamples(examples, { seed: 4242, heldOut: 40 }).train.slice(0, 8);
}

const meanReward = (rows: MetricsRow[]) => rows.reduce((a, r) => a + r.reward, 0) / rows.length;

describe('GRPO from the demo model', () => {
  it(`raises the mean reward within ${STEPS} steps (seed ${SEED})`, async () => {
    const model = await openLocalModel(DEFAULT_DEMO_MODEL_DIR, 'webgrpo/demo-sql-gemma3');
    const v = validateConfig({ ...DEMO_GRPO_CONFIG, max_steps: STEPS, learning_rate: 3e-3, lr_scheduler_type: 'constant', warmup_ratio: 0, save_steps: 0, eval_steps: 0, seed: SEED });
    expect(v.errors).toEqual([]);
    const config = v.config;
    const rng = Rng.fromSeed(SEED, 'lora-init');
    const adapter = createLoraAdapter(model.config, { r: config.lora_r, alpha: config.lora_alpha, targetModules: config.lora_target_modules, random: () => rng.next() });
    const runner = await Gemma3Runner.load(model.config, model.weights, await TensorStore.create('wasm'), { lora: loraSpecOf(adapter) });
    applyAdapter(runner, adapter);
    const train = trainingQuestions();
    const trainer = new GrpoTrainer({
      runner,
      tokenizer: model.tokenizer,
      train,
      heldOut: [],
      rewards: new RewardRegistry(Object.entries(PRESETS.default).map(([name, weight]) => ({ reward: rewardByName(name), weight }))),
      executor,
      config,
      mode: 'lora',
      modelId: model.modelId,
    });
    const outcome = await trainer.run();
    await trainer.release();
    await runner.release();
    expect(outcome.status).toBe('finished');
    const rows = trainer.metrics;
    expect(rows).toHaveLength(STEPS);
    // Groups carried signal (the demo model is partly right) and the steps changed the adapter.
    expect(rows.some((r) => r.frac_reward_zero_std < 1)).toBe(true);
    expect(rows.every((r) => Number.isFinite(r.loss ?? 0))).toBe(true);
    const first = meanReward(rows.slice(0, WINDOW));
    const last = meanReward(rows.slice(-WINDOW));
    console.log(`demo-model GRPO, seed ${SEED}: mean reward first ${WINDOW} steps ${first.toFixed(3)}, last ${WINDOW} steps ${last.toFixed(3)}`);
    expect(last).toBeGreaterThan(first);
  }, 900_000);
});
