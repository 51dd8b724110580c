/**
 * Supervised examples as token ids and micro-batches. An example is its GRPO prompt (the same
 * renderPrompt, so warm-up and GRPO see identical prompts) followed by the completion the model
 * should write (completionTarget) and the end-of-turn token. Rows are right-padded to a bucketed
 * length; the loss reads the positions that predict completion tokens (or every real token with
 * completion_only_loss false), each weighted 1 / (tokens in the loss over the whole step), so the
 * step's loss is TRL's mean token NLL whatever the micro-batching.
 */
import type { DatasetExample } from '../dataset/types';
import { bucketLength } from '../grpo/trainer-batch';
import { renderPrompt, type PromptTokenizer } from '../grpo/trainer-prompts';
import { promptInputOf, type PromptRefusal } from '../prompt/build-prompt';
import { completionTarget } from '../prompt/target';
import type { SFTConfig } from './config';

export interface SftItem {
  promptIds: number[];
  /** Target ids, the end-of-turn token last (unless cut by max_length). */
  completionIds: number[];
  /** The completion was cut to fit max_length. */
  truncated: boolean;
  /** Tables pruned from the prompt's schema to fit max_prompt_length. */
  prunedTables: string[];
}

export type SftItemResult = { ok: true; item: SftItem } | { ok: false; kind: 'no-answer' | PromptRefusal; reason: string };

export function tokenizeExample(example: DatasetExample, tokenizer: PromptTokenizer, config: Pick<SFTConfig, 'max_length' | 'max_prompt_length'>): SftItemResult {
  if (typeof example.answer !== 'string' || example.answer.trim() === '') return { ok: false, kind: 'no-answer', reason: `example ${example.id} has no answer to learn from` };
  // The prompt comes from the question and schema only, as GRPO's and the user's will.
  const prompt = renderPrompt(promptInputOf(example), tokenizer, config.max_prompt_length);
  if (!prompt.ok) return { ok: false, kind: prompt.kind, reason: prompt.reason };
  const endOfTurn = tokenizer.stopTokenIds[0];
  const full = [...tokenizer.encode(completionTarget(example)), endOfTurn];
  const room = config.max_length - prompt.prompt.ids.length;
  return { ok: true, item: { promptIds: prompt.prompt.ids, completionIds: full.slice(0, room), truncated: full.length > room, prunedTables: prompt.prompt.prunedTables } };
}

export interface SftMicroBatch {
  inputIds: number[][];
  attentionMask: number[][];
  /** Per position b*T + t: the weight of log p(ids[b][t + 1]) in the loss (0 off the loss). */
  weights: Float32Array;
  /** Positions in the loss, ascending (for the runner's loss head). */
  lossRows: Int32Array;
  /** Real (unpadded) tokens. */
  tokens: number;
}

/** Splits a step's items into micro-batches of per_device_train_batch_size, in order. */
export function buildSftMicroBatches(items: readonly SftItem[], config: Pick<SFTConfig, 'per_device_train_batch_size' | 'completion_only_loss'>, padId: number): SftMicroBatch[] {
  if (items.length === 0) throw new Error('buildSftMicroBatches: no examples');
  const first = (it: SftItem) => (config.completion_only_loss ? it.promptIds.length - 1 : 0);
  const inLoss = items.reduce((n, it) => n + it.promptIds.length + it.completionIds.length - 1 - first(it), 0);
  if (inLoss <= 0) throw new Error('buildSftMicroBatches: no token is in the loss');
  const w = 1 / inLoss;
  const out: SftMicroBatch[] = [];
  for (let start = 0; start < items.length; start += config.per_device_train_batch_size) {
    const chunk = items.slice(start, start + config.per_device_train_batch_size);
    const seq = bucketLength(Math.max(...chunk.map((it) => it.promptIds.length + it.completionIds.length)));
    const weights = new Float32Array(chunk.length * seq);
    const rows: number[] = [];
    let tokens = 0;
    const inputIds = chunk.map((it, b) => {
      const ids = [...it.promptIds, ...it.completionIds];
      tokens += ids.length;
      for (let t = first(it); t < ids.length - 1; t++) {
        weights[b * seq + t] = w;
        rows.push(b * seq + t);
      }
      return [...ids, ...new Array<number>(seq - ids.length).fill(padId)];
    });
    const attentionMask = chunk.map((it) => Array.from({ length: seq }, (_, t) => (t < it.promptIds.length + it.completionIds.length ? 1 : 0)));
    out.push({ inputIds, attentionMask, weights, lossRows: Int32Array.from(rows), tokens });
  }
  return out;
}
