/**
 * The dataset of a run with prompts checked up front (real Gemma-3 tokenizer, real prompt path):
 * rows no prompt fits are skipped with a per-row reason and counted by kind in the report, pruned
 * prompts are counted, and nothing throws on bad input.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { parseDatasetText } from '../../../src/dataset/parse-rows';
import { goldInspector } from '../../../src/dataset/validate';
import { SqlEvaluator } from '../../../src/sql/evaluator';
import { nodeWorkerFactory } from '../../../src/sql/worker-port-node';
import { prepareDataset, promptCheck } from '../../../src/worker/trainer-data';
import { gemmaTokenizer } from './tiny-setup';

const wide = Array.from({ length: 60 }, (_, i) => `reading_${i} INTEGER`).join(', ');
const schema = `CREATE TABLE singer (singer_id INTEGER, name VARCHAR, age INTEGER); CREATE TABLE sensor (${wide})`;
const rows = [
  ...Array.from({ length: 6 }, (_, i) => ({ question: `How many singers are older than ${20 + i}?`, context: 'CREATE TABLE singer (singer_id INTEGER, name VARCHAR, age INTEGER)', answer: `SELECT count(*) FROM singer WHERE age > ${20 + i}` })),
  { question: 'What is the average age of singers?', context: schema, answer: 'SELECT avg(age) FROM singer' }, // pruned: sensor goes
  { question: 'Why is the sky blue?', context: schema, answer: 'SELECT 1' }, // links to nothing
  { question: 'Which reading is the highest?', context: `CREATE TABLE sensor (${wide}, ${wide.replace(/reading_/g, 'other_')})`, answer: 'SELECT max(reading_1) FROM sensor' }, // one table, too long
  { question: 'How many?', context: 'CREATE TABLE singer (singer_id INTEGER', answer: 'SELECT 1' }, // does not parse
];
describe('prepareDataset with prompt checks', () => {
  const evaluator = new SqlEvaluator(nodeWorkerFactory, { size: 1 });
  afterAll(() => evaluator.close());
  const inspectGold = goldInspector(evaluator);

  it('skips and reports rows no prompt fits, by reason, and counts pruned prompts', async () => {
    const parsed = parseDatasetText(JSON.stringify(rows), { format: 'json' });
    const data = await prepareDataset({ kind: 'upload', name: 'mine.json', text: '' }, parsed, { seed: 1, inspectGold, prompts: { tokenizer: gemmaTokenizer(), maxPromptLength: 256 } });
    const r = data.report;
    expect(r).toMatchObject({ total: 10, usable: 7, skipped: 3, byKind: { 'no-schema-link': 1, 'too-long': 1, 'bad-schema': 1 } });
    expect(r.prompts).toEqual({ maxPromptLength: 256, checked: 9, pruned: 1, refused: 2 });
    expect(r.skippedExamples.map((p) => [p.index, p.kind])).toEqual([
      [7, 'no-schema-link'],
      [8, 'too-long'],
      [9, 'bad-schema'],
    ]);
    expect(r.skippedExamples[0]!.reason).toMatch(/names no table or column/);
    expect(r.skippedExamples[1]!.reason).toMatch(/one table \(sensor\)/);
    expect([...data.train, ...data.heldOut].map((e) => e.id).sort()).toEqual(['mine.json#0', 'mine.json#1', 'mine.json#2', 'mine.json#3', 'mine.json#4', 'mine.json#5', 'mine.json#6']);
  }, 60_000);

  it('a budget below the system prompt refuses every row with that reason, and the run cannot start', async () => {
    const parsed = parseDatasetText(JSON.stringify(rows), { format: 'json' });
    expect(promptCheck(rows[0]!, { tokenizer: gemmaTokenizer(), maxPromptLength: 50 })).toMatchObject({ ok: false, kind: 'budget-too-small', reason: expect.stringMatching(/system prompt and question alone take \d+ tokens, over the budget of 50/) });
    const failed = await prepareDataset({ kind: 'upload', name: 'mine.json', text: '' }, parsed, { seed: 1, inspectGold, prompts: { tokenizer: gemmaTokenizer(), maxPromptLength: 50 } }).catch((e: unknown) => e);
    expect(String(failed)).toMatch(/0 usable row\(s\) of 10.*system prompt and question alone/);
  }, 60_000);
});
