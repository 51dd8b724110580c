/**
 * No prompt is built from a gold answer: for every row, the prompt built from the row as it is
 * stored (gold SQL included) is identical to the one built from its question and schema alone,
 * at budgets where the schema fits, must be pruned, or cannot fit; through buildPrompt and through
 * renderPrompt (what training, held-out evaluation and the hint layer use), with the real Gemma-3
 * tokenizer. Rows: the shipped sample, plus Spider dev when ../shared/data/spider-dev is present.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDatasetText } from '../../../src/dataset/parse-rows';
import type { DatasetExample, SqlRow } from '../../../src/dataset/types';
import { renderPrompt } from '../../../src/grpo/trainer-prompts';
import { HintStore } from '../../../src/hints/store';
import { buildPrompt, promptInputOf, type PromptInput } from '../../../src/prompt/build-prompt';
import { gemmaTokenizer } from '../trainer/tiny-setup';

const SPIDER = resolve(process.cwd(), '../shared/data/spider-dev/spider_dev.jsonl');
const spiderPresent = existsSync(SPIDER);
if (!spiderPresent) console.warn(`Spider dev rows left out of the no-gold test: ${SPIDER} not found (it lives outside the repository, in ../shared).`);

const readRows = (text: string, format: 'json' | 'jsonl') => parseDatasetText(text, { format }).rows.filter((r): r is SqlRow => r !== null);
const sample = readRows(readFileSync(resolve(process.cwd(), 'public/data/sql-create-context-sample.json'), 'utf8'), 'json');
const sampleCount = sample.length;
const rows: SqlRow[] = [...sample, ...(spiderPresent ? readRows(readFileSync(SPIDER, 'utf8'), 'jsonl') : [])];

/** The row as stored, gold answer and all, passed where a prompt input goes (what the type forbids). */
const withAnswer = (row: SqlRow) => row as unknown as PromptInput;

/** One token per word or punctuation mark: cheap, so every row can be tried at many budgets. */
const words = (text: string) => text.match(/\w+|[^\w\s]/g)?.length ?? 0;

describe('prompts never see the gold answer', () => {
  it('the prompt input type has no room for an answer', () => {
    const example: DatasetExample = { id: 'x#0', question: 'How many heads?', context: 'CREATE TABLE head (age INTEGER)', answer: 'SELECT count(*) FROM head' };
    // @ts-expect-error a row with its gold SQL is not a prompt input: it must go through promptInputOf
    const typed: PromptInput = example;
    expect(promptInputOf(typed)).toEqual({ question: example.question, context: example.context });
    expect(Object.keys(promptInputOf(example))).toEqual(['question', 'context']);
  });

  it('buildPrompt gives the same result with and without the answer, whole, pruned or refused', { timeout: 60_000 }, () => {
    const kinds = new Map<string, number>();
    for (const row of rows) {
      const full = buildPrompt(promptInputOf(row), { countTokens: words, maxPromptTokens: 100_000 });
      if (!full.ok) throw new Error(`row does not build: ${row.question}`);
      for (const budget of [full.tokens, full.tokens - 8, Math.round(full.tokens * 0.6), 60]) {
        const expected = buildPrompt(promptInputOf(row), { countTokens: words, maxPromptTokens: budget });
        expect(buildPrompt(withAnswer(row), { countTokens: words, maxPromptTokens: budget })).toEqual(expected);
        const kind = expected.ok ? (expected.droppedTables.length > 0 ? 'pruned' : 'whole') : expected.reason;
        kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      }
    }
    // The comparison covered every outcome, pruning included (where an answer would have mattered).
    expect(kinds.get('whole')).toBeGreaterThan(100);
    expect(kinds.get('pruned')).toBeGreaterThan(spiderPresent ? 1000 : 20);
    for (const refusal of ['too-long', 'no-schema-link', 'budget-too-small']) expect(kinds.get(refusal), refusal).toBeGreaterThan(0);
  });

  it('renderPrompt (training, evaluation, the hint layer) gives the same ids with and without the answer', () => {
    const tk = gemmaTokenizer();
    const store = new HintStore();
    store.addHint({ pattern: 'agg:COUNT', weight: 0.6 });
    store.addHint({ pattern: 'join:LEFT', weight: -0.4, tables: ['singer', 'concert', 'treatments', 'matches'] });
    const hints = { hints: store.hints(), budgetTokens: 64 };
    let pruned = 0;
    let refused = 0;
    // Over-budget rows are what matters (the buildPrompt case covers the rest; the sample's rows
    // are all short: a tight budget for them). Hints on every other row.
    rows.forEach((row, i) => {
      const budget = i < sampleCount ? 140 : 256;
      const full = buildPrompt(promptInputOf(row), { countTokens: (t) => tk.encode(t).length, maxPromptTokens: 100_000 });
      if (full.ok && full.tokens <= budget) return;
      for (const h of i % 2 === 0 ? [undefined, hints] : [undefined]) {
        const expected = renderPrompt(promptInputOf(row), tk, budget, h);
        expect(renderPrompt(withAnswer(row), tk, budget, h)).toEqual(expected);
        if (expected.ok && expected.prompt.prunedTables.length > 0) pruned++;
        if (!expected.ok) refused++;
      }
    });
    expect(pruned).toBeGreaterThan(spiderPresent ? 200 : 0);
    expect(refused).toBeGreaterThan(0);
  }, 120_000);
});
