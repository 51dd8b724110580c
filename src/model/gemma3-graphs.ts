/**
 * The step graphs of Gemma-3, all built from the one layer definition in gemma3-layer.ts:
 * - embed: token ids -> scaled embeddings (vocab split into shards that fit a GPU binding);
 * - layer forward / layer backward (recomputes the layer, then its vector-Jacobian product): one
 *   graph serves every layer, since weights, masks and RoPE tables are inputs;
 * - logits head: final norm -> logits (for evaluation and decode);
 * - loss head: final norm -> token log-probs -> objective, with the logits gradient written
 *   analytically chunk by chunk so that [tokens, vocab] logits never exist at once;
 * - decode: the whole model for T new tokens over a KV cache.
 */
import { gradients } from '../graph/autodiff';
import { Graph, type Tensor } from '../graph/graph';
import * as nn from '../graph/nn';
import * as op from '../graph/ops';
import { embedScale, type Gemma3Config, type LayerType } from './config';
import { decoderLayer, LAYER_WEIGHTS, layerInputs, perLayerNaming, type LayerWeightName, type LoraSpec } from './gemma3-layer';

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

function embedInputs(g: Graph, cfg: Gemma3Config, shards: VocabShard[]): Tensor[] {
  return shards.map((sh, s) => g.input(embedShardName(s), 'float32', [sh.end - sh.start, cfg.hiddenSize], { gpuResident: true }));
}

/** Rows of the embedding for int32 `ids` of any shape, across shards: [..., H]. */
function gatherRows(ids: Tensor, embed: Tensor[], shards: VocabShard[]): Tensor {
  if (shards.length === 1) return op.gather(embed[0], ids, 0);
  let sum: Tensor | undefined;
  shards.forEach((sh, s) => {
    const local = op.sub(ids, sh.start);
    const size = sh.end - sh.start;
    const inRange = op.mul(op.cast(op.less(local, size), 'float32'), op.sub(1, op.cast(op.less(local, 0), 'float32')));
    const safe = op.where(op.less(local, 0), 0, op.where(op.less(local, size), local, 0));
    const rows = op.mul(op.gather(embed[s], safe, 0), op.unsqueeze(inRange, [-1]));
    sum = sum ? op.add(sum, rows) : rows;
  });
  return sum!;
}

export function buildEmbedGraph(cfg: Gemma3Config, batch: number, seq: number, shards: VocabShard[]): Graph {
  const g = new Graph('gemma3_embed');
  const ids = g.input('input_ids', 'int32', [batch, seq]);
  const embed = embedInputs(g, cfg, shards);
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
  const embed = embedInputs(g, cfg, shards);
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
export function buildLayerGraph(cfg: Gemma3Config, lora: LoraSpec, batch: number, seq: number, mode: 'forward' | 'backward', trainable: Trainable = 'lora'): Graph {
  const g = new Graph(`gemma3_layer_${mode}${trainable === 'full' && mode === 'backward' ? '_full' : ''}`);
  const x = g.input('hidden', 'float32', [batch, seq, cfg.hiddenSize]);
  const pos = positionInputs(g, cfg, batch, seq, seq);
  const loraScale = g.input('lora_scale', 'float32', []);
  const { w, adapters } = layerInputs(g, cfg, lora);
  const y = decoderLayer(cfg, { x, ...pos, w, lora: adapters, loraScale });
  if (mode === 'forward') {
    g.output(y, 'hidden_out');
    return g;
  }
  const dy = g.input('grad_out', 'float32', y.shape);
  const modules = Object.keys(adapters) as (keyof typeof adapters)[];
  const weightNames = trainable === 'full' ? LAYER_WEIGHTS : [];
  const wrt = [x, ...modules.flatMap((m) => [adapters[m]!.A, adapters[m]!.B]), ...weightNames.map((n) => w[n])];
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
export function buildLogitsGraph(cfg: Gemma3Config, batch: number, seq: number, shards: VocabShard[]): Graph {
  const g = new Graph('gemma3_logits');
  const x = op.reshape(g.input('hidden', 'float32', [batch, seq, cfg.hiddenSize]), [batch * seq, cfg.hiddenSize]);
  const norm = g.input(FINAL_NORM, 'float32', [cfg.hiddenSize], { gpuResident: true });
  const embed = embedInputs(g, cfg, shards);
  const h = nn.rmsNorm(x, norm, cfg.rmsNormEps, 1);
  const logits = op.concat(embed.map((e) => op.gemm(h, e, false, true)), 1);
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
}

/**
 * Final norm -> log p(target) per token -> objective, over hidden states [B, T, H] (as rows B*T).
 * The gradient is analytic per chunk: d logp / d logits = onehot(target) - softmax(logits), so
 * d hidden_normed = c * E[target] - (c * softmax) @ E with c = d loss / d logp; each chunk's
 * logits die before the next chunk's are made.
 */
export function buildLossHeadGraph(cfg: Gemma3Config, shards: VocabShard[], o: LossHeadOptions): Graph {
  if (cfg.finalLogitSoftcapping) throw new Error('loss head: final_logit_softcapping is not supported');
  const g = new Graph('gemma3_loss_head');
  const rows = o.batch * o.seq;
  const x = op.reshape(g.input('hidden', 'float32', [o.batch, o.seq, cfg.hiddenSize]), [rows, cfg.hiddenSize]);
  const targets = g.input('targets', 'int32', [rows]);
  const perToken = Object.fromEntries(o.perTokenInputs.map((n) => [n, g.input(n, 'float32', [rows])]));
  const norm = g.input(FINAL_NORM, 'float32', [cfg.hiddenSize], { gpuResident: true });
  const embed = embedInputs(g, cfg, shards);

  const sizes: number[] = [];
  for (let s = 0; s < rows; s += o.chunkRows) sizes.push(Math.min(o.chunkRows, rows - s));
  const chunk = (t: Tensor) => (sizes.length > 1 ? op.split(t, 0, sizes) : [t]);
  const xs = chunk(x);
  const ts = chunk(targets);
  const extras = Object.fromEntries(Object.entries(perToken).map(([n, t]) => [n, chunk(t)]));

  if (o.weightGradients && !o.withGradient) throw new Error('loss head: weightGradients needs withGradient');
  const logps: Tensor[] = [];
  const losses: Tensor[] = [];
  const grads: Tensor[] = [];
  let normGrad: Tensor | undefined;
  const embedGrads: (Tensor | undefined)[] = shards.map(() => undefined);
  const sum = (a: Tensor | undefined, b: Tensor) => (a ? op.add(a, b) : b);
  sizes.forEach((_, c) => {
    g.scope(`chunk${c}`, () => {
      const xc = xs[c];
      const h = nn.rmsNorm(xc, norm, cfg.rmsNormEps, 1);
      const logits = embed.map((e) => op.gemm(op.stopGradient(h), e, false, true)); // per shard [rows, Vs]
      const lseParts = logits.map((l) => nn.logsumexp(l, -1, true)); // [rows, 1]
      const lse = lseParts.length === 1 ? lseParts[0] : nn.logsumexp(op.concat(lseParts, 1), -1, true);
      const picked = pickTargets(logits, ts[c], shards);
      const logp = op.stopGradient(op.squeeze(op.sub(picked, lse), [1])); // [rows]
      const chunkExtras = Object.fromEntries(Object.entries(extras).map(([n, parts]) => [n, parts[c]]));
      const loss = o.objective(logp, chunkExtras);
      logps.push(logp);
      losses.push(loss);
      if (!o.withGradient) return;
      const [coef] = gradients(loss, [logp]); // [rows]
      const c2 = op.unsqueeze(coef, [1]);
      let dh = op.mul(gatherRows(ts[c], embed, shards), c2);
      logits.forEach((l, s) => {
        const p = op.exp(op.sub(l, lse));
        const cp = op.mul(p, c2);
        dh = op.sub(dh, op.gemm(cp, embed[s], false, false));
        if (o.weightGradients) {
          // d logits = c * (onehot(target) - p); d E_s = d logits^T @ h.
          const size = shards[s].end - shards[s].start;
          const range = g.constant(Array.from({ length: size }, (_, i) => i), 'int32', [1, size], 'vocab_range');
          const onehot = op.cast(op.equal(op.unsqueeze(op.sub(ts[c], shards[s].start), [1]), range), 'float32');
          embedGrads[s] = sum(embedGrads[s], op.gemm(op.sub(op.mul(onehot, c2), cp), h, true, false));
        }
      });
      if (o.weightGradients) {
        const [dx, dnorm] = gradients(h, [xc, norm], dh);
        grads.push(dx);
        normGrad = sum(normGrad, dnorm);
      } else grads.push(gradients(h, [xc], dh)[0]);
    });
  });
  if (o.weightGradients) {
    g.output(normGrad!, FINAL_NORM_GRAD);
    embedGrads.forEach((t, s) => g.output(t!, embedShardGradName(s)));
  }
  g.output(op.concat(logps, 0), 'logprobs');
  g.output(losses.reduce((a, b) => op.add(a, b)), 'loss');
  if (o.withGradient) g.output(op.reshape(op.concat(grads, 0), [o.batch, o.seq, cfg.hiddenSize]), 'grad_hidden');
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
  /** New tokens per run: the prompt length for prefill, 1 for a decode step. */
  seq: number;
  /** KV cache length (max prompt + max new tokens). */
  cacheLen: number;
  lora: LoraSpec;
  shards: VocabShard[];
}

export const cacheName = (layer: number, which: 'k' | 'v') => `cache.${layer}.${which}`;
export const newCacheName = (layer: number, which: 'k' | 'v') => `new_cache.${layer}.${which}`;

/**
 * The whole model over a KV cache. Inputs: input_ids [B, T], `slot` one-hot [1, 1, S, 1] of the
 * cache slot written (T = 1), or slots 0..T-1 for a prefill (T > 1, written by padding);
 * per-layer-type masks [B, 1, T, S] and RoPE tables; every layer's weights (`model.layers.{i}.*`),
 * LoRA matrices (`lora.{i}.<module>.<A|B>`) and caches. Outputs the last position's logits
 * [B, V] and the updated caches.
 */
export function buildDecodeGraph(cfg: Gemma3Config, o: DecodeGraphOptions): Graph {
  const { batch, seq, cacheLen } = o;
  const g = new Graph(seq === 1 ? 'gemma3_decode' : 'gemma3_prefill');
  const ids = g.input('input_ids', 'int32', [batch, seq]);
  const embed = embedInputs(g, cfg, o.shards);
  const norm = g.input(FINAL_NORM, 'float32', [cfg.hiddenSize], { gpuResident: true });
  const loraScale = g.input('lora_scale', 'float32', []);
  const slot = seq === 1 ? g.input('slot', 'float32', [1, 1, cacheLen, 1]) : undefined;
  const byType = {} as Partial<Record<LayerType, { mask: Tensor; cos: Tensor; sin: Tensor }>>;
  // Only the layer types this model has (a model may have no full-attention layer, or no sliding one).
  for (const type of [...new Set(cfg.layerTypes)]) {
    byType[type] = {
      mask: g.input(`mask.${type}`, 'float32', [batch, 1, seq, cacheLen]),
      cos: g.input(`rope_cos.${type}`, 'float32', [batch, 1, seq, cfg.headDim]),
      sin: g.input(`rope_sin.${type}`, 'float32', [batch, 1, seq, cfg.headDim]),
    };
  }
  let x = op.mul(gatherRows(ids, embed, o.shards), embedScale(cfg.hiddenSize));
  for (let l = 0; l < cfg.numLayers; l++) {
    const { w, adapters } = layerInputs(g, cfg, o.lora, perLayerNaming(l));
    // Decode reads the previous caches and writes one slot; prefill starts from empty caches.
    const caches = slot ? (['k', 'v'] as const).map((which) => g.input(cacheName(l, which), 'float32', [batch, cfg.numKvHeads, cacheLen, cfg.headDim], { gpuResident: true })) : undefined;
    const write = (fresh: Tensor, which: 0 | 1) => {
      if (slot && caches) {
        const cache = caches[which];
        return op.add(op.mul(cache, op.sub(1, slot)), op.mul(op.expand(fresh, cache.shape), slot));
      }
      return op.pad(fresh, [0, 0, 0, 0, 0, 0, cacheLen - seq, 0]);
    };
    x = g.scope(`layer${l}`, () =>
      decoderLayer(cfg, {
        x,
        ...byType[cfg.layerTypes[l]]!,
        w,
        lora: adapters,
        loraScale,
        kv: {
          update: (k, v) => {
            const nk = write(k, 0);
            const nv = write(v, 1);
            g.output(nk, newCacheName(l, 'k'));
            g.output(nv, newCacheName(l, 'v'));
            return { k: nk, v: nv };
          },
        },
      }),
    );
  }
  const last = seq === 1 ? x : op.slice(x, [seq - 1], [seq], [1]);
  const h = nn.rmsNorm(op.reshape(last, [batch, cfg.hiddenSize]), norm, cfg.rmsNormEps, 1);
  g.output(softcap(op.concat(embed.map((e) => op.gemm(h, e, false, true)), 1), cfg.finalLogitSoftcapping), 'logits');
  return g;
}
