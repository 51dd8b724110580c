/**
 * The training contract between the engine (worker, or headless Node) and whoever watches it (the
 * dashboard, the CLI). Everything is structured-cloneable: it crosses a thread boundary.
 */
import type { GRPOConfigInput } from '../grpo/config';
import type { SFTConfigInput } from '../sft/config';
import type { TrainingMode } from '../hints/config';
import type { Backend } from '../runtime/ort';
import type { MemoryPlan } from '../model/memory-plan';
import type { CheckpointInfo, EvalRecord, GroupRecord, HintRecord, MetricsRow, ProgressEvent, TrainingEvent, TrainingPhase } from '../common/records';
import type { WeightDtype } from '../model/weight-dtype';

export type { MetricsRow, TrainingMode };
// The run's records live below every folder that uses them; the contract carries them.
export type { CheckpointInfo, CompletionRecord, EvalRecord, GroupRecord, HintRecord, ProgressEvent, TrainingEvent, TrainingPhase } from '../common/records';

/** Which model to load. */
export type ModelSource =
  /** endpoint: the hub's base URL, or a mirror's (default https://huggingface.co). */
  | { kind: 'hub'; repo: string; revision?: string; token?: string; endpoint?: string }
  /** The demo model that ships with the app (offline; a small Gemma-3 trained here that writes some SQL). */
  | { kind: 'bundled-demo' }
  /** The tiny model that ships with the app (offline; random weights, real tokenizer). */
  | { kind: 'bundled-tiny' }
  /** A local folder (Node only): config.json, model.safetensors(.index.json), tokenizer files. */
  | { kind: 'local'; dir: string }
  /**
   * A model folder opened in the browser: the same files as File objects, read in place (`name`:
   * the folder's); keepCopy: also copy them into the browser's storage, for use after a reload.
   */
  | { kind: 'files'; name: string; files: File[]; keepCopy?: boolean }
  /** The copy of a model folder kept in the browser's storage (keepCopy above). */
  | { kind: 'stored-folder'; name: string };

export type DatasetSource =
  /** endpoint: as the model's. */
  | { kind: 'hub'; id: string; endpoint?: string }
  | { kind: 'sample' }
  /** Uploaded file contents with an optional column mapping. */
  | { kind: 'upload'; name: string; text: string; mapping?: Partial<Record<'question' | 'context' | 'answer', string>> }
  /** The seeded synthetic corpus (src/dataset/synthetic): `size` questions, the same for the same seed. */
  | { kind: 'synthetic'; size: number; seed: number };

export interface TrainingRequest {
  model: ModelSource;
  dataset: DatasetSource;
  /** TRL-named GRPO settings; missing fields take the documented defaults. */
  config: GRPOConfigInput;
  /** Reward function names (see src/rewards registry) with their weights. */
  rewards: { name: string; weight: number }[];
  mode: TrainingMode;
  backend: Backend;
  /** Resume from this checkpoint id (a GRPO or a warm-up checkpoint) instead of starting fresh. */
  resumeFrom?: string;
  /**
   * A supervised warm-up (SFT, TRL SFTConfig names) of the run's LoRA adapter on the training split
   * before GRPO, as Unsloth's "pre-finetune for format"; absent for none. Its max_prompt_length
   * defaults to the run's, so that warm-up and GRPO see the same prompts.
   */
  warmup?: SFTConfigInput;
  /**
   * GPU memory the run may use, in bytes (default DEFAULT_GPU_MEMORY_BUDGET, 6 GiB). The run takes
   * the fastest plan within it (per_device_train_batch_size at most the one asked for, with
   * gradient_accumulation_steps keeping completions per step, and the loss-head chunk rows), and
   * is refused before anything is downloaded when even the smallest plan does not fit.
   */
  gpuMemoryBudget?: number;
  /**
   * How the model's frozen weights are stored on the GPU (default 'float32'). 'int8': the
   * projections and the embedding in 8 bits (a float32 scale per row), dequantized inside each
   * step graph: about a quarter of the weights' memory, for LoRA runs (the plan counts it).
   */
  weightDtype?: WeightDtype;
}

/** What memoryPlan is asked about: a run's model, settings, backend, budget and weight storage. */
export type MemoryPlanRequest = Pick<TrainingRequest, 'model' | 'config' | 'backend' | 'gpuMemoryBudget' | 'weightDtype'>;

/** The memory plan of a request: the plan the run would take, or why none fits. */
export interface MemoryPlanReport {
  budget: number;
  /** The plan (terms in bytes); null when refused. */
  plan: MemoryPlan | null;
  /** Why no plan fits (the smallest plan and what dominates it); null when one fits. */
  refusal: string | null;
  /** The smallest plan, when refused. */
  smallest: MemoryPlan | null;
}

/** GPU memory in use now (every buffer on the engine's device), the peak since the run started, and the run's budget. */
export interface GpuMemoryUse {
  live: number;
  peak: number;
  /** The running (or last) run's budget; null before any run. */
  budget: number | null;
}


export interface ExportedAdapter {
  /** adapter_config.json text. */
  configJson: string;
  /** adapter_model.safetensors bytes. */
  safetensors: Uint8Array;
}

/** One file of a merged model; the weights are a disk-backed Blob (OPFS in a browser, a file in Node). */
export interface ExportedModelFile {
  name: string;
  data: Blob | Uint8Array;
}

/** A merged model in Hugging Face's layout: model.safetensors, config.json, generation config, tokenizer files. */
export interface ExportedModel {
  files: ExportedModelFile[];
  /** Total size of the files. */
  bytes: number;
}

/** Which weights the playground generates with: the base model (LoRA off) or the run's adapter. */
export type PlaygroundModel = 'base' | 'adapter';

/**
 * Which LoRA the playground's 'adapter' output uses: the run's current one (default), a saved
 * (GRPO) checkpoint's, or adapter files (PEFT/Unsloth layout) for the loaded model.
 */
export type PlaygroundAdapterSource =
  | { kind: 'run' }
  | { kind: 'checkpoint'; id: string }
  | { kind: 'files'; adapter: ExportedAdapter; /** Shown with the output (e.g. the folder's name). */ name?: string };

/** One question for the loaded model, outside training. */
export interface PlaygroundRequest {
  question: string;
  /** CREATE TABLE statements: the prompt's schema, and the synthetic database the SQL runs on. */
  context: string;
  /** A reference query (a dataset row's answer): the SQL is then judged against it. */
  gold?: string;
  /** One output per entry, generated in this order. */
  models: PlaygroundModel[];
  /** 0 = greedy. */
  temperature: number;
  /** (0, 1]; 1 = no limit. */
  topP: number;
  maxNewTokens: number;
  /** Seed of the sampling stream (the same seed gives the same sampled text). Default 0. */
  seed?: number;
  /** The adapter's LoRA (default: the run's current one). */
  adapter?: PlaygroundAdapterSource;
}

/** The text so far of one output while it is generated. */
export interface PlaygroundChunk {
  model: PlaygroundModel;
  text: string;
  tokens: number;
}

export interface PlaygroundOutput {
  model: PlaygroundModel;
  text: string;
  /** SQL extracted from the text (null if none could be found). */
  sql: string | null;
  tokens: number;
  /** Ended by a stop token (false: cut at maxNewTokens). */
  finished: boolean;
  /**
   * The SQL run on the schema's first synthetic database (its first rows), or why it could not
   * run; equivalent: judged against the request's gold query on every database (absent without one).
   */
  execution: { columns: string[]; rows: unknown[][]; error?: string; equivalent?: boolean } | null;
  ms: number;
  /** The adapter output's source, e.g. "current run", "checkpoint at step 40" (absent for the base). */
  adapterLabel?: string;
}

export interface PlaygroundResult {
  outputs: PlaygroundOutput[];
  promptTokens: number;
  /** Tables pruned from the schema to fit max_prompt_length. */
  prunedTables: string[];
}

/** Whether the playground can generate now, and with what. */
export interface PlaygroundStatus {
  /** The loaded model's id; null when none is loaded (train first). */
  model: string | null;
  /** The loaded model carries a LoRA adapter (so base and adapter can be compared). */
  adapter: boolean;
  /** Why it cannot generate now (no model, training running); null when it can. */
  blocked: string | null;
  maxPromptLength: number | null;
}

/** What the dashboard calls on the engine (implemented in the worker; the CLI uses the same core). */
export interface TrainerApi {
  /** Starts a run; events stream to `onEvent` (a comlink proxy in the browser). */
  startTraining(request: TrainingRequest, onEvent: (e: TrainingEvent) => void): Promise<void>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  stop(): Promise<void>;
  listCheckpoints(): Promise<CheckpointInfo[]>;
  exportAdapter(): Promise<ExportedAdapter>;
  /** The adapter merged into the base weights (W + scale·B·A), as PEFT's merge_and_unload() + save_pretrained(). */
  exportMergedModel(onProgress?: (e: ProgressEvent) => void): Promise<ExportedModel>;
  /**
   * The adapter merged into the base and exported for transformers.js: onnx/model.onnx (fp32) or
   * onnx/model_fp16.onnx (fp16 weights), external data past 2 GB, config.json, tokenizer files.
   */
  exportOnnxModel(dtype: 'fp32' | 'fp16', onProgress?: (e: ProgressEvent) => void): Promise<ExportedModel>;
  /** Loads a PEFT adapter (PEFT or Unsloth files) to continue training or to evaluate. */
  importAdapter(files: ExportedAdapter): Promise<void>;
  exportHints(): Promise<string>;
  importHints(json: string): Promise<void>;
  editHint(id: string, change: Partial<Pick<HintRecord, 'description' | 'weight' | 'pinned'>> | 'delete'): Promise<HintRecord[]>;
  /** The memory plan a run with these settings would take (reads the model's config.json only). */
  memoryPlan(request: MemoryPlanRequest): Promise<MemoryPlanReport>;
  /** GPU memory in use now, against the run's budget (the GPU panel polls it). */
  gpuMemoryUse(): Promise<GpuMemoryUse>;
  /** Whether the playground can generate now (a model is loaded by a run that is not busy). */
  playgroundStatus(): Promise<PlaygroundStatus>;
  /**
   * Generates an answer with the loaded model (base and/or adapter), streaming the text as it grows
   * to `onChunk` (a comlink proxy in the browser), and runs its SQL on the schema's synthetic
   * database. Refused while training is running (allowed when paused, stopped or finished).
   */
  playground(request: PlaygroundRequest, onChunk?: (chunk: PlaygroundChunk) => void): Promise<PlaygroundResult>;
}
