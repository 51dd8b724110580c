/**
 * Runs Gemma-3 step graphs on one backend: weights uploaded once (and shared by every session),
 * LoRA matrices as separate tensors, sessions compiled per batch shape and reused.
 *
 * A training step is split per layer: the forward keeps each layer's input (B*T*H floats), the
 * loss head turns the last hidden state into log-probs and d(loss)/d(hidden) chunk by chunk, and
 * the backward re-runs each layer's forward inside its backward graph (recomputation instead of
 * storing activations), from the last layer down, yielding the LoRA gradients.
 */
import type { LoraModuleName } from './peft';
import type { Gemma3Config, LayerType } from './config';
import type { TensorReader } from './safetensors';
import { GraphSession } from '../runtime/graph-session';
import { readTensor, TensorStore } from '../runtime/device';
import type { ort } from '../runtime/ort';
import * as op from '../graph/ops';
import { Graph } from '../graph/graph';
import { isProjectionWeight, LAYER_WEIGHTS, LORA_MODULES, layerWeightKey, layerWeightShape, loraInputName, type LoraSpec } from './gemma3-layer';
import { quantizeRowsFromChunks, scaleName } from './quantize';
import type { WeightDtype } from './weight-dtype';
import {
  buildEmbedBackwardGraph,
  buildEmbedGraph,
  buildLayerGraph,
  accumulatedName,
  buildLogitsGraph,
  buildLossChunkGraph,
  LOSS_INV_TEMPERATURE,
  embedShardGradName,
  embedShardName,
  FINAL_NORM,
  FINAL_NORM_GRAD,
  layerWeightGradName,
  vocabShards,
  type TokenObjective,
  type Trainable,
  type VocabShard,
} from './gemma3-graphs';
import { attentionMask, defaultPositions, ropeTables } from './positions';

export const EMBED_KEY = 'model.embed_tokens.weight';
export const loraKeyOf = (layer: number, module: LoraModuleName, which: 'A' | 'B') => `lora.${layer}.${module}.${which}`;

export interface Batch {
  /** Token ids [B][T] (all rows the same length; padding marked by attentionMask). */
  inputIds: number[][];
  /** 1 = real token, 0 = padding. */
  attentionMask: number[][];
  /** Position ids [B][T]; default 0..T-1. */
  positionIds?: number[][];
}

export interface LossRequest extends Batch {
  /** Per-token float inputs [B*T] of the objective (named as the objective expects). */
  perToken: Record<string, Float32Array>;
  /** Identifies `objective` for session caching. */
  objectiveKey: string;
  objective: TokenObjective;
  loraScale?: number;
  /** Score the policy that sampled at this temperature: softmax(logits / T) (default 1). */
  temperature?: number;
  /**
   * Only these rows (b*T + t, ascending) go through the loss head; the objective must not depend on
   * the others (e.g. GRPO, whose weights are 0 on prompt and padding positions). Far less work when
   * prompts are long: the head's cost is rows x vocabulary. Log-probs of the other rows come back 0.
   */
  lossRows?: Int32Array;
}

/** Selected rows padded to a bucket (padding repeats the first row with all per-token inputs 0). */
interface RowSelection {
  /** Row index per head row [padded]. */
  index: Int32Array;
  count: number;
  padded: number;
  /** Per full row: its head row, or `padded` (a zero row) when not selected. */
  back: Int32Array;
}

/** Selected row counts are rounded up to this, so sessions are reused across steps. */
const ROW_BUCKET = 32;

export interface LossResult {
  loss: number;
  /** log p(ids[b, t+1] | ids[b, <=t]) at row b*T + t (the last position of each row is 0). */
  logprobs: Float32Array;
  /**
   * d loss / d LoRA matrix, by loraKeyOf(layer, module, which); with trainable 'full' also
   * d loss / d weight under the weight's key in `weights` (HF key, FINAL_NORM, embedShardName).
   */
  grads: Map<string, ort.Tensor>;
}

export interface RunnerOptions {
  lora: LoraSpec;
  /**
   * What lossAndGradients differentiates: 'lora' (default) the LoRA matrices; 'full' every weight
   * (layer weights by their HF key, the final norm, the embedding shards) as well, for supervised
   * training of small models.
   */
  trainable?: Trainable;
  /** Rows of the loss head per chunk (bounds the [rows, vocab] logits alive at once). */
  chunkRows?: number;
  /**
   * How the frozen weights are stored on the device (default 'float32'). 'int8': the projections
   * and the embedding as symmetric int8 per output row (scales in float32, quantized here from the
   * checkpoint's values as they upload), dequantized inside each graph where read: a quarter of the
   * bytes. Norm weights stay float32. LoRA training only (trainable 'full' trains the weights).
   */
  weightDtype?: WeightDtype;
}

export class Gemma3Runner {
  readonly weights = new Map<string, ort.Tensor>();
  readonly lora = new Map<string, ort.Tensor>();
  private readonly sessions = new Map<string, Promise<GraphSession>>();
  readonly shards: VocabShard[];

  private constructor(
    readonly cfg: Gemma3Config,
    readonly store: TensorStore,
    readonly options: RunnerOptions,
  ) {
    if ((options.trainable ?? 'lora') === 'full' && (options.weightDtype ?? 'float32') !== 'float32') {
      throw new Error(`weight dtype ${options.weightDtype} stores frozen weights; trainable 'full' trains every weight and needs float32`);
    }
    // Sized for float32 rows also with 8-bit weights: a head dequantizes one whole shard into one buffer.
    this.shards = vocabShards(cfg.vocabSize, cfg.hiddenSize, Math.min(store.maxBindingBytes, 512 * 2 ** 20));
  }

  get weightDtype(): WeightDtype {
    return this.options.weightDtype ?? 'float32';
  }

  /**
   * A runner over this one's device weights with another LoRA setup: its own LoRA tensors and
   * sessions, no second copy of the model. Releasing it leaves the weights to this runner; a weight
   * replaced here later is not seen there (see sharesWeightsWith).
   */
  withSharedWeights(lora: LoraSpec): Gemma3Runner {
    const r = new Gemma3Runner(this.cfg, this.store, { ...this.options, lora });
    for (const [k, t] of this.weights) r.weights.set(k, t);
    r.weightsOwned = false;
    return r;
  }

  /** Whether every weight tensor is `owner`'s current one. */
  sharesWeightsWith(owner: Gemma3Runner): boolean {
    return this.weights.size === owner.weights.size && [...owner.weights].every(([k, t]) => this.weights.get(k) === t);
  }

  /** False for a runner made by withSharedWeights (release disposes its LoRA tensors only). */
  private weightsOwned = true;

  /** Streams every weight from `reader` into device tensors, one tensor at a time. */
  static async load(cfg: Gemma3Config, reader: TensorReader, store: TensorStore, options: RunnerOptions, onProgress?: (done: number, total: number) => void): Promise<Gemma3Runner> {
    const r = new Gemma3Runner(cfg, store, options);
    const int8 = r.weightDtype === 'int8';
    const wanted: { key: string; shape: number[]; quantize: boolean }[] = [{ key: FINAL_NORM, shape: [cfg.hiddenSize], quantize: false }];
    for (let l = 0; l < cfg.numLayers; l++) for (const n of LAYER_WEIGHTS) wanted.push({ key: layerWeightKey(l, n), shape: layerWeightShape(cfg, n), quantize: int8 && isProjectionWeight(n) });
    const total = wanted.length + 1;
    let done = 0;
    for (const { key, shape, quantize } of wanted) {
      if (!reader.has(key)) throw new Error(`checkpoint has no tensor ${key}`);
      const info = reader.info(key);
      if (info.shape.join(',') !== shape.join(',')) throw new Error(`checkpoint tensor ${key} has shape [${info.shape.join(', ')}], the config implies [${shape.join(', ')}]`);
      if (quantize) {
        const q = await quantizeRowsFromChunks(reader.readFloat32Chunks(key), shape[1], 0, shape[0]);
        r.weights.set(key, store.upload(q.bytes, shape));
        r.weights.set(scaleName(key), store.upload(q.scales, [shape[0]]));
      } else r.weights.set(key, await store.uploadChunks(shape, reader.readFloat32Chunks(key)));
      onProgress?.(++done, total);
    }
    await r.loadEmbedding(reader);
    onProgress?.(++done, total);
    return r;
  }

  /** The embedding, split into vocab shards as it streams in. */
  private async loadEmbedding(reader: TensorReader): Promise<void> {
    if (!reader.has(EMBED_KEY)) throw new Error(`checkpoint has no tensor ${EMBED_KEY}`);
    const { vocabSize: v, hiddenSize: h } = this.cfg;
    const shape = reader.info(EMBED_KEY).shape;
    if (shape[0] !== v || shape[1] !== h) throw new Error(`${EMBED_KEY} has shape [${shape.join(', ')}], expected [${v}, ${h}]`);
    for (let s = 0; s < this.shards.length; s++) {
      const { start, end } = this.shards[s];
      const rows = end - start;
      if (this.weightDtype === 'int8') {
        const q = await quantizeRowsFromChunks(reader.readFloat32Chunks(EMBED_KEY), h, start, end);
        this.weights.set(embedShardName(s), this.store.upload(q.bytes, [rows, h]));
        this.weights.set(scaleName(embedShardName(s)), this.store.upload(q.scales, [rows]));
        continue;
      }
      const store = this.store;
      async function* slice() {
        for await (const c of reader.readFloat32Chunks(EMBED_KEY)) {
          const from = Math.max(c.elementOffset, start * h);
          const to = Math.min(c.elementOffset + c.values.length, end * h);
          if (from < to) yield { elementOffset: from - start * h, values: c.values.subarray(from - c.elementOffset, to - c.elementOffset) };
        }
      }
      this.weights.set(embedShardName(s), await store.uploadChunks([rows, h], slice()));
    }
  }

  /** Sets (uploads) one LoRA matrix; A is [r, in], B is [out, r]. */
  setLora(layer: number, module: LoraModuleName, which: 'A' | 'B', values: Float32Array): void {
    const spec = this.options.lora.modules[module];
    if (!spec) throw new Error(`LoRA is not configured on ${module}`);
    const [out, inp] = layerWeightShape(this.cfg, `${module === 'gate_proj' || module === 'up_proj' || module === 'down_proj' ? 'mlp' : 'self_attn'}.${module}.weight` as never);
    const dims = which === 'A' ? [spec.rank, inp] : [out, spec.rank];
    if (values.length !== dims[0] * dims[1]) throw new Error(`LoRA ${module}.${which} of layer ${layer}: ${values.length} values for [${dims.join(', ')}]`);
    const key = loraKeyOf(layer, module, which);
    this.lora.get(key)?.dispose();
    this.lora.set(key, this.store.upload(values, dims));
  }

  /** Replaces a weight (a key of `weights`) by a tensor already on the device of the same shape. */
  setWeightTensor(key: string, t: ort.Tensor): void {
    const old = this.weights.get(key);
    if (!old) throw new Error(`the model has no weight ${key}`);
    if (old.dims.join(',') !== t.dims.join(',') || old.type !== t.type) throw new Error(`weight ${key} is ${old.type} [${old.dims.join(', ')}], got ${t.type} [${t.dims.join(', ')}]`);
    if (old !== t) old.dispose();
    this.weights.set(key, t);
  }

  get trainable(): Trainable {
    return this.options.trainable ?? 'lora';
  }

  /** Replaces a LoRA tensor by one already on the device (e.g. the optimizer's output). */
  setLoraTensor(key: string, t: ort.Tensor): void {
    const old = this.lora.get(key);
    if (old && old !== t) old.dispose();
    this.lora.set(key, t);
  }

  private session(key: string, build: () => import('../graph/graph').Graph): Promise<GraphSession> {
    let s = this.sessions.get(key);
    if (!s) {
      s = GraphSession.create(build(), this.store.backend, { preferredOutputLocation: 'gpu-buffer' });
      this.sessions.set(key, s);
      s.catch(() => this.sessions.delete(key));
    }
    return s;
  }

  private checkBatch(b: Batch): { batch: number; seq: number } {
    const batch = b.inputIds.length;
    const seq = b.inputIds[0]?.length ?? 0;
    if (!batch || !seq) throw new Error('batch is empty');
    for (let r = 0; r < batch; r++) {
      if (b.inputIds[r].length !== seq || b.attentionMask[r]?.length !== seq) throw new Error(`batch row ${r}: input ids and attention mask must all have length ${seq}`);
      for (const id of b.inputIds[r]) if (!Number.isInteger(id) || id < 0 || id >= this.cfg.vocabSize) throw new Error(`batch row ${r}: token id ${id} outside the vocabulary (0..${this.cfg.vocabSize - 1})`);
    }
    return { batch, seq };
  }

  private positionFeeds(b: Batch, batch: number, seq: number) {
    const positions = b.positionIds ?? defaultPositions(batch, seq);
    const byType = {} as Record<LayerType, Record<string, ort.Tensor>>;
    for (const type of new Set(this.cfg.layerTypes)) {
      const { cos, sin } = ropeTables(this.cfg, type, positions);
      byType[type] = {
        mask: this.store.upload(attentionMask(this.cfg, type, b.attentionMask, seq), [batch, 1, seq, seq]),
        rope_cos: this.store.upload(cos, [batch, 1, seq, this.cfg.headDim]),
        rope_sin: this.store.upload(sin, [batch, 1, seq, this.cfg.headDim]),
      };
    }
    return byType;
  }

  private layerFeeds(layer: number): Record<string, ort.Tensor> {
    const feeds: Record<string, ort.Tensor> = {};
    for (const n of LAYER_WEIGHTS) {
      feeds[`layer.${n}`] = this.weights.get(layerWeightKey(layer, n))!;
      const scale = this.weights.get(scaleName(layerWeightKey(layer, n)));
      if (scale) feeds[scaleName(`layer.${n}`)] = scale;
    }
    for (const m of LORA_MODULES) {
      if (!this.options.lora.modules[m]) continue;
      for (const which of ['A', 'B'] as const) {
        const t = this.lora.get(loraKeyOf(layer, m, which));
        if (!t) throw new Error(`LoRA ${m}.${which} of layer ${layer} is not set`);
        feeds[loraInputName(m, which)] = t;
      }
    }
    return feeds;
  }

  private embedFeeds(): Record<string, ort.Tensor> {
    const feeds: Record<string, ort.Tensor> = {};
    this.shards.forEach((_, s) => {
      for (const name of this.weightDtype === 'int8' ? [embedShardName(s), scaleName(embedShardName(s))] : [embedShardName(s)]) feeds[name] = this.weights.get(name)!;
    });
    return feeds;
  }

  /** Hidden states [x_0 .. x_L] ([B, T, H] each) of a forward pass. */
  async hiddenStates(b: Batch, loraScale = 1): Promise<ort.Tensor[]> {
    const { batch, seq } = this.checkBatch(b);
    const pos = this.positionFeeds(b, batch, seq);
    const embed = await this.session(`embed:${batch}x${seq}`, () => buildEmbedGraph(this.cfg, batch, seq, this.shards, this.weightDtype));
    const ids = this.store.upload(Int32Array.from(b.inputIds.flat()), [batch, seq]);
    const states = [(await embed.run({ input_ids: ids, ...this.embedFeeds() })).hidden];
    const fwd = await this.session(`layer_fwd:${batch}x${seq}`, () => buildLayerGraph(this.cfg, this.options.lora, batch, seq, 'forward', 'lora', this.weightDtype));
    const scale = this.store.upload(new Float32Array([loraScale]), []);
    for (let l = 0; l < this.cfg.numLayers; l++) {
      const out = await fwd.run({ hidden: states[l], ...pos[this.cfg.layerTypes[l]], lora_scale: scale, ...this.layerFeeds(l) });
      states.push(out.hidden_out);
    }
    disposeAll(ids, scale, ...Object.values(pos).flatMap((p) => Object.values(p)));
    return states;
  }

  /** Full logits [B, T, V] (for evaluation and tests; training never materialises these). */
  async logits(b: Batch, loraScale = 1): Promise<Float32Array> {
    const states = await this.hiddenStates(b, loraScale);
    const { batch, seq } = this.checkBatch(b);
    const head = await this.session(`logits:${batch}x${seq}`, () => buildLogitsGraph(this.cfg, batch, seq, this.shards, this.weightDtype));
    const out = await head.run({ hidden: states[states.length - 1], [FINAL_NORM]: this.weights.get(FINAL_NORM)!, ...this.embedFeeds() });
    const values = await readTensor(out.logits);
    disposeAll(out.logits, ...states);
    return values;
  }

  /**
   * Token log-probs only (no gradient), row b*T + t = log p(ids[b, t+1]) (0 at each row's last
   * position): the reference policy (loraScale 0) and the sampling policy's old log-probs, of
   * softmax(logits / temperature).
   */
  async logprobs(b: Batch, loraScale = 1, rows?: Int32Array, temperature = 1): Promise<Float32Array> {
    const { batch, seq } = this.checkBatch(b);
    const states = await this.hiddenStates(b, loraScale);
    const head = await this.lossHead(states[this.cfg.numLayers], b, batch, seq, rows, {}, { key: 'logprobs', objective: (logp) => op.reduceSum(logp, [0]), withGradient: false, temperature });
    disposeAll(...states);
    for (let r = 0; r < batch; r++) head.logprobs[r * seq + seq - 1] = 0;
    return head.logprobs;
  }

  /**
   * The loss head, one chunk of rows per session run (so one chunk's [rows, vocab] logits are alive
   * at a time, whatever order onnxruntime runs a graph's nodes in): the loss (summed over chunks),
   * log-probs at every row (0 off the selected rows) and, withGradient, d loss / d hidden [B, T, H]
   * (0 off the selected rows) and the head's weight gradients (trainable 'full').
   */
  private async lossHead(
    hidden: ort.Tensor,
    b: Batch,
    batch: number,
    seq: number,
    lossRows: Int32Array | undefined,
    perToken: Record<string, Float32Array>,
    o: { key: string; objective: TokenObjective; withGradient: boolean; weightGradients?: boolean; temperature?: number },
  ): Promise<{ loss: number; logprobs: Float32Array; gradHidden?: ort.Tensor; weightGrads: Record<string, ort.Tensor> }> {
    const total = batch * seq;
    const sel = lossRows ? selectRows(lossRows, total) : null;
    const index = sel ? sel.index : Int32Array.from({ length: total }, (_, i) => i);
    const chunkRows = Math.max(1, this.options.chunkRows ?? 512);
    const names = Object.keys(perToken).sort();
    const targets = targetsOf(b.inputIds, seq);
    const temperature = o.temperature ?? 1;
    if (!(temperature > 0 && Number.isFinite(temperature))) throw new Error(`loss head: temperature must be a positive number, got ${temperature}`);
    const invTemperature = this.store.upload(new Float32Array([1 / temperature]), []);
    const fixed = { [FINAL_NORM]: this.weights.get(FINAL_NORM)!, [LOSS_INV_TEMPERATURE]: invTemperature, ...this.embedFeeds() };
    const reads: Promise<void>[] = [];
    const losses: number[] = [];
    const headLogprobs = new Float32Array(index.length);
    const parts: ort.Tensor[] = [];
    let weightGrads: Record<string, ort.Tensor> = {};
    try {
      for (let start = 0; start < index.length; start += chunkRows) {
        const rows = Math.min(chunkRows, index.length - start);
        const accumulate = !!o.weightGradients && start > 0;
        const session = await this.session(`loss_chunk:${o.key}:${batch}x${seq}:${rows}:${o.withGradient}:${o.weightGradients ?? false}:${accumulate}`, () =>
          buildLossChunkGraph(this.cfg, this.shards, { batch, seq, rows, perTokenInputs: names, objective: o.objective, withGradient: o.withGradient, weightGradients: o.weightGradients, accumulate, temperature: true, weightDtype: this.weightDtype }),
        );
        const at = index.subarray(start, start + rows);
        const pickFrom = <T extends Float32Array | Int32Array>(values: T, count: number): T => {
          const out = new (values.constructor as { new (n: number): T })(rows);
          // Rows past the selection (bucket padding) keep per-token inputs 0.
          for (let i = 0; i < rows; i++) out[i] = start + i < count ? values[at[i]] : 0;
          return out;
        };
        const count = sel ? sel.count : total;
        const feeds: Record<string, ort.Tensor> = { hidden, rows: this.store.upload(at.slice(), [rows]), targets: this.store.upload(pickFrom(targets, index.length), [rows]), ...fixed };
        for (const n of names) feeds[n] = this.store.upload(pickFrom(perToken[n], count), [rows]);
        for (const [name, t] of Object.entries(weightGrads)) feeds[accumulatedName(name)] = t;
        const out = await session.run(feeds);
        disposeAll(feeds.rows, feeds.targets, ...names.map((n) => feeds[n]), ...Object.values(weightGrads));
        const c = losses.length;
        losses.push(0);
        reads.push(
          this.store.read(out.loss).then((v) => {
            losses[c] = v[0];
            disposeAll(out.loss);
          }),
          this.store.read(out.logprobs).then((v) => {
            headLogprobs.set(v as Float32Array, start);
            disposeAll(out.logprobs);
          }),
        );
        if (o.withGradient) parts.push(out.grad_rows);
        if (o.weightGradients) weightGrads = Object.fromEntries(Object.entries(out).filter(([k]) => k !== 'loss' && k !== 'logprobs' && k !== 'grad_rows'));
      }
    } catch (e) {
      // A failed run: let the readbacks already queued settle, free what the chunks made, report the failure.
      await Promise.allSettled(reads);
      disposeAll(...parts, ...Object.values(weightGrads), invTemperature);
      throw e;
    }
    disposeAll(invTemperature);
    const gradHidden = o.withGradient ? await this.assembleRows(parts, batch, seq, sel) : undefined;
    disposeAll(...parts);
    await Promise.all(reads);
    return { loss: losses.reduce((a, v) => a + v, 0), logprobs: spread(headLogprobs, sel, total), gradHidden, weightGrads };
  }

  /** Chunks' gradients [rows_i, H] (in selection order) -> [B, T, H], zero on rows not selected. */
  private async assembleRows(parts: ort.Tensor[], batch: number, seq: number, sel: RowSelection | null): Promise<ort.Tensor> {
    const h = this.cfg.hiddenSize;
    const sizes = parts.map((p) => p.dims[0]);
    const assemble = await this.session(`assemble_rows:${batch}x${seq}:${sizes.join(',')}:${!!sel}`, () => {
      const g = new Graph('assemble_rows');
      const xs = sizes.map((n, i) => g.input(`part.${i}`, 'float32', [n, h], { gpuResident: true }));
      const all = sel ? [...xs, g.constant(new Array(h).fill(0), 'float32', [1, h], 'zero_row')] : xs;
      const joined = all.length > 1 ? op.concat(all, 0) : op.identity(all[0]);
      const rows = sel ? op.gather(joined, g.input('back', 'int32', [batch * seq]), 0) : joined;
      g.output(op.reshape(rows, [batch, seq, h]), 'grad_hidden');
      return g;
    });
    const feeds: Record<string, ort.Tensor> = Object.fromEntries(parts.map((p, i) => [`part.${i}`, p]));
    if (sel) feeds.back = this.store.upload(sel.back, [batch * seq]);
    const out = await assemble.run(feeds);
    disposeAll(feeds.back);
    return out.grad_hidden;
  }

  /** Loss, token log-probs and LoRA gradients for one batch under a per-token objective. */
  async lossAndGradients(req: LossRequest): Promise<LossResult> {
    const { batch, seq } = this.checkBatch(req);
    const rows = batch * seq;
    const loraScale = req.loraScale ?? 1;
    const states = await this.hiddenStates(req, loraScale);
    for (const [n, v] of Object.entries(req.perToken)) if (v.length !== rows) throw new Error(`per-token input ${n} has ${v.length} values, expected ${rows}`);
    const full = this.trainable === 'full';
    const head = await this.lossHead(states[this.cfg.numLayers], req, batch, seq, req.lossRows, req.perToken, {
      key: `${req.objectiveKey}:${this.trainable}`,
      objective: req.objective,
      withGradient: true,
      weightGradients: full,
      temperature: req.temperature,
    });
    const { loss, logprobs } = head;

    const bwd = await this.session(`layer_bwd:${batch}x${seq}:${this.trainable}`, () => buildLayerGraph(this.cfg, this.options.lora, batch, seq, 'backward', this.trainable, this.weightDtype));
    const pos = this.positionFeeds(req, batch, seq);
    const scale = this.store.upload(new Float32Array([loraScale]), []);
    let grad = head.gradHidden!;
    const grads = new Map<string, ort.Tensor>();
    for (let l = this.cfg.numLayers - 1; l >= 0; l--) {
      const out = await bwd.run({ hidden: states[l], grad_out: grad, ...pos[this.cfg.layerTypes[l]], lora_scale: scale, ...this.layerFeeds(l) });
      disposeAll(grad, states[l + 1]);
      grad = out.grad_hidden;
      for (const [name, t] of Object.entries(out)) {
        const m = /^grad\.lora\.(\w+)\.(A|B)$/.exec(name);
        if (m) grads.set(loraKeyOf(l, m[1] as LoraModuleName, m[2] as 'A' | 'B'), t);
      }
      if (full) for (const n of LAYER_WEIGHTS) grads.set(layerWeightKey(l, n), out[layerWeightGradName(n)]);
    }
    if (full) {
      // The tied embedding's gradient: the lookup's share (from d hidden_0) plus the head's.
      grads.set(FINAL_NORM, head.weightGrads[FINAL_NORM_GRAD]);
      const embedBwd = await this.session(`embed_bwd:${batch}x${seq}`, () => buildEmbedBackwardGraph(this.cfg, batch, seq, this.shards));
      const ids = this.store.upload(Int32Array.from(req.inputIds.flat()), [batch, seq]);
      const headGrads = Object.fromEntries(this.shards.map((_, s) => [`head.${embedShardGradName(s)}`, head.weightGrads[embedShardGradName(s)]]));
      const out = await embedBwd.run({ input_ids: ids, grad_hidden: grad, ...this.embedFeeds(), ...headGrads });
      this.shards.forEach((_, s) => grads.set(embedShardName(s), out[embedShardGradName(s)]));
      disposeAll(ids, ...Object.values(headGrads));
    }
    disposeAll(grad, states[0], scale, ...Object.values(pos).flatMap((p) => Object.values(p)));
    for (let r = 0; r < batch; r++) logprobs[r * seq + seq - 1] = 0;
    return { loss, logprobs, grads };
  }

  async release(): Promise<void> {
    for (const s of this.sessions.values()) await (await s).release().catch(() => undefined);
    this.sessions.clear();
    disposeAll(...(this.weightsOwned ? this.weights.values() : []), ...this.lora.values());
    this.weights.clear();
    this.lora.clear();
  }
}

function selectRows(rows: Int32Array, total: number): RowSelection {
  if (rows.length === 0) throw new Error('lossRows is empty');
  for (let i = 0; i < rows.length; i++) {
    if (!Number.isInteger(rows[i]) || rows[i] < 0 || rows[i] >= total || (i > 0 && rows[i] <= rows[i - 1])) throw new Error(`lossRows must be ascending row indices in [0, ${total}); entry ${i} is ${rows[i]}`);
  }
  const padded = Math.ceil(rows.length / ROW_BUCKET) * ROW_BUCKET;
  const index = new Int32Array(padded).fill(rows[0]);
  index.set(rows);
  const back = new Int32Array(total).fill(padded);
  rows.forEach((r, i) => (back[r] = i));
  return { index, count: rows.length, padded, back };
}

/** Head-row values back at their rows of the full [B*T] layout (0 elsewhere). */
function spread(values: Float32Array, sel: RowSelection | null, total: number): Float32Array {
  if (!sel) return values;
  const out = new Float32Array(total);
  for (let i = 0; i < sel.count; i++) out[sel.index[i]] = values[i];
  return out;
}

/** Next-token targets, row-major [B*T]: ids[b][t+1], 0 at the last position. */
function targetsOf(inputIds: number[][], seq: number): Int32Array {
  const targets = new Int32Array(inputIds.length * seq);
  inputIds.forEach((row, r) => row.forEach((_, t) => (targets[r * seq + t] = t + 1 < seq ? row[t + 1] : 0)));
  return targets;
}

function disposeAll(...ts: (ort.Tensor | undefined)[]): void {
  for (const t of ts) if (t && t.location !== 'cpu') t.dispose();
}
