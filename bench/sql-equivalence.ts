/**
 * Measures the SQL equivalence judge and reward throughput.
 *
 *   npx tsx bench/sql-equivalence.ts [--spider PATH] [--limit N] [--verbose]
 *
 * On the shipped sample (public/data) and on Spider dev (read at run time from
 * ../shared/data/spider-dev/spider_dev.jsonl; skipped with a message when absent):
 *  - gold queries that build and execute on their synthetic databases
 *  - gold judged equivalent to itself (must be 100%) and the share of databases where gold returns rows
 *  - gold judged equivalent to meaning-preserving rewrites (bench/sql-variants.ts)
 *  - deliberately wrong variants caught (judged not equivalent)
 * Then rewards scored per second for groups of 8 completions through the worker pool.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadSqlJs } from '../src/sql/sqljs-loader';
import { buildExampleSuite, evaluateOnSuite, ExampleSuiteError } from '../src/sql/example-suite';
import { SqlEvaluator } from '../src/sql/evaluator';
import { nodeWorkerFactory } from '../src/sql/worker-port-node';
import { parseDatasetText } from '../src/dataset/parse-rows';
import { RewardRegistry, ALL_REWARDS } from '../src/rewards/registry';
import type { SqlRow } from '../src/dataset/types';
import { CLASSIC_MUTANTS, MUTANTS, REWRITES, mutants as mutantsOf, mutate, rewrite, type MutantKind, type RewriteKind } from './sql-variants';

const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const verbose = args.includes('--verbose');
const limit = Number(arg('--limit') ?? Infinity);
const root = resolve(import.meta.dirname, '..');
const spiderPath = resolve(root, arg('--spider') ?? '../shared/data/spider-dev/spider_dev.jsonl');

interface Tally {
  n: number;
  hits: number;
}
const pct = (t: Tally) => (t.n === 0 ? 'n/a' : `${((100 * t.hits) / t.n).toFixed(1)}% (${t.hits}/${t.n})`);

async function measureEquivalence(name: string, rows: SqlRow[]) {
  const SQL = await loadSqlJs();
  const t0 = performance.now();
  const built: Tally = { n: 0, hits: 0 };
  const self: Tally = { n: 0, hits: 0 };
  const nonEmpty: Tally = { n: 0, hits: 0 };
  const rewrites = Object.fromEntries(REWRITES.map((k) => [k, { n: 0, hits: 0 }])) as Record<RewriteKind, Tally>;
  const mutants = Object.fromEntries(MUTANTS.map((k) => [k, { n: 0, hits: 0, errors: 0 }])) as Record<MutantKind, Tally & { errors: number }>;
  const goldFailures: Record<string, number> = {};
  const misses: string[] = [];
  for (const r of rows) {
    built.n++;
    let suite;
    try {
      suite = buildExampleSuite(SQL, { context: r.context, gold: r.answer, question: r.question });
    } catch (e) {
      const kind = e instanceof ExampleSuiteError ? e.kind : 'exception';
      goldFailures[kind] = (goldFailures[kind] ?? 0) + 1;
      if (verbose) misses.push(`gold ${kind}: ${r.answer} :: ${(e as Error).message}`);
      continue;
    }
    built.hits++;
    self.n++;
    if (evaluateOnSuite(suite, r.answer).equivalent) self.hits++;
    else misses.push(`self: ${r.answer}`);
    nonEmpty.n += suite.goldResults.length;
    nonEmpty.hits += suite.goldResults.filter((g) => g.rows.length > 0).length;
    for (const k of REWRITES) {
      const v = rewrite(r.answer, k);
      if (v === null) continue;
      rewrites[k].n++;
      const e = evaluateOnSuite(suite, v);
      if (e.equivalent) rewrites[k].hits++;
      else if (verbose) misses.push(`rewrite ${k}: ${v} :: ${e.error ?? e.verdicts.find((x) => !x.equal)?.reason}`);
    }
    for (const k of MUTANTS) {
      for (const v of mutantsOf(r.answer, r.context, k)) {
        mutants[k].n++;
        const e = evaluateOnSuite(suite, v);
        if (!e.equivalent) mutants[k].hits++;
        else if (verbose) misses.push(`mutant ${k} not caught: ${v}`);
        if (e.status !== 'ok') mutants[k].errors++;
      }
    }
    suite.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  const allMutants = MUTANTS.reduce((a, k) => ({ n: a.n + mutants[k].n, hits: a.hits + mutants[k].hits }), { n: 0, hits: 0 });
  console.log(`\n## ${name}: ${rows.length} examples (${seconds.toFixed(1)} s)`);
  console.log(`| measure | result |\n|---|---|`);
  console.log(`| gold builds and executes on all synthetic databases | ${pct(built)} |`);
  if (Object.keys(goldFailures).length > 0) console.log(`| gold failures by kind | ${JSON.stringify(goldFailures)} |`);
  console.log(`| gold equivalent to itself | ${pct(self)} |`);
  console.log(`| synthetic databases where gold returns rows | ${pct(nonEmpty)} |`);
  for (const k of REWRITES) console.log(`| equivalent to rewrite: ${k} | ${pct(rewrites[k])} |`);
  for (const k of MUTANTS) console.log(`| wrong variant caught: ${k} | ${pct(mutants[k])}, of which ${mutants[k].errors} fail to run |`);
  console.log(`| wrong variants caught, all kinds | ${pct(allMutants)} |`);
  if (misses.length > 0) console.log(`\n${misses.length} misses${verbose ? ':\n' + misses.join('\n') : ' (run with --verbose to list them)'}`);
  return { self };
}

const wrap = (sql: string) => `<start_working_out>Find the table and the filter, then write the query.<end_working_out>\n<SOLUTION>${sql}</SOLUTION>`;

/** Eight completions: gold, three rewrites, four wrong variants (gold again where one does not apply). */
function groupFor(r: SqlRow): string[] {
  const rw = (['reformat', 'aliases', 'reorder-and'] as const).map((k) => rewrite(r.answer, k) ?? r.answer);
  const mu = CLASSIC_MUTANTS.map((k) => mutate(r.answer, r.context, k) ?? r.answer);
  return [r.answer, ...rw, ...mu].map(wrap);
}

async function measureThroughput(rows: SqlRow[]) {
  const evaluator = new SqlEvaluator(nodeWorkerFactory, { size: 2 });
  await evaluator.warmUp();
  const presets = { default: RewardRegistry.preset('default'), all: new RewardRegistry(ALL_REWARDS.map((reward) => ({ reward, weight: 1 }))) };
  console.log(`\n## Reward throughput (groups of 8, worker pool of 2)`);
  console.log(`| registry | workload | groups/s | completions/s | reward scores/s |\n|---|---|---|---|---|`);
  try {
    for (const [name, registry] of Object.entries(presets)) {
      const fresh = rows.slice(0, 40);
      let t0 = performance.now();
      for (const r of fresh) await registry.scoreGroup(r, groupFor(r), evaluator);
      let s = (performance.now() - t0) / 1000;
      const line = (label: string, groups: number) =>
        console.log(`| ${name} (${registry.names().length} rewards) | ${label} | ${(groups / s).toFixed(1)} | ${((groups * 8) / s).toFixed(0)} | ${((groups * 8 * registry.names().length) / s).toFixed(0)} |`);
      line(`${fresh.length} different examples (databases built per example)`, fresh.length);
      const one = rows[0]!;
      await registry.scoreGroup(one, groupFor(one), evaluator);
      t0 = performance.now();
      for (let i = 0; i < 40; i++) await registry.scoreGroup(one, groupFor(one), evaluator);
      s = (performance.now() - t0) / 1000;
      line('one example, databases cached', 40);
    }
  } finally {
    evaluator.close();
  }
}

const sampleRows = parseDatasetText(readFileSync(resolve(root, 'public/data/sql-create-context-sample.json'), 'utf8'), { format: 'json' }).rows.filter((r): r is SqlRow => r !== null);
console.log(`# SQL equivalence benchmark (${new Date().toISOString()}, node ${process.version})`);
const results = [await measureEquivalence('Shipped sample (public/data/sql-create-context-sample.json)', sampleRows.slice(0, limit))];
if (existsSync(spiderPath)) {
  const spider = parseDatasetText(readFileSync(spiderPath, 'utf8'), { format: 'jsonl' }).rows.filter((r): r is SqlRow => r !== null);
  results.push(await measureEquivalence(`Spider dev (${spiderPath})`, spider.slice(0, limit)));
} else {
  console.log(`\nSpider dev not found at ${spiderPath}: skipped (pass --spider PATH).`);
}
await measureThroughput(sampleRows);
if (results.some((r) => r.self.hits !== r.self.n)) {
  console.error('\nFAIL: some gold queries were not judged equivalent to themselves');
  process.exit(1);
}
