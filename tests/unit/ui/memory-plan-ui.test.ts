/**
 * The dashboard's GPU memory pieces: the budget field, the plan as shown (summary and terms), the
 * memory-in-use line, and the store calls behind the Settings panel's plan and the GPU panel.
 */
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { gemma3_1bConfig } from '../../../src/model/config';
import { GiB, MemoryBudgetError, choosePlan, planFor, type StepShape } from '../../../src/model/memory-plan';
import { LORA_MODULES } from '../../../src/model/peft';
import { memoryUseView, parseBudgetGiB, planRows, planSummary } from '../../../src/ui/memory-view';
import { loadSetup, saveSetup } from '../../../src/ui/persist-setup';
import { buildTrainingRequest } from '../../../src/ui/run-request';
import { MemoryPlanSettings } from '../../../src/ui/setup/MemoryPlanSettings';
import { createAppStore, INITIAL_SETUP } from '../../../src/ui/store';
import { AppStoreProvider } from '../../../src/ui/store-context';
import type { DashboardEngine } from '../../../src/worker/engine-client';
import type { MemoryPlanReport, MemoryPlanRequest } from '../../../src/worker/training-api';

const shape: StepShape = { completions: 8, seq: 512, lossRowsPerSequence: 256, lora: { r: 16, modules: LORA_MODULES }, generation: null };

describe('memory view', () => {
  it('reads the budget field in GiB, empty for the default, and refuses anything else', () => {
    expect(parseBudgetGiB('')).toEqual({ bytes: 6 * GiB });
    expect(parseBudgetGiB(' 7.5 ')).toEqual({ bytes: 7.5 * GiB });
    for (const bad of ['0', '-1', 'six', '1e3', '4 GiB']) expect(parseBudgetGiB(bad), bad).toHaveProperty('problem', expect.stringMatching(/positive number of GiB/));
  });

  it('sums a plan up under TRL names and lists its terms largest first, shares adding to 1', () => {
    const plan = planFor(gemma3_1bConfig(), shape, { microBatch: 4, chunkRows: 256 }, 6 * GiB);
    expect(planSummary(plan)).toMatch(/^per_device_train_batch_size 4 × gradient_accumulation_steps 2, loss head in chunks of 256 rows: \d\.\d\d GiB of the 6\.00 GiB budget$/);
    const rows = planRows(plan);
    expect(rows[0]).toMatchObject({ key: 'weights', size: '3.72 GiB' });
    expect(rows.map((r) => r.share)).toEqual([...rows.map((r) => r.share)].sort((a, b) => b - a));
    expect(rows.reduce((a, r) => a + r.share, 0)).toBeCloseTo(1, 12);
  });

  it('shows memory in use against the budget, and says when it is over', () => {
    expect(memoryUseView({ live: 3 * GiB, peak: 4 * GiB, budget: 6 * GiB })).toEqual({ text: '3.00 GiB of the 6.00 GiB budget', peak: '4.00 GiB', fraction: 0.5, over: false });
    expect(memoryUseView({ live: 7 * GiB, peak: 7 * GiB, budget: 6 * GiB })).toMatchObject({ fraction: 1, over: true });
    expect(memoryUseView({ live: 512 * 2 ** 20, peak: 512 * 2 ** 20, budget: null })).toEqual({ text: '512.0 MiB', peak: '512.0 MiB', fraction: null, over: false });
  });
});

describe('the budget in the setup', () => {
  it('goes into the training request in bytes, and a bad one is a settings problem', () => {
    const setup = { ...INITIAL_SETUP, model: { kind: 'bundled-tiny' } as const, dataset: { kind: 'sample' } as const };
    const none = buildTrainingRequest(setup);
    expect('request' in none && none.request.gpuMemoryBudget).toBe(6 * GiB);
    const four = buildTrainingRequest({ ...setup, gpuMemoryBudget: '4' });
    expect('request' in four && four.request.gpuMemoryBudget).toBe(4 * GiB);
    const bad = buildTrainingRequest({ ...setup, gpuMemoryBudget: 'lots' });
    expect('problems' in bad && bad.problems.settings).toEqual([expect.stringMatching(/GPU memory budget must be a positive number of GiB, got 'lots'/)]);
  });

  it('the weight dtype goes into the training request (int8 only when chosen) and survives a reload; a stored unknown one is dropped', () => {
    const setup = { ...INITIAL_SETUP, model: { kind: 'bundled-tiny' } as const, dataset: { kind: 'sample' } as const };
    const plain = buildTrainingRequest(setup);
    expect('request' in plain && plain.request.weightDtype).toBeUndefined();
    const int8 = buildTrainingRequest({ ...setup, weightDtype: 'int8' });
    expect('request' in int8 && int8.request.weightDtype).toBe('int8');
    const items = new Map<string, string>();
    const storage = { getItem: (k: string) => items.get(k) ?? null, setItem: (k: string, v: string) => void items.set(k, v) };
    saveSetup(storage, { ...INITIAL_SETUP, weightDtype: 'int8' });
    expect(loadSetup(storage, INITIAL_SETUP).weightDtype).toBe('int8');
    saveSetup(storage, { ...INITIAL_SETUP, weightDtype: 'int4' as never });
    expect(loadSetup(storage, INITIAL_SETUP).weightDtype).toBeUndefined();
  });

  it('survives a reload', () => {
    const items = new Map<string, string>();
    const storage = { getItem: (k: string) => items.get(k) ?? null, setItem: (k: string, v: string) => void items.set(k, v) };
    saveSetup(storage, { ...INITIAL_SETUP, gpuMemoryBudget: '5.5' });
    expect(loadSetup(storage, INITIAL_SETUP).gpuMemoryBudget).toBe('5.5');
  });
});

describe('store: plan and memory in use', () => {
  const shell = { gpuInfo: async () => ({ available: false as const, reason: 'test' }), runSmokeSession: async () => Promise.reject(new Error('no')) };
  /** An engine that plans with the real planner for the 1B config, recording what it was asked. */
  function engine() {
    const asked: MemoryPlanRequest[] = [];
    let release: () => void = () => {};
    let hold = false;
    const e = {
      ...shell,
      async memoryPlan(request: MemoryPlanRequest): Promise<MemoryPlanReport> {
        asked.push(request);
        if (hold) await new Promise<void>((r) => (release = r));
        const budget = request.gpuMemoryBudget!;
        const completions = request.config.per_device_train_batch_size! * (request.config.gradient_accumulation_steps ?? 1);
        try {
          return { budget, plan: choosePlan(gemma3_1bConfig(), { ...shape, completions, weightDtype: request.weightDtype }, budget, request.config.per_device_train_batch_size), refusal: null, smallest: null };
        } catch (err) {
          if (!(err instanceof MemoryBudgetError)) throw err;
          return { budget, plan: null, refusal: err.message, smallest: err.smallest };
        }
      },
      gpuMemoryUse: async () => ({ live: 2 * GiB, peak: 3 * GiB, budget: 6 * GiB }),
    } as unknown as DashboardEngine;
    return { e, asked, holdNext: () => (hold = true), release: () => release() };
  }

  it('asks the engine with the model, settings, backend and budget; a setup change clears the plan', async () => {
    const f = engine();
    const store = createAppStore(f.e);
    store.getState().setModel({ kind: 'hub', repo: 'unsloth/gemma-3-1b-it', token: '' });
    store.getState().setSetting('per_device_train_batch_size', '8');
    store.getState().setGpuMemoryBudget('6');
    await store.getState().checkMemoryPlan();
    expect(f.asked[0]).toMatchObject({ model: { kind: 'hub', repo: 'unsloth/gemma-3-1b-it' }, backend: store.getState().setup.backend, gpuMemoryBudget: 6 * GiB });
    const check = store.getState().memoryPlan;
    expect(check.phase === 'known' && check.report.plan?.microBatch).toBe(4);
    store.getState().setGpuMemoryBudget('3');
    expect(store.getState().memoryPlan).toEqual({ phase: 'idle' });
    await store.getState().checkMemoryPlan();
    const refused = store.getState().memoryPlan;
    expect(refused.phase === 'known' && refused.report.refusal).toMatch(/GPU memory budget 3\.00 GiB is too small/);
  });

  it('plans with the chosen weight dtype, and choosing one clears the plan shown', async () => {
    const f = engine();
    const store = createAppStore(f.e);
    store.getState().setModel({ kind: 'hub', repo: 'unsloth/gemma-3-1b-it', token: '' });
    await store.getState().checkMemoryPlan();
    expect(f.asked[0].weightDtype).toBe('float32');
    store.getState().setWeightDtype('int8');
    expect(store.getState().memoryPlan).toEqual({ phase: 'idle' });
    await store.getState().checkMemoryPlan();
    expect(f.asked[1].weightDtype).toBe('int8');
    const check = store.getState().memoryPlan;
    expect(check.phase === 'known' && check.report.plan?.terms.find((t) => t.key === 'weights')?.name).toBe('Weights (int8)');
  });

  it('the Settings panel shows the weight dtype chosen, labelled and explained', () => {
    const store = createAppStore(engine().e);
    // Server rendering reads getInitialState: point it at the current state.
    const html = () => renderToStaticMarkup(createElement(AppStoreProvider, { store: { ...store, getInitialState: store.getState }, children: createElement(MemoryPlanSettings) }));
    expect(html()).toMatch(/<label for="weight-dtype"[^>]*>Frozen weights<\/label><select id="weight-dtype" aria-describedby="weight-dtype-help"[^>]*>/);
    expect(html()).toMatch(/<option value="float32" selected="">float32<\/option><option value="int8">/);
    store.getState().setWeightDtype('int8');
    expect(html()).toMatch(/<option value="int8" selected="">int8 \(8 bits per weight\)<\/option>/);
  });

  it('refuses a bad budget without asking the engine, and drops a plan for a setup that changed meanwhile', async () => {
    const f = engine();
    const store = createAppStore(f.e);
    store.getState().setModel({ kind: 'bundled-tiny' });
    store.getState().setGpuMemoryBudget('none');
    await store.getState().checkMemoryPlan();
    expect(store.getState().memoryPlan).toMatchObject({ phase: 'failed', error: expect.stringMatching(/positive number of GiB/) });
    expect(f.asked).toHaveLength(0);
    store.getState().setGpuMemoryBudget('');
    f.holdNext();
    const pending = store.getState().checkMemoryPlan();
    await Promise.resolve();
    store.getState().setSetting('max_completion_length', '64');
    f.release();
    await pending;
    expect(store.getState().memoryPlan).toEqual({ phase: 'idle' });
  });

  it('keeps the memory in use the engine reports', async () => {
    const store = createAppStore(engine().e);
    expect(store.getState().gpuUse).toBeNull();
    await store.getState().refreshGpuMemory();
    expect(store.getState().gpuUse).toEqual({ live: 2 * GiB, peak: 3 * GiB, budget: 6 * GiB });
  });
});
