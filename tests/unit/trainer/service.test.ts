/**
 * TrainerService (what the worker exposes and the CLI drives) in Node: request checks before
 * anything loads, a run in 'both' mode on the bundled tiny model through the local-folder path,
 * checkpoints listed and resumed, adapter and hints export/import, hint edits.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HintStore } from '../../../src/hints/store';
import type { DashboardEvent } from '../../../src/worker/dashboard-api';
import { nodeTrainerEnvironment } from '../../../src/worker/trainer-env-node';
import { RequestError, TrainerService, type TrainerEnvironment } from '../../../src/worker/trainer-service';
import type { TrainingRequest } from '../../../src/worker/training-api';

let dir: string;
let env: TrainerEnvironment;
let opened = 0;

// The first 24 rows of the shipped sample, as an uploaded file (keeps the gold checks short).
const sampleRows = JSON.parse(readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../public/data/sql-create-context-sample.json'), 'utf8')) as unknown[];
const upload = { kind: 'upload' as const, name: 'first-24.json', text: JSON.stringify(sampleRows.slice(0, 24)) };

const request = (over: Partial<TrainingRequest> = {}): TrainingRequest => ({
  model: { kind: 'bundled-tiny' },
  dataset: upload,
  config: { num_generations: 2, per_device_train_batch_size: 4, max_completion_length: 6, max_steps: 2, eval_steps: 2, save_steps: 0, lora_r: 2, seed: 3 },
  rewards: [{ name: 'match_format_approximately', weight: 1 }, { name: 'execution_equivalence_reward', weight: 2 }],
  mode: 'both',
  backend: 'wasm',
  ...over,
});

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'webgrpo-service-'));
  const base = nodeTrainerEnvironment({ cacheDir: path.join(dir, 'hub'), checkpointDir: path.join(dir, 'checkpoints'), evalExamples: 2, sqlWorkers: 1 });
  env = { ...base, openModel: (s, p) => (opened++, base.openModel(s, p)) };
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('TrainerService', () => {
  it('rejects a bad request with every problem at once, before loading anything', async () => {
    const service = new TrainerService(env);
    const events: DashboardEvent[] = [];
    const bad = request({
      config: { learning_rate: -1, num_generations: 3, per_device_train_batch_size: 4, reward_weights: [1] },
      rewards: [{ name: 'no_such_reward', weight: 1 }, { name: 'match_format_exactly', weight: Number.NaN }],
      mode: 'weights' as never,
      backend: 'webgpu',
    });
    const error = await service.train(bad, (e) => events.push(e)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestError);
    const problems = (error as RequestError).problems.join('\n');
    expect(problems).toMatch(/learning_rate must be a positive number/);
    expect(problems).toMatch(/divisible by num_generations \(3\)/);
    expect(problems).toMatch(/mode must be 'lora', 'hints' or 'both'/);
    expect(problems).toMatch(/WebGPU is not available here/);
    expect(problems).toMatch(/unknown reward "no_such_reward"/);
    expect(problems).toMatch(/match_format_exactly: weight must be a finite number/);
    expect(opened).toBe(0);
    expect(events.map((e) => e.type)).toEqual(['error', 'phase']);
    const missing = await service.train(request({ resumeFrom: 'run-x-step000001' }), () => {}).catch((e: unknown) => e);
    expect(String((missing as Error).message)).toMatch(/cannot resume from "run-x-step000001": checkpoint: no checkpoint/);
    expect(opened).toBe(0);
  });

  it('honours a stop asked while the model is still loading', async () => {
    const service = new TrainerService(env);
    const events: DashboardEvent[] = [];
    const running = service.train(request(), (e) => events.push(e));
    await service.stop();
    expect(await running).toEqual({ status: 'stopped', step: 0 });
    expect(events.some((e) => e.type === 'metrics' || e.type === 'eval')).toBe(false);
    // It ends at the next loading stage: the weights never go onto the backend.
    expect(events.some((e) => e.type === 'progress' && /^loading .* onto/.test(e.label))).toBe(false);
    expect(events.some((e) => e.type === 'error')).toBe(false);
    expect(events.filter((e) => e.type === 'phase').at(-1)).toMatchObject({ phase: 'stopped' });
    await service.release();
  }, 300_000);

  it('trains in both modes, then stops, lists, resumes, exports and imports', async () => {
    const service = new TrainerService(env);
    const events: DashboardEvent[] = [];
    const outcome = await service.train(request(), (e) => {
      events.push(e);
      if (e.type === 'metrics' && e.row.step === 1) void service.stop();
    });
    expect(outcome).toEqual({ status: 'stopped', step: 1 });
    const types = new Set(events.map((e) => e.type));
    for (const t of ['phase', 'progress', 'dataset', 'eval', 'groups', 'metrics', 'hints', 'checkpoint']) expect(types.has(t as never), t).toBe(true);
    const dataset = events.find((e) => e.type === 'dataset')!;
    expect(dataset).toMatchObject({ source: 'first-24.json', total: 24, usable: 24, split: { train: 22, eval: 2 } });
    // Every row's prompt was built up front at the run's max_prompt_length (default 256).
    expect(dataset.type === 'dataset' && dataset.prompts).toEqual({ maxPromptLength: 256, checked: 24, pruned: 0, refused: 0 });
    const evaluation = events.find((e) => e.type === 'eval')!;
    expect(evaluation.type === 'eval' && evaluation.record).toMatchObject({ examples: 2, prompts_pruned: 0, prompts_refused: 0 });
    const row = events.find((e) => e.type === 'metrics')!;
    expect(row.type === 'metrics' && row.row).toHaveProperty('rewards/match_format_approximately/mean');
    const [ckpt] = await service.listCheckpoints();
    expect(ckpt).toMatchObject({ step: 1, modelId: 'webgrpo/tiny-gemma3' });

    // Export now (the model of the stopped run is still loaded).
    const adapter = await service.exportAdapter();
    expect(JSON.parse(adapter.configJson)).toMatchObject({ r: 2, lora_alpha: 8, peft_type: 'LORA', task_type: 'CAUSAL_LM', base_model_name_or_path: null });
    const hints = await service.exportHints();
    expect(JSON.parse(hints)).toHaveProperty('format');

    const resumed: DashboardEvent[] = [];
    const done = await service.train(request({ resumeFrom: ckpt.id }), (e) => resumed.push(e));
    expect(done).toEqual({ status: 'finished', step: 2 });
    const steps = resumed.flatMap((e) => (e.type === 'metrics' ? [e.row.step] : []));
    expect(steps).toEqual([1, 2]); // step 1 replayed from the checkpoint, step 2 computed
    expect((await service.listCheckpoints()).map((c) => c.step)).toEqual([1, 2]);

    // Import the exported adapter: it goes into the loaded model now and starts the next run.
    await service.importAdapter(adapter);
    const next: DashboardEvent[] = [];
    await service.train(request({ config: { ...request().config, lora_r: 4, max_steps: 1, eval_steps: 0 } }), (e) => next.push(e));
    const warning = next.find((e) => e.type === 'warning');
    expect(warning && 'message' in warning ? warning.message : '').toMatch(/continues the imported adapter: lora_r 2, lora_alpha 8/);
    await expect(service.importAdapter({ configJson: '{"r": 0}', safetensors: adapter.safetensors })).rejects.toThrow(/"r" must be a positive integer/);

    // Hints: import a store with a hand-written hint, edit it, delete it.
    const handMade = new HintStore();
    const hint = handMade.addHint({ pattern: 'agg:COUNT', weight: 0.5 });
    await service.importHints(handMade.exportJson());
    expect(JSON.parse(await service.exportHints())).toEqual(JSON.parse(handMade.exportJson()));
    const edited = await service.editHint(hint.id, { description: 'use COUNT(*) for how-many questions', pinned: true });
    expect(edited.find((h) => h.id === hint.id)).toMatchObject({ description: 'use COUNT(*) for how-many questions', pinned: true, weight: 0.5 });
    expect(await service.editHint(hint.id, 'delete')).toEqual([]);
    await service.release();
  }, 600_000);
});
