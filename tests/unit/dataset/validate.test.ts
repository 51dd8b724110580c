import { afterAll, describe, expect, it } from 'vitest';
import { parseDatasetText } from '../../../src/dataset/parse-rows';
import { goldInspector, validateRows } from '../../../src/dataset/validate';
import { SqlEvaluator } from '../../../src/sql/evaluator';
import { nodeWorkerFactory } from '../../../src/sql/worker-port-node';

const good = { question: 'How many heads are older than 56?', context: 'CREATE TABLE head (age INTEGER)', answer: 'SELECT COUNT(*) FROM head WHERE age > 56' };
const lines = [
  good,
  { question: 'q', context: 'CREATE TABLE head (age INTEGER)' },
  { question: 'q', context: '', answer: 'SELECT 1' },
  { question: 'q', context: 'CREATE TABLE t (a INT', answer: 'SELECT a FROM t' },
  { question: 'q', context: 'CREATE TABLE t (a INT)', answer: 'SELECT a FROM t; DROP TABLE t' },
  { question: 'q', context: 'CREATE TABLE t (a INT)', answer: 'SELECT b FROM t' },
  { question: 'q', context: 'CREATE TABLE t (a INT)', answer: 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c' },
  { question: 'Names in a?', context: 'CREATE TABLE t (name VARCHAR, a INT)', answer: 'SELECT name FROM t WHERE a = 1' },
].map((r) => JSON.stringify(r));
lines.splice(2, 0, '{oops');

describe('validateRows', () => {
  const evaluator = new SqlEvaluator(nodeWorkerFactory, { size: 2, stepTimeoutMs: 500 });
  afterAll(() => evaluator.close());

  it('counts, explains and skips every kind of bad row, never throwing', async () => {
    const parsed = parseDatasetText(lines.join('\n'), { format: 'jsonl' });
    const progress: number[] = [];
    const r = await validateRows(parsed, { source: 'upload', inspectGold: goldInspector(evaluator), onProgress: (d) => progress.push(d) });
    expect(r.examples.map((e) => e.id)).toEqual(['upload#0', 'upload#8']);
    expect(r.examples[0]).toMatchObject(good);
    expect(r.skipped.map((s) => [s.index, s.kind])).toEqual([
      [1, 'missing-field'],
      [2, 'unreadable-record'],
      [3, 'missing-field'],
      [4, 'bad-schema'],
      [5, 'gold-rejected'],
      [6, 'gold-error'],
      [7, 'gold-timeout'],
    ]);
    expect(r.skipped.find((s) => s.kind === 'gold-error')!.reason).toMatch(/no such column: b/);
    expect(r.skipped.find((s) => s.index === 3)!.reason).toBe('missing or empty: context (empty)');
    expect(r.skipped.find((s) => s.index === 4)!.reason).toMatch(/unbalanced parentheses/);
    expect(r.counts).toEqual({ total: 9, valid: 2, skipped: 7, byKind: { 'missing-field': 2, 'unreadable-record': 1, 'bad-schema': 1, 'gold-rejected': 1, 'gold-error': 1, 'gold-timeout': 1 } });
    expect(progress.at(-1)).toBe(4); // four rows reached the gold check
  });

  it('without a gold runner, does the structural checks only', async () => {
    const r = await validateRows(parseDatasetText(lines.join('\n'), { format: 'jsonl' }), { source: 's' });
    expect(r.counts.valid).toBe(4);
    expect(r.counts.byKind['gold-error']).toBeUndefined();
  });

  it('with a prompt check, skips rows no prompt fits under the check\'s kind and reason, and counts pruned prompts', async () => {
    const rows = [
      good,
      { question: 'q', context: 'CREATE TABLE t (a INT', answer: 'SELECT a FROM t' }, // bad schema: never reaches the check
      { question: 'Why?', context: 'CREATE TABLE t (a INT)', answer: 'SELECT a FROM t' },
      { question: 'Wide?', context: 'CREATE TABLE t (a INT)', answer: 'SELECT a FROM t' },
      { question: 'Pruned?', context: 'CREATE TABLE t (a INT)', answer: 'SELECT a FROM t' },
    ];
    const seen: string[] = [];
    const r = await validateRows(parseDatasetText(rows.map((x) => JSON.stringify(x)).join('\n'), { format: 'jsonl' }), {
      source: 's',
      checkPrompt: (row) => {
        seen.push(row.question);
        if (row.question === 'Why?') return { ok: false, kind: 'no-schema-link', reason: 'the question names no table or column' };
        if (row.question === 'Wide?') return { ok: false, kind: 'too-long', reason: 'prompt needs 300 tokens' };
        return { ok: true, pruned: row.question === 'Pruned?' };
      },
    });
    expect(seen).toEqual([good.question, 'Why?', 'Wide?', 'Pruned?']);
    expect(r.examples.map((e) => e.id)).toEqual(['s#0', 's#4']);
    expect(r.skipped).toEqual([
      { index: 1, kind: 'bad-schema', reason: expect.stringMatching(/unbalanced/) },
      { index: 2, kind: 'no-schema-link', reason: 'the question names no table or column' },
      { index: 3, kind: 'too-long', reason: 'prompt needs 300 tokens' },
    ]);
    expect(r.counts).toEqual({ total: 5, valid: 2, skipped: 3, byKind: { 'bad-schema': 1, 'no-schema-link': 1, 'too-long': 1 }, prompts: { checked: 4, pruned: 1, refused: 2 } });
  });
});
