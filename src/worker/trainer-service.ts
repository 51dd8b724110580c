/**
 * TrainerApi over the GRPO trainer: the engine worker exposes it through comlink, and the CLI uses
 * it directly in Node. What differs between the two (where models, datasets, checkpoints and SQL
 * workers come from) is a TrainerEnvironment; everything else is this one code path.
 *
 * A run: check the request (config, mode, rewards, backend, resume id: all errors at once, before
 * anything loads) → load the model (progress) → read, validate and split the dataset (report) →
 * LoRA from the checkpoint, an imported adapter, or PEFT's init → runner → GrpoTrainer.run().
 * startTraining resolves when the run ends; its events tell how.
 */
import type { ParsedRows } from '../dataset/parse-rows';
import { goldInspector } from '../dataset/validate';
import { decodeCheckpoint, type CheckpointState, type CheckpointStorage } from '../grpo/checkpoint';
import { validateConfig, type GRPOConfig, resolveRewardWeights } from '../grpo/config';
import { adapterMismatch, applyAdapter, exportAdapter, exportConfig, readAdapterFiles, runnerAdapter } from '../grpo/export';
import { MERGED_COPIED_FILES, planMerge, writeMergedWeights, type MergedWeightsSink } from '../model/merge';
import { exportConfigJson, ONNX_COPIED_FILES, planOnnxExport, writeOnnxModel, type OnnxDtype, type OpenSink } from '../model/onnx-export';
import { Rng } from '../common/rng';
import { GrpoTrainer, restoreLora, type RunOutcome } from '../grpo/trainer';
import { RunStopped } from '../grpo/trainer-control';
import { isTrainingMode } from '../hints/config';
import { HintStore } from '../hints/store';
import { Generator } from '../generate/generator';
import { Gemma3Runner } from '../model/gemma3-runner';
import { decodeSftCheckpoint, isSftCheckpoint, type SftCheckpointState } from '../sft/checkpoint';
import { validateSftConfig, type SFTConfig } from '../sft/config';
import { SftTrainer } from '../sft/trainer';
import { hubEndpointProblem } from '../model/hub-endpoint';
import { loraSpecOf } from '../model/parity';
import { createLoraAdapter, LORA_MODULES, parseLoraConfig, type LoraAdapter, type LoraConfig } from '../model/peft';
import { RewardRegistry, rewardByName } from '../rewards/registry';
import { gpuMemory, TensorStore } from '../runtime/device';
import type { Gemma3Config } from '../model/config';
import { DEFAULT_GPU_MEMORY_BUDGET, formatGiB, MemoryBudgetError, type MemoryPlan } from '../model/memory-plan';
import { WEIGHT_DTYPES, type WeightDtype } from '../model/weight-dtype';
import { evalBatchSize, planGrpoStep, withPlan } from '../grpo/memory-budget';
import { SqlEvaluator } from '../sql/evaluator';
import type { WorkerFactory } from '../sql/worker-pool';
import type { DashboardEvent, DashboardExtrasApi, DatasetReport, ModelCacheStatus, StorageApi, StorageInventory, StoredItemRef } from './dashboard-api';
import { deleteStoredItem, describeStored, readStorageInventory, storageBlockedBy, storageUnloads, storedRefProblem, type StorageSources, type StorageUse } from './storage-inventory';
import { datasetFromSplit, datasetSourceProblems, prepareDataset } from './trainer-data';
import { runPlayground } from './playground';
import { adapterSourceKey, adapterSourceProblem, loadPlaygroundAdapter, type PlaygroundAdapter } from './playground-adapters';
import { checkTokenizerFits, type OpenedModel } from './trainer-model';
import type { CheckpointInfo, DatasetSource, ExportedAdapter, ExportedModel, ExportedModelFile, GpuMemoryUse, HintRecord, MemoryPlanReport, MemoryPlanRequest, ModelSource, PlaygroundAdapterSource, PlaygroundChunk, PlaygroundRequest, PlaygroundResult, PlaygroundStatus, ProgressEvent, TrainerApi, TrainingEvent, TrainingRequest } from './training-api';

/** Decode steps per run the generator takes on each backend (src/generate/generator.ts). */
const STEPS_PER_RUN: Record<string, number> = { webgpu: 8, wasm: 16 };

/** The fastest memory plan of a run within its budget; throws MemoryBudgetError when none fits. */
function runPlan(model: Gemma3Config, config: GRPOConfig, request: Pick<TrainingRequest, 'backend' | 'gpuMemoryBudget' | 'weightDtype'>): MemoryPlan {
  return planGrpoStep(model, config, request.gpuMemoryBudget ?? DEFAULT_GPU_MEMORY_BUDGET, STEPS_PER_RUN[request.backend] ?? 8, request.weightDtype ?? 'float32');
}

/** Why a request's weightDtype cannot be used; null when it can (absent: float32). */
function weightDtypeProblem(dtype: unknown): string | null {
  return dtype === undefined || WEIGHT_DTYPES.includes(dtype as WeightDtype) ? null : `weightDtype must be one of ${WEIGHT_DTYPES.join(', ')}, got ${JSON.stringify(dtype)}`;
}

export interface TrainerEnvironment {
  openModel(source: ModelSource, onProgress: (e: ProgressEvent) => void): Promise<OpenedModel>;
  /** The model's config alone (a hub model's config.json, without its weights). */
  modelConfig(source: ModelSource): Promise<Gemma3Config>;
  modelCacheStatus(source: ModelSource): Promise<ModelCacheStatus>;
  readDataset(source: DatasetSource, onProgress: (e: ProgressEvent) => void): Promise<ParsedRows>;
  sqlWorkerFactory: WorkerFactory;
  checkpointStorage(): Promise<CheckpointStorage>;
  /** Whether WebGPU can be used here (the CLI installs dawn.node first). */
  hasWebGPU(): boolean;
  /** Held-out examples evaluated at each evaluation. Default 16. */
  evalExamples?: number;
  /** SQL workers. Default 2. */
  sqlWorkers?: number;
  /** Newest checkpoints kept per run; default all. */
  keepCheckpoints?: number;
  /** Where a merged model's weights are written; refuses (before writing) when `byteLength` will not fit. */
  mergedWeightsSink?(byteLength: number): Promise<MergedWeightsSink>;
  /**
   * Where a transformers.js export's files go: refuses (before writing) when `expectedBytes` will not
   * fit; the opener it returns is called once per file with its exact size.
   */
  onnxExportSinks?(expectedBytes: number): Promise<OpenSink>;
  /** What the environment keeps (hub cache, exports, checkpoints), for the storage inventory; absent: nothing to list. */
  storage?(): Promise<StorageSources>;
}

export class RequestError extends Error {
  constructor(readonly problems: string[]) {
    super(`the training request cannot start: ${problems.join('; ')}`);
    this.name = 'RequestError';
  }
}

interface LoadedRun {
  runner: Gemma3Runner;
  /** The GRPO trainer (null while the warm-up runs). */
  trainer: GrpoTrainer | null;
  /** The warm-up trainer while it runs. */
  warmup: SftTrainer | null;
  model: OpenedModel;
  /** The imported adapter's config, kept for export. */
  adapterConfig?: LoraConfig;
  /** The run's max_prompt_length (the playground's prompts are built as training's). */
  maxPromptLength: number;
  /** The playground's generator (its own sessions), made on first use. */
  playground?: Generator;
  /** The playground's last checkpoint or imported adapter, with its generator. */
  playgroundAdapter?: PlaygroundAdapter & { generator: Generator };
}

type EventSink = (e: DashboardEvent) => void;

function hintRecords(store: HintStore): HintRecord[] {
  return store.hints().map((h) => ({ id: h.id, hint_type: h.hint_type, pattern: h.pattern, description: h.description, weight: h.weight, tables: h.tables, evidence_count: h.evidence_count, pinned: h.pinned }));
}

/** All problems with a request, none of which needs the model or the data. */
export function checkRequest(request: TrainingRequest, env: Pick<TrainerEnvironment, 'hasWebGPU'>): { config: GRPOConfig; warmup: SFTConfig | null; warnings: string[]; problems: string[] } {
  const problems: string[] = [];
  const v = validateConfig((request.config ?? {}) as Record<string, unknown>);
  problems.push(...v.errors);
  problems.push(...datasetSourceProblems(request.dataset));
  for (const source of [request.model, request.dataset]) {
    const endpoint = source?.kind === 'hub' ? hubEndpointProblem(source.endpoint) : null;
    if (endpoint !== null) problems.push(endpoint);
  }
  const warnings = [...v.warnings];
  let warmup: SFTConfig | null = null;
  if (request.warmup !== undefined && request.warmup !== null) {
    if (typeof request.warmup !== 'object' || Array.isArray(request.warmup)) problems.push('warmup must be an object of SFTConfig fields');
    else {
      // The warm-up sees GRPO's prompts (same budget) and, unless told otherwise, the run's seed.
      const w = validateSftConfig({ max_prompt_length: v.config.max_prompt_length, seed: v.config.seed, ...request.warmup });
      problems.push(...w.errors.map((e) => `warmup: ${e}`));
      warnings.push(...w.warnings.map((e) => `warmup: ${e}`));
      if (w.config.use_peft === false) problems.push('warmup: use_peft false trains every weight, which a GRPO run here cannot export as an adapter; it is for building small models (npm run sft, npm run make-demo-model)');
      warmup = w.config;
    }
  }
  const budget = request.gpuMemoryBudget;
  if (budget !== undefined && !(typeof budget === 'number' && Number.isFinite(budget) && budget > 0)) problems.push(`gpuMemoryBudget must be a positive number of bytes, got ${JSON.stringify(budget)}`);
  const dtypeProblem = weightDtypeProblem(request.weightDtype);
  if (dtypeProblem) problems.push(dtypeProblem);
  if (!isTrainingMode(request.mode)) problems.push(`mode must be 'lora', 'hints' or 'both', got ${JSON.stringify(request.mode)}`);
  if (request.backend !== 'webgpu' && request.backend !== 'wasm') problems.push(`backend must be 'webgpu' or 'wasm', got ${JSON.stringify(request.backend)}`);
  else if (request.backend === 'webgpu' && !env.hasWebGPU()) problems.push('backend webgpu: WebGPU is not available here (use a browser with WebGPU, or the wasm backend)');
  if (!Array.isArray(request.rewards) || request.rewards.length === 0) problems.push('choose at least one reward');
  else {
    const seen = new Set<string>();
    for (const r of request.rewards) {
      try {
        rewardByName(r.name);
      } catch (e) {
        problems.push((e as Error).message);
      }
      if (seen.has(r.name)) problems.push(`reward ${r.name} is listed twice`);
      seen.add(r.name);
      if (typeof r.weight !== 'number' || !Number.isFinite(r.weight)) problems.push(`reward ${r.name}: weight must be a finite number, got ${JSON.stringify(r.weight)}`);
    }
    if (v.errors.length === 0) {
      try {
        resolveRewardWeights(v.config, request.rewards.map((r) => r.name));
      } catch (e) {
        problems.push((e as Error).message);
      }
    }
  }
  return { config: v.config, warmup, warnings, problems };
}

export class TrainerService implements TrainerApi, DashboardExtrasApi, StorageApi {
  private active = false;
  private run: LoadedRun | null = null;
  /** The budget of the running (or last) run, for gpuMemoryUse. */
  private budget: number | null = null;
  private hintStore = new HintStore();
  private pendingAdapter: ExportedAdapter | null = null;
  private storage: Promise<CheckpointStorage> | null = null;
  /** Pause/stop asked while the run was still loading (no trainer yet): applied once it exists. */
  private early: { pause: boolean; stop: boolean } = { pause: false, stop: false };
  /** The playground's generation in progress (resume and a new run wait for it). */
  private playing: Promise<unknown> | null = null;
  private playgroundSql: SqlEvaluator | null = null;
  /** The request of the active run, or of the run whose model is loaded (the storage inventory's "in use"). */
  private lastRequest: TrainingRequest | null = null;
  /** Checkpoint runs the active run resumed from. */
  private resumedRuns: { runId: string; kind: 'grpo' | 'warmup' }[] = [];
  /** An export is being written. */
  private exporting = false;
  /** A stored item is being deleted: a run does not start meanwhile. */
  private deleting = false;

  constructor(private readonly env: TrainerEnvironment) {}

  private checkpoints(): Promise<CheckpointStorage> {
    this.storage ??= this.env.checkpointStorage();
    this.storage.catch(() => (this.storage = null));
    return this.storage;
  }

  /** Runs a whole training; resolves with its outcome when it ends (events tell the rest). */
  async startTraining(request: TrainingRequest, onEvent: (e: TrainingEvent) => void): Promise<void> {
    await this.train(request, onEvent as EventSink);
  }

  async train(request: TrainingRequest, onEvent: EventSink): Promise<RunOutcome> {
    const emit = (e: DashboardEvent) => {
      try {
        onEvent(e);
      } catch {
        // The listener's problem, not the run's.
      }
    };
    if (this.active) throw new RequestError(['a run is already in progress: stop it first']);
    if (this.deleting) throw new RequestError(['browser storage is being deleted: start the run once that is done']);
    const checked = checkRequest(request, this.env);
    let resume: CheckpointState | undefined;
    let warmupResume: SftCheckpointState | undefined;
    if (checked.problems.length === 0 && request.resumeFrom !== undefined) {
      try {
        const files = await (await this.checkpoints()).load(request.resumeFrom);
        if (isSftCheckpoint(files.meta)) warmupResume = await decodeSftCheckpoint(files);
        else resume = await decodeCheckpoint(files);
      } catch (e) {
        checked.problems.push(`cannot resume from ${JSON.stringify(request.resumeFrom)}: ${(e as Error).message}`);
      }
    }
    if (checked.problems.length > 0) {
      const error = new RequestError(checked.problems);
      emit({ type: 'error', message: error.message });
      emit({ type: 'phase', phase: 'failed', message: error.message });
      throw error;
    }
    for (const w of checked.warnings) emit({ type: 'warning', step: 0, message: `config: ${w}` });

    this.active = true;
    this.lastRequest = request;
    this.resumedRuns = [...(resume ? [{ runId: resume.runId, kind: 'grpo' as const }] : []), ...(warmupResume ? [{ runId: warmupResume.runId, kind: 'warmup' as const }] : [])];
    this.early = { pause: false, stop: false };
    const previous = this.run;
    this.run = null;
    let evaluator: SqlEvaluator | undefined;
    // Loading can take minutes (a download, a dataset's gold checks, the weights onto the GPU): a
    // Stop asked meanwhile ends the run at the next stage instead of after the whole load.
    const stopIfAsked = () => {
      if (this.early.stop) throw new RunStopped();
    };
    try {
      await this.playing?.catch(() => undefined);
      await previous?.playground?.release();
      await releasePlaygroundAdapter(previous);
      await previous?.trainer?.release();
      await previous?.runner.release();
      emit({ type: 'phase', phase: 'loading' });
      const config = resume ? resume.config : checked.config;
      const mode = resume ? resume.mode : request.mode;
      const rewards = new RewardRegistry((resume ? resume.rewards : request.rewards).map((r) => ({ reward: rewardByName(r.name), weight: r.weight })));
      if (resume && resume.mode !== request.mode) emit({ type: 'warning', step: resume.step, message: `resuming in the checkpoint's mode '${resume.mode}' (the request asked for '${request.mode}')` });
      // A resume keeps the frozen weights as the adapter was trained on them.
      const recordedDtype = resume?.weightDtype ?? warmupResume?.weightDtype;
      const requestedDtype: WeightDtype = request.weightDtype ?? 'float32';
      const weightDtype = recordedDtype ?? requestedDtype;
      if (recordedDtype && recordedDtype !== requestedDtype) {
        emit({ type: 'warning', step: resume?.step ?? warmupResume?.step ?? 0, message: `resuming with the checkpoint's frozen weights in ${recordedDtype} (the request asked for ${requestedDtype})` });
      }
      const planned = { ...request, weightDtype };

      this.budget = request.gpuMemoryBudget ?? DEFAULT_GPU_MEMORY_BUDGET;
      gpuMemory.resetPeak();
      // Refused before anything large is downloaded when no plan fits the budget.
      runPlan(await this.env.modelConfig(request.model), config, planned);
      const model = await this.env.openModel(request.model, emit);
      stopIfAsked();
      checkTokenizerFits(model);
      evaluator = new SqlEvaluator(this.env.sqlWorkerFactory, { size: this.env.sqlWorkers ?? 2 });
      // Start the SQL workers now, before onnxruntime's wasm is compiled and optimised (which takes
      // the CPU for a while): they are ready when the first answers need judging.
      evaluator.warmUp().catch(() => {}); // a failure shows again, with its reason, on first use
      const parsed = await this.env.readDataset(request.dataset, emit);
      stopIfAsked();
      // Prompts are checked with the run's tokenizer and max_prompt_length: rows no prompt fits are skipped and reported.
      const prompts = { tokenizer: model.tokenizer, maxPromptLength: config.max_prompt_length };
      const savedSplit = resume?.split ?? warmupResume?.split;
      const data = savedSplit
        ? datasetFromSplit(request.dataset, parsed, savedSplit)
        : await prepareDataset(request.dataset, parsed, { seed: config.seed, inspectGold: goldInspector(evaluator), prompts, onProgress: emit });
      emit({ type: 'dataset', ...data.report });
      stopIfAsked();

      const initial = await this.initialAdapter(model, config, resume, emit);
      const { adapter, adapterConfig } = initial;
      const plan = runPlan(model.config, initial.config, planned);
      const runConfig = withPlan(initial.config, plan);
      if (runConfig.per_device_train_batch_size !== initial.config.per_device_train_batch_size) {
        emit({
          type: 'warning',
          step: 0,
          message: `memory plan: per_device_train_batch_size ${plan.microBatch} x gradient_accumulation_steps ${plan.accumulationSteps} (asked ${initial.config.per_device_train_batch_size} x ${initial.config.gradient_accumulation_steps}), loss head in chunks of ${plan.chunkRows} rows: ${formatGiB(plan.total)} planned within the ${formatGiB(plan.budget)} GPU memory budget`,
        });
      }
      const store = await TensorStore.create(request.backend);
      const runner = await Gemma3Runner.load(model.config, model.weights, store, { lora: loraSpecOf(adapter), chunkRows: plan.chunkRows, weightDtype }, (done, total) =>
        emit({ type: 'progress', label: `loading ${model.modelId} onto ${request.backend}`, done, total, unit: 'tensors' }),
      );
      if (resume) restoreLora(runner, resume);
      else applyAdapter(runner, adapter);
      const checkpoints = await this.checkpoints();

      const warmupConfig = warmupResume?.config ?? (resume ? null : checked.warmup);
      if (warmupConfig) {
        const warmup = new SftTrainer({
          runner,
          tokenizer: model.tokenizer,
          train: data.train,
          heldOut: data.heldOut,
          executor: evaluator,
          config: warmupConfig,
          modelId: model.modelId,
          checkpoints,
          keepCheckpoints: this.env.keepCheckpoints,
          evalExamples: this.env.evalExamples,
          evalBatchSize: evalBatchSize(runConfig),
          onEvent: emit,
          resume: warmupResume,
        });
        this.run = { runner, trainer: null, warmup, model, adapterConfig, maxPromptLength: runConfig.max_prompt_length };
        if (this.early.pause) warmup.pause();
        if (this.early.stop) warmup.stop();
        const outcome = await warmup.run();
        await warmup.release();
        this.run.warmup = null;
        if (outcome.status !== 'finished') return outcome;
        emit({ type: 'warning', step: 0, message: `warm-up done after ${outcome.step} steps (loss ${warmup.metrics.at(-1)?.loss.toFixed(4) ?? 'n/a'}); GRPO starts from the warmed-up adapter` });
      }

      const trainer = new GrpoTrainer({
        runner,
        tokenizer: model.tokenizer,
        train: data.train,
        heldOut: data.heldOut,
        rewards,
        executor: evaluator,
        config: runConfig,
        mode,
        hintStore: resume ? undefined : this.hintStore,
        modelId: model.modelId,
        checkpoints,
        keepCheckpoints: this.env.keepCheckpoints,
        evalExamples: this.env.evalExamples,
        evalBatchSize: evalBatchSize(runConfig),
        onEvent: emit,
        resume,
      });
      this.hintStore = trainer.hintStore;
      this.run = { runner, trainer, warmup: null, model, adapterConfig, maxPromptLength: runConfig.max_prompt_length };
      if (this.early.pause) trainer.pause();
      if (this.early.stop) trainer.stop();
      return await trainer.run();
    } catch (e) {
      if (e instanceof RunStopped) {
        emit({ type: 'phase', phase: 'stopped' });
        return { status: 'stopped', step: resume?.step ?? 0 };
      }
      const error = e instanceof Error ? e : new Error(String(e));
      emit({ type: 'error', message: error.message });
      emit({ type: 'phase', phase: 'failed', message: error.message });
      return { status: 'failed', step: resume?.step ?? 0, error };
    } finally {
      this.active = false;
      evaluator?.close();
    }
  }

  /** The LoRA a run starts from, and the config fields it implies. */
  private async initialAdapter(model: OpenedModel, config: GRPOConfig, resume: CheckpointState | undefined, emit: EventSink) {
    if (resume) return { adapter: freshAdapter(model, config), config, adapterConfig: undefined };
    if (this.pendingAdapter) {
      const adapter = await readAdapterFiles(this.pendingAdapter, model.config);
      const c = adapter.config;
      const targets = LORA_MODULES.filter((m) => adapter.tensors[0]?.[m]);
      const plain = adapterMismatch(adapter, loraSpecOf(freshAdapter(model, { ...config, lora_r: c.r, lora_alpha: c.loraAlpha, lora_target_modules: targets }))) === null;
      if (!plain) throw new Error('the imported adapter uses rsLoRA or per-module ranks, which training here cannot continue (it can still be exported)');
      const runConfig: GRPOConfig = { ...config, lora_r: c.r, lora_alpha: c.loraAlpha, lora_target_modules: targets };
      if (config.lora_r !== c.r || config.lora_alpha !== c.loraAlpha || config.lora_target_modules.join() !== targets.join()) {
        emit({ type: 'warning', step: 0, message: `training continues the imported adapter: lora_r ${c.r}, lora_alpha ${c.loraAlpha}, target modules ${targets.join(', ')}` });
      }
      return { adapter, config: runConfig, adapterConfig: c };
    }
    return { adapter: freshAdapter(model, config), config, adapterConfig: undefined };
  }

  /** The trainer now running: the warm-up's, then GRPO's. */
  private current(): SftTrainer | GrpoTrainer | null {
    return this.run?.warmup ?? this.run?.trainer ?? null;
  }

  async pause(): Promise<void> {
    const t = this.current();
    if (t) t.pause();
    else if (this.active) this.early.pause = true;
  }
  async resume(): Promise<void> {
    this.early.pause = false;
    // The playground generates with the run's runner: let it finish before the run moves on.
    await this.playing?.catch(() => undefined);
    this.current()?.resume();
  }
  async stop(): Promise<void> {
    const t = this.current();
    if (t) t.stop();
    else if (this.active) this.early.stop = true;
  }

  async listCheckpoints(): Promise<CheckpointInfo[]> {
    return (await this.checkpoints()).list();
  }

  async exportAdapter(): Promise<ExportedAdapter> {
    const run = this.run;
    if (!run) throw new Error('no model is loaded: train (or resume) first, then export');
    return exportAdapter(run.runner, { baseModelNameOrPath: run.model.baseModelNameOrPath, config: run.adapterConfig });
  }

  /**
   * The run's adapter merged into the base model's weights: model.safetensors written through the
   * environment's sink (checked for space first), the base's config, generation config and
   * tokenizer files alongside.
   */
  async exportMergedModel(onProgress?: (e: ProgressEvent) => void): Promise<ExportedModel> {
    return this.whileExporting(() => this.mergedModel(onProgress));
  }

  /** Marks an export as under way (the storage inventory keeps its folder meanwhile). */
  private async whileExporting<T>(work: () => Promise<T>): Promise<T> {
    this.exporting = true;
    try {
      return await work();
    } finally {
      this.exporting = false;
    }
  }

  private async mergedModel(onProgress?: (e: ProgressEvent) => void): Promise<ExportedModel> {
    const run = this.run;
    if (!run) throw new Error('no model is loaded: train (or resume) first, then export');
    if (this.active) throw new Error('a run is in progress: stop it (or let it finish) before merging, so the adapter does not change while it is read');
    const { model } = run;
    if (!this.env.mergedWeightsSink || !model.readFile) throw new Error('merging is not available here: this environment cannot write a merged model');
    const adapter = await runnerAdapter(run.runner, exportConfig(run.runner, { baseModelNameOrPath: model.baseModelNameOrPath, config: run.adapterConfig }));
    const plan = planMerge(model.weights, model.config, adapter);
    const extras: ExportedModelFile[] = [];
    for (const name of MERGED_COPIED_FILES) {
      const data = await model.readFile(name);
      if (data) extras.push({ name, data });
    }
    const total = plan.layout.byteLength + extras.reduce((a, f) => a + (f.data as Uint8Array).byteLength, 0);
    const sink = await this.env.mergedWeightsSink(plan.layout.byteLength);
    let weights: Blob;
    try {
      const label = `merging the adapter into ${model.modelId}`;
      await writeMergedWeights(plan, model.weights, (bytes) => sink.write(bytes), (p) => onProgress?.({ type: 'progress', label, done: p.done, total: plan.layout.byteLength, unit: 'bytes' }));
      weights = await sink.finish();
    } catch (e) {
      await sink.abort();
      throw e;
    }
    return { files: [{ name: 'model.safetensors', data: weights }, ...extras], bytes: total };
  }

  /**
   * The run's adapter merged into the base and exported for transformers.js (an ONNX decoder with KV
   * cache, see model/onnx-export.ts): the ONNX file(s) written through the environment's sinks
   * (checked for space first), config.json with transformers.js's section, the generation config and
   * tokenizer files alongside. File names are relative to the model folder (`onnx/model.onnx`).
   */
  async exportOnnxModel(dtype: OnnxDtype, onProgress?: (e: ProgressEvent) => void): Promise<ExportedModel> {
    return this.whileExporting(() => this.onnxModel(dtype, onProgress));
  }

  private async onnxModel(dtype: OnnxDtype, onProgress?: (e: ProgressEvent) => void): Promise<ExportedModel> {
    const run = this.run;
    if (!run) throw new Error('no model is loaded: train (or resume) first, then export');
    if (this.active) throw new Error('a run is in progress: stop it (or let it finish) before exporting, so the adapter does not change while it is read');
    const { model } = run;
    if (!this.env.onnxExportSinks || !model.readFile) throw new Error('exporting for transformers.js is not available here: this environment cannot write the files');
    const configBytes = await model.readFile('config.json');
    if (!configBytes) throw new Error(`the model ${model.modelId} has no config.json to export`);
    const adapter = await runnerAdapter(run.runner, exportConfig(run.runner, { baseModelNameOrPath: model.baseModelNameOrPath, config: run.adapterConfig }));
    const plan = planOnnxExport(model.config, model.weights, { dtype, adapter });
    const extras: ExportedModelFile[] = [{ name: 'config.json', data: new TextEncoder().encode(exportConfigJson(new TextDecoder().decode(configBytes), plan)) }];
    for (const name of ONNX_COPIED_FILES) {
      const data = await model.readFile(name);
      if (data) extras.push({ name, data });
    }
    // The graph itself adds well under a MiB to the weights.
    const open = await this.env.onnxExportSinks(plan.weightBytes + 2 ** 20);
    const label = `exporting ${model.modelId} for transformers.js`;
    const onnx = await writeOnnxModel(model.config, plan, model.weights, open, (p) => onProgress?.({ type: 'progress', label, done: p.done, total: p.total, unit: 'bytes' }));
    const files = [...onnx, ...extras];
    return { files, bytes: files.reduce((a, f) => a + (f.data instanceof Blob ? f.data.size : f.data.byteLength), 0) };
  }

  /**
   * Loads a PEFT/Unsloth adapter: into the loaded model now when no run is active and the LoRA
   * setup matches, and in any case as the starting point of the next run.
   */
  async importAdapter(files: ExportedAdapter): Promise<void> {
    if (this.active) throw new Error('a run is in progress: stop it before importing an adapter');
    let json: unknown;
    try {
      json = JSON.parse(files.configJson);
    } catch (e) {
      throw new Error(`adapter_config.json is not JSON: ${(e as Error).message}`);
    }
    parseLoraConfig(json);
    if (this.run) {
      const adapter = await readAdapterFiles(files, this.run.model.config);
      applyAdapter(this.run.runner, adapter);
      this.run.adapterConfig = adapter.config;
    }
    this.pendingAdapter = { configJson: files.configJson, safetensors: files.safetensors.slice() };
  }

  async exportHints(): Promise<string> {
    return this.hintStore.exportJson();
  }

  async importHints(json: string): Promise<void> {
    this.hintStore.importJson(json);
  }

  async editHint(id: string, change: Partial<Pick<HintRecord, 'description' | 'weight' | 'pinned'>> | 'delete'): Promise<HintRecord[]> {
    const store = this.hintStore;
    if (change === 'delete') store.deleteHint(id);
    else {
      if (change.pinned === true) store.pin(id);
      if (change.pinned === false) store.unpin(id);
      if (change.description !== undefined || change.weight !== undefined) store.editHint(id, { description: change.description, weight: change.weight });
    }
    return hintRecords(store);
  }

  async inspectDataset(source: DatasetSource): Promise<DatasetReport> {
    const evaluator = new SqlEvaluator(this.env.sqlWorkerFactory, { size: this.env.sqlWorkers ?? 2 });
    try {
      const parsed = await this.env.readDataset(source, () => {});
      return (await prepareDataset(source, parsed, { seed: 42, inspectGold: goldInspector(evaluator) })).report;
    } finally {
      evaluator.close();
    }
  }

  modelCacheStatus(source: ModelSource): Promise<ModelCacheStatus> {
    return this.env.modelCacheStatus(source);
  }

  /** What the engine holds on to now: the storage inventory refuses to delete it. */
  private storageUse(): StorageUse {
    const runs = [...(this.active ? this.resumedRuns : [])];
    if (this.active && this.run?.warmup) runs.push({ runId: this.run.warmup.runId, kind: 'warmup' });
    if (this.active && this.run?.trainer) runs.push({ runId: this.run.trainer.runId, kind: 'grpo' });
    const model = this.active || this.run ? (this.lastRequest?.model ?? null) : null;
    return { active: this.active, model, modelLoaded: this.run !== null, dataset: this.active ? (this.lastRequest?.dataset ?? null) : null, runs, exporting: this.exporting, playing: this.playing !== null };
  }

  private async storageSources(): Promise<StorageSources> {
    if (!this.env.storage) throw new Error('this engine keeps nothing in browser storage');
    return this.env.storage();
  }

  async storageInventory(): Promise<StorageInventory> {
    return readStorageInventory(await this.storageSources(), this.storageUse());
  }

  /**
   * Deletes one stored item: refused while a run, an export or the Playground uses it. Deleting
   * the files the loaded model reads (a finished run's) unloads that model first.
   */
  async deleteStored(ref: StoredItemRef): Promise<StorageInventory> {
    const problem = storedRefProblem(ref);
    if (problem !== null) throw new Error(`cannot delete: ${problem}`);
    if (this.deleting) throw new Error(`cannot delete ${describeStored(ref)}: another deletion is under way`);
    const blocked = storageBlockedBy(ref, this.storageUse());
    if (blocked !== null) throw new Error(`cannot delete ${describeStored(ref)}: ${blocked}`);
    const sources = await this.storageSources();
    this.deleting = true;
    try {
      if (storageUnloads(ref, this.storageUse())) await this.release();
      await deleteStoredItem(sources, ref);
    } finally {
      this.deleting = false;
    }
    return this.storageInventory();
  }

  async memoryPlan(request: MemoryPlanRequest): Promise<MemoryPlanReport> {
    const v = validateConfig((request.config ?? {}) as Record<string, unknown>);
    const problems = [...v.errors];
    const budget = request.gpuMemoryBudget ?? DEFAULT_GPU_MEMORY_BUDGET;
    if (!(typeof budget === 'number' && Number.isFinite(budget) && budget > 0)) problems.push(`gpuMemoryBudget must be a positive number of bytes, got ${JSON.stringify(budget)}`);
    const dtypeProblem = weightDtypeProblem(request.weightDtype);
    if (dtypeProblem) problems.push(dtypeProblem);
    if (problems.length) throw new RequestError(problems);
    const model = await this.env.modelConfig(request.model);
    try {
      return { budget, plan: runPlan(model, v.config, request), refusal: null, smallest: null };
    } catch (e) {
      if (e instanceof MemoryBudgetError) return { budget, plan: null, refusal: e.message, smallest: e.smallest };
      throw e;
    }
  }

  async gpuMemoryUse(): Promise<GpuMemoryUse> {
    return { live: gpuMemory.live, peak: gpuMemory.peak, budget: this.budget };
  }

  async playgroundStatus(): Promise<PlaygroundStatus> {
    const run = this.run;
    return { model: run?.model.modelId ?? null, adapter: (run?.runner.lora.size ?? 0) > 0, blocked: this.playgroundBlocked(), maxPromptLength: run?.maxPromptLength ?? null };
  }

  private playgroundBlocked(): string | null {
    if (!this.run) return this.active ? 'the model is still loading' : 'no model is loaded: train or load a model first';
    if (this.active && !this.current()?.control.isWaiting) return 'training is running: pause it (or let it finish) to use the playground';
    if (this.playing) return 'the playground is already generating';
    return null;
  }

  async playground(request: PlaygroundRequest, onChunk?: (chunk: PlaygroundChunk) => void): Promise<PlaygroundResult> {
    const blocked = this.playgroundBlocked();
    if (blocked !== null) throw new Error(blocked);
    const run = this.run!;
    const sourceProblem = adapterSourceProblem(request.adapter);
    if (sourceProblem !== null) throw new Error(`the playground cannot generate: ${sourceProblem}`);
    run.playground ??= new Generator(run.runner);
    this.playgroundSql ??= new SqlEvaluator(this.env.sqlWorkerFactory, { size: 1 });
    const source = request.adapter ?? { kind: 'run' };
    const chunk = onChunk && ((c: PlaygroundChunk) => {
      try {
        onChunk(c);
      } catch {
        // The viewer's problem, not the generation's.
      }
    });
    const generator = run.playground;
    const executor = this.playgroundSql;
    const wantsAdapter = Array.isArray(request.models) && request.models.includes('adapter');
    const playing = (async () => {
      // A checkpoint's or files' adapter loads inside the playing window, so nothing else starts meanwhile.
      const own = source.kind === 'run' || !wantsAdapter ? null : await this.playgroundAdapterFor(run, source);
      const ctx = { generator, adapterGenerator: own?.generator, adapterLabel: own?.label, tokenizer: run.model.tokenizer, executor, maxPromptLength: run.maxPromptLength, hasAdapter: run.runner.lora.size > 0 };
      return runPlayground(ctx, request, chunk);
    })();
    this.playing = playing;
    try {
      return await playing;
    } finally {
      this.playing = null;
    }
  }

  /**
   * The runner and generator of a checkpoint's or imported files' adapter: the one kept from the
   * last question when it is the same source over the same weights, else loaded (and the old one freed).
   */
  private async playgroundAdapterFor(run: LoadedRun, source: Exclude<PlaygroundAdapterSource, { kind: 'run' }>): Promise<PlaygroundAdapter & { generator: Generator }> {
    const kept = run.playgroundAdapter;
    if (kept && kept.key === adapterSourceKey(source) && kept.runner.sharesWeightsWith(run.runner)) return kept;
    const loaded = await loadPlaygroundAdapter({ runner: run.runner, modelId: run.model.modelId, config: run.model.config, checkpoints: () => this.checkpoints() }, source);
    run.playgroundAdapter = undefined;
    if (kept) {
      await kept.generator.release();
      await kept.runner.release();
    }
    run.playgroundAdapter = { ...loaded, generator: new Generator(loaded.runner) };
    return run.playgroundAdapter;
  }

  /** The trainer of the current or last run (CLI: metrics and hints after the run). */
  get trainer(): GrpoTrainer | null {
    return this.run?.trainer ?? null;
  }

  /** Frees the model and sessions of the last run. */
  async release(): Promise<void> {
    if (this.active) this.current()?.stop();
    await this.playing?.catch(() => undefined);
    this.playgroundSql?.close();
    this.playgroundSql = null;
    await this.run?.playground?.release();
    await releasePlaygroundAdapter(this.run);
    await this.run?.warmup?.release();
    await this.run?.trainer?.release();
    await this.run?.runner.release();
    this.run = null;
  }
}

async function releasePlaygroundAdapter(run: LoadedRun | null | undefined): Promise<void> {
  const kept = run?.playgroundAdapter;
  if (!kept) return;
  run.playgroundAdapter = undefined;
  await kept.generator.release();
  await kept.runner.release();
}

/** PEFT's initialisation (A random, B zero) from the run's seed. */
function freshAdapter(model: OpenedModel, config: GRPOConfig): LoraAdapter {
  const rng = Rng.fromSeed(config.seed, 'lora-init');
  return createLoraAdapter(model.config, {
    r: config.lora_r,
    alpha: config.lora_alpha,
    targetModules: config.lora_target_modules,
    baseModelNameOrPath: model.baseModelNameOrPath,
    random: () => rng.next(),
  });
}
