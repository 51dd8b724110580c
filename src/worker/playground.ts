/**
 * The playground: one question answered by the model a run loaded, with the base weights (LoRA
 * scale 0, so the adapter's tensors are never touched) and/or the run's adapter, the text streamed
 * as each decode run's tokens arrive, and the extracted SQL run on the schema's synthetic databases
 * by the SQL workers (the same prompt, extraction and databases as training and evaluation).
 */
import type { Generator } from '../generate/generator';
import { Rng } from '../common/rng';
import { renderPrompt, type PromptTokenizer } from '../grpo/trainer-prompts';
import { promptInputOf } from '../prompt/build-prompt';
import { extractSql } from '../prompt/extract-sql';
import type { SqlEvaluator } from '../sql/evaluator';
import { adapterSourceProblem } from './playground-adapters';
import type { PlaygroundChunk, PlaygroundOutput, PlaygroundRequest, PlaygroundResult } from './training-api';

/** Longest answer the playground asks for (the dashboard's field allows no more). */
export const PLAYGROUND_MAX_NEW_TOKENS = 1024;

export interface PlaygroundContext {
  generator: Pick<Generator, 'generate'>;
  /**
   * Generates the 'adapter' output when the adapter is not the run's own (a checkpoint's, imported
   * files'); `generator` (LoRA scale 0) still gives the base.
   */
  adapterGenerator?: Pick<Generator, 'generate'>;
  /** Names the adapter output's source (default "current run"). */
  adapterLabel?: string;
  tokenizer: PromptTokenizer;
  executor: Pick<SqlEvaluator, 'evaluate'>;
  maxPromptLength: number;
  /** The model has a LoRA adapter to generate with. */
  hasAdapter: boolean;
}

/** Every problem with a request, [] when it can run. */
export function playgroundProblems(r: PlaygroundRequest, hasAdapter: boolean): string[] {
  const problems: string[] = [];
  if (typeof r.question !== 'string' || !r.question.trim()) problems.push('type a question');
  if (typeof r.context !== 'string' || !r.context.trim()) problems.push('give the schema (CREATE TABLE statements)');
  if (r.gold !== undefined && typeof r.gold !== 'string') problems.push('the reference query must be text');
  if (!Array.isArray(r.models) || r.models.length === 0) problems.push('choose the base model, the adapter, or both');
  else {
    for (const m of r.models) if (m !== 'base' && m !== 'adapter') problems.push(`model must be 'base' or 'adapter', got ${JSON.stringify(m)}`);
    if (new Set(r.models).size !== r.models.length) problems.push('a model is listed twice');
    if (r.models.includes('adapter') && !hasAdapter) problems.push('the loaded model has no LoRA adapter (a hints-only run trains none): choose the base model');
  }
  if (typeof r.temperature !== 'number' || !(r.temperature >= 0) || !Number.isFinite(r.temperature)) problems.push(`temperature must be a finite number >= 0, got ${r.temperature}`);
  if (typeof r.topP !== 'number' || !(r.topP > 0 && r.topP <= 1)) problems.push(`top_p must be in (0, 1], got ${r.topP}`);
  if (!Number.isInteger(r.maxNewTokens) || r.maxNewTokens < 1 || r.maxNewTokens > PLAYGROUND_MAX_NEW_TOKENS) problems.push(`max new tokens must be an integer from 1 to ${PLAYGROUND_MAX_NEW_TOKENS}, got ${r.maxNewTokens}`);
  if (r.seed !== undefined && !Number.isInteger(r.seed)) problems.push(`seed must be an integer, got ${r.seed}`);
  const source = adapterSourceProblem(r.adapter);
  if (source !== null) problems.push(source);
  return problems;
}

export async function runPlayground(ctx: PlaygroundContext, r: PlaygroundRequest, onChunk?: (c: PlaygroundChunk) => void): Promise<PlaygroundResult> {
  const problems = playgroundProblems(r, ctx.hasAdapter || !!ctx.adapterGenerator);
  if (problems.length) throw new Error(`the playground cannot generate: ${problems.join('; ')}`);
  const rendered = renderPrompt(promptInputOf({ question: r.question, context: r.context }), ctx.tokenizer, ctx.maxPromptLength);
  if (!rendered.ok) throw new Error(`no prompt can be built for this question and schema: ${rendered.reason}`);
  const { ids } = rendered.prompt;
  const outputs: PlaygroundOutput[] = [];
  for (const model of r.models) {
    const t0 = performance.now();
    // Each model gets the same seeded stream, so base and adapter sample from equal uniforms.
    const rng = Rng.fromSeed(r.seed ?? 0, 'playground');
    const generator = model === 'adapter' && ctx.adapterGenerator ? ctx.adapterGenerator : ctx.generator;
    const out = await generator.generate(
      [ids],
      {
        temperature: r.temperature,
        topK: 0,
        topP: r.topP,
        maxNewTokens: r.maxNewTokens,
        stopTokenIds: [...ctx.tokenizer.stopTokenIds],
        loraScale: model === 'base' ? 0 : 1,
        onTokens: onChunk && ((c) => onChunk({ model, text: ctx.tokenizer.decode(c[0]!, { skipSpecial: true }), tokens: c[0]!.length })),
      },
      rng,
    );
    const completion = out.completions[0]!;
    const text = ctx.tokenizer.decode(completion, { skipSpecial: true });
    const sql = extractSql(text)?.sql ?? null;
    const execution = sql === null ? null : await execute(ctx.executor, r, sql);
    const output: PlaygroundOutput = { model, text, sql, tokens: completion.length, finished: out.finished[0]!, execution, ms: performance.now() - t0 };
    if (model === 'adapter') output.adapterLabel = ctx.adapterLabel ?? 'current run';
    outputs.push(output);
  }
  return { outputs, promptTokens: ids.length, prunedTables: rendered.prompt.prunedTables };
}

/** Strips the suite's wording about a gold query: here the query run is the model's own. */
function ownQueryMessage(message: string): string {
  return message.replace(/^gold query rejected: /, '').replace(/^gold query failed on synthetic database \d+: /, '');
}

async function execute(executor: PlaygroundContext['executor'], r: PlaygroundRequest, sql: string): Promise<NonNullable<PlaygroundOutput['execution']>> {
  // The query is its own reference: the databases are built for its literals, as for a gold query.
  const own = await executor.evaluate({ context: r.context, gold: sql, question: r.question }, sql);
  if (!own.gold.ok) return { columns: [], rows: [], error: ownQueryMessage(own.gold.message) };
  if (!own.candidate || own.candidate.status !== 'ok') return { columns: [], rows: [], error: own.candidate?.error ?? 'the query did not run' };
  const shown = own.candidate.preview ?? { columns: [], rows: [] };
  const result: NonNullable<PlaygroundOutput['execution']> = { columns: shown.columns, rows: shown.rows };
  if (r.gold?.trim()) {
    const judged = await executor.evaluate({ context: r.context, gold: r.gold, question: r.question }, sql);
    if (judged.gold.ok && judged.candidate) result.equivalent = judged.candidate.equivalent;
  }
  return result;
}

