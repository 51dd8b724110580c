/**
 * Batched generation with a KV cache, sampling on the device. Prompts are left-padded to a common
 * length (bucketed, so sessions are reused across steps of a run) and prefilled in one run of the
 * prefill graph, which also samples the first token; then each run of the decode graph takes
 * `stepsPerRun` steps, every step sampling the token the next one reads. Only token ids come back
 * to the host ([steps, B] int32 per run), never logits.
 *
 * Cache slots are shared across the batch: slot j of row b holds that row's token at position
 * j - pad[b], so masks and RoPE positions per row follow from the padding.
 *
 * A decode run's steps only read the cache: each attends over it and over the run's own new
 * entries, and the run's K slots are written once at its end. On WebGPU everything a run touches is
 * a GPU buffer allocated once per shape and reused (caches, token ids, per-step masks, RoPE rows and
 * uniforms); each cache output is bound to its input's buffer, so that write is in place and no
 * cache is ever copied; the last token ids are written over the ids the run read, ready for the
 * next run. The token readback of run r overlaps run r + 1 (stop tokens are checked one run
 * behind, so no run waits on the host).
 *
 * On the wasm backend onnxruntime-web copies every input into its heap on each run and returns
 * outputs as new arrays, so there the run returns only its new keys/values, which are written into
 * the host's cache arrays, and the lever is steps per run: the copies are paid once per
 * `stepsPerRun` tokens. The model's own weights, frozen while they are not trained, are baked into
 * the wasm sessions as initializers: never copied again, and prepacked once for onnxruntime's GEMM
 * (its B operand is otherwise packed on every product). The sessions are rebuilt if a weight
 * tensor is replaced.
 */
import type { Rng } from '../common/rng';
import type { LayerType } from '../model/config';
import {
  buildDecodeGraph,
  cacheName,
  DECODE_IDS,
  DECODE_INV_TEMPERATURE,
  DECODE_LAST_IDS,
  DECODE_LOGITS,
  DECODE_SLOT,
  DECODE_TOKENS,
  DECODE_UNIFORMS,
  FINAL_NORM,
  newCacheName,
  newEntriesName,
} from '../model/gemma3-graphs';
import type { Gemma3Runner } from '../model/gemma3-runner';
import { attentionMask, ropeTables } from '../model/positions';
import type { SamplerSpec } from '../graph/sampling';
import { GraphSession } from '../runtime/graph-session';
import type { ort } from '../runtime/ort';
import { stepPositions, writeStepPositions, type StepPositions } from './decode-feeds';
import { validateSampling, type SamplingParams } from './sampling';

export interface GenerateOptions extends SamplingParams {
  maxNewTokens: number;
  stopTokenIds: number[];
  /** 1 = the LoRA policy, 0 = the base model. */
  loraScale?: number;
  /** Keep each step's logits (tests and diagnostics; costly for big vocabularies). */
  keepLogits?: boolean;
  /** Called with the number of tokens generated so far, as each run's tokens arrive. */
  onStep?: (step: number) => void;
  /** Called with every row's ids so far each time a run's tokens arrive (streaming to a viewer). */
  onTokens?: (completions: readonly (readonly number[])[]) => void;
  /** Stop early (e.g. the user pressed Stop); checked between runs. */
  signal?: AbortSignal;
}

export interface GenerateResult {
  /** Generated ids per prompt, the stop token included when one ended the row. */
  completions: number[][];
  /** True where a stop token ended the row (false: it hit maxNewTokens). */
  finished: boolean[];
  /** Per step, logits [B, V] (only with keepLogits). */
  stepLogits?: Float32Array[];
  /** Prefill until its first tokens are on the host. */
  prefillMs: number;
  /** The decode runs after that, until the last tokens are on the host. */
  decodeMs: number;
  /** Decode steps run (each for the whole batch; includes steps past a stop, at most stepsPerRun - 1 more). */
  decodeSteps: number;
  /** Of decodeMs: time inside session.run calls, and waiting for token readbacks. */
  decodeRunMs: number;
  decodeWaitMs: number;
}

export interface GeneratorOptions {
  /**
   * Decode steps per session run (default 16 on wasm, 8 on WebGPU). More steps per run: the per-run
   * costs (input copies on wasm, session overhead everywhere) are paid less often, but up to
   * stepsPerRun - 1 steps run after every row has stopped.
   */
  stepsPerRun?: number;
  /**
   * WebGPU: capture the decode session's GPU commands on its first run and replay them after
   * (default false: in onnxruntime-web 1.30 a captured session's second run fails in the JS layer,
   * which looks for the run's pre-allocated outputs under the handles of that run while the binding
   * kept from the first run returns the first run's; see docs/BENCHMARKS.md).
   */
  graphCapture?: boolean;
}

/** Padded prompt lengths are rounded up to this, so a run reuses a handful of sessions. */
export const PROMPT_BUCKET = 32;
/** Shapes whose sessions and buffers are kept (least recently used ones are released). */
const KEPT_SHAPES = 3;
/**
 * wasm: weights up to this size are baked into the sessions. Each session holds its own copy plus
 * onnxruntime's prepacked one, all in the one wasm heap (4 GiB at most): 2 sessions per kept shape,
 * and a generator each for training, the playground and a playground adapter.
 */
const BAKE_LIMIT_BYTES = 32 * 2 ** 20;

/** What a generate call needs compiled and allocated; reused while the shape repeats. */
interface Plan {
  batch: number;
  seq: number;
  /** Decode runs and steps per run (runs * steps >= maxNewTokens - 1). */
  runs: number;
  steps: number;
  cacheLen: number;
  sampling: SamplerSpec;
  keepLogits: boolean;
}

/** Sessions and persistent tensors of one plan. */
interface DecodeState {
  plan: Plan;
  prefill: GraphSession;
  decode?: GraphSession;
  /** Input ids of the next decode run [B, 1] (WebGPU: written by the previous run in place). */
  ids?: ort.Tensor;
  caches: Record<string, ort.Tensor>;
  /** WebGPU output buffers. */
  outputs: { prefillTokens?: ort.Tensor; decodeTokens?: ort.Tensor; prefillLogits?: ort.Tensor; decodeLogits?: ort.Tensor };
  positions: StepPositions;
  /** Decode feeds rewritten before each run (masks, RoPE rows, uniforms, slot). */
  stepFeeds: Record<string, ort.Tensor>;
  prefillUniforms?: ort.Tensor;
  scalars: Record<string, ort.Tensor>;
  /** WebGPU with graph capture: the LoRA matrices, copied in at each call (captured runs read fixed buffers). */
  loraCopies?: Map<string, ort.Tensor>;
  /** wasm: the weight tensors baked into the sessions, by input name. */
  baked?: Map<string, ort.Tensor>;
}

export class Generator {
  private readonly states = new Map<string, Promise<DecodeState>>();
  readonly stepsPerRun: number;
  readonly graphCapture: boolean;

  constructor(
    readonly runner: Gemma3Runner,
    options: GeneratorOptions = {},
  ) {
    const webgpu = runner.store.backend === 'webgpu';
    this.stepsPerRun = options.stepsPerRun ?? (webgpu ? 8 : 16);
    if (!Number.isInteger(this.stepsPerRun) || this.stepsPerRun < 1) throw new Error(`stepsPerRun must be a positive integer, got ${options.stepsPerRun}`);
    this.graphCapture = webgpu && (options.graphCapture ?? false);
  }

  private plan(prompts: number[][], o: GenerateOptions): Plan {
    const batch = prompts.length;
    const seq = Math.ceil(Math.max(...prompts.map((p) => p.length)) / PROMPT_BUCKET) * PROMPT_BUCKET;
    const decodeSteps = o.maxNewTokens - 1;
    const runs = decodeSteps ? Math.ceil(decodeSteps / Math.min(this.stepsPerRun, decodeSteps)) : 0;
    const steps = runs ? Math.ceil(decodeSteps / runs) : 0;
    const sampling: SamplerSpec = o.temperature === 0 ? { kind: 'greedy' } : { kind: 'sample', topK: o.topK, topP: o.topP };
    return { batch, seq, runs, steps, cacheLen: seq + runs * steps, sampling, keepLogits: !!o.keepLogits };
  }

  private state(plan: Plan): Promise<DecodeState> {
    const key = JSON.stringify(plan);
    let s = this.states.get(key);
    if (s) {
      this.states.delete(key); // most recently used last
      this.states.set(key, s);
      return s;
    }
    s = this.createState(plan);
    this.states.set(key, s);
    s.catch(() => this.states.delete(key));
    while (this.states.size > KEPT_SHAPES) {
      const [oldKey, old] = this.states.entries().next().value!;
      this.states.delete(oldKey);
      void old.then((st) => releaseState(st), () => undefined);
    }
    return s;
  }

  private async createState(plan: Plan): Promise<DecodeState> {
    const { cfg, options, shards, store } = this.runner;
    const { batch, seq, steps, cacheLen, sampling, keepLogits } = plan;
    const webgpu = store.backend === 'webgpu';
    const cacheWrite = webgpu ? 'graph' : 'host';
    const baked = this.bakeable();
    const graph = (s: number, k: number) => buildDecodeGraph(cfg, { batch, seq: s, cacheLen, lora: options.lora, shards, sampling, steps: k, keepLogits, cacheWrite, constantWeights: !!baked, weightDtype: this.runner.weightDtype });
    const prefill = await GraphSession.create(graph(seq, 1), store.backend, { preferredOutputLocation: 'gpu-buffer', baked });
    const decode = plan.runs ? await GraphSession.create(graph(1, steps), store.backend, { preferredOutputLocation: 'gpu-buffer', graphCapture: this.graphCapture, baked }) : undefined;
    const types = [...new Set(cfg.layerTypes)] as LayerType[];
    const positions = stepPositions(cfg, types, batch, Math.max(steps, 1), cacheLen);
    const st: DecodeState = { plan, prefill, decode, caches: {}, outputs: {}, positions, stepFeeds: {}, scalars: {}, baked };
    st.scalars.lora_scale = store.upload(new Float32Array([1]), []);
    if (sampling.kind === 'sample') {
      st.scalars[DECODE_INV_TEMPERATURE] = store.upload(new Float32Array([1]), []);
      st.prefillUniforms = store.upload(new Float32Array(batch * 2), [1, batch, 2]);
    }
    if (decode) {
      for (const type of types) {
        st.stepFeeds[`mask.${type}`] = store.upload(positions.mask[type], [steps, batch, 1, 1, cacheLen]);
        st.stepFeeds[`rope_cos.${type}`] = store.upload(positions.cos[type], [steps, batch, 1, 1, cfg.headDim]);
        st.stepFeeds[`rope_sin.${type}`] = store.upload(positions.sin[type], [steps, batch, 1, 1, cfg.headDim]);
      }
      st.stepFeeds[DECODE_SLOT] = store.upload(new Int32Array(1), [1]);
      if (sampling.kind === 'sample') st.stepFeeds[DECODE_UNIFORMS] = store.upload(new Float32Array(steps * batch * 2), [steps, batch, 2]);
    }
    if (webgpu) {
      // Buffers the runs write into: caches (prefill fills them, decode runs add their slots in place),
      // the next input ids, tokens and (optionally) logits.
      const kv = [batch, cfg.numKvHeads, cacheLen, cfg.headDim];
      for (let l = 0; l < cfg.numLayers; l++) for (const w of ['k', 'v'] as const) st.caches[cacheName(l, w)] = store.zeros(kv);
      st.ids = store.upload(new Int32Array(batch), [batch, 1]);
      st.outputs.prefillTokens = store.upload(new Int32Array(batch), [1, batch]);
      if (decode) st.outputs.decodeTokens = store.upload(new Int32Array(steps * batch), [steps, batch]);
      if (keepLogits) {
        st.outputs.prefillLogits = store.zeros([1, batch, cfg.vocabSize]);
        if (decode) st.outputs.decodeLogits = store.zeros([steps, batch, cfg.vocabSize]);
      }
      if (this.graphCapture && decode) {
        st.loraCopies = new Map();
        for (const [k, t] of this.runner.lora) st.loraCopies.set(k, store.zeros(t.dims));
      }
    }
    return st;
  }

  /** The model's weights by decode-graph input name, when they are to be baked in (wasm, frozen, small enough). */
  private bakeable(): Map<string, ort.Tensor> | undefined {
    const { store, weights } = this.runner;
    if (store.backend !== 'wasm' || this.runner.trainable === 'full') return undefined;
    const baked = new Map<string, ort.Tensor>();
    let bytes = 0;
    for (const [k, t] of weights) {
      if (k !== FINAL_NORM && !k.startsWith('model.layers.') && !k.startsWith('embed.')) continue;
      baked.set(k, t);
      bytes += t.size * (t.type === 'uint8' ? 1 : 4);
    }
    return bytes <= BAKE_LIMIT_BYTES ? baked : undefined;
  }

  /** A plan's state; rebuilt when a weight baked into its sessions has been replaced since. */
  private async freshState(plan: Plan): Promise<DecodeState> {
    const st = await this.state(plan);
    if (!st.baked || [...st.baked].every(([k, t]) => this.runner.weights.get(k) === t)) return st;
    const key = JSON.stringify(plan);
    if (this.states.get(key)) this.states.delete(key);
    await releaseState(st);
    return this.state(plan);
  }

  async generate(prompts: number[][], o: GenerateOptions, rng: Rng): Promise<GenerateResult> {
    validateSampling(o);
    const { cfg, store } = this.runner;
    if (!prompts.length) throw new Error('generate: no prompts');
    if (!Number.isInteger(o.maxNewTokens) || o.maxNewTokens < 1) throw new Error(`max new tokens must be a positive integer, got ${o.maxNewTokens}`);
    for (const [i, p] of prompts.entries()) {
      if (!p.length) throw new Error(`generate: prompt ${i} is empty`);
      for (const id of p) if (!Number.isInteger(id) || id < 0 || id >= cfg.vocabSize) throw new Error(`generate: prompt ${i} has token id ${id} outside the vocabulary`);
    }
    const plan = this.plan(prompts, o);
    const st = await this.freshState(plan);
    const { batch, seq, steps, cacheLen } = plan;
    const webgpu = store.backend === 'webgpu';
    const pads = prompts.map((p) => seq - p.length);
    const types = [...new Set(cfg.layerTypes)] as LayerType[];
    const stop = new Set(o.stopTokenIds);

    // Inputs every run shares: weights, LoRA, scalars.
    store.write(st.scalars.lora_scale, new Float32Array([o.loraScale ?? 1]));
    if (plan.sampling.kind === 'sample') store.write(st.scalars[DECODE_INV_TEMPERATURE], new Float32Array([1 / o.temperature]));
    const shared: Record<string, ort.Tensor> = { ...st.scalars };
    if (!st.baked) {
      shared[FINAL_NORM] = this.runner.weights.get(FINAL_NORM)!;
      // Layer weights and embedding shards, with their scales when 8-bit.
      for (const [k, t] of this.runner.weights) if (k.startsWith('model.layers.') || k.startsWith('embed.')) shared[k] = t;
    }
    const lora: Record<string, ort.Tensor> = {};
    for (const [k, t] of this.runner.lora) lora[k] = t;
    const decodeLora: Record<string, ort.Tensor> = { ...lora };
    if (st.loraCopies) {
      for (const [k, t] of this.runner.lora) {
        const copy = st.loraCopies.get(k);
        if (!copy) throw new Error(`generate: LoRA tensor ${k} appeared after the decode session was made`);
        store.copy(t, copy);
        decodeLora[k] = copy;
      }
    }
    const uniforms = (n: number) => {
      const u = new Float32Array(n);
      for (let i = 0; i < n; i++) u[i] = rng.next();
      return u;
    };

    // Prefill: every prompt token at its slot; samples the first new token.
    const t0 = performance.now();
    const ids = new Int32Array(batch * seq);
    prompts.forEach((p, b) => ids.set(p, b * seq + pads[b]));
    const valid = prompts.map((_, b) => Array.from({ length: cacheLen }, (_, j) => (j >= pads[b] && j < seq ? 1 : 0)));
    const positions = prompts.map((_, b) => Array.from({ length: seq }, (_, i) => Math.max(0, i - pads[b])));
    const temp: Record<string, ort.Tensor> = { [DECODE_IDS]: store.upload(ids, [batch, seq]) };
    for (const type of types) {
      const { cos, sin } = ropeTables(cfg, type, positions);
      temp[`mask.${type}`] = store.upload(attentionMask(cfg, type, valid, seq, 0), [batch, 1, seq, cacheLen]);
      temp[`rope_cos.${type}`] = store.upload(cos, [batch, 1, seq, cfg.headDim]);
      temp[`rope_sin.${type}`] = store.upload(sin, [batch, 1, seq, cfg.headDim]);
    }
    if (st.prefillUniforms) {
      store.write(st.prefillUniforms, uniforms(batch * 2));
      temp[DECODE_UNIFORMS] = st.prefillUniforms;
    }
    const prefillOut = await st.prefill.run({ ...temp, ...shared, ...lora }, webgpu ? this.fetches(st, 'prefill') : undefined);
    for (const [k, t] of Object.entries(temp)) if (k !== DECODE_UNIFORMS && t.location !== 'cpu') t.dispose();
    if (!webgpu) this.adoptOutputs(st, prefillOut);

    const completions: number[][] = prompts.map(() => []);
    const finished = prompts.map(() => false);
    const stepLogits: Float32Array[] = [];
    let generated = 0;
    const done = () => generated >= o.maxNewTokens || finished.every(Boolean);
    // Takes one run's tokens [k, B] (and logits [k, B, V]) in step order.
    const consume = ({ tokens, logits }: { tokens: Int32Array; logits?: Float32Array }) => {
      const k = tokens.length / batch;
      for (let j = 0; j < k && !done(); j++) {
        for (let b = 0; b < batch; b++) {
          if (finished[b]) continue;
          const tok = tokens[j * batch + b];
          completions[b].push(tok);
          if (stop.has(tok)) finished[b] = true;
        }
        if (logits) stepLogits.push(logits.slice(j * batch * cfg.vocabSize, (j + 1) * batch * cfg.vocabSize));
        generated++;
        o.onStep?.(generated);
      }
      o.onTokens?.(completions);
    };
    const results = (tokens: ort.Tensor, logits: ort.Tensor | undefined) =>
      Promise.all([store.read(tokens), logits ? store.read(logits) : undefined]).then(([t, l]) => ({ tokens: t as Int32Array, logits: l as Float32Array | undefined }));

    let pending = results(webgpu ? st.outputs.prefillTokens! : prefillOut[DECODE_TOKENS], webgpu ? st.outputs.prefillLogits : prefillOut[DECODE_LOGITS]);
    if (!webgpu) consume(await pending);
    const t1 = performance.now();
    let prefillMs = t1 - t0;
    let decodeSteps = 0;
    let runMs = 0;
    let waitMs = 0;
    // On WebGPU run r is submitted before run r - 1's tokens are awaited; on wasm a run is done when
    // run() returns, so its tokens are checked before deciding on the next.
    for (let r = 0; r < plan.runs && st.decode; r++) {
      if (!webgpu && (done() || o.signal?.aborted)) break;
      if (webgpu && r > 0 && (done() || o.signal?.aborted)) break;
      const firstSlot = seq + r * steps;
      writeStepPositions(cfg, types, pads, firstSlot, steps, cacheLen, st.positions);
      for (const type of types) {
        store.write(st.stepFeeds[`mask.${type}`], st.positions.mask[type]);
        store.write(st.stepFeeds[`rope_cos.${type}`], st.positions.cos[type]);
        store.write(st.stepFeeds[`rope_sin.${type}`], st.positions.sin[type]);
      }
      store.write(st.stepFeeds[DECODE_SLOT], Int32Array.of(firstSlot));
      if (st.stepFeeds[DECODE_UNIFORMS]) store.write(st.stepFeeds[DECODE_UNIFORMS], uniforms(steps * batch * 2));
      const feeds = { [DECODE_IDS]: st.ids!, ...st.stepFeeds, ...shared, ...decodeLora, ...st.caches };
      const tr = performance.now();
      const out = await st.decode.run(feeds, webgpu ? this.fetches(st, 'decode') : undefined);
      // On WebGPU run 0 is submitted while the prefill's tokens are still on their way: its
      // submission, and that wait, belong to the prefill's time.
      if (!webgpu || r > 0) runMs += performance.now() - tr;
      decodeSteps += steps;
      if (webgpu) {
        const next = results(st.outputs.decodeTokens!, st.outputs.decodeLogits);
        const tw = performance.now();
        consume(await pending);
        if (r > 0) waitMs += performance.now() - tw;
        else prefillMs = performance.now() - t0;
        pending = next;
      } else {
        this.writeEntries(st, out, firstSlot);
        st.ids = out[DECODE_LAST_IDS];
        consume(await results(out[DECODE_TOKENS], out[DECODE_LOGITS]));
      }
    }
    if (webgpu) {
      const tw = performance.now();
      consume(await pending);
      waitMs += performance.now() - tw;
      if (!plan.runs) prefillMs = performance.now() - t0;
    }
    const decodeMs = performance.now() - t0 - prefillMs;
    return { completions, finished, stepLogits: o.keepLogits ? stepLogits : undefined, prefillMs, decodeMs, decodeSteps, decodeRunMs: runMs, decodeWaitMs: waitMs };
  }

  /** WebGPU: where each output of a run goes (caches and ids in place). */
  private fetches(st: DecodeState, which: 'prefill' | 'decode'): Record<string, ort.Tensor> {
    const f: Record<string, ort.Tensor> = { [DECODE_LAST_IDS]: st.ids! };
    for (const [name, t] of Object.entries(st.caches)) f[`new_${name}`] = t;
    f[DECODE_TOKENS] = which === 'prefill' ? st.outputs.prefillTokens! : st.outputs.decodeTokens!;
    const logits = which === 'prefill' ? st.outputs.prefillLogits : st.outputs.decodeLogits;
    if (logits) f[DECODE_LOGITS] = logits;
    return f;
  }

  /** wasm: a decode run's new keys/values [B, Hkv, K, D] written into the cache arrays, slots firstSlot.. */
  private writeEntries(st: DecodeState, out: Record<string, ort.Tensor>, firstSlot: number): void {
    const { cfg } = this.runner;
    const { batch, steps, cacheLen } = st.plan;
    const d = cfg.headDim;
    for (let l = 0; l < cfg.numLayers; l++) {
      for (const w of ['k', 'v'] as const) {
        const cache = st.caches[cacheName(l, w)].data as Float32Array;
        const fresh = out[newEntriesName(l, w)].data as Float32Array;
        for (let r = 0; r < batch * cfg.numKvHeads; r++) cache.set(fresh.subarray(r * steps * d, (r + 1) * steps * d), (r * cacheLen + firstSlot) * d);
      }
    }
  }

  /** wasm: the prefill's caches and last ids are the first decode run's inputs. */
  private adoptOutputs(st: DecodeState, out: Record<string, ort.Tensor>): void {
    const { cfg } = this.runner;
    for (let l = 0; l < cfg.numLayers; l++) for (const w of ['k', 'v'] as const) st.caches[cacheName(l, w)] = out[newCacheName(l, w)];
    st.ids = out[DECODE_LAST_IDS];
  }

  async release(): Promise<void> {
    const states = [...this.states.values()];
    this.states.clear();
    for (const s of states) await s.then((st) => releaseState(st), () => undefined);
  }
}

async function releaseState(st: DecodeState): Promise<void> {
  await st.prefill.release().catch(() => undefined);
  await st.decode?.release().catch(() => undefined);
  const owned = [st.ids, ...Object.values(st.caches), ...Object.values(st.outputs), ...Object.values(st.stepFeeds), st.prefillUniforms, ...Object.values(st.scalars), ...(st.loraCopies?.values() ?? [])];
  for (const t of owned) if (t && t.location === 'gpu-buffer') t.dispose();
}

