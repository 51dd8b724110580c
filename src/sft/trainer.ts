/**
 * The supervised warm-up (SFT) trainer: TRL SFTTrainer's loop on the engine. Each optimizer step
 * takes per_device_train_batch_size × gradient_accumulation_steps examples from a seeded epoch-wise
 * shuffle, turns them into prompt + target completion ids (the prompts GRPO will use), runs the
 * micro-batches through the runner's loss head with the mean-token-NLL objective, sums their
 * gradients and takes one AdamW step — on the LoRA adapter (use_peft) or on every weight.
 *
 * As in the GRPO trainer: a step changes the state only at its very end (a stop mid-step leaves
 * the last complete step), a non-finite loss or gradient norm skips the step with every tensor and
 * moment unchanged, and a checkpoint holds everything needed to continue bit for bit.
 */
import type { DatasetExample } from '../dataset/types';
import { Generator } from '../generate/generator';
import { pruneCheckpoints, splitFingerprint, type CheckpointStorage } from '../grpo/checkpoint';
import { evaluatePolicy, heldOutSubset } from '../grpo/evaluate';
import type { MetricsRow } from '../grpo/metrics';
import { learningRateAt } from '../grpo/schedule';
import { RunControl, RunStopped } from '../grpo/trainer-control';
import { AdamWOptimizer, disposeGradients, loraParams, weightParams, type ParamSet } from '../grpo/trainer-optimizer';
import { PromptSampler, type PromptTokenizer } from '../grpo/trainer-prompts';
import type { Tensor } from '../graph/graph';
import * as op from '../graph/ops';
import type { Gemma3Runner } from '../model/gemma3-runner';
import type { GroupExecutor } from '../rewards/registry';
import { onDeviceLost as runtimeOnDeviceLost, readTensor } from '../runtime/device';
import type { ort } from '../runtime/ort';
import type { EvalRecord, TrainingEvent, TrainingPhase } from '../common/records';
import { buildSftMicroBatches, tokenizeExample, type SftItem } from './batches';
import { sftExamplesPerStep, sftTotalSteps, type SFTConfig } from './config';
import { encodeSftCheckpoint, sftCheckpointId, type SftCheckpointState } from './checkpoint';

export interface SftTrainerOptions {
  /** trainable 'full' when config.use_peft is false; LoRA set when it is true. */
  runner: Gemma3Runner;
  tokenizer: PromptTokenizer;
  train: readonly DatasetExample[];
  heldOut: readonly DatasetExample[];
  /** Runs SQL for held-out evaluation (needed when eval_steps > 0). */
  executor?: GroupExecutor;
  config: SFTConfig;
  modelId: string;
  runId?: string;
  checkpoints?: CheckpointStorage;
  keepCheckpoints?: number;
  /** Held-out examples evaluated (the first of the split). Default 16. */
  evalExamples?: number;
  evalBatchSize?: number;
  /** Tokens generated per held-out answer. Default 64. */
  evalMaxNewTokens?: number;
  onEvent?: (event: TrainingEvent) => void;
  onDeviceLost?: (listener: (info: { message: string }) => void) => () => void;
  resume?: SftCheckpointState;
}

export type SftOutcome = { status: 'finished' | 'stopped'; step: number } | { status: 'failed'; step: number; error: Error };

const now = () => performance.now();

/** -sum(weights * log p): with weights 1/N on the step's loss tokens, the mean token NLL. */
const sftObjective = (logp: Tensor, x: Record<string, Tensor>) => op.neg(op.reduceSum(op.mul(logp, x.weights), [0]));

export class SftTrainer {
  readonly control = new RunControl();
  readonly config: SFTConfig;
  readonly runId: string;
  readonly totalSteps: number;
  private readonly usable: DatasetExample[];
  private readonly optimizer: AdamWOptimizer;
  private readonly params: ParamSet;
  private sampler: PromptSampler;
  private stepCount = 0;
  private numTokens = 0;
  private lastSavedStep = -1;
  private readonly skipped = { noAnswer: 0, tooLong: 0, truncated: 0 };
  private readonly metricsHistory: MetricsRow[] = [];
  private readonly evalHistory: EvalRecord[] = [];
  private readonly dataFingerprint: string;
  private generator?: Generator;

  constructor(private readonly o: SftTrainerOptions) {
    const c = (this.config = o.config);
    const wanted = c.use_peft ? 'lora' : 'full';
    if (o.runner.trainable !== wanted) throw new Error(`warm-up with use_peft ${c.use_peft} needs a runner with trainable '${wanted}', this one trains '${o.runner.trainable}'`);
    if (c.use_peft && o.runner.lora.size === 0) throw new Error('warm-up with use_peft needs LoRA matrices on the runner');
    // Rows without an answer teach nothing: skipped and counted once, up front.
    this.usable = o.train.filter((e) => typeof e.answer === 'string' && e.answer.trim() !== '');
    this.skipped.noAnswer = o.train.length - this.usable.length;
    if (this.usable.length === 0) throw new Error(`the warm-up has nothing to learn from: none of the ${o.train.length} training examples has an answer`);
    this.totalSteps = sftTotalSteps(c, this.usable.length);
    this.dataFingerprint = splitFingerprint(this.usable);
    this.runId = o.resume?.runId ?? o.runId ?? `warmup-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-')}`;
    this.sampler = PromptSampler.create(this.usable, c.seed);
    this.params = c.use_peft ? loraParams(o.runner) : weightParams(o.runner);
    const r = o.resume;
    if (r) {
      if (r.modelId !== o.modelId) throw new Error(`warm-up checkpoint ${r.id} was trained on ${r.modelId}, not ${o.modelId}`);
      if (r.dataFingerprint !== this.dataFingerprint) throw new Error(`warm-up checkpoint ${r.id} was trained on a different training split`);
      this.restoreParams(r);
      this.stepCount = r.step;
      this.lastSavedStep = r.step;
      this.numTokens = r.numTokens;
      Object.assign(this.skipped, r.skipped);
      this.sampler = PromptSampler.fromState(this.usable, r.sampler);
      this.metricsHistory.push(...r.metrics);
      this.evalHistory.push(...r.evals);
    }
    this.optimizer = AdamWOptimizer.create(this.params, c, r && { adamStep: r.adamStep, m: r.adamM, v: r.adamV });
  }

  get step(): number {
    return this.stepCount;
  }
  get metrics(): readonly MetricsRow[] {
    return this.metricsHistory;
  }
  get evals(): readonly EvalRecord[] {
    return this.evalHistory;
  }
  /** Examples skipped so far: without an answer, prompt over max_prompt_length; completions cut by max_length. */
  get skippedCounts(): Readonly<{ noAnswer: number; tooLong: number; truncated: number }> {
    return { ...this.skipped, tooLong: this.sampler.skippedTooLong };
  }

  pause(): void {
    this.control.pause();
  }
  resume(): void {
    this.control.resume();
  }
  stop(): void {
    this.control.stop();
  }

  private emit(event: TrainingEvent): void {
    try {
      this.o.onEvent?.(event);
    } catch {
      // A failing listener must not break training.
    }
  }

  private phase(phase: TrainingPhase, message?: string): void {
    this.emit(message === undefined ? { type: 'phase', phase } : { type: 'phase', phase, message });
  }

  private restoreParams(r: SftCheckpointState): void {
    const names = this.params.names().sort();
    const saved = [...r.params.keys()].sort();
    if (names.join('|') !== saved.join('|')) throw new Error(`warm-up checkpoint ${r.id} holds other tensors (${saved.length}) than this model trains (${names.length})`);
    for (const [key, t] of r.params) {
      const dims = [...this.params.get(key)!.dims];
      if (dims.join(',') !== t.shape.join(',')) throw new Error(`warm-up checkpoint ${r.id}: ${key} has shape [${t.shape.join(', ')}], the model's is [${dims.join(', ')}]`);
      this.params.set(key, this.params.store.upload(t.values.slice(), t.shape));
    }
  }

  /** Runs to the last step (evaluating and saving as configured). Never throws: the outcome says how it ended. */
  async run(): Promise<SftOutcome> {
    const subscribe = this.o.onDeviceLost ?? runtimeOnDeviceLost;
    const unsubscribe = subscribe((info) => this.control.fail(new Error(`the GPU device was lost (${info.message || 'no reason given'})`)));
    this.control.onPauseChange = (paused) => this.phase(paused ? 'paused' : 'warming-up');
    const c = this.config;
    try {
      for (const row of this.metricsHistory) this.emit({ type: 'warmup-metrics', row });
      for (const record of this.evalHistory) this.emit({ type: 'warmup-eval', record });
      if (c.eval_steps > 0 && !this.evalHistory.some((e) => e.step === this.stepCount)) await this.evaluate();
      while (this.stepCount < this.totalSteps) {
        await this.control.checkpoint();
        this.phase('warming-up');
        await this.trainStep();
        if (c.save_steps > 0 && this.stepCount % c.save_steps === 0 && this.o.checkpoints) await this.save();
        if (c.eval_steps > 0 && (this.stepCount % c.eval_steps === 0 || this.stepCount === this.totalSteps)) await this.evaluate();
      }
      if (this.o.checkpoints && this.lastSavedStep !== this.stepCount) await this.save();
      return { status: 'finished', step: this.stepCount };
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      if (error instanceof RunStopped) {
        if (this.o.checkpoints && this.lastSavedStep !== this.stepCount && this.stepCount > 0) await this.save().catch((s) => this.emit({ type: 'error', message: `could not save a warm-up checkpoint on stop: ${(s as Error).message}` }));
        this.phase('stopped');
        return { status: 'stopped', step: this.stepCount };
      }
      const resumeHint = this.lastSavedStep >= 0 ? ` The last warm-up checkpoint (step ${this.lastSavedStep}) is intact: resume from it.` : '';
      this.emit({ type: 'error', message: `warm-up stopped at step ${this.stepCount + 1}: ${error.message}.${resumeHint}` });
      this.phase('failed', error.message);
      return { status: 'failed', step: this.stepCount, error };
    } finally {
      unsubscribe();
    }
  }

  /** The next step's examples as token ids (the sampler marks prompts that cannot fit and skips them). */
  private nextItems(): SftItem[] {
    const c = this.config;
    const items: SftItem[] = [];
    const picked = this.sampler.next(sftExamplesPerStep(c), (e) => {
      const r = tokenizeExample(e, this.o.tokenizer, c);
      // Rows without an answer were left out up front: what remains is a prompt that cannot be built.
      if (!r.ok) return { ok: false, kind: r.kind === 'no-answer' ? 'bad-schema' : r.kind, reason: r.reason };
      items.push(r.item);
      return { ok: true, prompt: { ids: r.item.promptIds, hintIds: [], prunedTables: r.item.prunedTables } };
    });
    if (picked.length !== items.length) throw new Error('internal: sampler and tokenizer disagree');
    return items;
  }

  /** One optimizer step; on a stop or failure mid-step the sampler goes back to the step's start. */
  async trainStep(): Promise<MetricsRow> {
    const start = this.sampler.state();
    try {
      return await this.stepOnce();
    } catch (e) {
      this.sampler = PromptSampler.fromState(this.usable, start);
      throw e;
    }
  }

  private async stepOnce(): Promise<MetricsRow> {
    const c = this.config;
    const index = this.stepCount;
    const t0 = now();
    const items = this.nextItems();
    const truncated = items.filter((it) => it.truncated).length;
    const mbs = buildSftMicroBatches(items, c, this.o.tokenizer.special.pad);
    let acc: Map<string, ort.Tensor> | undefined;
    let loss = 0;
    let tokens = 0;
    try {
      for (const mb of mbs) {
        await this.control.checkpoint();
        const res = await this.o.runner.lossAndGradients({ inputIds: mb.inputIds, attentionMask: mb.attentionMask, perToken: { weights: mb.weights }, objectiveKey: 'sft', objective: sftObjective, lossRows: mb.lossRows });
        loss += res.loss;
        tokens += mb.tokens;
        acc = await this.optimizer.accumulate(acc, res.grads);
      }
    } catch (e) {
      disposeGradients(acc);
      throw e;
    }
    const lr = learningRateAt(index, { ...c, max_steps: this.totalSteps });
    let gradNorm = NaN;
    let applied = false;
    let reason = `loss is ${loss}`;
    if (Number.isFinite(loss)) {
      const outcome = await this.optimizer.update(acc!, lr);
      gradNorm = outcome.gradNorm;
      applied = outcome.applied;
      if (!outcome.applied) reason = outcome.reason;
    } else disposeGradients(acc);

    // The step is complete: record it.
    this.stepCount = index + 1;
    this.numTokens += tokens;
    this.skipped.truncated += truncated;
    const row: MetricsRow = {
      step: this.stepCount,
      loss,
      grad_norm: gradNorm,
      learning_rate: lr,
      epoch: this.stepCount * sftExamplesPerStep(c) / this.usable.length,
      num_tokens: this.numTokens,
      step_time: (now() - t0) / 1000,
    };
    this.metricsHistory.push(row);
    this.emit({ type: 'warmup-metrics', row });
    this.emit({ type: 'progress', label: 'warm-up (SFT)', done: this.stepCount, total: this.totalSteps, unit: 'steps' });
    if (!applied) this.emit({ type: 'warning', step: this.stepCount, message: `warm-up step skipped, nothing applied: ${reason}` });
    return row;
  }

  /** Greedy execution accuracy on the held-out subset at the current warm-up step. */
  async evaluate(): Promise<EvalRecord | null> {
    if (this.o.heldOut.length === 0) return null;
    if (!this.o.executor) throw new Error('warm-up evaluation needs an SQL executor');
    await this.control.checkpoint();
    this.phase('evaluating');
    this.generator ??= new Generator(this.o.runner);
    const label = `evaluating the warm-up at step ${this.stepCount}`;
    const result = await evaluatePolicy({
      generator: this.generator,
      tokenizer: this.o.tokenizer,
      examples: heldOutSubset(this.o.heldOut, this.o.evalExamples ?? 16),
      executor: this.o.executor,
      step: this.stepCount,
      maxPromptLength: this.config.max_prompt_length,
      maxNewTokens: this.o.evalMaxNewTokens ?? 64,
      batchSize: this.o.evalBatchSize,
      signal: this.control.signal,
      onProgress: (done, total) => this.emit({ type: 'progress', label, done, total, unit: 'items' }),
    });
    this.control.throwIfStopped();
    this.evalHistory.push(result.record);
    this.emit({ type: 'warmup-eval', record: result.record });
    return result.record;
  }

  async checkpointState(): Promise<SftCheckpointState> {
    const params = new Map<string, { shape: number[]; values: Float32Array }>();
    for (const key of this.params.names().sort()) {
      const t = this.params.get(key)!;
      params.set(key, { shape: [...t.dims], values: (await readTensor(t)).slice() });
    }
    const opt = await this.optimizer.state();
    return {
      id: sftCheckpointId(this.runId, this.stepCount),
      runId: this.runId,
      step: this.stepCount,
      createdAt: new Date().toISOString(),
      modelId: this.o.modelId,
      config: this.config,
      dataFingerprint: this.dataFingerprint,
      split: { train: this.o.train.map((e) => e.id), heldOut: this.o.heldOut.map((e) => e.id) },
      adamStep: opt.adamStep,
      sampler: this.sampler.state(),
      numTokens: this.numTokens,
      skipped: { ...this.skipped },
      metrics: [...this.metricsHistory],
      evals: [...this.evalHistory],
      weightDtype: this.o.runner.weightDtype,
      params,
      adamM: opt.m,
      adamV: opt.v,
    };
  }

  async save(): Promise<string> {
    if (!this.o.checkpoints) throw new Error('no checkpoint storage configured');
    const state = await this.checkpointState();
    await this.o.checkpoints.save({ id: state.id, step: state.step, createdAt: state.createdAt, modelId: state.modelId, kind: 'warmup' }, encodeSftCheckpoint(state));
    this.lastSavedStep = state.step;
    this.emit({ type: 'checkpoint', id: state.id, step: state.step });
    if (this.o.keepCheckpoints !== undefined) await pruneCheckpoints(this.o.checkpoints, `${this.runId}-warmup`, this.o.keepCheckpoints);
    return state.id;
  }

  async release(): Promise<void> {
    await this.generator?.release();
    await this.optimizer.release();
  }
}
