/**
 * The Playground tab's logic: the request a form makes (and its problems), rows picked from the
 * run's groups, streamed chunks into columns, and the store's slice driving an engine double.
 */
import { describe, expect, it } from 'vitest';
import { adapterFilePair, applyChunk, columnsFor, DEFAULT_PLAYGROUND_FORM, playgroundCheckpoints, playgroundRequestOf, playgroundRows, withOutputs } from '../../../src/ui/playground-form';
import { createAppStore } from '../../../src/ui/store';
import type { EngineApi } from '../../../src/worker/api';
import type { DashboardEngine } from '../../../src/worker/engine-client';
import type { CheckpointInfo, GroupRecord, PlaygroundChunk, PlaygroundRequest, PlaygroundResult, PlaygroundStatus } from '../../../src/worker/training-api';

const form = { ...DEFAULT_PLAYGROUND_FORM, question: ' How many? ', context: 'CREATE TABLE t (a INT)' };

const group = (question: string, step = 1): GroupRecord => ({ step, promptIndex: 0, question, context: `CREATE TABLE ${question} (x INT)`, goldSql: `SELECT x FROM ${question}`, completions: [], rewardMean: 0, rewardStd: 0 });

describe('playground form', () => {
  it('builds the request: base and adapter side by side when there is an adapter, the base alone otherwise', () => {
    const withAdapter = playgroundRequestOf(form, true);
    expect(withAdapter).toEqual({ ok: true, request: { question: 'How many?', context: 'CREATE TABLE t (a INT)', models: ['base', 'adapter'], temperature: 0, topP: 1, maxNewTokens: 128, seed: 0 } });
    expect(playgroundRequestOf({ ...form, compareBase: false }, true)).toMatchObject({ ok: true, request: { models: ['adapter'] } });
    expect(playgroundRequestOf({ ...form, compareBase: false }, false)).toMatchObject({ ok: true, request: { models: ['base'] } });
    expect(playgroundRequestOf({ ...form, gold: ' SELECT 1 ' }, false)).toMatchObject({ ok: true, request: { gold: 'SELECT 1' } });
  });

  it('lists every problem of a bad form at once', () => {
    const bad = playgroundRequestOf({ ...DEFAULT_PLAYGROUND_FORM, temperature: '-1', topP: '0', maxNewTokens: '2.5', seed: '' }, true);
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.problems).toEqual([
      'type a question',
      'give the schema (CREATE TABLE statements), or pick a row',
      'temperature must be a number >= 0 (0 = greedy)',
      'top-p must be a number in (0, 1]',
      'max new tokens must be a whole number from 1 to 1024',
      'seed must be a whole number',
    ]);
  });

  it('offers the distinct questions of the run, newest step first', () => {
    const rows = playgroundRows([
      { step: 1, groups: [group('a'), group('b')] },
      { step: 2, groups: [group('c', 2), group('a', 2)] },
    ]);
    expect(rows.map((r) => r.question)).toEqual(['c', 'a', 'b']);
    expect(rows[1]).toEqual({ question: 'a', context: 'CREATE TABLE a (x INT)', goldSql: 'SELECT x FROM a' });
    expect(playgroundRows([{ step: 1, groups: [group('a'), group('b')] }], 1)).toHaveLength(1);
  });

  it('asks for a checkpoint or picked files as the adapter, with the adapter column even when the run has no LoRA', () => {
    expect(playgroundRequestOf({ ...form, adapterSource: 'checkpoint' }, true)).toEqual({ ok: false, problems: ['choose a checkpoint'] });
    expect(playgroundRequestOf({ ...form, adapterSource: 'checkpoint', checkpointId: 'run-1-step000040' }, false)).toMatchObject({
      ok: true,
      request: { models: ['base', 'adapter'], adapter: { kind: 'checkpoint', id: 'run-1-step000040' } },
    });
    expect(playgroundRequestOf({ ...form, adapterSource: 'files', question: '' }, true)).toEqual({
      ok: false,
      problems: ['type a question', 'pick the adapter files (adapter_config.json and adapter_model.safetensors)'],
    });
    const adapter = { configJson: '{}', safetensors: new Uint8Array([1, 2]) };
    expect(playgroundRequestOf({ ...form, adapterSource: 'files', compareBase: false }, false, { name: 'my-lora', adapter })).toMatchObject({
      ok: true,
      request: { models: ['adapter'], adapter: { kind: 'files', adapter, name: 'my-lora' } },
    });
    // Files picked earlier do not matter once the run's LoRA is chosen again: no adapter field.
    const run = playgroundRequestOf(form, true, { name: 'my-lora', adapter });
    expect(run.ok && 'adapter' in run.request).toBe(false);
  });

  it('finds the adapter files in a pick, and says what is missing or ambiguous', () => {
    const f = (...names: string[]) => names.map((name) => ({ name }));
    expect(adapterFilePair(f('adapter_model.safetensors', 'README.md', 'adapter_config.json'))).toEqual({ ok: true, config: { name: 'adapter_config.json' }, weights: { name: 'adapter_model.safetensors' } });
    expect(adapterFilePair(f('cfg.json', 'w.safetensors'))).toEqual({ ok: true, config: { name: 'cfg.json' }, weights: { name: 'w.safetensors' } });
    expect(adapterFilePair(f('a.json', 'b.json', 'w.safetensors'))).toEqual({ ok: false, problem: 'several .json files were picked: which is adapter_config.json?' });
    expect(adapterFilePair(f('adapter_config.json'))).toEqual({ ok: false, problem: 'adapter_model.safetensors is missing from the pick' });
    expect(adapterFilePair(f('w.safetensors'))).toEqual({ ok: false, problem: 'adapter_config.json is missing from the pick' });
    expect(adapterFilePair(f('adapter_config.json', 'a.safetensors', 'b.safetensors'))).toEqual({ ok: false, problem: 'several .safetensors files were picked: which is the adapter?' });
    expect(adapterFilePair([])).toEqual({ ok: false, problem: 'pick adapter_config.json and adapter_model.safetensors together' });
  });

  it('offers the GRPO checkpoints of the loaded model, newest step first', () => {
    const c = (id: string, step: number, modelId = 'm', kind?: 'warmup'): CheckpointInfo => ({ id, step, createdAt: `2026-01-0${step % 9}T00:00:00Z`, modelId, ...(kind ? { kind } : {}) });
    const list = [c('a', 10), c('w', 20, 'm', 'warmup'), c('b', 30), c('other', 40, 'x')];
    expect(playgroundCheckpoints(list, 'm').map((x) => x.id)).toEqual(['b', 'a']);
    expect(playgroundCheckpoints(list, null)).toEqual([]);
  });

  it('streams chunks into their columns, then puts the outputs in', () => {
    let cols = columnsFor(['base', 'adapter']);
    cols = applyChunk(cols, { model: 'adapter', text: 'SEL', tokens: 2 });
    cols = applyChunk(cols, { model: 'adapter', text: 'SELECT', tokens: 3 });
    expect(cols.map((c) => [c.model, c.text, c.tokens])).toEqual([['base', '', 0], ['adapter', 'SELECT', 3]]);
    const output = { model: 'adapter' as const, text: 'SELECT 1', sql: 'SELECT 1', tokens: 4, finished: true, execution: { columns: ['1'], rows: [[1]] }, ms: 5 };
    const done = withOutputs(cols, [output]);
    expect(done[1]).toEqual({ model: 'adapter', text: 'SELECT 1', tokens: 4, output });
    expect(done[0]!.output).toBeNull();
  });
});

describe('store playground slice', () => {
  const shell: EngineApi = { gpuInfo: async () => ({ available: false, reason: 'test' }), runSmokeSession: async () => Promise.reject(new Error('no')) };

  it('asks the engine for its status, refuses a bad form without calling it, streams a generation into columns', async () => {
    const status: PlaygroundStatus = { model: 'm', adapter: true, blocked: null, maxPromptLength: 256 };
    const calls: PlaygroundRequest[] = [];
    const engine = {
      ...shell,
      playgroundStatus: async () => status,
      async playground(request: PlaygroundRequest, onChunk?: (c: PlaygroundChunk) => void): Promise<PlaygroundResult> {
        calls.push(request);
        onChunk?.({ model: 'base', text: 'a', tokens: 1 });
        // The columns show the stream while the call is still running.
        expect(store.getState().playground.columns.map((c) => c.text)).toEqual(['a', '']);
        onChunk?.({ model: 'adapter', text: 'b', tokens: 1 });
        return { outputs: request.models.map((model) => ({ model, text: `${model} done`, sql: null, tokens: 2, finished: true, execution: null, ms: 1 })), promptTokens: 40, prunedTables: [] };
      },
    } as unknown as DashboardEngine;
    const store = createAppStore(engine);
    await store.getState().refreshPlayground();
    expect(store.getState().playground.status).toEqual(status);

    await store.getState().generatePlayground();
    expect(calls).toHaveLength(0);
    expect(store.getState().playground.problems).toContain('type a question');

    store.getState().pickPlaygroundRow({ question: 'q', context: 'CREATE TABLE t (a INT)', goldSql: 'SELECT a FROM t' });
    expect(store.getState().playground.problems).toEqual([]);
    await store.getState().generatePlayground();
    expect(calls).toEqual([{ question: 'q', context: 'CREATE TABLE t (a INT)', gold: 'SELECT a FROM t', models: ['base', 'adapter'], temperature: 0, topP: 1, maxNewTokens: 128, seed: 0 }]);
    const pg = store.getState().playground;
    expect(pg.running).toBe(false);
    expect(pg.promptTokens).toBe(40);
    expect(pg.columns.map((c) => c.text)).toEqual(['base done', 'adapter done']);
  });

  it('lists the checkpoints with the status, and sends the chosen source', async () => {
    const checkpoints: CheckpointInfo[] = [{ id: 'r-step000002', step: 2, createdAt: '2026-01-01T00:00:00Z', modelId: 'm' }];
    const calls: PlaygroundRequest[] = [];
    const engine = {
      ...shell,
      playgroundStatus: async () => ({ model: 'm', adapter: false, blocked: null, maxPromptLength: 256 }),
      listCheckpoints: async () => checkpoints,
      async playground(request: PlaygroundRequest): Promise<PlaygroundResult> {
        calls.push(request);
        return { outputs: request.models.map((model) => ({ model, text: model, sql: null, tokens: 1, finished: true, execution: null, ms: 1 })), promptTokens: 3, prunedTables: [] };
      },
    } as unknown as DashboardEngine;
    const store = createAppStore(engine);
    await store.getState().refreshPlayground();
    expect(store.getState().playground.checkpoints).toEqual(checkpoints);
    store.getState().setPlaygroundForm({ question: 'q', context: 'CREATE TABLE t (a INT)', adapterSource: 'checkpoint', checkpointId: 'r-step000002' });
    await store.getState().generatePlayground();
    expect(calls.at(-1)).toMatchObject({ models: ['base', 'adapter'], adapter: { kind: 'checkpoint', id: 'r-step000002' } });

    const adapter = { configJson: '{}', safetensors: new Uint8Array([7]) };
    store.getState().setPlaygroundAdapterFiles({ name: 'lora-dir', adapter });
    expect(store.getState().playground.form.adapterSource).toBe('files');
    await store.getState().generatePlayground();
    expect(calls.at(-1)).toMatchObject({ adapter: { kind: 'files', adapter, name: 'lora-dir' } });
    expect(calls).toHaveLength(2);
  });

  it('says why a generation failed, and that an engine without a playground has none', async () => {
    const engine = {
      ...shell,
      playgroundStatus: async () => ({ model: 'm', adapter: false, blocked: null, maxPromptLength: 256 }),
      playground: async () => Promise.reject(new Error('training is running: pause it (or let it finish) to use the playground')),
    } as unknown as DashboardEngine;
    const store = createAppStore(engine);
    await store.getState().refreshPlayground();
    store.getState().setPlaygroundForm({ question: 'q', context: 'CREATE TABLE t (a INT)' });
    await store.getState().generatePlayground();
    expect(store.getState().playground).toMatchObject({ running: false, problems: ['training is running: pause it (or let it finish) to use the playground'] });

    const bare = createAppStore(shell);
    await bare.getState().refreshPlayground();
    expect(bare.getState().playground.status).toBe('unsupported');
  });
});
