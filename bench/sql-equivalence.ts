/**
 * Measures the SQL equivalence judge and reward throughput.
 *
 *   npx tsx bench/sql-equivalence.ts [--spider PATH] [--limit N] [--verbose] [--no-boundary-rows] [--no-throughput] [--seed N]
 *
 * On the shipped sample (public/data) and on Spider dev (read at run time from
 * ../shared/data/spider-dev/spider_dev.jsonl; skipped with a message when absent):
 *  - gold queries that build and execute on their synthetic databases
 *  - gold judged equivalent to itself (must be 100%) and the share of databases where gold returns rows
 *  - gold judged equivalent to meaning-preserving rewrites (bench/sql-variants.ts)
 *  - deliberately wrong variants caught (judged not equivalent), per kind, with the near misses
 *    that no data can tell apart (bench/sql-variants.ts uncatchableReason) counted separately
 * Then rewards scored per second for groups of 8 completions through the worker pool, with the
 * default databases and, for reference, the same without boundary rows (side by side).
 * --no-boundary-rows judges without boundary rows throughout (the judge before them); --seed sets
 * the run seed of the databases (default 0, as in training).
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadSqlJs } from '../src/sql/sqljs-loader';
import { buildExampleSuite, evaluateOnSuite, ExampleSuiteError } from '../src/sql/example-suite';
import { SqlEvaluator } from '../src/sql/evaluator';
import { nodeWorkerFactory } from '../src/sql/worker-port-node';
import { parseDatasetText } from '../src/dataset/parse-rows';
import { RewardRegistry, ALL_REWARDS } from '../src/rewards/registry';
import { DEFAULT_PROFILES, type SyntheticProfile } from '../src/sql/synthetic-data';
import type { SqlRow } from '../src/dataset/types';
import { CLASSIC_MUTANTS, MUTANTS, REWRITES, mutants as mutantsOf, mutate, rewrite, uncatchableReason, type MutantKind, type RewriteKind } from './sql-variants';

const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const verbose = args.includes('--verbose');
const limit = Number(arg('--limit') ?? Infinity);
const root = resolve(import.meta.dirname, '..');
const spiderPath = resolve(root, arg('--spider') ?? '../shared/data/spider-dev/spider_dev.jsonl');
/** The default profiles without boundary rows: the judge as it was before them, for reference. */
const PLAIN_PROFILES: SyntheticProfile[] = DEFAULT_PROFILES.map(({ boundary: _boundary, ...p }) => p);
const profiles = args.includes('--no-boundary-rows') ? PLAIN_PROFILES : DEFAULT_PROFILES;
const skipThroughput = args.includes('--no-throughput');
const seed = Number(arg('--seed') ?? 0);

interface Tally {
  n: number;
  hits: number;
}
interface MutantTally extends Tally {
  errors: number;
  /** Variants that provably equal gold on any data, by reason (bench/sql-variants.ts uncatchableReason). */
  uncatchable: Record<string, Tally>;
}
const pct = (t: Tally) => (t.n === 0 ? 'n/a' : `${((100 * t.hits) / t.n).toFixed(1)}% (${t.hits}/${t.n})`);

async function measureEquivalence(name: string, rows: SqlRow[]) {
  const SQL = await loadSqlJs();
  const t0 = performance.now();
  const built: Tally = { n: 0, hits: 0 };
  const self: Tally = { n: 0, hits: 0 };
  const nonEmpty: Tally = { n: 0, hits: 0 };
  const rewrites = Object.fromEntries(REWRITES.map((k) => [k, { n: 0, hits: 0 }])) as Record<RewriteKind, Tally>;
  const mutants = Object.fromEntries(MUTANTS.map((k) => [k, { n: 0, hits: 0, errors: 0, uncatchable: {} }])) as Record<MutantKind, MutantTally>;
  const goldFailures: Record<string, number> = {};
  const misses: string[] = [];
  for (const r of rows) {
    built.n++;
    let suite;
    try {
      suite = buildExampleSuite(SQL, { context: r.context, gold: r.answer, question: r.question }, { profiles, seed });
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
        const t = mutants[k];
        t.n++;
        const e = evaluateOnSuite(suite, v);
        const reason = uncatchableReason(r.answer, v, k);
        if (reason) {
          const u = (t.uncatchable[reason] ??= { n: 0, hits: 0 });
          u.n++;
          // A caught "uncatchable" variant means the classification is wrong: shown, never hidden.
          if (!e.equivalent) {
            u.hits++;
            misses.push(`CLASSIFIED ${reason} BUT CAUGHT (${k}): ${v}`);
          }
        }
        if (!e.equivalent) t.hits++;
        else if (verbose) misses.push(`mutant ${k} not caught${reason ? ` (${reason})` : ''}: ${v}`);
        if (e.status !== 'ok') t.errors++;
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
  console.log(`\n### ${name}: wrong variants per kind, the ones no data can tell apart set aside`);
  console.log(`| kind | variants applied | caught (all) | cannot differ on any data | caught of the rest |\n|---|---|---|---|---|`);
  for (const k of MUTANTS) {
    const t = mutants[k];
    const u = Object.entries(t.uncatchable);
    const un = u.reduce((a, [, x]) => a + x.n, 0);
    const uh = u.reduce((a, [, x]) => a + x.hits, 0);
    const reasons = u.length === 0 ? '0' : `${un} (${u.map(([r, x]) => `${r}: ${x.n}`).join(', ')})`;
    console.log(`| ${k} | ${t.n} | ${pct(t)} | ${reasons} | ${pct({ n: t.n - un, hits: t.hits - uh })} |`);
  }
  if (misses.length > 0) console.log(`\n${misses.length} misses${verbose ? ':\n' + misses.join('\n') : ' (run with --verbose to list them)'}`);
  return { self };
}

const wrap = (sql: string) => `<start_working_out>Find the table and the filter, then write the query.<end_working_out>\n<SOLUTION>${sql}</SOLUTION>`;

/** Eight queries: gold, three rewrites, four wrong variants (gold again where one does not apply). */
function groupSql(r: SqlRow): string[] {
  const rw = (['reformat', 'aliases', 'reorder-and'] as const).map((k) => rewrite(r.answer, k) ?? r.answer);
  const mu = CLASSIC_MUTANTS.map((k) => mutate(r.answer, r.context, k) ?? r.answer);
  return [r.answer, ...rw, ...mu];
}

/** The same eight as completions in the answer format. */
function groupFor(r: SqlRow): string[] {
  return groupSql(r).map(wrap);
}

/**
 * The judge's own cost per group of 8, in this thread, with and without boundary rows: per example,
 * build its databases and judge the group, the two configurations alternating which goes first (so
 * machine load drifts hit both alike). Also the rows each database holds.
 */
async function measureJudgeCost(name: string, rows: SqlRow[]) {
  const SQL = await loadSqlJs();
  const ms = { plain: 0, boundary: 0 };
  const tableRows = { plain: 0, boundary: 0 };
  let databases = 0;
  rows.forEach((r, i) => {
    const order = i % 2 === 0 ? (['plain', 'boundary'] as const) : (['boundary', 'plain'] as const);
    for (const config of order) {
      const t0 = performance.now();
      const suite = buildExampleSuite(SQL, { context: r.context, gold: r.answer, question: r.question }, { profiles: config === 'plain' ? PLAIN_PROFILES : DEFAULT_PROFILES, seed });
      for (const sql of groupSql(r)) evaluateOnSuite(suite, sql);
      ms[config] += performance.now() - t0;
      for (const db of suite.databases) {
        for (const t of suite.schema.tables) tableRows[config] += Number(db.exec(`SELECT count(*) FROM "${t.name.replace(/"/g, '""')}"`)[0]!.values[0]![0]);
      }
      if (config === 'plain') databases += suite.databases.length;
      suite.close();
    }
  });
  const perGroup = (c: 'plain' | 'boundary') => (ms[c] / rows.length).toFixed(2);
  const perDb = (c: 'plain' | 'boundary') => (tableRows[c] / databases).toFixed(1);
  console.log(`| ${name} (${rows.length} examples) | ${perGroup('plain')} ms | ${perGroup('boundary')} ms | ${(ms.boundary / ms.plain).toFixed(2)} | ${perDb('plain')} | ${perDb('boundary')} |`);
}

type Workload = { label: string; rows: SqlRow[]; repeat: boolean };

/** Groups per second for each registry and workload through a fresh pool judging with `profiles`. */
async function throughputOnce(profiles: readonly SyntheticProfile[], workloads: Workload[]): Promise<Map<string, number>> {
  const evaluator = new SqlEvaluator(nodeWorkerFactory, { size: 2, suite: { profiles } });
  await evaluator.warmUp();
  const presets = { default: RewardRegistry.preset('default'), all: new RewardRegistry(ALL_REWARDS.map((reward) => ({ reward, weight: 1 }))) };
  const out = new Map<string, number>();
  try {
    for (const [name, registry] of Object.entries(presets)) {
      for (const w of workloads) {
        const key = `| ${name} (${registry.names().length} rewards) | ${w.label}`;
        if (w.repeat) {
          const one = w.rows[0]!;
          await registry.scoreGroup(one, groupFor(one), evaluator);
          const t0 = performance.now();
          for (let i = 0; i < 40; i++) await registry.scoreGroup(one, groupFor(one), evaluator);
          out.set(key, 40 / ((performance.now() - t0) / 1000));
        } else {
          const t0 = performance.now();
          for (const r of w.rows) await registry.scoreGroup(r, groupFor(r), evaluator);
          out.set(key, w.rows.length / ((performance.now() - t0) / 1000));
        }
      }
    }
  } finally {
    evaluator.close();
  }
  return out;
}

/**
 * Reward throughput with and without the boundary rows (bench reference: the same profiles with
 * `boundary` removed), alternated three times so machine load hits both alike; the better run of each.
 */
async function measureThroughput(rows: SqlRow[], spider: SqlRow[]) {
  const workloads: Workload[] = [
    { label: `${Math.min(40, rows.length)} different sample examples (databases built per example)`, rows: rows.slice(0, 40), repeat: false },
    { label: 'one sample example, databases cached', rows, repeat: true },
    ...(spider.length > 0 ? [{ label: `${Math.min(40, spider.length)} different Spider dev examples (multi-table)`, rows: spider.filter((_, i) => i % 25 === 0).slice(0, 40), repeat: false }] : []),
  ];
  const best = { plain: new Map<string, number>(), boundary: new Map<string, number>() };
  for (let rep = 0; rep < 3; rep++) {
    for (const [name, profiles] of [['plain', PLAIN_PROFILES], ['boundary', DEFAULT_PROFILES]] as const) {
      for (const [k, v] of await throughputOnce(profiles, workloads)) best[name].set(k, Math.max(best[name].get(k) ?? 0, v));
    }
  }
  console.log(`\n## Reward throughput (groups of 8, worker pool of 2; best of 3 alternated runs)`);
  console.log(`| registry | workload | groups/s without boundary rows | groups/s with boundary rows (default) | ratio |\n|---|---|---|---|---|`);
  for (const [k, plain] of best.plain) {
    const withRows = best.boundary.get(k)!;
    console.log(`${k} | ${plain.toFixed(1)} | ${withRows.toFixed(1)} | ${(withRows / plain).toFixed(2)} |`);
  }
}

const sampleRows = parseDatasetText(readFileSync(resolve(root, 'public/data/sql-create-context-sample.json'), 'utf8'), { format: 'json' }).rows.filter((r): r is SqlRow => r !== null);
console.log(`# SQL equivalence benchmark (${new Date().toISOString()}, node ${process.version}, seed ${seed})`);
if (profiles === PLAIN_PROFILES) console.log('Judging without boundary rows (--no-boundary-rows).');
const results = [await measureEquivalence('Shipped sample (public/data/sql-create-context-sample.json)', sampleRows.slice(0, limit))];
let spider: SqlRow[] = [];
if (existsSync(spiderPath)) {
  spider = parseDatasetText(readFileSync(spiderPath, 'utf8'), { format: 'jsonl' }).rows.filter((r): r is SqlRow => r !== null);
  results.push(await measureEquivalence(`Spider dev (${spiderPath})`, spider.slice(0, limit)));
} else {
  console.log(`\nSpider dev not found at ${spiderPath}: skipped (pass --spider PATH).`);
}
if (!skipThroughput) {
  console.log(`\n## Judge cost in-thread: build 5 databases and judge a group of 8 (alternating A/B per example)`);
  console.log(`| workload | ms per group without boundary rows | with (default) | ratio | rows per database (all tables) without | with |\n|---|---|---|---|---|---|`);
  await measureJudgeCost('shipped sample', sampleRows.slice(0, limit));
  if (spider.length > 0) await measureJudgeCost('Spider dev', spider.slice(0, limit));
  await measureThroughput(sampleRows, spider);
}
if (results.some((r) => r.self.hits !== r.self.n)) {
  console.error('\nFAIL: some gold queries were not judged equivalent to themselves');
  process.exit(1);
}
