/**
 * The GRPO trainer: one loop for the browser worker and headless Node. A step draws prompts,
 * samples num_generations completions per prompt with the current LoRA, scores them (SQL runs in
 * the worker pool), turns rewards into group-relative advantages and then, by mode:
 *   'lora'/'both':  micro-batches → loss head with the GRPO objective → LoRA gradients, summed over
 *                   gradient_accumulation_steps → AdamW (schedule LR, max_grad_norm) → LoRA swapped;
 *                   the same completions serve num_iterations optimizer steps (PPO clipping);
 *   'hints'/'both': the hint store learns from the same groups (runHintsStep).
 * Everything is reported as TrainingEvents; pause/stop act between phases; the seed fixes the run.
 *
 * State that a checkpoint must restore lives in this class (step, RNG and sampler states, the batch
 * being reused, metrics, hints) or in the runner/optimizer tensors; a step changes it only at its
 * very end, so a stop or failure mid-step leaves the state of the last complete step.
 */
import type { DatasetExample } from '../dataset/types';
import { Generator } from '../generate/generator';
import { resolveHintsConfig, trainsHints, trainsLora, type HintsConfig, type TrainingMode } from '../hints/config';
import { HintStore } from '../hints/store';
import { runHintsStep, type PromptGroup } from '../hints/trainer';
import { loraKeyOf, type Gemma3Runner } from '../model/gemma3-runner';
import { LORA_MODULES, projectionShape } from '../model/peft';
import type { TokenObjective } from '../model/gemma3-graphs';
import { promptInputOf } from '../prompt/build-prompt';
import type { RewardRegistry, GroupExecutor, GroupScores } from '../rewards/registry';
import { readTensor, onDeviceLost as runtimeOnDeviceLost } from '../runtime/device';
import type { CompletionRecord, EvalRecord, GroupRecord, HintRecord, TrainingEvent, TrainingPhase } from '../common/records';
import { combineRewards, computeAdvantages } from './advantages';
import { checkpointId, encodeCheckpoint, infoOf, pruneCheckpoints, splitFingerprint, type CheckpointState, type CheckpointStorage, type SavedGenerationBatch } from './checkpoint';
import { clipEpsilons, promptsPerStep, resolveRewardWeights, type GRPOConfig } from './config';
import { evaluatePolicy, heldOutSubset } from './evaluate';
import { completionMetrics, policyMetrics, rewardMetrics, stepMetrics, type MetricsRow, type MetricValues, type PolicyMicroBatch } from './metrics';
import { grpoObjective } from './objective';
import { Rng } from '../common/rng';
import { learningRateAt } from './schedule';
import { buildMicroBatches, clipIndicators, perTokenKl, type MicroBatch, type TrainingRow } from './trainer-batch';
import { RunControl, RunStopped } from './trainer-control';
import { AdamWOptimizer, disposeGradients, loraParams } from './trainer-optimizer';
import { PromptSampler, renderPrompt, type HintInjectionSettings, type PromptTokenizer } from './trainer-prompts';

export class DeviceLostError extends Error {
  constructor(message: string) {
    super(`the GPU device was lost (${message || 'no reason given'})`);
    this.name = 'DeviceLostError';
  }
}

/** Test and diagnostics hooks: what the step computed, read back to the host. */
export interface TrainerHooks {
  onMicroBatch?(info: { step: number; iteration: number; index: number; microBatch: MicroBatch; logprobs: Float32Array; loss: number; oldLogp?: Float32Array; refLogp?: Float32Array }): void;
  /** The summed gradients of a step before the update (costs a read-back; only when set). */
  onGradients?(step: number, grads: Map<string, Float32Array>): void;
}

export interface TrainerOptions {
  runner: Gemma3Runner;
  tokenizer: PromptTokenizer;
  train: readonly DatasetExample[];
  heldOut: readonly DatasetExample[];
  rewards: RewardRegistry;
  executor: GroupExecutor;
  /** A validated config (validateConfig(...).config). */
  config: GRPOConfig;
  mode: TrainingMode;
  /** Hint store settings; defaults otherwise. */
  hintsConfig?: HintsConfig;
  /** The hint store to learn into (e.g. one imported by the user); a new one otherwise. */
  hintStore?: HintStore;
  /** Names the model in checkpoints and adapters. */
  modelId: string;
  /** Prefix of checkpoint ids; default: from the start time. */
  runId?: string;
  checkpoints?: CheckpointStorage;
  /** Keep only this run's newest N checkpoints (TRL's save_total_limit); default all. */
  keepCheckpoints?: number;
  /** Held-out examples evaluated (the first ones of the split). Default 16. */
  evalExamples?: number;
  /** Completions decoded together in evaluation. Default 8. */
  evalBatchSize?: number;
  onEvent?: (event: TrainingEvent) => void;
  /** How to hear of a lost GPU device; default the runtime's onDeviceLost. */
  onDeviceLost?: (listener: (info: { message: string }) => void) => () => void;
  hooks?: TrainerHooks;
  /** Continue from this checkpoint (the runner must already hold its LoRA tensors). */
  resume?: CheckpointState;
}

export type RunOutcome = { status: 'finished' | 'stopped'; step: number } | { status: 'failed'; step: number; error: Error };

/** Completions of one generation, with everything each of its num_iterations steps needs. */
interface GenerationBatch {
  createdAtStep: number;
  uses: number;
  rows: TrainingRow[];
  microBatches?: MicroBatch[];
  oldLogp?: Float32Array[];
  refLogp?: Float32Array[];
  metrics: MetricValues;
  timings: { generation: number; rewards: number };
  tokens: number;
  /** Per prompt, what the hints step reads (only on the step that generated the batch). */
  groups?: { example: { question: string; context: string }; texts: string[]; rewards: number[] }[];
}

const now = () => performance.now();

function hintRecords(store: HintStore): HintRecord[] {
  return store.hints().map((h) => ({ id: h.id, hint_type: h.hint_type, pattern: h.pattern, description: h.description, weight: h.weight, tables: h.tables, evidence_count: h.evidence_count, pinned: h.pinned }));
}

export class GrpoTrainer {
  readonly control = new RunControl();
  readonly config: GRPOConfig;
  readonly mode: TrainingMode;
  readonly runId: string;
  readonly hintStore: HintStore;
  private readonly hintsConfig: HintsConfig;
  private readonly generator: Generator;
  private readonly optimizer?: AdamWOptimizer;
  private sampler: PromptSampler;
  private samplingRng: Rng;
  private batch: GenerationBatch | null = null;
  private stepCount = 0;
  private numTokens = 0;
  private lastSavedStep = -1;
  private phaseNow: TrainingPhase = 'idle';
  private readonly metricsHistory: MetricsRow[] = [];
  private readonly evalHistory: EvalRecord[] = [];
  private readonly dataFingerprint: string;
  private readonly objective: TokenObjective;
  private readonly objectiveKey: string;

  constructor(private readonly o: TrainerOptions) {
    this.config = o.config;
    this.mode = o.mode;
    this.generator = new Generator(o.runner);
    this.hintsConfig = o.hintsConfig ?? resolveHintsConfig({ group_size: Math.min(64, o.config.num_generations) });
    this.hintStore = o.hintStore ?? new HintStore();
    this.dataFingerprint = splitFingerprint(o.train);
    this.runId = o.resume?.runId ?? o.runId ?? `run-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-')}`;
    this.sampler = PromptSampler.create(o.train, o.config.seed);
    this.samplingRng = Rng.fromSeed(o.config.seed, 'sampling');

    const { low, high } = clipEpsilons(o.config);
    const hasOld = o.config.num_iterations > 1;
    const hasRef = o.config.beta > 0;
    this.objectiveKey = `grpo:${low}:${high}:${o.config.beta}:${hasOld ? 'old' : ''}:${hasRef ? 'ref' : ''}`;
    this.objective = (logp, x) =>
      grpoObjective(
        { logp, oldLogp: hasOld ? x.old_logp : undefined, refLogp: hasRef ? x.ref_logp : undefined, advantages: x.advantages, weights: x.weights },
        { epsilon: low, epsilonHigh: high, beta: o.config.beta },
      ).loss;

    const r = o.resume;
    if (r) {
      if (r.modelId !== o.modelId) throw new Error(`checkpoint ${r.id} was trained on ${r.modelId}, not ${o.modelId}`);
      if (r.dataFingerprint !== this.dataFingerprint) throw new Error(`checkpoint ${r.id} was trained on a different training split (${r.dataFingerprint}, now ${this.dataFingerprint})`);
      this.stepCount = r.step;
      this.lastSavedStep = r.step;
      this.numTokens = r.numTokens;
      this.sampler = PromptSampler.fromState(o.train, r.prompts);
      this.samplingRng = Rng.fromState(r.samplingRng);
      this.metricsHistory.push(...r.metrics);
      this.evalHistory.push(...r.evals);
      if (r.hints !== null) this.hintStore = HintStore.fromJson(r.hints);
      this.batch = r.pendingBatch ? restoreBatch(r.pendingBatch) : null;
    }
    if (trainsLora(o.mode)) this.optimizer = AdamWOptimizer.create(loraParams(o.runner), o.config, r && { adamStep: r.adamStep, m: r.adamM, v: r.adamV });
  }

  /** Optimizer steps taken so far. */
  get step(): number {
    return this.stepCount;
  }

  get metrics(): readonly MetricsRow[] {
    return this.metricsHistory;
  }

  get evals(): readonly EvalRecord[] {
    return this.evalHistory;
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
    if (phase !== 'paused') this.phaseNow = phase;
    this.emit(message === undefined ? { type: 'phase', phase } : { type: 'phase', phase, message });
  }

  private hintSettings(): HintInjectionSettings | undefined {
    return trainsHints(this.mode) ? { hints: this.hintStore.hints(), budgetTokens: this.hintsConfig.prompt_token_budget } : undefined;
  }

  /**
   * Runs until max_steps (evaluating before the first step and every eval_steps, saving every
   * save_steps and at the end). Never throws: the outcome says how it ended.
   */
  async run(): Promise<RunOutcome> {
    const subscribe = this.o.onDeviceLost ?? runtimeOnDeviceLost;
    const unsubscribe = subscribe((info) => this.control.fail(new DeviceLostError(info.message)));
    this.control.onPauseChange = (paused) => (paused ? this.phase('paused') : this.phase(this.phaseNow));
    try {
      if (this.o.resume) this.replayHistory();
      if (this.config.eval_steps > 0 && !this.evalHistory.some((e) => e.step === this.stepCount)) await this.evaluate();
      while (this.stepCount < this.config.max_steps) {
        await this.control.checkpoint();
        await this.trainStep();
        if (this.config.save_steps > 0 && this.stepCount % this.config.save_steps === 0) await this.save();
        if (this.config.eval_steps > 0 && this.stepCount % this.config.eval_steps === 0) await this.evaluate();
      }
      if (this.o.checkpoints && this.lastSavedStep !== this.stepCount) await this.save();
      this.phase('finished');
      return { status: 'finished', step: this.stepCount };
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      if (error instanceof RunStopped) {
        if (this.o.checkpoints && this.lastSavedStep !== this.stepCount && this.stepCount > 0) await this.save().catch((s) => this.emit({ type: 'error', message: `could not save a checkpoint on stop: ${(s as Error).message}` }));
        this.phase('stopped');
        return { status: 'stopped', step: this.stepCount };
      }
      const resumeHint = this.lastSavedStep >= 0 ? ` The last checkpoint (step ${this.lastSavedStep}) is intact: resume from it.` : '';
      this.emit({ type: 'error', message: `training stopped at step ${this.stepCount + 1}: ${error.message}.${resumeHint}` });
      this.phase('failed', error.message);
      return { status: 'failed', step: this.stepCount, error };
    } finally {
      unsubscribe();
    }
  }

  /** Re-sends a resumed run's history, so the dashboard shows the steps before the checkpoint. */
  private replayHistory(): void {
    for (const row of this.metricsHistory) this.emit({ type: 'metrics', row });
    for (const record of this.evalHistory) this.emit({ type: 'eval', record });
    if (trainsHints(this.mode)) this.emit({ type: 'hints', step: this.stepCount, hints: hintRecords(this.hintStore) });
  }

  /** One optimizer step (and/or hints step). On a stop mid-step, the state goes back to its start. */
  async trainStep(): Promise<MetricsRow> {
    const start = { sampler: this.sampler.state(), rng: this.samplingRng.getState() };
    try {
      return await this.stepOnce();
    } catch (e) {
      this.sampler = PromptSampler.fromState(this.o.train, start.sampler);
      this.samplingRng = Rng.fromState(start.rng);
      throw e;
    }
  }

  private async stepOnce(): Promise<MetricsRow> {
    const index = this.stepCount;
    const t0 = now();
    let batch = this.batch;
    const fresh = !batch || batch.uses >= this.config.num_iterations;
    if (fresh) batch = await this.generateBatch(index);
    const b = batch!;

    let training: Awaited<ReturnType<GrpoTrainer['trainOn']>> | undefined;
    const trainStart = now();
    if (this.optimizer) {
      await this.control.checkpoint();
      this.phase('training');
      training = await this.trainOn(b, index);
    }
    const trainingSeconds = (now() - trainStart) / 1000;

    // Everything below changes the run's state: no stop point until the step is recorded.
    if (trainsHints(this.mode) && fresh) this.learnHints(b, index);
    b.uses++;
    this.batch = b.uses < this.config.num_iterations ? b : null;
    if (fresh) this.numTokens += b.tokens;
    this.stepCount = index + 1;

    const stepTime = (now() - t0) / 1000;
    const extras: MetricValues = {
      'timing/generation': fresh ? b.timings.generation : 0,
      'timing/rewards': fresh ? b.timings.rewards : 0,
      'timing/training': trainingSeconds,
      'prompts/skipped_too_long': this.sampler.skippedTooLong,
    };
    const row = stepMetrics(
      this.stepCount,
      { loss: training?.loss ?? NaN, grad_norm: training?.gradNorm ?? NaN, learning_rate: training?.lr ?? NaN, num_tokens: this.numTokens, step_time: stepTime, step_tokens: b.tokens },
      b.metrics,
      training?.policy ?? {},
      extras,
    );
    if (!training) for (const k of ['loss', 'grad_norm', 'learning_rate']) delete row[k];
    this.metricsHistory.push(row);
    this.emit({ type: 'metrics', row });
    if (training && !training.applied) this.emit({ type: 'warning', step: this.stepCount, message: `step skipped, nothing applied: ${training.reason}` });
    return row;
  }

  private async generateBatch(index: number): Promise<GenerationBatch> {
    const c = this.config;
    const g = c.num_generations;
    await this.control.checkpoint();
    this.phase('generating');
    const tg = now();
    const picked = this.sampler.next(promptsPerStep(c), (e) => renderPrompt(promptInputOf(e), this.o.tokenizer, c.max_prompt_length, this.hintSettings()));
    const prompts = picked.flatMap((p) => Array.from({ length: g }, () => p.prompt.ids));
    const label = `generating step ${index + 1}`;
    const gen = await this.generator.generate(
      prompts,
      {
        temperature: c.temperature,
        topK: c.top_k,
        topP: c.top_p,
        maxNewTokens: c.max_completion_length,
        stopTokenIds: [...this.o.tokenizer.stopTokenIds],
        signal: this.control.signal,
        onStep: (n) => this.emit({ type: 'progress', label, done: n, total: c.max_completion_length, unit: 'tokens' }),
      },
      this.samplingRng,
    );
    this.control.throwIfStopped(); // an aborted generation is incomplete
    const generation = (now() - tg) / 1000;

    await this.control.checkpoint();
    this.phase('scoring');
    const ts = now();
    const texts = gen.completions.map((ids) => this.o.tokenizer.decode(ids, { skipSpecial: true }));
    const scored: GroupScores[] = await Promise.all(picked.map((p, k) => this.o.rewards.scoreGroup(p.example, texts.slice(k * g, (k + 1) * g), this.o.executor)));
    const names = this.o.rewards.names();
    const weights = c.reward_weights ? resolveRewardWeights(c, names) : this.o.rewards.weights();
    const perFunc = scored.flatMap((s) => s.completions.map((comp) => names.map((n) => comp.scores[n] ?? null)));
    const totals = combineRewards(perFunc, weights);
    const adv = computeAdvantages(totals, g, c.scale_rewards);
    const rewards = (now() - ts) / 1000;

    const lengths = gen.completions.map((ids) => ids.length);
    const metrics = { ...completionMetrics(lengths, gen.finished), ...rewardMetrics(perFunc, names, adv) };
    const rows: TrainingRow[] = gen.completions.map((ids, i) => ({ promptIds: prompts[i], completionIds: ids, terminated: gen.finished[i], advantage: adv.advantages[i] }));
    const groups: GroupRecord[] = picked.map((p, k) => {
      const completions: CompletionRecord[] = scored[k].completions.map((s, j) => {
        const i = k * g + j;
        const cand = s.execution?.candidate;
        return {
          index: j,
          text: texts[i],
          sql: s.extracted?.sql ?? null,
          rewards: { ...s.scores },
          details: { ...s.details },
          total: totals[i],
          advantage: adv.advantages[i],
          length: lengths[i],
          terminated: gen.finished[i],
          execution: cand ? (cand.preview ? { columns: cand.preview.columns, rows: cand.preview.rows, ...(cand.error ? { error: cand.error } : {}) } : { columns: [], rows: [], error: cand.error ?? cand.status }) : null,
        };
      });
      const gold = scored[k].completions.find((s) => s.execution?.candidate?.goldPreview)?.execution?.candidate?.goldPreview;
      return {
        step: index + 1,
        promptIndex: k,
        question: p.example.question,
        context: p.example.context,
        goldSql: p.example.answer,
        goldExecution: gold ? { columns: gold.columns, rows: gold.rows } : null,
        completions,
        rewardMean: adv.groupMeans[k * g],
        rewardStd: adv.stds[k * g],
      };
    });
    this.emit({ type: 'groups', step: index + 1, groups });
    const tokens = rows.reduce((a, r) => a + r.promptIds.length + r.completionIds.length, 0);
    const hintGroups = picked.map((p, k) => ({
      example: { question: p.example.question, context: p.example.context },
      texts: texts.slice(k * g, (k + 1) * g),
      rewards: Array.from(totals.subarray(k * g, (k + 1) * g)),
    }));
    return { createdAtStep: index, uses: 0, rows, metrics, timings: { generation, rewards }, tokens, groups: hintGroups };
  }

  /**
   * Forward/backward over the micro-batches, gradients summed, one AdamW update. Log-probs are of
   * softmax(logits / temperature), the policy that sampled the completions (as TRL scores them).
   */
  private async trainOn(b: GenerationBatch, index: number) {
    const c = this.config;
    const runner = this.o.runner;
    const mbs = (b.microBatches ??= buildMicroBatches(b.rows, c, this.padId()));
    if (c.num_iterations > 1 && !b.oldLogp) {
      if (b.uses > 0) throw new Error('internal: old log-probs must be taken before the first update on a batch');
      b.oldLogp = [];
      for (const mb of mbs) b.oldLogp.push(await runner.logprobs(mb, 1, mb.lossRows, c.temperature));
    }
    if (c.beta > 0 && !b.refLogp) {
      b.refLogp = [];
      for (const mb of mbs) b.refLogp.push(await runner.logprobs(mb, 0, mb.lossRows, c.temperature));
    }
    const eps = clipEpsilons(c);
    let acc: Map<string, import('../runtime/ort').ort.Tensor> | undefined;
    let loss = 0;
    const policy: PolicyMicroBatch[] = [];
    try {
      for (let m = 0; m < mbs.length; m++) {
        await this.control.checkpoint();
        const mb = mbs[m];
        const oldLogp = b.oldLogp?.[m];
        const refLogp = b.refLogp?.[m];
        const perToken: Record<string, Float32Array> = { weights: mb.weights, advantages: mb.advantages };
        if (oldLogp) perToken.old_logp = oldLogp;
        if (refLogp) perToken.ref_logp = refLogp;
        const res = await runner.lossAndGradients({ inputIds: mb.inputIds, attentionMask: mb.attentionMask, perToken, objectiveKey: this.objectiveKey, objective: this.objective, lossRows: mb.lossRows, temperature: c.temperature });
        this.o.hooks?.onMicroBatch?.({ step: index + 1, iteration: b.uses, index: m, microBatch: mb, logprobs: res.logprobs, loss: res.loss, oldLogp, refLogp });
        loss += res.loss;
        policy.push({ mask: mb.mask, ...clipIndicators(res.logprobs, oldLogp, mb.advantages, eps), ...(refLogp ? { perTokenKl: perTokenKl(res.logprobs, refLogp) } : {}) });
        acc = await this.optimizer!.accumulate(acc, res.grads);
      }
    } catch (e) {
      disposeGradients(acc);
      throw e;
    }
    const lr = learningRateAt(index, c);
    const policyValues = policyMetrics(policy, { beta: c.beta });
    if (!Number.isFinite(loss)) {
      disposeGradients(acc);
      return { applied: false as const, loss, gradNorm: NaN, lr, policy: policyValues, reason: `loss is ${loss}` };
    }
    if (this.o.hooks?.onGradients) {
      const host = new Map<string, Float32Array>();
      for (const [k, t] of acc!) host.set(k, (await readTensor(t)).slice());
      this.o.hooks.onGradients(index + 1, host);
    }
    const outcome = await this.optimizer!.update(acc!, lr);
    return outcome.applied
      ? { applied: true as const, loss, gradNorm: outcome.gradNorm, lr, policy: policyValues, reason: '' }
      : { applied: false as const, loss, gradNorm: outcome.gradNorm, lr, policy: policyValues, reason: outcome.reason };
  }

  private padId(): number {
    return this.o.tokenizer.special.pad;
  }

  private learnHints(b: GenerationBatch, index: number): void {
    if (!b.groups) throw new Error('internal: the hints step needs the batch\'s groups');
    const g = this.config.num_generations;
    const groups: PromptGroup[] = b.groups.map((grp, k) => ({
      example: grp.example,
      completions: grp.texts.map((text, j) => ({ id: `s${index + 1}.p${k}.c${j}`, text, reward: grp.rewards[j] })),
      advantages: b.rows.slice(k * g, (k + 1) * g).map((r) => r.advantage),
    }));
    runHintsStep(this.hintStore, groups, this.hintsConfig);
    this.emit({ type: 'hints', step: index + 1, hints: hintRecords(this.hintStore) });
  }

  /** Greedy evaluation on the held-out subset at the current step. */
  async evaluate(): Promise<EvalRecord | null> {
    if (this.o.heldOut.length === 0) {
      this.emit({ type: 'warning', step: this.stepCount, message: 'no held-out examples: evaluation skipped' });
      return null;
    }
    await this.control.checkpoint();
    this.phase('evaluating');
    const label = `evaluating at step ${this.stepCount}`;
    const result = await evaluatePolicy({
      generator: this.generator,
      tokenizer: this.o.tokenizer,
      examples: heldOutSubset(this.o.heldOut, this.o.evalExamples ?? 16),
      executor: this.o.executor,
      step: this.stepCount,
      maxPromptLength: this.config.max_prompt_length,
      maxNewTokens: this.config.max_completion_length,
      hints: this.hintSettings(),
      batchSize: this.o.evalBatchSize,
      signal: this.control.signal,
      onProgress: (done, total) => this.emit({ type: 'progress', label, done, total, unit: 'items' }),
    });
    this.control.throwIfStopped();
    const at = this.evalHistory.findIndex((e) => e.step === result.record.step);
    if (at >= 0) this.evalHistory.splice(at, 1);
    this.evalHistory.push(result.record);
    this.emit({ type: 'eval', record: result.record });
    return result.record;
  }

  /** The run's complete state at the current step boundary. */
  async checkpointState(): Promise<CheckpointState> {
    const lora = new Map<string, { shape: number[]; values: Float32Array }>();
    for (const [k, t] of [...this.o.runner.lora.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) lora.set(k, { shape: [...t.dims], values: (await readTensor(t)).slice() });
    const opt = this.optimizer ? await this.optimizer.state() : null;
    const zeros = new Map([...lora].map(([k, t]) => [k, new Float32Array(t.values.length)]));
    const id = checkpointId(this.runId, this.stepCount);
    return {
      id,
      runId: this.runId,
      step: this.stepCount,
      createdAt: new Date().toISOString(),
      modelId: this.o.modelId,
      mode: this.mode,
      config: this.config,
      rewards: this.o.rewards.names().map((name, i) => ({ name, weight: this.o.rewards.weights()[i] })),
      dataFingerprint: this.dataFingerprint,
      split: { train: this.o.train.map((e) => e.id), heldOut: this.o.heldOut.map((e) => e.id) },
      adamStep: opt?.adamStep ?? 0,
      samplingRng: this.samplingRng.getState(),
      prompts: this.sampler.state(),
      numTokens: this.numTokens,
      metrics: [...this.metricsHistory],
      evals: [...this.evalHistory],
      weightDtype: this.o.runner.weightDtype,
      hints: trainsHints(this.mode) ? this.hintStore.exportJson() : null,
      pendingBatch: this.batch ? saveBatch(this.batch) : null,
      lora,
      adamM: opt?.m ?? zeros,
      adamV: opt?.v ?? zeros,
    };
  }

  /** Writes a checkpoint of the current step (atomically) and reports it. */
  async save(): Promise<string> {
    if (!this.o.checkpoints) throw new Error('no checkpoint storage configured');
    const state = await this.checkpointState();
    await this.o.checkpoints.save(infoOf(state), encodeCheckpoint(state));
    this.lastSavedStep = state.step;
    this.emit({ type: 'checkpoint', id: state.id, step: state.step });
    if (this.o.keepCheckpoints !== undefined) await pruneCheckpoints(this.o.checkpoints, this.runId, this.o.keepCheckpoints);
    return state.id;
  }

  async release(): Promise<void> {
    await this.generator.release();
    await this.optimizer?.release();
  }
}

/** Puts a checkpoint's LoRA tensors into a runner loaded with the same LoRA setup. */
export function restoreLora(runner: Gemma3Runner, state: Pick<CheckpointState, 'id' | 'lora'>): void {
  const expected = new Map<string, number[]>();
  for (let layer = 0; layer < runner.cfg.numLayers; layer++) {
    for (const m of LORA_MODULES) {
      const spec = runner.options.lora.modules[m];
      if (!spec) continue;
      const [inFeatures, outFeatures] = projectionShape(runner.cfg, m);
      expected.set(loraKeyOf(layer, m, 'A'), [spec.rank, inFeatures]);
      expected.set(loraKeyOf(layer, m, 'B'), [outFeatures, spec.rank]);
    }
  }
  const saved = [...state.lora.keys()].sort();
  if ([...expected.keys()].sort().join('|') !== saved.join('|')) throw new Error(`checkpoint ${state.id} has LoRA tensors for another setup (${saved.length} tensors, the model's LoRA has ${expected.size})`);
  for (const [key, t] of state.lora) {
    const dims = expected.get(key)!;
    if (dims.join(',') !== t.shape.join(',')) throw new Error(`checkpoint ${state.id}: ${key} has shape [${t.shape.join(', ')}], the model's is [${dims.join(', ')}]`);
    runner.setLoraTensor(key, runner.store.upload(t.values.slice(), t.shape));
  }
}

function saveBatch(b: GenerationBatch): SavedGenerationBatch {
  return {
    createdAtStep: b.createdAtStep,
    uses: b.uses,
    rows: b.rows.map((r) => ({ promptIds: [...r.promptIds], completionIds: [...r.completionIds], terminated: r.terminated, advantage: r.advantage })),
    oldLogp: b.oldLogp ? b.oldLogp.map((a) => Array.from(a)) : null,
    refLogp: b.refLogp ? b.refLogp.map((a) => Array.from(a)) : null,
    metrics: Object.fromEntries(Object.entries(b.metrics).map(([k, v]) => [k, Number.isFinite(v) ? v : null])),
    timings: { ...b.timings },
    tokens: b.tokens,
  };
}

function restoreBatch(s: SavedGenerationBatch): GenerationBatch {
  return {
    createdAtStep: s.createdAtStep,
    uses: s.uses,
    rows: s.rows.map((r) => ({ ...r })),
    oldLogp: s.oldLogp ? s.oldLogp.map((a) => Float32Array.from(a)) : undefined,
    refLogp: s.refLogp ? s.refLogp.map((a) => Float32Array.from(a)) : undefined,
    metrics: Object.fromEntries(Object.entries(s.metrics).map(([k, v]) => [k, v === null ? NaN : v])),
    timings: { ...s.timings },
    tokens: s.tokens,
  };
}
