/**
 * Batched generation with a KV cache. Prompts are left-padded to a common length (bucketed, so
 * sessions are reused across steps of a run), prefilled in one run of the prefill graph, then
 * decoded one token per run of the decode graph. Cache slots are shared across the batch: slot j
 * of row b holds that row's token at position j - pad[b], so masks and RoPE positions per row
 * follow from the padding.
 */
import type { Rng } from '../grpo/rng';
import { readTensor } from '../runtime/device';
import { GraphSession } from '../runtime/graph-session';
import type { ort } from '../runtime/ort';
import type { LayerType } from '../model/config';
import { buildDecodeGraph, cacheName, embedShardName, FINAL_NORM, newCacheName } from '../model/gemma3-graphs';
import type { Gemma3Runner } from '../model/gemma3-runner';
import { attentionMask, ropeTables } from '../model/positions';
import { sampleToken, validateSampling, type SamplingParams } from './sampling';

export interface GenerateOptions extends SamplingParams {
  maxNewTokens: number;
  stopTokenIds: number[];
  /** 1 = the LoRA policy, 0 = the base model. */
  loraScale?: number;
  /** Keep each step's logits (tests and diagnostics; costly for big vocabularies). */
  keepLogits?: boolean;
  /** Called after every decode step with the number of tokens generated so far. */
  onStep?: (step: number) => void;
  /** Stop early (e.g. the user pressed Stop). */
  signal?: AbortSignal;
}

export interface GenerateResult {
  /** Generated ids per prompt, the stop token included when one ended the row. */
  completions: number[][];
  /** True where a stop token ended the row (false: it hit maxNewTokens). */
  finished: boolean[];
  /** Per step, logits [B, V] (only with keepLogits). */
  stepLogits?: Float32Array[];
  prefillMs: number;
  decodeMs: number;
}

/** Padded prompt lengths are rounded up to this, so a run reuses a handful of sessions. */
export const PROMPT_BUCKET = 32;

export class Generator {
  private readonly sessions = new Map<string, Promise<GraphSession>>();

  constructor(readonly runner: Gemma3Runner) {}

  private session(batch: number, seq: number, cacheLen: number): Promise<GraphSession> {
    const key = `${batch}x${seq}x${cacheLen}`;
    let s = this.sessions.get(key);
    if (!s) {
      const { cfg, options, shards, store } = this.runner;
      s = GraphSession.create(buildDecodeGraph(cfg, { batch, seq, cacheLen, lora: options.lora, shards }), store.backend, { preferredOutputLocation: 'gpu-buffer' });
      this.sessions.set(key, s);
      s.catch(() => this.sessions.delete(key));
    }
    return s;
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
    const batch = prompts.length;
    const longest = Math.max(...prompts.map((p) => p.length));
    const seq = Math.ceil(longest / PROMPT_BUCKET) * PROMPT_BUCKET;
    const cacheLen = seq + o.maxNewTokens;
    const pads = prompts.map((p) => seq - p.length);
    const types = [...new Set(cfg.layerTypes)] as LayerType[];
    const stop = new Set(o.stopTokenIds);

    const shared: Record<string, ort.Tensor> = { [FINAL_NORM]: this.runner.weights.get(FINAL_NORM)! };
    this.runner.shards.forEach((_, s) => (shared[embedShardName(s)] = this.runner.weights.get(embedShardName(s))!));
    for (const [k, t] of this.runner.weights) if (k.startsWith('model.layers.')) shared[k] = t;
    for (const [k, t] of this.runner.lora) shared[k] = t;
    const scale = store.upload(new Float32Array([o.loraScale ?? 1]), []);
    const temporaries: ort.Tensor[] = [scale];

    const positionFeeds = (queries: number, queryStart: number, positions: number[][], valid: number[][]) => {
      const f: Record<string, ort.Tensor> = {};
      for (const type of types) {
        const { cos, sin } = ropeTables(cfg, type, positions);
        f[`mask.${type}`] = store.upload(attentionMask(cfg, type, valid, queries, queryStart), [batch, 1, queries, cacheLen]);
        f[`rope_cos.${type}`] = store.upload(cos, [batch, 1, queries, cfg.headDim]);
        f[`rope_sin.${type}`] = store.upload(sin, [batch, 1, queries, cfg.headDim]);
      }
      return f;
    };
    const release = (f: Record<string, ort.Tensor>) => Object.values(f).forEach((t) => t.location !== 'cpu' && t.dispose());

    // Prefill: every prompt token at its slot; empty caches are not needed (the graph pads).
    const t0 = performance.now();
    const ids = new Int32Array(batch * seq);
    prompts.forEach((p, b) => ids.set(p, b * seq + pads[b]));
    const valid = prompts.map((_, b) => Array.from({ length: cacheLen }, (_, j) => (j >= pads[b] && j < seq ? 1 : 0)));
    const positions = prompts.map((_, b) => Array.from({ length: seq }, (_, i) => Math.max(0, i - pads[b])));
    const prefill = await this.session(batch, seq, cacheLen);
    let feeds = positionFeeds(seq, 0, positions, valid);
    const idTensor = store.upload(ids, [batch, seq]);
    let out = await prefill.run({ input_ids: idTensor, lora_scale: scale, ...feeds, ...shared });
    release(feeds);
    idTensor.dispose?.();
    const prefillMs = performance.now() - t0;

    const completions: number[][] = prompts.map(() => []);
    const finished = prompts.map(() => false);
    const stepLogits: Float32Array[] = [];
    const decode = o.maxNewTokens > 1 ? await this.session(batch, 1, cacheLen) : undefined;
    const t1 = performance.now();
    for (let step = 0; ; step++) {
      const logits = await readTensor(out.logits);
      if (o.keepLogits) stepLogits.push(logits.slice());
      const next = new Int32Array(batch);
      for (let b = 0; b < batch; b++) {
        if (finished[b]) continue;
        const tok = sampleToken(logits.subarray(b * cfg.vocabSize, (b + 1) * cfg.vocabSize), o, rng);
        completions[b].push(tok);
        next[b] = tok;
        if (stop.has(tok)) finished[b] = true;
      }
      if (out.logits.location !== 'cpu') out.logits.dispose();
      o.onStep?.(step + 1);
      if (step + 1 >= o.maxNewTokens || finished.every(Boolean) || o.signal?.aborted || !decode) break;

      // Decode: the token just sampled goes to slot seq + step.
      const slotIndex = seq + step;
      for (let b = 0; b < batch; b++) valid[b][slotIndex] = 1;
      const slot = new Float32Array(cacheLen);
      slot[slotIndex] = 1;
      feeds = positionFeeds(1, slotIndex, prompts.map((_, b) => [slotIndex - pads[b]]), valid);
      const caches: Record<string, ort.Tensor> = {};
      for (let l = 0; l < cfg.numLayers; l++) for (const w of ['k', 'v'] as const) caches[cacheName(l, w)] = out[newCacheName(l, w)];
      const tokTensor = store.upload(next, [batch, 1]);
      const slotTensor = store.upload(slot, [1, 1, cacheLen, 1]);
      const nextOut = await decode.run({ input_ids: tokTensor, slot: slotTensor, lora_scale: scale, ...feeds, ...shared, ...caches });
      release({ ...feeds, ...caches, tok: tokTensor, slot: slotTensor });
      out = nextOut;
    }
    for (const [k, t] of Object.entries(out)) if (k !== 'logits' && t.location !== 'cpu') t.dispose();
    temporaries.forEach((t) => t.location !== 'cpu' && t.dispose());
    return { completions, finished, stepLogits: o.keepLogits ? stepLogits : undefined, prefillMs, decodeMs: performance.now() - t1 };
  }

  async release(): Promise<void> {
    for (const s of this.sessions.values()) await (await s).release().catch(() => undefined);
    this.sessions.clear();
  }
}
