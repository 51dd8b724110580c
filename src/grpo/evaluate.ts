/**
 * Held-out evaluation of the policy: greedy (or seeded sampled) decoding on a fixed subset of the held-out split,
 * scored by execution accuracy (the execution-equivalence reward on the example's synthetic
 * databases) and format compliance (document 000's full structure). Run before training and every
 * eval_steps; the same prompts every time, so the numbers are comparable across steps.
 */
import type { DatasetExample } from '../dataset/types';
import type { Generator } from '../generate/generator';
import { promptInputOf, type PromptRefusal } from '../prompt/build-prompt';
import { extractSql } from '../prompt/extract-sql';
import { FULL_FORMAT } from '../rewards/format-rewards';
import { executionEquivalenceReward } from '../rewards/execution-rewards';
import type { GroupExecutor } from '../rewards/registry';
import { sqlExampleOf } from '../sql/example-suite';
import type { EvalRecord } from '../common/records';
import { Rng } from '../common/rng';
import { EVAL_BATCH_SIZE } from './memory-budget';
import { renderPrompt, type HintInjectionSettings, type PromptTokenizer } from './trainer-prompts';

export interface EvaluationOptions {
  generator: Pick<Generator, 'generate'>;
  tokenizer: PromptTokenizer;
  /** The held-out subset, in a fixed order (see heldOutSubset). */
  examples: readonly DatasetExample[];
  executor: GroupExecutor;
  step: number;
  maxPromptLength: number;
  maxNewTokens: number;
  /** Hints written into the prompts ('hints'/'both' modes evaluate the hinted policy). */
  hints?: HintInjectionSettings;
  /** Prompts decoded together. Default 8. */
  batchSize?: number;
  /** Sample instead of greedy decoding (a seeded stream: the same seed gives the same completions). */
  sampling?: { temperature: number; topK: number; topP: number; seed: number };
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface EvaluatedExample {
  id: string;
  text: string;
  sql: string | null;
  equivalent: boolean;
  /** False when the gold side could not be run, so there is no verdict (left out of the accuracy). */
  judged: boolean;
  formatOk: boolean;
}

export interface EvaluationResult {
  record: EvalRecord;
  examples: EvaluatedExample[];
  /** Held-out examples left out because no prompt could be built for them, with why. */
  refused: { id: string; kind: PromptRefusal; reason: string }[];
}

/** The first `size` held-out examples: a fixed subset (the split itself is seeded and order-independent). */
export function heldOutSubset(heldOut: readonly DatasetExample[], size: number): DatasetExample[] {
  if (!Number.isInteger(size) || size < 1) throw new Error(`evaluation subset size must be a positive integer, got ${size}`);
  return heldOut.slice(0, size);
}

export async function evaluatePolicy(o: EvaluationOptions): Promise<EvaluationResult> {
  const batchSize = o.batchSize ?? EVAL_BATCH_SIZE;
  const rendered: { example: DatasetExample; ids: number[] }[] = [];
  const refused: EvaluationResult['refused'] = [];
  let pruned = 0;
  for (const example of o.examples) {
    // The prompt a user's own question would get: built without the gold answer.
    const r = renderPrompt(promptInputOf(example), o.tokenizer, o.maxPromptLength, o.hints);
    if (r.ok) {
      rendered.push({ example, ids: r.prompt.ids });
      if (r.prompt.prunedTables.length > 0) pruned++;
    } else refused.push({ id: example.id, kind: r.kind, reason: r.reason });
  }
  const results: EvaluatedExample[] = [];
  const sampling = o.sampling ?? { temperature: 0, topK: 0, topP: 1, seed: 0 };
  const rng = Rng.fromSeed(sampling.seed, 'evaluation'); // unused when greedy
  o.onProgress?.(0, rendered.length);
  for (let start = 0; start < rendered.length; start += batchSize) {
    const chunk = rendered.slice(start, start + batchSize);
    const out = await o.generator.generate(
      chunk.map((c) => c.ids),
      { temperature: sampling.temperature, topK: sampling.topK, topP: sampling.topP, maxNewTokens: o.maxNewTokens, stopTokenIds: [...o.tokenizer.stopTokenIds], signal: o.signal },
      rng,
    );
    o.signal?.throwIfAborted();
    const scored = await Promise.all(
      chunk.map(async ({ example }, i) => {
        const text = o.tokenizer.decode(out.completions[i], { skipSpecial: true });
        const extracted = extractSql(text);
        const [execution] = extracted ? await o.executor.evaluateGroup(sqlExampleOf(example), [extracted.sql]) : [null];
        const equivalent = executionEquivalenceReward.score({ example, completion: text, extracted, execution: execution ?? null }).score === 1;
        // The gold side could not be run (its worker timed out or crashed): no verdict on this answer.
        const judged = !(execution && !execution.gold.ok && (execution.gold.kind === 'timeout' || execution.gold.kind === 'crashed'));
        return { id: example.id, text, sql: extracted?.sql ?? null, equivalent, judged, formatOk: FULL_FORMAT.test(text) };
      }),
    );
    results.push(...scored);
    o.onProgress?.(results.length, rendered.length);
  }
  const n = results.length;
  const judged = results.filter((r) => r.judged);
  return {
    record: {
      step: o.step,
      execution_accuracy: judged.length ? judged.filter((r) => r.equivalent).length / judged.length : NaN,
      format_compliance: n ? results.filter((r) => r.formatOk).length / n : NaN,
      examples: n,
      prompts_pruned: pruned,
      prompts_refused: refused.length,
      unjudged: n - judged.length,
    },
    examples: results,
    refused,
  };
}
