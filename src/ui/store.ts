/**
 * App state (zustand), in slices: the system checks (WebGPU, smoke test), the setup a person makes,
 * and the training run the engine reports. The store gets the engine (and the browser's download
 * and frame scheduling) injected, so it is tested with fakes and the UI never touches the worker.
 */
import { DEFAULT_WARMUP_FORM, type WarmupForm } from './warmup-form';
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { PresetName } from '../rewards/registry';
import type { DatasetReport, DashboardEvent, ModelCacheStatus, StorageApi, StorageInventory, StoredItemRef } from '../worker/dashboard-api';
import type { Backend, EngineApi, GpuStatus, SmokeResult } from '../worker/api';
import { EngineMethodMissingError, type DashboardEngine } from '../worker/engine-client';
import type { CheckpointInfo, ExportedAdapter, GpuMemoryUse, HintRecord, MemoryPlanReport, TrainerApi, TrainingMode } from '../worker/training-api';
import { parseBudgetGiB } from './memory-view';
import { sizeText, storedTitle } from './storage-view';
import { adapterFiles, hintsFile, mergedModelFiles, metricsFile, onnxModelFiles, type DownloadFile, type MetricsFormat } from './downloads';
import {
  buildTrainingRequest,
  datasetSourceOf,
  DEFAULT_SYNTHETIC_CHOICE,
  modelSourceOf,
  problemLines,
  rewardsFromPreset,
  type DatasetChoice,
  type FieldName,
  type ModelChoice,
  type RewardChoice,
  type Setup,
} from './run-request';
import { DEMO_FORM, presetFormFor, sameForm, validateSettings, type ScalarSettingName, type SettingsForm } from './settings-form';
import { applyEvents, DEFAULT_LIMITS, INITIAL_TRAINING_STATE, isActive, stateForNewRun, type ReducerLimits, type TrainingState } from './training-state';
import { readUpload } from './upload-columns';
import { loadSetup, saveSetup, type SetupStorage } from './persist-setup';
import type { LoraModuleName } from '../model/peft';
import type { WeightDtype } from '../model/weight-dtype';
import { applyChunk, columnsFor, INITIAL_PLAYGROUND, playgroundRequestOf, withOutputs, type PlaygroundAdapterFiles, type PlaygroundForm, type PlaygroundRow, type PlaygroundState } from './playground-form';

export type GpuState =
  | { phase: 'detecting' }
  | { phase: 'ready'; status: GpuStatus }
  /** The check itself failed (e.g. the engine worker did not start): we know nothing about WebGPU. */
  | { phase: 'failed'; error: string };

export type SmokeState =
  | { phase: 'idle' }
  | { phase: 'running'; backend: Backend }
  | { phase: 'done'; result: SmokeResult }
  | { phase: 'failed'; backend: Backend; error: string };

/** Whether the chosen model is in the browser cache; 'unsupported' until the engine can tell. */
export type CacheCheck = { phase: 'idle' } | { phase: 'checking' } | { phase: 'known'; status: ModelCacheStatus } | { phase: 'unsupported' } | { phase: 'failed'; error: string };

/** The memory plan of the current setup, as the engine computed it; 'idle' again after any setup change. */
export type PlanCheck = { phase: 'idle' } | { phase: 'checking' } | { phase: 'known'; report: MemoryPlanReport } | { phase: 'unsupported' } | { phase: 'failed'; error: string };

export type DatasetCheck = { phase: 'idle' } | { phase: 'checking' } | { phase: 'unsupported' } | { phase: 'failed'; error: string };

/** An outcome of a button that is not part of the run (export, import, an unavailable action). */
export interface Notice {
  id: number;
  tone: 'error' | 'info';
  text: string;
}

export type PendingAction = 'pause' | 'resume' | 'stop';

interface SystemSlice {
  gpu: GpuState;
  smoke: SmokeState;
  /** GPU memory in use, as last asked (the GPU panel polls during a run); null before. */
  gpuUse: GpuMemoryUse | null;
  refreshGpuMemory(): Promise<void>;
  detectGpu(): Promise<void>;
  /** Runs the engine's smoke session on the best backend we have; ignored while one is running or WebGPU is still being detected. */
  runSmokeTest(): Promise<void>;
}

interface SetupSlice {
  setup: Setup;
  cacheCheck: CacheCheck;
  datasetCheck: DatasetCheck;
  /** The upload could not be read (bad JSON, no header...). */
  uploadError: string | null;
  setModel(model: ModelChoice): void;
  /** The hub's base URL (a mirror), as typed; '' for huggingface.co. */
  setHubEndpoint(text: string): void;
  checkModelCache(): Promise<void>;
  setDataset(dataset: DatasetChoice): void;
  uploadDataset(name: string, text: string): void;
  setColumn(field: FieldName, column: string): void;
  /** Asks the engine to read and validate the dataset now (counts before training). */
  inspectDataset(): Promise<void>;
  setSetting(name: ScalarSettingName, value: string): void;
  setTargetModules(modules: LoraModuleName[]): void;
  /** Turns the warm-up on or off, or changes one of its fields (as typed). */
  setWarmup(change: Partial<WarmupForm>): void;
  resetSettings(): void;
  setReward(name: string, change: Partial<Omit<RewardChoice, 'name'>>): void;
  applyRewardPreset(preset: PresetName): void;
  setMode(mode: TrainingMode): void;
  setBackend(backend: Backend): void;
  /** The GPU memory budget in GiB, as typed ('' for the default). */
  setGpuMemoryBudget(text: string): void;
  /** How the model's frozen weights sit on the GPU (float32, or int8 for a quarter of the memory). */
  setWeightDtype(dtype: WeightDtype): void;
  memoryPlan: PlanCheck;
  /** Asks the engine for the plan a run with this setup would take (or why none fits the budget). */
  checkMemoryPlan(): Promise<void>;
}

interface RunSlice {
  run: TrainingState;
  /** max_steps of the run that was started (the settings may change after it). */
  runMaxSteps: number | null;
  pending: PendingAction | null;
  /** Why the last Train click did not start a run. */
  startProblems: string[];
  /** The latest saved checkpoint, offered on load until dismissed or used. */
  resumeOffer: CheckpointInfo | null;
  notices: Notice[];
  startTraining(resumeFrom?: string): Promise<void>;
  pauseTraining(): Promise<void>;
  resumeTraining(): Promise<void>;
  stopTraining(): Promise<void>;
  checkForCheckpoints(): Promise<void>;
  dismissResumeOffer(): void;
  /** Applies queued engine events now (normally done once per frame). */
  flushEvents(): void;
  exportMetrics(format: MetricsFormat): void;
  exportAdapter(): Promise<void>;
  /** Bytes of the merged model written so far while "Download merged model" works; null otherwise. */
  mergeProgress: { done: number; total: number } | null;
  exportMergedModel(): Promise<void>;
  /** Bytes of weights written so far while "Download for transformers.js" works; null otherwise. */
  onnxProgress: { done: number; total: number } | null;
  /** The adapter merged into the base and exported for transformers.js (ONNX + config + tokenizer), downloaded. */
  exportOnnxModel(dtype: 'fp32' | 'fp16'): Promise<void>;
  importAdapter(files: ExportedAdapter): Promise<void>;
  exportHints(): Promise<void>;
  importHints(json: string): Promise<void>;
  editHint(id: string, change: Parameters<TrainerApi['editHint']>[1]): Promise<void>;
  dismissNotice(id: number): void;
}

/** How the page is arranged: what a person opened or closed, and what a run start changes. */
interface LayoutSlice {
  /** The setup panels are shown in full (else one summary line). Open until a run starts. */
  setupOpen: boolean;
  /** The results tab on show (an id of RESULT_TABS). */
  resultsTab: string;
  setSetupOpen(open: boolean): void;
  showResultsTab(id: string): void;
}

/** The Playground tab: the loaded model answering a person's question. */
interface PlaygroundSlice {
  playground: PlaygroundState;
  /** Asks the engine whether a model is loaded and free to generate. */
  refreshPlayground(): Promise<void>;
  setPlaygroundForm(change: Partial<PlaygroundForm>): void;
  pickPlaygroundRow(row: PlaygroundRow): void;
  /** Adapter files picked for the playground (null clears them); the source switches to 'files'. */
  setPlaygroundAdapterFiles(files: PlaygroundAdapterFiles | null): void;
  generatePlayground(): Promise<void>;
}

/** The Browser storage panel: the engine's inventory, the item awaiting confirmation, the deletion under way. */
export interface StorageState {
  phase: 'idle' | 'loading' | 'known' | 'unsupported' | 'failed';
  inventory: StorageInventory | null;
  /** The item whose deletion awaits confirmation (its id). */
  confirming: string | null;
  /** The item being deleted (its id). */
  deleting: string | null;
  /** Why the last listing or deletion failed. */
  error: string | null;
}

export const INITIAL_STORAGE: StorageState = { phase: 'idle', inventory: null, confirming: null, deleting: null, error: null };

interface StorageSlice {
  storage: StorageState;
  refreshStorage(): Promise<void>;
  /** Asks for confirmation of one item's deletion (null: cancel). */
  confirmStorageDelete(id: string | null): void;
  deleteStored(ref: StoredItemRef): Promise<void>;
}

export type AppState = SystemSlice & SetupSlice & RunSlice & LayoutSlice & PlaygroundSlice & StorageSlice;
export type AppStore = StoreApi<AppState>;

export interface StoreDeps {
  /** Saves a file in the browser (default: none: a store without it cannot download). */
  download?: (file: DownloadFile) => void;
  /** Runs `flush` soon; engine events queue until then (default: the next animation frame). */
  schedule?: (flush: () => void) => void;
  limits?: ReducerLimits;
  /** Where the setup is kept across reloads (default: none). */
  storage?: SetupStorage;
}

/** WebGPU when the engine has it, else the wasm (CPU) backend; null until detection has finished. */
export function smokeBackend(gpu: GpuState): Backend | null {
  if (gpu.phase === 'detecting') return null;
  return gpu.phase === 'ready' && gpu.status.available ? 'webgpu' : 'wasm';
}

/** The results tab a run start shows: live plots and the latest groups. */
export const LIVE_TAB = 'live';

export const INITIAL_SETUP: Setup = {
  // Offline by default: the demo model and the synthetic corpus need no download.
  model: { kind: 'bundled-demo' },
  dataset: { ...DEFAULT_SYNTHETIC_CHOICE },
  settings: DEMO_FORM,
  warmup: DEFAULT_WARMUP_FORM,
  rewards: rewardsFromPreset('default'),
  mode: 'lora',
  backend: 'webgpu',
  hubEndpoint: '',
};

/**
 * Next animation frame, or 250 ms if that comes first: frames stop in a hidden tab and the events
 * must still be applied.
 */
export function nextFrameOrTimeout(flush: () => void): void {
  let done = false;
  const once = () => {
    if (done) return;
    done = true;
    flush();
  };
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(once);
  setTimeout(once, 250);
}

/** An engine without the trainer (the shell's EngineApi) still works: every trainer call reports "missing". */
function withTrainerFallback(engine: EngineApi | DashboardEngine): DashboardEngine & StorageApi {
  const missing = (method: string) => () => Promise.reject(new EngineMethodMissingError(method));
  const names = ['startTraining', 'pause', 'resume', 'stop', 'listCheckpoints', 'exportAdapter', 'exportMergedModel', 'exportOnnxModel', 'importAdapter', 'exportHints', 'importHints', 'editHint', 'inspectDataset', 'modelCacheStatus', 'memoryPlan', 'gpuMemoryUse', 'playgroundStatus', 'playground', 'storageInventory', 'deleteStored'] as const;
  const filled: Record<string, unknown> = { gpuInfo: () => engine.gpuInfo(), runSmokeSession: (b?: Backend) => engine.runSmokeSession(b) };
  for (const name of names) {
    const fn = (engine as unknown as Record<string, unknown>)[name];
    filled[name] = typeof fn === 'function' ? (...args: unknown[]) => (fn as (...a: unknown[]) => unknown).apply(engine, args) : missing(name);
  }
  return filled as unknown as DashboardEngine & StorageApi;
}

export function createAppStore(engineIn: EngineApi | DashboardEngine, deps: StoreDeps = {}): AppStore {
  const engine = withTrainerFallback(engineIn);
  const schedule = deps.schedule ?? nextFrameOrTimeout;
  const limits = deps.limits ?? DEFAULT_LIMITS;
  let queue: DashboardEvent[] = [];
  let flushScheduled = false;
  /** Bumped per run: events of an earlier run that arrive late are dropped. */
  let runToken = 0;
  let noticeId = 0;

  const store = createStore<AppState>()((set, get) => {
    const notify = (tone: Notice['tone'], text: string) => set((s) => ({ notices: [...s.notices, { id: ++noticeId, tone, text }] }));
    const explain = (e: unknown) => (e instanceof Error ? e.message : String(e));
    const download = (file: DownloadFile) => {
      if (!deps.download) throw new Error('this store was created without a download function');
      deps.download(file);
    };
    /** Runs an engine call for a button; failures become a notice instead of an unhandled rejection. */
    const attempt = async <T>(what: string, call: () => Promise<T>): Promise<T | undefined> => {
      try {
        return await call();
      } catch (e) {
        notify('error', e instanceof EngineMethodMissingError ? `${what} is not available yet: ${e.message}.` : `${what} failed: ${explain(e)}`);
        return undefined;
      }
    };
    const updateSetup = (change: Partial<Setup>) => set((s) => ({ setup: { ...s.setup, ...change }, startProblems: [], memoryPlan: { phase: 'idle' } }));

    return {
      // ---- System checks ----
      gpu: { phase: 'detecting' },
      smoke: { phase: 'idle' },
      gpuUse: null,

      async refreshGpuMemory() {
        try {
          set({ gpuUse: await engine.gpuMemoryUse() });
        } catch {
          // An engine without the meter: the panel just shows nothing.
        }
      },

      async detectGpu() {
        set({ gpu: { phase: 'detecting' } });
        try {
          const status = await engine.gpuInfo();
          set((s) => ({ gpu: { phase: 'ready', status }, setup: status.available ? s.setup : { ...s.setup, backend: 'wasm' } }));
        } catch (e) {
          set({ gpu: { phase: 'failed', error: explain(e) } });
        }
      },

      async runSmokeTest() {
        const backend = smokeBackend(get().gpu);
        if (!backend || get().smoke.phase === 'running') return;
        set({ smoke: { phase: 'running', backend } });
        try {
          set({ smoke: { phase: 'done', result: await engine.runSmokeSession(backend) } });
        } catch (e) {
          set({ smoke: { phase: 'failed', backend, error: explain(e) } });
        }
      },

      // ---- Setup ----
      setup: loadSetup(deps.storage, INITIAL_SETUP),
      cacheCheck: { phase: 'idle' },
      datasetCheck: { phase: 'idle' },
      uploadError: null,

      setModel(model) {
        const before = get().setup;
        const kindChanged = model.kind !== before.model.kind;
        // Settings still at the old model's preset follow the model to its own preset.
        const follow = kindChanged && sameForm(before.settings, presetFormFor(before.model.kind)) && !sameForm(before.settings, presetFormFor(model.kind));
        updateSetup(follow ? { model, settings: presetFormFor(model.kind) } : { model });
        if (follow) notify('info', model.kind === 'bundled-demo' ? "Settings switched to the demo model's preset (short completions, a higher learning rate)." : "Settings switched back to GRPOConfig's defaults (the Gemma-3-1B recipe).");
        if (kindChanged) void get().checkModelCache();
      },

      setHubEndpoint(text) {
        updateSetup({ hubEndpoint: text });
      },

      async checkModelCache() {
        const source = modelSourceOf(get().setup.model, get().setup.hubEndpoint);
        // A folder is read in place: there is no cache to ask about.
        if ('problem' in source || source.kind === 'files') return set({ cacheCheck: { phase: 'idle' } });
        set({ cacheCheck: { phase: 'checking' } });
        try {
          const status = await engine.modelCacheStatus(source);
          set({ cacheCheck: { phase: 'known', status } });
        } catch (e) {
          set({ cacheCheck: e instanceof EngineMethodMissingError ? { phase: 'unsupported' } : { phase: 'failed', error: explain(e) } });
        }
      },

      setDataset(dataset) {
        updateSetup({ dataset });
        set({ uploadError: null, datasetCheck: { phase: 'idle' } });
      },

      uploadDataset(name, text) {
        const { error, ...file } = readUpload(name, text);
        updateSetup({ dataset: { kind: 'upload', file } });
        set({ uploadError: error ?? null, datasetCheck: { phase: 'idle' } });
      },

      setColumn(field, column) {
        const dataset = get().setup.dataset;
        if (dataset.kind !== 'upload' || !dataset.file) return;
        updateSetup({ dataset: { kind: 'upload', file: { ...dataset.file, mapping: { ...dataset.file.mapping, [field]: column } } } });
      },

      async inspectDataset() {
        const source = datasetSourceOf(get().setup.dataset, get().setup.hubEndpoint);
        if ('problem' in source) return set({ datasetCheck: { phase: 'failed', error: source.problem } });
        set({ datasetCheck: { phase: 'checking' } });
        try {
          const report: DatasetReport = await engine.inspectDataset(source);
          set((s) => ({ datasetCheck: { phase: 'idle' }, run: { ...s.run, dataset: report } }));
        } catch (e) {
          set({ datasetCheck: e instanceof EngineMethodMissingError ? { phase: 'unsupported' } : { phase: 'failed', error: explain(e) } });
        }
      },

      setSetting(name, value) {
        updateSetup({ settings: { ...get().setup.settings, [name]: value } });
      },

      setWarmup(change) {
        updateSetup({ warmup: { ...get().setup.warmup, ...change } });
      },

      setTargetModules(modules) {
        updateSetup({ settings: { ...get().setup.settings, lora_target_modules: modules } });
      },

      resetSettings() {
        updateSetup({ settings: presetFormFor(get().setup.model.kind) });
      },

      setReward(name, change) {
        updateSetup({ rewards: get().setup.rewards.map((r) => (r.name === name ? { ...r, ...change } : r)) });
      },

      applyRewardPreset(preset) {
        updateSetup({ rewards: rewardsFromPreset(preset) });
      },

      setMode(mode) {
        updateSetup({ mode });
      },

      setBackend(backend) {
        updateSetup({ backend });
      },

      setGpuMemoryBudget(text) {
        updateSetup({ gpuMemoryBudget: text });
      },

      setWeightDtype(weightDtype) {
        updateSetup({ weightDtype });
      },

      memoryPlan: { phase: 'idle' },

      async checkMemoryPlan() {
        const { setup } = get();
        const model = modelSourceOf(setup.model, setup.hubEndpoint);
        const settings = validateSettings(setup.settings);
        const budget = parseBudgetGiB(setup.gpuMemoryBudget ?? '');
        const problems = [...('problem' in model ? [model.problem] : []), ...settings.errors, ...('problem' in budget ? [budget.problem] : [])];
        if ('problem' in model || 'problem' in budget || problems.length) return set({ memoryPlan: { phase: 'failed', error: problems.join('; ') } });
        set({ memoryPlan: { phase: 'checking' } });
        try {
          const report = await engine.memoryPlan({ model, config: settings.input, backend: setup.backend, gpuMemoryBudget: budget.bytes, weightDtype: setup.weightDtype ?? 'float32' });
          if (get().setup === setup) set({ memoryPlan: { phase: 'known', report } }); // else the setup changed meanwhile
        } catch (e) {
          if (get().setup === setup) set({ memoryPlan: e instanceof EngineMethodMissingError ? { phase: 'unsupported' } : { phase: 'failed', error: explain(e) } });
        }
      },

      // ---- Run ----
      run: INITIAL_TRAINING_STATE,
      runMaxSteps: null,
      pending: null,
      startProblems: [],
      resumeOffer: null,
      notices: [],

      async startTraining(resumeFrom) {
        if (isActive(get().run.phase) || get().pending) return;
        const built = buildTrainingRequest(get().setup, resumeFrom);
        // Refused: open the setup so each problem shows beside its field.
        if ('problems' in built) return set({ startProblems: problemLines(built.problems), setupOpen: true });
        const token = ++runToken;
        queue = [];
        const runMaxSteps = validateSettings(get().setup.settings).config.max_steps;
        // The setup is locked while the run lasts: fold it to a line so the live results fit on the screen.
        set((s) => ({ run: stateForNewRun(s.run), runMaxSteps, startProblems: [], resumeOffer: null, setupOpen: false, resultsTab: LIVE_TAB }));
        const onEvent = (event: DashboardEvent) => {
          if (token !== runToken) return;
          queue.push(event);
          if (!flushScheduled) {
            flushScheduled = true;
            schedule(() => get().flushEvents());
          }
        };
        // startTraining may resolve at once or when the run ends: events, not this promise, drive the state.
        try {
          await engine.startTraining(built.request, onEvent);
        } catch (e) {
          if (token !== runToken) return;
          get().flushEvents();
          const message = e instanceof EngineMethodMissingError ? `${e.message}: training cannot start until the engine implements it.` : explain(e);
          set((s) => ({ run: { ...s.run, phase: 'failed', errors: [...s.run.errors, message] } }));
          return;
        }
        if (token === runToken) get().flushEvents();
      },

      async pauseTraining() {
        set({ pending: 'pause' });
        await attempt('Pause', () => engine.pause());
        set({ pending: null });
      },

      async resumeTraining() {
        set({ pending: 'resume' });
        await attempt('Resume', () => engine.resume());
        set({ pending: null });
      },

      async stopTraining() {
        set({ pending: 'stop' });
        await attempt('Stop', () => engine.stop());
        set({ pending: null });
      },

      async checkForCheckpoints() {
        try {
          const checkpoints = await engine.listCheckpoints();
          const latest = [...checkpoints].sort((a, b) => b.step - a.step || b.createdAt.localeCompare(a.createdAt))[0] ?? null;
          set({ resumeOffer: latest });
        } catch (e) {
          // An engine without checkpoints simply has nothing to offer; other failures are worth saying.
          if (!(e instanceof EngineMethodMissingError)) notify('error', `Could not list saved checkpoints: ${explain(e)}`);
        }
      },

      dismissResumeOffer() {
        set({ resumeOffer: null });
      },

      flushEvents() {
        flushScheduled = false;
        if (queue.length === 0) return;
        const events = queue;
        queue = [];
        set((s) => ({ run: applyEvents(s.run, events, limits) }));
      },

      exportMetrics(format) {
        download(metricsFile(get().run.metrics, format));
      },

      async exportAdapter() {
        const adapter = await attempt('Exporting the adapter', () => engine.exportAdapter());
        if (adapter) for (const file of adapterFiles(adapter)) download(file);
      },

      mergeProgress: null,

      async exportMergedModel() {
        if (get().mergeProgress) return;
        set({ mergeProgress: { done: 0, total: 0 } });
        const model = await attempt('Merging the adapter into the model', () => engine.exportMergedModel((e) => set({ mergeProgress: { done: e.done, total: e.total } })));
        set({ mergeProgress: null });
        if (model) {
          for (const file of mergedModelFiles(model)) download(file);
          notify('info', `Merged model saved as ${model.files.length} files (${(model.bytes / 2 ** 20).toFixed(1)} MiB): put them in one folder and load it with AutoModelForCausalLM.from_pretrained.`);
        }
      },

      onnxProgress: null,

      async exportOnnxModel(dtype) {
        if (get().onnxProgress) return;
        set({ onnxProgress: { done: 0, total: 0 } });
        const model = await attempt('Exporting for transformers.js', () => engine.exportOnnxModel(dtype, (e) => set({ onnxProgress: { done: e.done, total: e.total } })));
        set({ onnxProgress: null });
        if (model) {
          for (const file of onnxModelFiles(model)) download(file);
          const onnx = model.files.filter((f) => f.name.startsWith('onnx/')).map((f) => f.name.slice(5));
          notify(
            'info',
            `Saved for transformers.js as ${model.files.length} files (${(model.bytes / 2 ** 20).toFixed(1)} MiB): put them in one folder with ${onnx.join(' and ')} in its onnx/ subfolder, then load it with AutoModelForCausalLM.from_pretrained (dtype '${dtype}').`,
          );
        }
      },

      async importAdapter(files) {
        const done = await attempt('Importing the adapter', async () => {
          await engine.importAdapter(files);
          return true;
        });
        if (done) notify('info', 'Adapter loaded: training continues from it, and evaluation uses it.');
      },

      async exportHints() {
        const json = await attempt('Exporting hints', () => engine.exportHints());
        if (json !== undefined) download(hintsFile(json));
      },

      async importHints(json) {
        const done = await attempt('Importing hints', async () => {
          await engine.importHints(json);
          return true;
        });
        if (done) notify('info', 'Hints imported; the table shows them with the engine\'s next hints report.');
      },

      async editHint(id, change) {
        const hints: HintRecord[] | undefined = await attempt('Editing the hint', () => engine.editHint(id, change));
        // Keep each hint's history (the edit result carries none) for the rows that remain.
        if (hints) set((s) => ({ run: { ...s.run, hints: hints.map((h) => ({ ...s.run.hints.find((o) => o.id === h.id), ...h })) } }));
      },

      dismissNotice(id) {
        set((s) => ({ notices: s.notices.filter((n) => n.id !== id) }));
      },

      // ---- Playground ----
      playground: INITIAL_PLAYGROUND,

      async refreshPlayground() {
        const setPg = (change: Partial<PlaygroundState>) => set((s) => ({ playground: { ...s.playground, ...change } }));
        try {
          setPg({ status: await engine.playgroundStatus() });
        } catch (e) {
          if (e instanceof EngineMethodMissingError) setPg({ status: 'unsupported' });
          else setPg({ status: null, problems: [explain(e)] });
          return;
        }
        // The checkpoints it can answer with (an engine without them offers the run's LoRA only).
        try {
          setPg({ checkpoints: await engine.listCheckpoints() });
        } catch {
          setPg({ checkpoints: [] });
        }
      },

      setPlaygroundAdapterFiles(files) {
        set((s) => ({ playground: { ...s.playground, adapterFiles: files, form: files ? { ...s.playground.form, adapterSource: 'files' } : s.playground.form, problems: [] } }));
      },

      setPlaygroundForm(change) {
        set((s) => ({ playground: { ...s.playground, form: { ...s.playground.form, ...change }, problems: [] } }));
      },

      pickPlaygroundRow(row) {
        get().setPlaygroundForm({ question: row.question, context: row.context, gold: row.goldSql });
      },

      async generatePlayground() {
        const setPg = (change: Partial<PlaygroundState> | ((p: PlaygroundState) => Partial<PlaygroundState>)) =>
          set((s) => ({ playground: { ...s.playground, ...(typeof change === 'function' ? change(s.playground) : change) } }));
        const { playground } = get();
        if (playground.running) return;
        const status = playground.status;
        const built = playgroundRequestOf(playground.form, status !== null && status !== 'unsupported' && status.adapter, playground.adapterFiles);
        if (!built.ok) return setPg({ problems: built.problems });
        setPg({ running: true, problems: [], columns: columnsFor(built.request.models), promptTokens: null });
        try {
          const result = await engine.playground(built.request, (chunk) => setPg((p) => ({ columns: applyChunk(p.columns, chunk) })));
          setPg((p) => ({ columns: withOutputs(p.columns, result.outputs), promptTokens: result.promptTokens }));
        } catch (e) {
          setPg({ problems: [e instanceof EngineMethodMissingError ? 'this engine has no playground' : explain(e)] });
        } finally {
          setPg({ running: false });
        }
        await get().refreshPlayground();
      },

      // ---- Browser storage ----
      storage: INITIAL_STORAGE,

      async refreshStorage() {
        const setStorage = (change: Partial<StorageState>) => set((s) => ({ storage: { ...s.storage, ...change } }));
        setStorage({ phase: get().storage.inventory ? 'known' : 'loading', error: null });
        try {
          setStorage({ phase: 'known', inventory: await engine.storageInventory() });
        } catch (e) {
          setStorage(e instanceof EngineMethodMissingError ? { phase: 'unsupported' } : { phase: 'failed', error: explain(e) });
        }
      },

      confirmStorageDelete(id) {
        set((s) => ({ storage: { ...s.storage, confirming: id, error: null } }));
      },

      async deleteStored(ref) {
        if (get().storage.deleting) return;
        const setStorage = (change: Partial<StorageState>) => set((s) => ({ storage: { ...s.storage, ...change } }));
        const before = get().storage.inventory?.items.find((i) => JSON.stringify(i.ref) === JSON.stringify(ref));
        setStorage({ deleting: before?.id ?? null, error: null });
        try {
          const inventory = await engine.deleteStored(ref);
          setStorage({ phase: 'known', inventory, confirming: null, deleting: null });
          notify('info', `Deleted ${before ? storedTitle(before) : 'the item'}${before ? ` (${sizeText(before.bytes)} freed)` : ''}.`);
        } catch (e) {
          setStorage({ deleting: null, confirming: null, error: explain(e) });
          return;
        }
        // What the rest of the dashboard knew about the deleted files is stale now.
        if (ref.kind === 'hub-repo' || ref.kind === 'folder-copy') {
          set((s) => ({ run: { ...s.run, modelCache: null } }));
          void get().checkModelCache();
        }
        if (ref.kind === 'checkpoints') {
          if (get().resumeOffer) void get().checkForCheckpoints();
          void get().refreshPlayground();
        }
      },

      // ---- Layout ----
      setupOpen: true,
      resultsTab: LIVE_TAB,

      setSetupOpen(open) {
        set({ setupOpen: open });
      },

      showResultsTab(id) {
        set({ resultsTab: id });
      },
    };
  });
  store.subscribe((state, previous) => {
    if (state.setup !== previous.setup) saveSetup(deps.storage, state.setup);
  });
  return store;
}

export type { SettingsForm };
