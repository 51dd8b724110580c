import { describe, expect, it } from 'vitest';
import { metricsFromCSV, metricsFromJSONL } from '../../../src/grpo/metrics';
import type { DownloadFile } from '../../../src/ui/downloads';
import { DEFAULT_FORM, DEMO_FORM } from '../../../src/ui/settings-form';
import { createAppStore, type StoreDeps } from '../../../src/ui/store';
import type { DashboardEvent } from '../../../src/worker/dashboard-api';
import { asMissingMethodError, EngineMethodMissingError, type DashboardEngine } from '../../../src/worker/engine-client';
import type { EngineApi } from '../../../src/worker/api';
import type { CheckpointInfo, HintRecord, TrainingEvent, TrainingRequest } from '../../../src/worker/training-api';

const shell: EngineApi = {
  gpuInfo: async () => ({ available: false, reason: 'test' }),
  runSmokeSession: async () => {
    throw new Error('not in this test');
  },
};

const hint = (id: string, weight: number): HintRecord => ({ id, hint_type: weight >= 0 ? 'prefer' : 'avoid', pattern: `p:${id}`, description: id, weight, tables: [], evidence_count: 1, pinned: false });

/** A trainer double: records requests, hands the test the event callback, answers the rest from fields. */
function fakeTrainer(overrides: Partial<DashboardEngine> = {}) {
  const requests: TrainingRequest[] = [];
  const emitters: ((e: TrainingEvent) => void)[] = [];
  const calls: string[] = [];
  const engine: DashboardEngine = {
    ...shell,
    async startTraining(request, onEvent) {
      requests.push(request);
      emitters.push(onEvent);
    },
    pause: async () => void calls.push('pause'),
    resume: async () => void calls.push('resume'),
    stop: async () => void calls.push('stop'),
    listCheckpoints: async () => [],
    exportAdapter: async () => ({ configJson: '{"r":8}', safetensors: new Uint8Array([1, 2, 3]) }),
    exportMergedModel: async (onProgress) => {
      onProgress?.({ type: 'progress', label: 'merging', done: 4, total: 8, unit: 'bytes' });
      calls.push('exportMergedModel');
      return { files: [{ name: 'model.safetensors', data: new Blob([new Uint8Array(8)]) }, { name: 'config.json', data: new TextEncoder().encode('{}') }], bytes: 10 };
    },
    exportOnnxModel: async (dtype, onProgress) => {
      onProgress?.({ type: 'progress', label: 'exporting', done: 2, total: 8, unit: 'bytes' });
      calls.push(`exportOnnxModel ${dtype}`);
      return { files: [{ name: 'onnx/model.onnx', data: new Blob([new Uint8Array(8)]) }, { name: 'config.json', data: new TextEncoder().encode('{}') }], bytes: 10 };
    },
    importAdapter: async () => void calls.push('importAdapter'),
    exportHints: async () => '{"hints":[]}',
    importHints: async () => void calls.push('importHints'),
    editHint: async () => [],
    inspectDataset: async () => {
      throw new EngineMethodMissingError('inspectDataset');
    },
    modelCacheStatus: async () => {
      throw new EngineMethodMissingError('modelCacheStatus');
    },
    memoryPlan: async () => {
      throw new EngineMethodMissingError('memoryPlan');
    },
    gpuMemoryUse: async () => ({ live: 0, peak: 0, budget: null }),
    playgroundStatus: async () => ({ model: null, adapter: false, blocked: 'no model is loaded: train or load a model first', maxPromptLength: null }),
    playground: async () => {
      throw new Error('no model is loaded: train or load a model first');
    },
    ...overrides,
  };
  return { engine, requests, emitters, calls };
}

/** Store deps whose frame scheduler the test runs by hand, and a download log. */
function testDeps() {
  const pending: (() => void)[] = [];
  const downloads: DownloadFile[] = [];
  const deps: StoreDeps = { schedule: (f) => void pending.push(f), download: (f) => void downloads.push(f) };
  return { deps, downloads, runFrame: () => pending.splice(0).forEach((f) => f()) };
}

describe('dashboard store: a training run', () => {
  it('starts the run with the setup as a request, queues events until the next frame, then applies them', async () => {
    const fake = fakeTrainer();
    const t = testDeps();
    const store = createAppStore(fake.engine, t.deps);
    store.getState().setModel({ kind: 'bundled-tiny' });
    store.getState().setDataset({ kind: 'sample' });
    store.getState().setSetting('max_steps', '3');
    await store.getState().startTraining();
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]).toMatchObject({ model: { kind: 'bundled-tiny' }, dataset: { kind: 'sample' }, config: { max_steps: 3 } });
    expect(store.getState().run.phase).toBe('loading');

    const emit = fake.emitters[0]!;
    emit({ type: 'phase', phase: 'generating' });
    emit({ type: 'metrics', row: { step: 1, reward: 0.5 } });
    expect(store.getState().run.metrics).toEqual([]); // not before the frame
    t.runFrame();
    expect(store.getState().run.phase).toBe('generating');
    expect(store.getState().run.metrics).toEqual([{ step: 1, reward: 0.5 }]);
  });

  it('does not call the engine when the setup has problems, and says what they are', async () => {
    const fake = fakeTrainer();
    const store = createAppStore(fake.engine, testDeps().deps);
    store.getState().setSetting('temperature', '0');
    await store.getState().startTraining();
    expect(fake.requests).toEqual([]);
    expect(store.getState().startProblems).toEqual(['Settings: temperature must be a positive number, got 0']);
    store.getState().setSetting('temperature', '1');
    expect(store.getState().startProblems).toEqual([]); // editing clears the stale message
  });

  it('ignores a second Train while a run is active, and events of an earlier run after a restart', async () => {
    const fake = fakeTrainer();
    const t = testDeps();
    const store = createAppStore(fake.engine, t.deps);
    await store.getState().startTraining();
    await store.getState().startTraining();
    expect(fake.requests).toHaveLength(1);
    fake.emitters[0]!({ type: 'phase', phase: 'stopped' });
    t.runFrame();
    await store.getState().startTraining();
    expect(fake.requests).toHaveLength(2);
    fake.emitters[0]!({ type: 'metrics', row: { step: 7, reward: 1 } } as TrainingEvent);
    fake.emitters[1]!({ type: 'metrics', row: { step: 1, reward: 2 } });
    t.runFrame();
    expect(store.getState().run.metrics).toEqual([{ step: 1, reward: 2 }]);
  });

  it('a run start folds the setup to its summary line and shows the live tab; a refused Train opens the setup again', async () => {
    const fake = fakeTrainer();
    const t = testDeps();
    const store = createAppStore(fake.engine, t.deps);
    expect(store.getState().setupOpen).toBe(true);
    store.getState().showResultsTab('hints');
    await store.getState().startTraining();
    expect(store.getState()).toMatchObject({ setupOpen: false, resultsTab: 'live' });

    // Opened by hand while running, it stays open; closing it is the person's call too.
    store.getState().setSetupOpen(true);
    fake.emitters[0]!({ type: 'phase', phase: 'finished' });
    t.runFrame();
    expect(store.getState().setupOpen).toBe(true);
    store.getState().setSetupOpen(false);

    store.getState().setSetting('top_p', '1.5');
    await store.getState().startTraining();
    expect(fake.requests).toHaveLength(1);
    expect(store.getState().setupOpen).toBe(true);
    expect(store.getState().startProblems).toEqual(['Settings: top_p must be in (0, 1], got 1.5']);
  });

  it('accepts the dashboard extras (dataset report) through the same callback', async () => {
    const fake = fakeTrainer();
    const t = testDeps();
    const store = createAppStore(fake.engine, t.deps);
    await store.getState().startTraining();
    const report: DashboardEvent = { type: 'dataset', source: 'sample', total: 10, usable: 8, skipped: 2, byKind: { 'bad-schema': 2 }, skippedExamples: [] };
    (fake.emitters[0] as (e: DashboardEvent) => void)(report);
    t.runFrame();
    expect(store.getState().run.dataset?.usable).toBe(8);
  });

  it('an engine without startTraining fails the run with a plain message', async () => {
    const store = createAppStore(shell, testDeps().deps);
    await store.getState().startTraining();
    expect(store.getState().run.phase).toBe('failed');
    expect(store.getState().run.errors).toEqual(['The engine worker does not implement startTraining() yet: training cannot start until the engine implements it.']);
  });

  it('a rejected startTraining shows the engine\'s error', async () => {
    const fake = fakeTrainer({ startTraining: async () => Promise.reject(new Error('model not found: me/x')) });
    const store = createAppStore(fake.engine, testDeps().deps);
    await store.getState().startTraining();
    expect(store.getState().run.errors).toEqual(['model not found: me/x']);
  });

  it('pause, resume and stop call the engine; a failure becomes a notice', async () => {
    const fake = fakeTrainer({ stop: async () => Promise.reject(new Error('no run')) });
    const store = createAppStore(fake.engine, testDeps().deps);
    await store.getState().pauseTraining();
    await store.getState().resumeTraining();
    await store.getState().stopTraining();
    expect(fake.calls).toEqual(['pause', 'resume']);
    expect(store.getState().notices.map((n) => n.text)).toEqual(['Stop failed: no run']);
    expect(store.getState().pending).toBeNull();
    store.getState().dismissNotice(store.getState().notices[0]!.id);
    expect(store.getState().notices).toEqual([]);
  });
});

describe('dashboard store: exports and imports', () => {
  it('exports the metrics as CSV and JSONL that read back to the same rows', async () => {
    const fake = fakeTrainer();
    const t = testDeps();
    const store = createAppStore(fake.engine, t.deps);
    await store.getState().startTraining();
    const rows = [
      { step: 1, reward: 0.25, loss: NaN, 'rewards/check_answer/mean': -0.5 },
      { step: 2, reward: 0.5, loss: 0.1, 'rewards/check_answer/mean': 1 },
    ];
    for (const row of rows) fake.emitters[0]!({ type: 'metrics', row });
    t.runFrame();
    store.getState().exportMetrics('csv');
    store.getState().exportMetrics('jsonl');
    const [csv, jsonl] = t.downloads;
    expect(csv!.name).toBe('metrics.csv');
    expect(csv!.data).toMatch(/^step,reward,loss,rewards\/check_answer\/mean\n1,0.25,NaN,-0.5\n/);
    expect(metricsFromCSV(csv!.data as string)).toEqual(rows);
    expect(jsonl!.name).toBe('metrics.jsonl');
    expect(metricsFromJSONL(jsonl!.data as string)).toEqual(rows);
  });

  it('exports the adapter as the two PEFT files', async () => {
    const t = testDeps();
    const store = createAppStore(fakeTrainer().engine, t.deps);
    await store.getState().exportAdapter();
    expect(t.downloads.map((f) => [f.name, f.data])).toEqual([
      ['adapter_model.safetensors', new Uint8Array([1, 2, 3])],
      ['adapter_config.json', '{"r":8}'],
    ]);
  });

  it('exports for transformers.js: asks for the dtype, saves onnx/<file> as <file>, says where to put it', async () => {
    const t = testDeps();
    const fake = fakeTrainer();
    const store = createAppStore(fake.engine, t.deps);
    await store.getState().exportOnnxModel('fp16');
    expect(fake.calls).toEqual(['exportOnnxModel fp16']);
    expect(t.downloads.map((f) => [f.name, f.type])).toEqual([
      ['model.onnx', 'application/octet-stream'],
      ['config.json', 'application/json'],
    ]);
    expect(store.getState().onnxProgress).toBeNull();
    expect(store.getState().notices.at(-1)?.text).toMatch(/with model\.onnx in its onnx\/ subfolder.*dtype 'fp16'/);
  });

  it('an export the engine does not implement yet says so and downloads nothing', async () => {
    const t = testDeps();
    const store = createAppStore(shell, t.deps);
    await store.getState().exportAdapter();
    expect(t.downloads).toEqual([]);
    expect(store.getState().notices.map((n) => n.text)).toEqual(['Exporting the adapter is not available yet: The engine worker does not implement exportAdapter() yet.']);
  });

  it('exports hints as hints.json and imports adapter files and hints', async () => {
    const fake = fakeTrainer();
    const t = testDeps();
    const store = createAppStore(fake.engine, t.deps);
    await store.getState().exportHints();
    expect(t.downloads.map((f) => [f.name, f.data])).toEqual([['hints.json', '{"hints":[]}']]);
    await store.getState().importAdapter({ configJson: '{}', safetensors: new Uint8Array() });
    await store.getState().importHints('{}');
    expect(fake.calls).toEqual(['importAdapter', 'importHints']);
    expect(store.getState().notices.every((n) => n.tone === 'info')).toBe(true);
  });

  it('a hint edit replaces the table with the engine\'s answer, keeping each hint\'s history', async () => {
    const fake = fakeTrainer({ editHint: async (id, change) => (change === 'delete' ? [hint('h2', -0.2)] : [hint('h1', 0.9), hint('h2', -0.2)].map((h) => (h.id === id ? { ...h, ...change } : h))) });
    const t = testDeps();
    const store = createAppStore(fake.engine, t.deps);
    await store.getState().startTraining();
    const history = [{ step: 1, kind: 'created' as const, old_weight: 0, new_weight: 0.4 }];
    fake.emitters[0]!({ type: 'hints', step: 1, hints: [{ ...hint('h1', 0.4), history }, hint('h2', -0.2)] } as TrainingEvent);
    t.runFrame();
    await store.getState().editHint('h1', { weight: 0.9, pinned: true });
    const h1 = store.getState().run.hints.find((h) => h.id === 'h1')!;
    expect([h1.weight, h1.pinned, h1.history]).toEqual([0.9, true, history]);
    await store.getState().editHint('h1', 'delete');
    expect(store.getState().run.hints.map((h) => h.id)).toEqual(['h2']);
  });
});

describe('dashboard store: resume offer, cache and dataset checks', () => {
  const checkpoint = (id: string, step: number, createdAt: string): CheckpointInfo => ({ id, step, createdAt, modelId: 'bundled-tiny' });

  it('offers the latest checkpoint and resumes from it', async () => {
    const fake = fakeTrainer({ listCheckpoints: async () => [checkpoint('a', 2, '2025-01-01T00:00:00Z'), checkpoint('b', 3, '2025-01-01T00:01:00Z'), checkpoint('c', 1, '2025-01-02T00:00:00Z')] });
    const store = createAppStore(fake.engine, testDeps().deps);
    await store.getState().checkForCheckpoints();
    expect(store.getState().resumeOffer?.id).toBe('b');
    await store.getState().startTraining(store.getState().resumeOffer!.id);
    expect(fake.requests[0]!.resumeFrom).toBe('b');
    expect(store.getState().resumeOffer).toBeNull();
  });

  it('no checkpoints, or an engine without listCheckpoints: nothing is offered and nothing complains', async () => {
    const none = createAppStore(fakeTrainer().engine, testDeps().deps);
    await none.getState().checkForCheckpoints();
    const old = createAppStore(shell, testDeps().deps);
    await old.getState().checkForCheckpoints();
    for (const store of [none, old]) {
      expect(store.getState().resumeOffer).toBeNull();
      expect(store.getState().notices).toEqual([]);
    }
  });

  it('asks the engine for the model cache status when the model kind changes; unsupported until it can tell', async () => {
    const seen: unknown[] = [];
    const fake = fakeTrainer({
      modelCacheStatus: async (source) => {
        seen.push(source);
        return { model: 'bundled-tiny', cached: true };
      },
    });
    const store = createAppStore(fake.engine, testDeps().deps);
    store.getState().setModel({ kind: 'bundled-tiny' });
    await Promise.resolve();
    await Promise.resolve();
    expect(seen).toEqual([{ kind: 'bundled-tiny' }]);
    expect(store.getState().cacheCheck).toEqual({ phase: 'known', status: { model: 'bundled-tiny', cached: true } });

    const old = createAppStore(shell, testDeps().deps);
    await old.getState().checkModelCache();
    expect(old.getState().cacheCheck).toEqual({ phase: 'unsupported' });
  });

  it('checks the dataset through the engine when it can, and says when it cannot yet', async () => {
    const fake = fakeTrainer({ inspectDataset: async () => ({ source: 'sample', total: 224, usable: 224, skipped: 0, byKind: {}, skippedExamples: [] }) });
    const store = createAppStore(fake.engine, testDeps().deps);
    store.getState().setDataset({ kind: 'sample' });
    await store.getState().inspectDataset();
    expect(store.getState().run.dataset?.total).toBe(224);
    const old = createAppStore(shell, testDeps().deps);
    await old.getState().inspectDataset();
    expect(old.getState().datasetCheck).toEqual({ phase: 'unsupported' });
  });

  it('an upload with odd column names is kept with a guessed mapping the person completes', () => {
    const store = createAppStore(shell, testDeps().deps);
    store.getState().uploadDataset('odd.csv', 'Q,Tables,gold_sql\na,b,c\n');
    let dataset = store.getState().setup.dataset;
    expect(dataset.kind === 'upload' && dataset.file?.mapping).toEqual({ question: '', context: '', answer: 'gold_sql' });
    store.getState().setColumn('question', 'Q');
    dataset = store.getState().setup.dataset;
    expect(dataset.kind === 'upload' && dataset.file?.mapping.question).toBe('Q');
    store.getState().uploadDataset('bad.json', '[{');
    expect(store.getState().uploadError).toMatch(/JSON/);
  });

  it('falls back to the wasm backend when the engine has no WebGPU', async () => {
    const store = createAppStore(shell, testDeps().deps);
    await store.getState().detectGpu();
    expect(store.getState().setup.backend).toBe('wasm');
    store.getState().resetSettings();
    expect(store.getState().setup.settings).toEqual(DEMO_FORM);
  });

  it("switches an untouched preset with the model, and keeps settings the person typed", () => {
    const store = createAppStore(shell, testDeps().deps);
    expect(store.getState().setup.settings).toEqual(DEMO_FORM);
    store.getState().setModel({ kind: 'hub', repo: 'unsloth/gemma-3-1b-it', token: '' });
    expect(store.getState().setup.settings).toEqual(DEFAULT_FORM);
    store.getState().setModel({ kind: 'bundled-demo' });
    expect(store.getState().setup.settings).toEqual(DEMO_FORM);
    store.getState().setSetting('learning_rate', '1e-4');
    store.getState().setModel({ kind: 'bundled-tiny' });
    expect(store.getState().setup.settings.learning_rate).toBe('1e-4');
    store.getState().resetSettings();
    expect(store.getState().setup.settings).toEqual(DEFAULT_FORM);
  });
});

describe('engine client: missing methods', () => {
  it('recognises comlink\'s "undefined.apply" from Chromium, Firefox and Safari', () => {
    for (const message of [
      "Cannot read properties of undefined (reading 'apply')",
      'rawValue.apply is not a function',
      "undefined is not an object (evaluating 'rawValue.apply')",
    ]) {
      const e = asMissingMethodError('startTraining', new TypeError(message));
      expect(e).toBeInstanceOf(EngineMethodMissingError);
      expect((e as Error).message).toBe('The engine worker does not implement startTraining() yet');
    }
  });

  it('passes other errors through unchanged', () => {
    const original = new Error('out of memory');
    expect(asMissingMethodError('startTraining', original)).toBe(original);
  });
});
