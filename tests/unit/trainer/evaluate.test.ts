/**
 * Held-out evaluation: greedy decoding requested, execution accuracy judged by running the SQL on
 * the example's synthetic databases (real worker pool), format compliance by document 000's
 * structure. The policy here is scripted (known answers per question) so the expected numbers are
 * known; the tokenizer, extraction and SQL judging are the real ones.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatasetExample } from '../../../src/dataset/types';
import { evaluatePolicy, heldOutSubset } from '../../../src/grpo/evaluate';
import type { GenerateOptions, GenerateResult } from '../../../src/generate/generator';
import { SqlEvaluator } from '../../../src/sql/evaluator';
import { nodeWorkerFactory } from '../../../src/sql/worker-port-node';
import { gemmaTokenizer, sampleSplit } from './tiny-setup';

let executor: SqlEvaluator;
let heldOut: DatasetExample[];
beforeAll(async () => {
  heldOut = (await sampleSplit()).heldOut;
  executor = new SqlEvaluator(nodeWorkerFactory, { size: 1 });
}, 60_000);
afterAll(() => executor?.close());

describe('evaluatePolicy', () => {
  it('scores execution accuracy and format compliance of greedy completions', async () => {
    const tk = gemmaTokenizer();
    const examples = heldOutSubset(heldOut, 4);
    const [a, b, c, d] = examples;
    const answers = new Map<string, string>([
      [a.question, `<start_working_out>look up the table<end_working_out><SOLUTION>${a.answer}</SOLUTION>`], // right, formatted
      [b.question, b.answer], // right, bare query
      [c.question, '<start_working_out>guess<end_working_out><SOLUTION>SELECT 1</SOLUTION>'], // wrong, formatted
      [d.question, 'I do not know'], // neither
    ]);
    const calls: GenerateOptions[] = [];
    const scripted = {
      async generate(prompts: number[][], o: GenerateOptions): Promise<GenerateResult> {
        calls.push(o);
        const completions = prompts.map((p) => {
          const text = tk.decode(p);
          const q = [...answers.keys()].find((question) => text.includes(question));
          if (!q) throw new Error('prompt without a known question');
          return [...tk.encode(answers.get(q)!), tk.special.endOfTurn];
        });
        return { completions, finished: prompts.map(() => true), prefillMs: 0, decodeMs: 0, decodeSteps: 0, decodeRunMs: 0, decodeWaitMs: 0 };
      },
    };
    const result = await evaluatePolicy({ generator: scripted, tokenizer: tk, examples, executor, step: 7, maxPromptLength: 512, maxNewTokens: 64, batchSize: 3 });
    expect(calls.map((o) => o.temperature)).toEqual([0, 0]); // greedy, in batches of 3 then 1
    expect(result.record).toEqual({ step: 7, execution_accuracy: 0.5, format_compliance: 0.5, examples: 4, prompts_pruned: 0, prompts_refused: 0, unjudged: 0 });
    expect(result.examples.map((e) => [e.equivalent, e.formatOk])).toEqual([[true, true], [true, false], [false, true], [false, false]]);
    expect(result.refused).toEqual([]);
    // Prompts that cannot fit are left out and counted, with why.
    const tight = await evaluatePolicy({ generator: scripted, tokenizer: tk, examples, executor, step: 7, maxPromptLength: 40, maxNewTokens: 64 });
    expect(tight.refused.map((r) => r.kind)).toEqual(['budget-too-small', 'budget-too-small', 'budget-too-small', 'budget-too-small']);
    expect(tight.record).toMatchObject({ examples: 0, prompts_pruned: 0, prompts_refused: 4 });
    expect(tight.record.execution_accuracy).toBeNaN();
  }, 60_000);

  it('counts the prompts it pruned and refused next to the accuracy', async () => {
    const tk = gemmaTokenizer();
    const wide = Array.from({ length: 40 }, (_, i) => `reading_${i} INTEGER`).join(', ');
    const context = `CREATE TABLE singer (singer_id INTEGER, name VARCHAR); CREATE TABLE sensor (${wide})`;
    const examples: DatasetExample[] = [
      heldOut[0]!,
      { id: 'made#0', question: 'How many singers are there?', context, answer: 'SELECT count(*) FROM singer' },
      { id: 'made#1', question: 'Why is the sky blue?', context, answer: 'SELECT 1' },
    ];
    const scripted = {
      async generate(prompts: number[][]): Promise<GenerateResult> {
        const completions = prompts.map((p) => {
          const text = tk.decode(p);
          const e = examples.find((x) => text.includes(x.question));
          if (!e) throw new Error('prompt without a known question');
          if (e.id === 'made#0') expect(text).not.toContain('CREATE TABLE sensor');
          return [...tk.encode(`<start_working_out>x<end_working_out><SOLUTION>${e.answer}</SOLUTION>`), tk.special.endOfTurn];
        });
        return { completions, finished: prompts.map(() => true), prefillMs: 0, decodeMs: 0, decodeSteps: 0, decodeRunMs: 0, decodeWaitMs: 0 };
      },
    };
    // 200 tokens: the sample question fits whole; the wide table does not fit, and is pruned for
    // the question about singers but cannot be for a question that names nothing of the schema.
    expect(tk.encode(context).length).toBeGreaterThan(200);
    const result = await evaluatePolicy({ generator: scripted, tokenizer: tk, examples, executor, step: 3, maxPromptLength: 200, maxNewTokens: 64 });
    expect(result.record).toEqual({ step: 3, execution_accuracy: 1, format_compliance: 1, examples: 2, prompts_pruned: 1, prompts_refused: 1, unjudged: 0 });
    expect(result.refused).toMatchObject([{ id: 'made#1', kind: 'no-schema-link' }]);
    expect(result.refused[0]!.reason).toMatch(/names no table or column/);
  }, 60_000);

  it('uses a fixed subset of the held-out split', () => {
    expect(heldOutSubset(heldOut, 3).map((e) => e.id)).toEqual(heldOut.slice(0, 3).map((e) => e.id));
    expect(() => heldOutSubset(heldOut, 0)).toThrow(/positive integer/);
  });
});
