/**
 * A run with a supervised warm-up through TrainerService (what the worker and the CLI use): the
 * warm-up's problems are found with the rest of the request; the warm-up trains the run's adapter
 * and reports its steps, then GRPO starts from it; a stop during the warm-up leaves a warm-up
 * checkpoint, and resuming it finishes the warm-up and goes on to GRPO.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DashboardEvent } from '../../../src/worker/dashboard-api';
import { nodeTrainerEnvironment } from '../../../src/worker/trainer-env-node';
import { RequestError, TrainerService, type TrainerEnvironment } from '../../../src/worker/trainer-service';
import type { TrainingRequest } from '../../../src/worker/training-api';

let dir: string;
let env: TrainerEnvironment;
const sampleRows = JSON.parse(readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../public/data/sql-create-context-sample.json'), 'utf8')) as unknown[];
const upload = { kind: 'upload' as const, name: 'first-24.json', text: JSON.stringify(sampleRows.slice(0, 24)) };

const request = (over: Partial<TrainingRequest> = {}): TrainingRequest => ({
  model: { kind: 'bundled-tiny' },
  dataset: upload,
  config: { num_generations: 2, per_device_train_batch_size: 4, max_completion_length: 6, max_steps: 1, eval_steps: 0, save_steps: 0, lora_r: 2, seed: 3 },
  rewards: [{ name: 'match_format_approximately', weight: 1 }],
  mode: 'lora',
  backend: 'wasm',
  warmup: { max_steps: 3, per_device_train_batch_size: 4, learning_rate: 0.01, save_steps: 1 },
  ...over,
});

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'webgrpo-warmup-'));
  env = nodeTrainerEnvironment({ cacheDir: path.join(dir, 'hub'), checkpointDir: path.join(dir, 'checkpoints'), evalExamples: 2, sqlWorkers: 1 });
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('TrainerService with a warm-up', () => {
  it('names warm-up problems with the rest of the request, before loading', async () => {
    const service = new TrainerService(env);
    const error = await service.train(request({ warmup: { max_steps: 0, learning_rate: -1, use_peft: false } }), () => {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestError);
    const problems = (error as RequestError).problems.join('\n');
    expect(problems).toMatch(/warmup: learning_rate must be a positive number/);
    expect(problems).toMatch(/warmup: max_steps must be -1/);
    expect(problems).toMatch(/warmup: use_peft false trains every weight/);
  });

  it('warms the adapter up, then runs GRPO from it; a stop mid-warm-up resumes from its checkpoint', async () => {
    const service = new TrainerService(env);
    const events: DashboardEvent[] = [];
    // Stop once the warm-up's second checkpoint is written.
    const outcome = await service.train(request(), (e) => {
      events.push(e);
      if (e.type === 'checkpoint' && e.step === 2) void service.stop();
    });
    expect(outcome.status).toBe('stopped');
    expect(events.filter((e) => e.type === 'warmup-metrics').length).toBeGreaterThanOrEqual(2);
    expect(events.some((e) => e.type === 'metrics')).toBe(false);
    expect(events.some((e) => e.type === 'phase' && e.phase === 'warming-up')).toBe(true);
    const saved = (await service.listCheckpoints()).filter((c) => c.kind === 'warmup');
    const last = saved.sort((a, b) => b.step - a.step)[0]!;
    expect(last.step).toBeGreaterThanOrEqual(2);
    await service.release();

    const resumed: DashboardEvent[] = [];
    const second = await service.train(request({ resumeFrom: last.id }), (e) => resumed.push(e));
    expect(second).toEqual({ status: 'finished', step: 1 });
    const warmSteps = resumed.filter((e) => e.type === 'warmup-metrics').map((e) => (e as { row: { step: number } }).row.step);
    // The history is replayed, then the warm-up goes on to its last step; then one GRPO step.
    expect(warmSteps.at(-1)).toBe(3);
    expect(new Set(warmSteps).size).toBe(3);
    expect(resumed.filter((e) => e.type === 'metrics')).toHaveLength(1);
    const adapter = await service.exportAdapter();
    expect(adapter.safetensors.length).toBeGreaterThan(0);
    await service.release();
  }, 600_000);
});
