/**
 * The playground through TrainerService on the shipped demo model (wasm): refused before a model is
 * loaded and while training runs, allowed once the run is paused; after the run, base and adapter
 * outputs match a separately loaded runner generating greedily with no adapter and with the
 * imported one, greedy repeats itself, the text streams, the SQL comes back from sql.js, and the
 * adapter's weights are the same afterwards.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import initSqlJs from 'sql.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Generator } from '../../../src/generate/generator';
import { decodeCheckpoint } from '../../../src/grpo/checkpoint';
import { NodeCheckpointStorage } from '../../../src/grpo/checkpoint-node';
import { applyAdapter, exportAdapter } from '../../../src/grpo/export';
import { restoreLora } from '../../../src/grpo/trainer';
import { Rng } from '../../../src/common/rng';
import { renderPrompt } from '../../../src/grpo/trainer-prompts';
import { Gemma3Runner } from '../../../src/model/gemma3-runner';
import { loraSpecOf } from '../../../src/model/parity';
import { createLoraAdapter, LORA_MODULES, type LoraAdapter } from '../../../src/model/peft';
import { promptInputOf } from '../../../src/prompt/build-prompt';
import { TensorStore } from '../../../src/runtime/device';
import type { DashboardEvent } from '../../../src/worker/dashboard-api';
import { runPlayground } from '../../../src/worker/playground';
import { nodeTrainerEnvironment } from '../../../src/worker/trainer-env-node';
import type { OpenedModel } from '../../../src/worker/trainer-model';
import { TrainerService, type TrainerEnvironment } from '../../../src/worker/trainer-service';
import type { PlaygroundChunk, PlaygroundRequest, TrainingRequest } from '../../../src/worker/training-api';

let dir: string;
let env: TrainerEnvironment;

const row = { question: 'Which player went to Redwood School?', context: 'CREATE TABLE table_name_12 (name VARCHAR, school VARCHAR)', answer: 'SELECT name FROM table_name_12 WHERE school = "redwood school"' };
const LORA = { lora_r: 2, lora_alpha: 8 };

const request: TrainingRequest = {
  model: { kind: 'bundled-demo' },
  dataset: { kind: 'sample' },
  config: { num_generations: 2, per_device_train_batch_size: 2, max_completion_length: 4, max_steps: 3, eval_steps: 0, save_steps: 0, ...LORA, seed: 3 },
  rewards: [{ name: 'match_format_approximately', weight: 1 }],
  mode: 'lora',
  backend: 'wasm',
};

const ask = (over: Partial<PlaygroundRequest> = {}): PlaygroundRequest => ({ question: row.question, context: row.context, gold: row.answer, models: ['base', 'adapter'], temperature: 0, topP: 1, maxNewTokens: 48, ...over });

/** A runner of the opened model with `adapter` set, independent of the service's. */
async function referenceRunner(model: OpenedModel, adapter: LoraAdapter): Promise<Gemma3Runner> {
  const runner = await Gemma3Runner.load(model.config, model.weights, await TensorStore.create('wasm'), { lora: loraSpecOf(adapter) });
  applyAdapter(runner, adapter);
  return runner;
}

function randomAdapter(model: OpenedModel, seed: number, bScale: number): LoraAdapter {
  const rng = Rng.fromSeed(seed, 'test-adapter');
  const adapter = createLoraAdapter(model.config, { r: LORA.lora_r, alpha: LORA.lora_alpha, targetModules: [...LORA_MODULES], random: () => rng.next() });
  if (bScale > 0) for (const mods of adapter.tensors) for (const m of Object.values(mods)) for (let i = 0; i < m!.B.length; i++) m!.B[i] = (rng.next() * 2 - 1) * bScale;
  return adapter;
}

async function greedyText(model: OpenedModel, runner: Gemma3Runner, maxNewTokens: number): Promise<string> {
  const r = renderPrompt(promptInputOf(row), model.tokenizer, 256);
  if (!r.ok) throw new Error(r.reason);
  const out = await new Generator(runner).generate([r.prompt.ids], { temperature: 0, topK: 0, topP: 1, maxNewTokens, stopTokenIds: [...model.tokenizer.stopTokenIds] }, Rng.fromSeed(0, 'x'));
  return model.tokenizer.decode(out.completions[0]!, { skipSpecial: true });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'webgrpo-playground-'));
  env = nodeTrainerEnvironment({ cacheDir: path.join(dir, 'hub'), checkpointDir: path.join(dir, 'checkpoints'), evalExamples: 2, sqlWorkers: 1 });
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('TrainerService playground', () => {
  it('runs the loaded model: refused while training, base and adapter as separate runners give, SQL run by sql.js', async () => {
    const service = new TrainerService(env);
    expect(await service.playgroundStatus()).toMatchObject({ model: null, blocked: 'no model is loaded: train or load a model first' });
    await expect(service.playground(ask())).rejects.toThrow(/train or load a model first/);

    // During the run: refused while it works, allowed once the pause has taken effect.
    let refusal: Promise<unknown> | null = null;
    let whilePaused: Promise<unknown> | null = null;
    const events: DashboardEvent[] = [];
    const outcome = await service.train(request, (e) => {
      events.push(e);
      if (e.type !== 'phase') return;
      if (refusal === null && (e.phase === 'generating' || e.phase === 'training')) {
        refusal = service.playground(ask()).then(() => 'allowed', (err: Error) => err.message);
        void service.pause();
      } else if (e.phase === 'paused' && whilePaused === null) {
        whilePaused = service.playground(ask({ models: ['base'], maxNewTokens: 4 })).then((r) => r.outputs.length, (err: Error) => err.message);
        void whilePaused.then(() => service.stop());
      }
    });
    expect(await refusal).toBe('training is running: pause it (or let it finish) to use the playground');
    expect(await whilePaused).toBe(1);
    expect(outcome.status).toBe('stopped');

    // After the run: a known nonzero adapter goes in, and the outputs are compared with runners of our own.
    const model = await env.openModel({ kind: 'bundled-demo' }, () => {});
    const adapter = randomAdapter(model, 11, 0.5);
    const withAdapter = await referenceRunner(model, adapter);
    await service.importAdapter(await exportAdapter(withAdapter, { baseModelNameOrPath: null }));
    const before = await service.exportAdapter();
    expect(await service.playgroundStatus()).toEqual({ model: 'webgrpo/demo-sql-gemma3', adapter: true, blocked: null, maxPromptLength: 256 });

    const chunks: PlaygroundChunk[] = [];
    const first = await service.playground(ask(), (c) => chunks.push(c));
    const again = await service.playground(ask());
    const [base, tuned] = first.outputs;
    expect(first.outputs.map((o) => o.model)).toEqual(['base', 'adapter']);
    expect(again.outputs.map((o) => o.text)).toEqual(first.outputs.map((o) => o.text)); // greedy repeats itself
    expect(base.text).not.toBe(tuned.text);
    expect(base.text).toBe(await greedyText(model, await referenceRunner(model, randomAdapter(model, 5, 0)), 48));
    expect(tuned.text).toBe(await greedyText(model, withAdapter, 48));
    // Streamed: each output's chunks grow to its final text.
    for (const o of first.outputs) {
      const own = chunks.filter((c) => c.model === o.model);
      expect(own.length).toBeGreaterThan(1);
      expect(own.at(-1)!.text).toBe(o.text);
      expect(own.map((c) => c.tokens)).toEqual([...own.map((c) => c.tokens)].sort((a, b) => a - b));
    }
    // The adapter's tensors are as imported.
    const after = await service.exportAdapter();
    expect(after.configJson).toBe(before.configJson);
    expect(Buffer.from(after.safetensors).equals(Buffer.from(before.safetensors))).toBe(true);

    // The demo model writes SQL for this question (not always over the schema's tables): SQLite ran
    // it on a synthetic database built from the schema, and answered with rows or with its error.
    expect(base.sql).toMatch(/^SELECT/i);
    const ex = base.execution!;
    expect(ex).not.toBeNull();
    if (ex.error !== undefined) expect(ex.error).toMatch(/^(no such (table|column|function)|near ".*": syntax error|ambiguous column)/);
    else {
      expect(ex.columns.length).toBeGreaterThan(0);
      expect(typeof ex.equivalent).toBe('boolean');
    }

    await expect(service.playground(ask({ models: [], temperature: -1 }))).rejects.toThrow(/choose the base model, the adapter, or both; temperature must be/);
    await service.release();
  }, 600_000);

  it('answers with a saved checkpoint or imported adapter files instead of the current LoRA, each as a runner loaded with it gives', async () => {
    // Its own checkpoint folder: the one checkpoint there is this run's.
    const checkpointDir = path.join(dir, 'checkpoints-sources');
    const service = new TrainerService(nodeTrainerEnvironment({ cacheDir: path.join(dir, 'hub'), checkpointDir, evalExamples: 2, sqlWorkers: 1 }));
    const model = await env.openModel({ kind: 'bundled-demo' }, () => {});
    // The run continues a known nonzero adapter, so its checkpoint differs from the base model.
    const start = randomAdapter(model, 21, 0.5);
    await service.importAdapter(await exportAdapter(await referenceRunner(model, start), { baseModelNameOrPath: null }));
    const outcome = await service.train({ ...request, config: { ...request.config, max_steps: 1, save_steps: 1, seed: 4 } }, () => {});
    expect(outcome.status).toBe('finished');
    const listed = await service.listCheckpoints();
    expect(listed.map((c) => c.step)).toEqual([1]);
    const saved = listed[0]!;
    // Then the run's LoRA is replaced by another adapter: "current run" is that one, not the checkpoint's.
    const current = randomAdapter(model, 22, 0.5);
    await service.importAdapter(await exportAdapter(await referenceRunner(model, current), { baseModelNameOrPath: null }));
    const before = await service.exportAdapter();
    const files = randomAdapter(model, 23, 0.5);
    const exported = await exportAdapter(await referenceRunner(model, files), { baseModelNameOrPath: null });

    const state = await decodeCheckpoint(await new NodeCheckpointStorage(checkpointDir).load(saved.id));
    const checkpointRunner = await referenceRunner(model, start);
    restoreLora(checkpointRunner, state);
    const want = {
      base: await greedyText(model, await referenceRunner(model, randomAdapter(model, 5, 0)), 24),
      run: await greedyText(model, await referenceRunner(model, current), 24),
      checkpoint: await greedyText(model, checkpointRunner, 24),
      files: await greedyText(model, await referenceRunner(model, files), 24),
    };
    expect(new Set(Object.values(want)).size).toBe(4); // four different answers, so each comparison tells them apart

    const answer = async (adapter: PlaygroundRequest['adapter'], models: PlaygroundRequest['models'] = ['adapter']) => (await service.playground(ask({ adapter, models, maxNewTokens: 24 }))).outputs;
    const fromCheckpoint = await answer({ kind: 'checkpoint', id: saved.id }, ['base', 'adapter']);
    expect(fromCheckpoint.map((o) => o.text)).toEqual([want.base, want.checkpoint]);
    expect(fromCheckpoint[1]!.adapterLabel).toBe('checkpoint at step 1');
    expect(fromCheckpoint[0]!.adapterLabel).toBeUndefined();
    const fromFiles = await answer({ kind: 'files', adapter: exported, name: 'my-adapter' });
    expect(fromFiles[0]).toMatchObject({ text: want.files, adapterLabel: 'adapter my-adapter' });
    expect((await answer({ kind: 'run' }))[0]).toMatchObject({ text: want.run, adapterLabel: 'current run' });
    expect((await answer(undefined))[0]!.text).toBe(want.run);
    expect((await answer({ kind: 'checkpoint', id: saved.id }))[0]!.text).toBe(want.checkpoint); // loaded again after the files

    // Bad sources are refused with the reason, and leave the playground working.
    await expect(answer({ kind: 'checkpoint', id: 'no-such-run-step000001' })).rejects.toThrow(/no-such-run-step000001/);
    await expect(answer({ kind: 'files', adapter: { configJson: '{', safetensors: exported.safetensors } })).rejects.toThrow(/adapter_config.json is not JSON/);
    await expect(answer({ kind: 'files' } as never)).rejects.toThrow(/pick both adapter files/);
    await expect(answer({ kind: 'hub' } as never)).rejects.toThrow(/must be 'run', 'checkpoint' or 'files', got "hub"/);
    expect((await answer({ kind: 'files', adapter: exported }))[0]).toMatchObject({ text: want.files, adapterLabel: 'imported adapter' });

    // The run's own adapter is as it was.
    const after = await service.exportAdapter();
    expect(Buffer.from(after.safetensors).equals(Buffer.from(before.safetensors))).toBe(true);
    await service.release();
  }, 900_000);

  it('runs the extracted SQL on the synthetic database, reporting results, errors and equivalence (sql.js as the reference)', async () => {
    const model = await env.openModel({ kind: 'bundled-demo' }, () => {});
    const { SqlEvaluator } = await import('../../../src/sql/evaluator');
    const executor = new SqlEvaluator(env.sqlWorkerFactory, { size: 1 });
    // A generator that answers with a fixed completion: this test is about what happens to its SQL.
    const answering = (completion: string) => ({
      generate: async () => ({ completions: [[...model.tokenizer.encode(completion), model.tokenizer.stopTokenIds[0]!]], finished: [true], prefillMs: 0, decodeMs: 0, decodeSteps: 0, decodeRunMs: 0, decodeWaitMs: 0 }),
    });
    const ctx = (completion: string) => ({ generator: answering(completion), tokenizer: model.tokenizer, executor, maxPromptLength: 256, hasAdapter: false });
    try {
      const schema = 'CREATE TABLE t (a INTEGER, b VARCHAR)';
      const SQL = await initSqlJs();
      const db = new SQL.Database();
      const [expected] = db.exec('SELECT 2 * 21 AS answer, upper(\'x\') AS up');
      db.close();
      const constant = await runPlayground(ctx("<SOLUTION>SELECT 2 * 21 AS answer, upper('x') AS up</SOLUTION>"), { ...ask({ models: ['base'] }), context: schema, gold: undefined });
      expect(constant.outputs[0]!.sql).toBe("SELECT 2 * 21 AS answer, upper('x') AS up");
      expect(constant.outputs[0]!.execution).toEqual({ columns: expected!.columns, rows: expected!.values });

      const missing = await runPlayground(ctx('<SOLUTION>SELECT c FROM t</SOLUTION>'), { ...ask({ models: ['base'] }), context: schema, gold: undefined });
      expect(missing.outputs[0]!.execution).toMatchObject({ columns: [], rows: [], error: expect.stringMatching(/no such column: c/) });

      const same = await runPlayground(ctx('<SOLUTION>SELECT a FROM t WHERE b = "x"</SOLUTION>'), { ...ask({ models: ['base'] }), context: schema, gold: "SELECT a FROM t WHERE b = 'x'" });
      expect(same.outputs[0]!.execution).toMatchObject({ columns: ['a'], equivalent: true });
      const other = await runPlayground(ctx('<SOLUTION>SELECT b FROM t</SOLUTION>'), { ...ask({ models: ['base'] }), context: schema, gold: "SELECT a FROM t WHERE b = 'x'" });
      expect(other.outputs[0]!.execution).toMatchObject({ columns: ['b'], equivalent: false });

      await expect(runPlayground(ctx('x'), ask())).rejects.toThrow(/has no LoRA adapter/);
    } finally {
      executor.close();
    }
  }, 120_000);
});
