/**
 * The step graphs of Gemma-3, all built from the one layer definition in gemma3-layer.ts:
 * - embed: token ids -> scaled embeddings (vocab split into shards that fit a GPU binding);
 * - layer forward / layer backward (recomputes the layer, then its vector-Jacobian product): one
 *   graph serves every layer, since weights, masks and RoPE tables are inputs;
 * - logits head: final norm -> logits (for evaluation and decode);
 * - loss head: final norm -> token log-probs -> objective, with the logits gradient written
 *   analytically chunk by chunk so that [tokens, vocab] logits never exist at once;
 * - decode: the whole model for T new tokens over a KV cache, sampling the next tokens on the device.
 */
import { gradients } from '../graph/autodiff';
import { Graph, type Tensor } from '../graph/graph';
import * as nn from '../graph/nn';
import * as op from '../graph/ops';
import { sampleTokens, type SamplerSpec } from '../graph/sampling';
import { embedScale, type Gemma3Config, type LayerType } from './config';
import { decoderLayer, LAYER_WEIGHTS, layerInputs, perLayerNaming, weightInput, weightValue, type LayerWeightName, type LoraSpec, type WeightInput } from './gemma3-layer';
import type { WeightDtype } from './weight-dtype';

export interface VocabShard {
  start: number;
  end: number;
}

/** Splits the vocabulary so that one shard of the [V, H] embedding fits `maxBindingBytes`. */
export function vocabShards(vocab: number, hidden: number, maxBindingBytes: number): VocabShard[] {
  const rows = Math.max(1, Math.floor(maxBindingBytes / (hidden * 4)));
  const count = Math.ceil(vocab / rows);
  const per = Math.ceil(vocab / count);
  const shards: VocabShard[] = [];
  for (let s = 0; s < vocab; s += per) shards.push({ start: s, end: Math.min(vocab, s + per) });
  return shards;
}

export const embedShardName = (s: number) => `embed.${s}`;
export const FINAL_NORM = 'model.norm.weight';

/** The (tied) embedding's vocab shards as graph inputs; 8-bit ones come with per-row scales. */
function embedInputs(g: Graph, cfg: Gemma3Config, shards: VocabShard[], weightDtype: WeightDtype = 'float32'): WeightInput[] {
  return shards.map((sh, s) => weightInput(g, embedShardName(s), [sh.end - sh.start, cfg.hiddenSize], weightDtype));
}

/** A float32 embedding's trainable shards (full training has no 8-bit weights). */
function floatShards(embed: WeightInput[]): Tensor[] {
  return embed.map((e) => {
    if ('q' in e) throw new Error('full training needs float32 weights');
    return e;
  });
}

/** Rows `ids` (int32, any shape) of one shard: [..., H]. 8-bit rows are gathered as bytes, then dequantized (only those rows). */
function gatherShard(e: WeightInput, ids: Tensor): Tensor {
  if (!('q' in e)) return op.gather(e, ids, 0);
  const flat = op.reshape(ids, [ids.size]);
  const rows = nn.dequantizeRows(op.gather(e.q, flat, 0), op.gather(e.scale, flat, 0));
  return op.reshape(rows, [...ids.shape, e.q.shape[1]]);
}

/** Rows of the embedding for int32 `ids` of any shape, across shards: [..., H]. */
function gatherRows(ids: Tensor, embed: WeightInput[], shards: VocabShard[]): Tensor {
  if (shards.length === 1) return gatherShard(embed[0], ids);
  let sum: Tensor | undefined;
  shards.forEach((sh, s) => {
    const local = op.sub(ids, sh.start);
    const size = sh.end - sh.start;
    const inRange = op.mul(op.cast(op.less(local, size), 'float32'), op.sub(1, op.cast(op.less(local, 0), 'float32')));
    const safe = op.where(op.less(local, 0), 0, op.where(op.less(local, size), local, 0));
    const rows = op.mul(gatherShard(embed[s], safe), op.unsqueeze(inRange, [-1]));
    sum = sum ? op.add(sum, rows) : rows;
  });
  return sum!;
}

export function buildEmbedGraph(cfg: Gemma3Config, batch: number, seq: number, shards: VocabShard[], weightDtype: WeightDtype = 'float32'): Graph {
  const g = new Graph('gemma3_embed');
  const ids = g.input('input_ids', 'int32', [batch, seq]);
  const embed = embedInputs(g, cfg, shards, weightDtype);
  g.output(op.mul(gatherRows(ids, embed, shards), embedScale(cfg.hiddenSize)), 'hidden');
  return g;
}

/**
 * The embedding lookup's gradient: d(loss)/d(embedding shard) from d(loss)/d(hidden) of the
 * embed graph's output, plus `head.<grad name>` (the tied output head's share, from the loss head),
 * so one run yields each shard's whole gradient. The lookup's scatter-add is a one-hot matmul
 * (autodiff's Gather rule): [V, B*T] work, fine for the small vocabularies full training is for.
 */
export function buildEmbedBackwardGraph(cfg: Gemma3Config, batch: number, seq: number, shards: VocabShard[]): Graph {
  const g = new Graph('gemma3_embed_backward');
  const ids = g.input('input_ids', 'int32', [batch, seq]);
  const embed = floatShards(embedInputs(g, cfg, shards));
  const dy = g.input('grad_hidden', 'float32', [batch, seq, cfg.hiddenSize]);
  const y = op.mul(gatherRows(ids, embed, shards), embedScale(cfg.hiddenSize));
  const grads = gradients(y, embed, dy);
  shards.forEach((sh, s) => {
    const head = g.input(`head.${embedShardGradName(s)}`, 'float32', [sh.end - sh.start, cfg.hiddenSize], { gpuResident: true });
    g.output(op.add(grads[s], head), embedShardGradName(s));
  });
  return g;
}

/** Inputs that describe where tokens sit: masks and RoPE tables for both layer types. */
function positionInputs(g: Graph, cfg: Gemma3Config, batch: number, seq: number, keys: number) {
  return {
    mask: g.input('mask', 'float32', [batch, 1, seq, keys]),
    cos: g.input('rope_cos', 'float32', [batch, 1, seq, cfg.headDim]),
    sin: g.input('rope_sin', 'float32', [batch, 1, seq, cfg.headDim]),
  };
}

/** Output name of a layer weight's gradient in the layer backward graph. */
export const layerWeightGradName = (name: LayerWeightName) => `grad.layer.${name}`;
/** Output names of the final norm's and the embedding shards' gradients. */
export const FINAL_NORM_GRAD = `grad.${FINAL_NORM}`;
export const embedShardGradName = (s: number) => `grad.${embedShardName(s)}`;

/** What a training graph differentiates: the LoRA matrices only, or every weight of the model. */
export type Trainable = 'lora' | 'full';

/**
 * One decoder layer on [B, T, H]. mode 'forward' outputs `hidden_out`; mode 'backward' takes
 * `grad_out` too, recomputes the layer and outputs `grad_hidden` and `grad.lora.<module>.<A|B>`
 * (and with trainable 'full', `grad.layer.<weight>` for every layer weight).
 */
export function buildLayerGraph(cfg: Gemma3Config, lora: LoraSpec, batch: number, seq: number, mode: 'forward' | 'backward', trainable: Trainable = 'lora', weightDtype: WeightDtype = 'float32'): Graph {
  if (trainable === 'full' && weightDtype !== 'float32') throw new Error(`layer graph: trainable 'full' trains every weight, which needs float32 weights (got ${weightDtype})`);
  const g = new Graph(`gemma3_layer_${mode}${trainable === 'full' && mode === 'backward' ? '_full' : ''}`);
  const x = g.input('hidden', 'float32', [batch, seq, cfg.hiddenSize]);
  const pos = positionInputs(g, cfg, batch, seq, seq);
  const loraScale = g.input('lora_scale', 'float32', []);
  const { w, adapters } = layerInputs(g, cfg, lora, undefined, weightDtype);
  const y = decoderLayer(cfg, { x, ...pos, w, lora: adapters, loraScale });
  if (mode === 'forward') {
    g.output(y, 'hidden_out');
    return g;
  }
  const dy = g.input('grad_out', 'float32', y.shape);
  const modules = Object.keys(adapters) as (keyof typeof adapters)[];
  const weightNames = trainable === 'full' ? LAYER_WEIGHTS : [];
  const wrt = [x, ...modules.flatMap((m) => [adapters[m]!.A, adapters[m]!.B]), ...weightNames.map((n) => w[n] as Tensor)];
  const [dx, ...rest] = gradients(y, wrt, dy);
  g.output(dx, 'grad_hidden');
  modules.forEach((m, i) => {
    g.output(rest[2 * i], `grad.lora.${m}.A`);
    g.output(rest[2 * i + 1], `grad.lora.${m}.B`);
  });
  weightNames.forEach((n, i) => g.output(rest[2 * modules.length + i], layerWeightGradName(n)));
  return g;
}

/** Final norm and logits for hidden states [B, T, H] -> [B*T, V]. */
export function buildLogitsGraph(cfg: Gemma3Config, batch: number, seq: number, shards: VocabShard[], weightDtype: WeightDtype = 'float32'): Graph {
  const g = new Graph('gemma3_logits');
  const x = op.reshape(g.input('hidden', 'float32', [batch, seq, cfg.hiddenSize]), [batch * seq, cfg.hiddenSize]);
  const norm = g.input(FINAL_NORM, 'float32', [cfg.hiddenSize], { gpuResident: true });
  const embed = embedInputs(g, cfg, shards, weightDtype);
  const h = nn.rmsNorm(x, norm, cfg.rmsNormEps, 1);
  const logits = op.concat(embed.map((e) => op.gemm(h, weightValue(e), false, true)), 1);
  g.output(softcap(logits, cfg.finalLogitSoftcapping), 'logits');
  return g;
}

function softcap(x: Tensor, cap: number | null): Tensor {
  return cap ? op.mul(op.tanh(op.div(x, cap)), cap) : x;
}

/** Per-token objective: given log-probs [n] and per-token inputs, the (scalar) loss of the chunk. */
export type TokenObjective = (logp: Tensor, perToken: Record<string, Tensor>) => Tensor;

export interface LossHeadOptions {
  batch: number;
  seq: number;
  chunkRows: number;
  /** Names of extra per-token float inputs [rows] that the objective reads. */
  perTokenInputs: string[];
  objective: TokenObjective;
  /** Also output d(loss)/d(hidden) (training); false for log-probs only (reference policy). */
  withGradient: boolean;
  /**
   * Also output the gradients of the final norm and of the (tied) embedding shards as the output
   * head (full training). Needs withGradient.
   */
  weightGradients?: boolean;
  /** How the embedding shards are stored (8-bit: each shard dequantized where it is read). */
  weightDtype?: WeightDtype;
}

/** The head's weight dtype; its weight gradients (full training) need float32 weights. */
function checkHeadDtype(o: { weightGradients?: boolean; weightDtype?: WeightDtype }): WeightDtype {
  const dtype = o.weightDtype ?? 'float32';
  if (o.weightGradients && dtype !== 'float32') throw new Error(`loss head: weight gradients (full training) need float32 weights, got ${dtype}`);
  return dtype;
}

/** One chunk of the loss head: its log-probs, loss and (withGradient) gradients. */
interface ChunkResult {
  logp: Tensor;
  loss: Tensor;
  dx?: Tensor;
  dnorm?: Tensor;
  dembed?: Tensor[];
}

/**
 * Final norm -> log p(target) -> objective for rows `xc` [n, H]. The gradient is analytic:
 * d logp / d logits = onehot(target) - softmax(logits), so d hidden_normed = c * E[target] -
 * (c * softmax) @ E with c = d loss / d logp.
 */
function lossChunk(cfg: Gemma3Config, shards: VocabShard[], xc: Tensor, tc: Tensor, extras: Record<string, Tensor>, norm: Tensor, embed: WeightInput[], o: Pick<LossHeadOptions, 'objective' | 'withGradient' | 'weightGradients'>, invTemperature?: Tensor): ChunkResult {
  const g = xc.graph;
  const normed = nn.rmsNorm(xc, norm, cfg.rmsNormEps, 1);
  // Sampled at temperature T, the policy is softmax(logits / T) (as TRL scores it): without
  // softcapping, logits / T = (h / T) @ E^T, so the [rows, H] state is scaled, not [rows, V].
  const h = invTemperature ? op.mul(normed, invTemperature) : normed;
  // An 8-bit shard is dequantized here and again for d hidden below: one float32 shard at a time.
  const logits = embed.map((e) => op.gemm(op.stopGradient(h), weightValue(e), false, true)); // per shard [rows, Vs]
  const lseParts = logits.map((l) => nn.logsumexp(l, -1, true)); // [rows, 1]
  const lse = lseParts.length === 1 ? lseParts[0] : nn.logsumexp(op.concat(lseParts, 1), -1, true);
  const picked = pickTargets(logits, tc, shards);
  const logp = op.stopGradient(op.squeeze(op.sub(picked, lse), [1])); // [rows]
  const loss = o.objective(logp, extras);
  if (!o.withGradient) return { logp, loss };
  const [coef] = gradients(loss, [logp]); // [rows]
  const c2 = op.unsqueeze(coef, [1]);
  let dh = op.mul(gatherRows(tc, embed, shards), c2);
  const dembed: Tensor[] = [];
  logits.forEach((l, s) => {
    const p = op.exp(op.sub(l, lse));
    const cp = op.mul(p, c2);
    dh = op.sub(dh, op.gemm(cp, weightValue(embed[s]), false, false));
    if (o.weightGradients) {
      // d logits = c * (onehot(target) - p); d E_s = d logits^T @ h.
      const size = shards[s].end - shards[s].start;
      const range = g.constant(Array.from({ length: size }, (_, i) => i), 'int32', [1, size], 'vocab_range');
      const onehot = op.cast(op.equal(op.unsqueeze(op.sub(tc, shards[s].start), [1]), range), 'float32');
      dembed.push(op.gemm(op.sub(op.mul(onehot, c2), cp), h, true, false));
    }
  });
  if (!o.weightGradients) return { logp, loss, dx: gradients(h, [xc], dh)[0] };
  const [dx, dnorm] = gradients(h, [xc, norm], dh);
  return { logp, loss, dx, dnorm, dembed };
}

/**
 * Final norm -> log p(target) per token -> objective, over hidden states [B, T, H] (as rows B*T),
 * every chunk in one graph. onnxruntime may compute several chunks' logits before their consumers
 * (docs/BENCHMARKS.md), so the runner uses buildLossChunkGraph, one chunk per run; this form is
 * the reference it is tested against.
 */
export function buildLossHeadGraph(cfg: Gemma3Config, shards: VocabShard[], o: LossHeadOptions): Graph {
  if (cfg.finalLogitSoftcapping) throw new Error('loss head: final_logit_softcapping is not supported');
  if (o.weightGradients && !o.withGradient) throw new Error('loss head: weightGradients needs withGradient');
  const g = new Graph('gemma3_loss_head');
  const rows = o.batch * o.seq;
  const x = op.reshape(g.input('hidden', 'float32', [o.batch, o.seq, cfg.hiddenSize]), [rows, cfg.hiddenSize]);
  const targets = g.input('targets', 'int32', [rows]);
  const perToken = Object.fromEntries(o.perTokenInputs.map((n) => [n, g.input(n, 'float32', [rows])]));
  const norm = g.input(FINAL_NORM, 'float32', [cfg.hiddenSize], { gpuResident: true });
  const embed = embedInputs(g, cfg, shards, checkHeadDtype(o));

  const sizes: number[] = [];
  for (let s = 0; s < rows; s += o.chunkRows) sizes.push(Math.min(o.chunkRows, rows - s));
  const chunk = (t: Tensor) => (sizes.length > 1 ? op.split(t, 0, sizes) : [t]);
  const xs = chunk(x);
  const ts = chunk(targets);
  const extras = Object.fromEntries(Object.entries(perToken).map(([n, t]) => [n, chunk(t)]));

  const results = sizes.map((_, c) =>
    g.scope(`chunk${c}`, () => lossChunk(cfg, shards, xs[c], ts[c], Object.fromEntries(Object.entries(extras).map(([n, parts]) => [n, parts[c]])), norm, embed, o)),
  );
  const sum = (ts: Tensor[]) => ts.reduce((a, b) => op.add(a, b));
  if (o.weightGradients) {
    g.output(sum(results.map((r) => r.dnorm!)), FINAL_NORM_GRAD);
    shards.forEach((_, s) => g.output(sum(results.map((r) => r.dembed![s])), embedShardGradName(s)));
  }
  g.output(op.concat(results.map((r) => r.logp), 0), 'logprobs');
  g.output(sum(results.map((r) => r.loss)), 'loss');
  if (o.withGradient) g.output(op.reshape(op.concat(results.map((r) => r.dx!), 0), [o.batch, o.seq, cfg.hiddenSize]), 'grad_hidden');
  return g;
}

export interface LossChunkOptions {
  /** Shape of the hidden state the chunk's rows are gathered from, [batch, seq, H]. */
  batch: number;
  seq: number;
  /** Rows in the chunk. */
  rows: number;
  perTokenInputs: string[];
  objective: TokenObjective;
  withGradient: boolean;
  weightGradients?: boolean;
  /**
   * With weightGradients: also take the previous chunks' sums (`acc.<output name>`) and output
   * them plus this chunk's, so the weight gradients add up on the device across runs.
   */
  accumulate?: boolean;
  /**
   * Take the scalar input `inv_temperature` (1 / T): log-probs of softmax(logits / T), the policy
   * that sampled at temperature T. One graph serves every temperature.
   */
  temperature?: boolean;
  /** How the embedding shards are stored (8-bit: each shard dequantized where it is read). */
  weightDtype?: WeightDtype;
}

/** Scalar input 1 / T of a loss-chunk graph built with `temperature`. */
export const LOSS_INV_TEMPERATURE = 'inv_temperature';

/** Input name of the running sum of a weight gradient in an accumulating loss-chunk graph. */
export const accumulatedName = (name: string) => `acc.${name}`;

/**
 * One chunk of the loss head, for one session run: `rows` rows gathered (by the int32 input `rows`,
 * indices into B*T) from the hidden state [B, T, H], their `targets` [rows] and per-token inputs
 * [rows] -> `logprobs` [rows], `loss` [] and (withGradient) `grad_rows` [rows, H], d loss / d those
 * hidden rows. Run once per chunk, it keeps one chunk's [rows, vocab] logits alive at a time,
 * whatever order onnxruntime picks inside a run. The objective must be a sum over rows.
 */
export function buildLossChunkGraph(cfg: Gemma3Config, shards: VocabShard[], o: LossChunkOptions): Graph {
  if (cfg.finalLogitSoftcapping) throw new Error('loss head: final_logit_softcapping is not supported');
  if (o.weightGradients && !o.withGradient) throw new Error('loss head: weightGradients needs withGradient');
  if (o.accumulate && !o.weightGradients) throw new Error('loss head: accumulate needs weightGradients');
  const g = new Graph('gemma3_loss_chunk');
  const hidden = g.input('hidden', 'float32', [o.batch, o.seq, cfg.hiddenSize], { gpuResident: true });
  const index = g.input('rows', 'int32', [o.rows]);
  const xc = op.gather(op.reshape(hidden, [o.batch * o.seq, cfg.hiddenSize]), index, 0);
  const targets = g.input('targets', 'int32', [o.rows]);
  const perToken = Object.fromEntries(o.perTokenInputs.map((n) => [n, g.input(n, 'float32', [o.rows])]));
  const norm = g.input(FINAL_NORM, 'float32', [cfg.hiddenSize], { gpuResident: true });
  const embed = embedInputs(g, cfg, shards, checkHeadDtype(o));
  const invTemperature = o.temperature ? g.input(LOSS_INV_TEMPERATURE, 'float32', []) : undefined;
  const r = lossChunk(cfg, shards, xc, targets, perToken, norm, embed, o, invTemperature);
  g.output(r.logp, 'logprobs');
  g.output(r.loss, 'loss');
  if (o.withGradient) g.output(r.dx!, 'grad_rows');
  if (o.weightGradients) {
    const acc = (t: Tensor, name: string) => (o.accumulate ? op.add(g.input(accumulatedName(name), 'float32', t.shape, { gpuResident: true }), t) : t);
    g.output(acc(r.dnorm!, FINAL_NORM_GRAD), FINAL_NORM_GRAD);
    shards.forEach((_, s) => g.output(acc(r.dembed![s], embedShardGradName(s)), embedShardGradName(s)));
  }
  return g;
}

/** logits[r, target[r]] across vocab shards: [rows, 1]. */
function pickTargets(logits: Tensor[], targets: Tensor, shards: VocabShard[]): Tensor {
  const rows = targets.shape[0];
  const g = targets.graph;
  let sum: Tensor | undefined;
  shards.forEach((sh, s) => {
    const size = sh.end - sh.start;
    const rowBase = g.constant(Array.from({ length: rows }, (_, r) => r * size), 'int32', [rows], 'row_base');
    const local = op.sub(targets, sh.start);
    const inRange = op.mul(op.cast(op.less(local, size), 'float32'), op.sub(1, op.cast(op.less(local, 0), 'float32')));
    const safe = op.where(op.less(local, 0), 0, op.where(op.less(local, size), local, 0));
    const v = op.mul(op.gather(op.reshape(logits[s], [rows * size]), op.add(safe, rowBase), 0), inRange);
    sum = sum ? op.add(sum, v) : v;
  });
  return op.unsqueeze(sum!, [1]);
}

export interface DecodeGraphOptions {
  batch: number;
  /** New tokens per run: the prompt length for prefill, 1 for decode steps. */
  seq: number;
  /** KV cache length (prompt + every token the run may write). */
  cacheLen: number;
  lora: LoraSpec;
  shards: VocabShard[];
  /** How the next token is chosen (on the device; only ids leave the graph). */
  sampling: SamplerSpec;
  /**
   * Decode steps per run (seq = 1 only; default 1): step j reads the token step j - 1 sampled,
   * attends over the cache and the run's own new entries, and samples the next token.
   */
  steps?: number;
  /**
   * Decode: where the run's new keys/values go. 'graph' (default): the graph writes them into the
   * cache (`new_cache.*`, bound in place to `cache.*` on WebGPU); 'host': they are output alone
   * (`new_kv.*` [B, Hkv, steps, D]) for the caller to write into its cache arrays (wasm, where
   * every output is a fresh array anyway).
   */
  cacheWrite?: 'graph' | 'host';
  /** Also output every step's logits [steps, B, V] (tests and diagnostics; costly for big vocabularies). */
  keepLogits?: boolean;
  /** onnxruntime's one-node RMS norm and GELU kernels (see LayerIO.fusedKernels; default true). */
  fusedKernels?: boolean;
  /** The session bakes the model's weights in (see LayerIO.constantWeights). */
  constantWeights?: boolean;
  /** How the projections and the embedding are stored (8-bit: dequantized in the graph where read). */
  weightDtype?: WeightDtype;
}

export const cacheName = (layer: number, which: 'k' | 'v') => `cache.${layer}.${which}`;
export const newCacheName = (layer: number, which: 'k' | 'v') => `new_cache.${layer}.${which}`;
export const newEntriesName = (layer: number, which: 'k' | 'v') => `new_kv.${layer}.${which}`;
/** Decode inputs besides weights and caches. */
export const DECODE_IDS = 'input_ids';
export const DECODE_SLOT = 'slot';
export const DECODE_UNIFORMS = 'uniforms';
export const DECODE_INV_TEMPERATURE = 'inv_temperature';
/** Decode outputs besides caches: every sampled token [steps, B], the last ones [B, 1] (next run's input_ids), logits. */
export const DECODE_TOKENS = 'tokens';
export const DECODE_LAST_IDS = 'last_ids';
export const DECODE_LOGITS = 'logits';

/**
 * The whole model over a KV cache, sampling on the device.
 *
 * Prefill (seq = T > 1): input_ids [B, T] (left-padded), masks [B, 1, T, S] and RoPE tables
 * [B, 1, T, D] per layer type; writes caches [B, Hkv, S, D] (prompt in slots 0..T-1, zeros after)
 * and samples the first new token from the last position.
 *
 * Decode (seq = 1, `steps` = K): input_ids [B, 1], `slot` int32 [1] (cache slot of step 0), masks
 * [K, B, 1, 1, S] over the cache slots written before the run and RoPE tables [K, B, 1, 1, D] per
 * layer type, and the caches, which the steps only read: step j attends over the cache and the
 * j + 1 entries of the run so far as one softmax without joining them (no cache-sized copy per
 * step). At the end one ScatterElements per cache writes the run's K slots; with each
 * `new_cache.*` output bound to its `cache.*` input's buffer (WebGPU) that write is in place and
 * nothing else of the cache is copied. (cacheWrite 'host': `new_kv.*` instead.)
 *
 * Both: `lora_scale` [], every layer's weights (`model.layers.{i}.*`) and LoRA matrices
 * (`lora.{i}.<module>.<A|B>`), and for sampling `uniforms` [K, B, 2] and `inv_temperature` [].
 * Outputs `tokens` int32 [K, B], `last_ids` int32 [B, 1], `new_cache.{i}.{k|v}` and, with
 * keepLogits, `logits` [K, B, V].
 */
export function buildDecodeGraph(cfg: Gemma3Config, o: DecodeGraphOptions): Graph {
  const { batch, seq, cacheLen } = o;
  const steps = o.steps ?? 1;
  const decode = seq === 1;
  if (!Number.isInteger(steps) || steps < 1 || (!decode && steps !== 1)) throw new Error(`decode graph: steps must be a positive integer (1 for a prefill), got ${steps}`);
  if (cacheLen < seq + (decode ? steps - 1 : 0)) throw new Error(`decode graph: cache of ${cacheLen} slots is too short`);
  const fusedKernels = o.fusedKernels ?? true;
  const g = new Graph(decode ? 'gemma3_decode' : 'gemma3_prefill');
  const ids = g.input(DECODE_IDS, 'int32', [batch, seq]);
  const embed = embedInputs(g, cfg, o.shards, o.weightDtype);
  const norm = g.input(FINAL_NORM, 'float32', [cfg.hiddenSize], { gpuResident: true });
  const loraScale = g.input('lora_scale', 'float32', []);
  const slot = decode ? g.input(DECODE_SLOT, 'int32', [1]) : undefined;
  const sampled = o.sampling.kind === 'sample';
  const uniforms = sampled ? g.input(DECODE_UNIFORMS, 'float32', [steps, batch, 2]) : undefined;
  const invTemperature = sampled ? g.input(DECODE_INV_TEMPERATURE, 'float32', []) : undefined;
  // Only the layer types this model has (a model may have no full-attention layer, or no sliding one).
  const types = [...new Set(cfg.layerTypes)];
  const positionShape = (last: number) => (decode ? [steps, batch, 1, 1, last] : [batch, 1, seq, last]);
  const position = Object.fromEntries(
    types.map((type) => [
      type,
      {
        mask: g.input(`mask.${type}`, 'float32', positionShape(cacheLen)),
        cos: g.input(`rope_cos.${type}`, 'float32', positionShape(cfg.headDim)),
        sin: g.input(`rope_sin.${type}`, 'float32', positionShape(cfg.headDim)),
      },
    ]),
  ) as Record<LayerType, { mask: Tensor; cos: Tensor; sin: Tensor }>;
  const layerTensors = Array.from({ length: cfg.numLayers }, (_, l) => layerInputs(g, cfg, o.lora, perLayerNaming(l), o.weightDtype));
  const kvShape = [batch, cfg.numKvHeads, cacheLen, cfg.headDim];
  const caches = decode
    ? Array.from({ length: cfg.numLayers }, (_, l) => (['k', 'v'] as const).map((w) => g.input(cacheName(l, w), 'float32', kvShape, { gpuResident: true })))
    : undefined;

  const stepIndex = (j: number) => g.constant([j], 'int32', [], 'step');
  let stepIds = ids;
  const tokens: Tensor[] = [];
  const logitsPerStep: Tensor[] = [];
  /** Per layer: the cache written by the prefill, or the decode run's new entries so far [B, Hkv, j + 1, D]. */
  const written: { k: Tensor; v: Tensor }[] = [];
  for (let j = 0; j < steps; j++) {
    g.scope(`step${j}`, () => {
      let x = op.mul(gatherRows(stepIds, embed, o.shards), embedScale(cfg.hiddenSize));
      const at = (t: Tensor) => (decode ? op.gather(t, stepIndex(j), 0) : t); // this step's [B, 1, 1, *]
      for (let l = 0; l < cfg.numLayers; l++) {
        const { w, adapters } = layerTensors[l];
        const type = cfg.layerTypes[l];
        const pos = position[type];
        // Prefill: the mask's columns past the prompt cover cache slots no key is in yet.
        const mask = decode ? at(pos.mask) : op.slice(pos.mask, [0], [seq], [3]);
        x = g.scope(`layer${l}`, () =>
          decoderLayer(cfg, {
            x,
            mask,
            cos: at(pos.cos),
            sin: at(pos.sin),
            w,
            lora: adapters,
            loraScale,
            fusedKernels,
            constantWeights: o.constantWeights,
            kv: caches
              ? {
                  attend: (q, k, v, scale) => {
                    const prev = written[l];
                    written[l] = prev ? { k: op.concat([prev.k, k], 2), v: op.concat([prev.v, v], 2) } : { k, v };
                    return splitAttention(q, { k: caches[l][0], v: caches[l][1], mask }, { ...written[l], mask: recentMask(g, cfg, type, j) }, scale);
                  },
                }
              : {
                  // The cache gets zeros after the prompt; attention needs only the prompt's own keys.
                  update: (k, v) => {
                    written[l] = { k: op.pad(k, [0, 0, 0, 0, 0, 0, cacheLen - seq, 0]), v: op.pad(v, [0, 0, 0, 0, 0, 0, cacheLen - seq, 0]) };
                    return { k, v };
                  },
                },
          }),
        );
      }
      const last = decode ? x : op.slice(x, [seq - 1], [seq], [1]);
      const lastRows = op.reshape(last, [batch, cfg.hiddenSize]);
      // Without softcapping, logits / T = (h / T) @ E^T: the temperature scales [B, H], not [B, V].
      const scaleHidden = invTemperature && !cfg.finalLogitSoftcapping;
      const heads = (scaleHidden && !o.keepLogits ? 0 : 1) + (scaleHidden ? 1 : 0);
      // 8-bit shards are dequantized before the state they multiply is made: onnxruntime orders a
      // node's inputs from the last made, and a dequantization made after that state would be run
      // ahead of the whole step (every step's, kept to the run's end), not just before its product.
      const shardWeights = Array.from({ length: heads }, () => embed.map(weightValue));
      const h = fusedKernels ? op.rmsNormKernel(lastRows, op.add(norm, 1), cfg.rmsNormEps) : nn.rmsNorm(lastRows, norm, cfg.rmsNormEps, 1);
      const head = (hs: Tensor, ws: Tensor[]) => softcap(op.concat(ws.map((w) => op.gemm(hs, w, false, true)), 1), cfg.finalLogitSoftcapping);
      const logits = scaleHidden && !o.keepLogits ? undefined : head(h, shardWeights[0]);
      const sampled = scaleHidden ? head(op.mul(h, invTemperature), shardWeights[heads - 1]) : logits!;
      const next = sampleTokens(sampled, o.sampling, { uniforms: uniforms && op.gather(uniforms, stepIndex(j), 0), invTemperature: scaleHidden ? 'applied' : invTemperature });
      tokens.push(op.reshape(next, [1, batch]));
      if (logits) logitsPerStep.push(op.reshape(logits, [1, batch, cfg.vocabSize]));
      stepIds = op.reshape(next, [batch, 1]);
    });
  }
  if (caches && o.cacheWrite === 'host') {
    written.forEach(({ k, v }, l) => {
      g.output(k, newEntriesName(l, 'k'));
      g.output(v, newEntriesName(l, 'v'));
    });
  } else if (caches) {
    // Slots slot .. slot + K - 1 of every row and head: ScatterElements indices [B, Hkv, K, D].
    const idxShape = [batch, cfg.numKvHeads, steps, cfg.headDim];
    const slots = op.add(op.expand(op.reshape(slot!, [1, 1, 1, 1]), idxShape), g.constant(Array.from({ length: steps }, (_, i) => i), 'int32', [1, 1, steps, 1], 'run_slots'));
    written.forEach(({ k, v }, l) => {
      g.output(op.scatterElements(caches[l][0], slots, k, 2), newCacheName(l, 'k'));
      g.output(op.scatterElements(caches[l][1], slots, v, 2), newCacheName(l, 'v'));
    });
  } else {
    written.forEach(({ k, v }, l) => {
      g.output(k, newCacheName(l, 'k'));
      g.output(v, newCacheName(l, 'v'));
    });
  }
  g.output(op.concat(tokens, 0), DECODE_TOKENS);
  g.output(stepIds, DECODE_LAST_IDS);
  if (o.keepLogits) g.output(op.concat(logitsPerStep, 0), DECODE_LOGITS);
  return g;
}

/**
 * Decode attention of queries [B, Hq, 1, D] over a cache [B, Hkv, S, D] (additive mask
 * [B, 1, 1, S]) and the run's new entries [B, Hkv, n, D] (mask [1, 1, 1, n] or none): one softmax
 * over both score blocks, then the two weighted sums added. Query heads sharing a KV head are
 * folded into one matmul, as in nn.attention.
 */
function splitAttention(q: Tensor, cache: { k: Tensor; v: Tensor; mask: Tensor }, recent: { k: Tensor; v: Tensor; mask?: Tensor }, scale: number): Tensor {
  const [b, hq, t, d] = q.shape;
  const [, hkv, s] = cache.k.shape;
  const n = recent.k.shape[2];
  const qg = op.reshape(q, [b, hkv, (hq / hkv) * t, d]);
  const scores = (k: Tensor, mask: Tensor | undefined) => {
    const raw = op.mul(op.matmul(qg, op.transposeLast2(k)), scale);
    return mask ? op.add(raw, mask) : raw;
  };
  const p = op.softmax(op.concat([scores(cache.k, cache.mask), scores(recent.k, recent.mask)], 3), -1);
  const [pc, pr] = op.split(p, 3, [s, n]);
  return op.reshape(op.add(op.matmul(pc, cache.v), op.matmul(pr, recent.v)), [b, hq, t, d]);
}

/** Step j's mask over the run's j + 1 new entries: on sliding layers, entries a window or more back are hidden. */
function recentMask(g: Graph, cfg: Gemma3Config, type: LayerType, j: number): Tensor | undefined {
  const window = type === 'sliding_attention' ? cfg.slidingWindow : Infinity;
  if (j < window) return undefined;
  return g.constant(Array.from({ length: j + 1 }, (_, i) => (j - i < window ? 0 : nn.MASK_NEG)), 'float32', [1, 1, 1, j + 1], 'recent_mask');
}
