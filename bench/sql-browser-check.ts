/**
 * Checks the browser half of the SQL executor in real headless Chromium: Vite bundles the Web
 * Worker entry and sql.js's wasm (the `?url` import), a group of completions is scored through the
 * worker pool, and a runaway query is stopped while the page's own timers keep running.
 *
 *   npx tsx bench/sql-browser-check.ts          (needs /usr/bin/chromium, as the e2e harness does)
 *
 * Prints the measured figures as JSON and exits 1 if a check fails.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { build, preview } from 'vite';

const repo = resolve(import.meta.dirname, '..');
const dir = await mkdtemp(join(tmpdir(), 'sql-browser-check-'));
const rel = (p: string) => relative(dir, join(repo, p)).split('\\').join('/');

await writeFile(join(dir, 'index.html'), '<!doctype html><html><body><script type="module" src="./main.ts"></script></body></html>');
await writeFile(
  join(dir, 'main.ts'),
  `
import { SqlEvaluator } from '${rel('src/sql/evaluator')}';
import { browserWorkerFactory } from '${rel('src/sql/worker-port-browser')}';
import { RewardRegistry } from '${rel('src/rewards/registry')}';

const example = {
  question: 'Which player went to Redwood School?',
  context: 'CREATE TABLE table_name_12 (name VARCHAR, school VARCHAR)',
  answer: 'SELECT name FROM table_name_12 WHERE school = "redwood school"',
};
const wrap = (sql: string) => '<start_working_out>school column<end_working_out><SOLUTION>' + sql + '</SOLUTION>';

(window as any).runCheck = async () => {
  const evaluator = new SqlEvaluator(browserWorkerFactory, { size: 2, stepTimeoutMs: 1000 });
  const t0 = performance.now();
  await evaluator.warmUp();
  const startupMs = performance.now() - t0;
  const registry = RewardRegistry.preset('default');
  const group = [
    example.answer,
    "select NAME from TABLE_NAME_12 where SCHOOL = 'redwood school'",
    'SELECT name FROM table_name_12',
    'SELECT school FROM table_name_12 WHERE school = "redwood school"',
    'DROP TABLE table_name_12',
    'SELECT nope FROM table_name_12',
    'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c',
    'SELECT count(*) FROM table_name_12 a, table_name_12 b, table_name_12 c, table_name_12 d, table_name_12 e, table_name_12 f, table_name_12 g, table_name_12 h, table_name_12 i, table_name_12 j, table_name_12 k, table_name_12 l',
  ].map(wrap);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 50);
  const t1 = performance.now();
  const scores = await registry.scoreGroup(example, group, evaluator);
  const groupMs = performance.now() - t1;
  clearInterval(timer);
  const t2 = performance.now();
  const again = await registry.scoreGroup(example, group.slice(0, 6), evaluator);
  const warmGroupMs = performance.now() - t2;
  evaluator.close();
  return {
    startupMs,
    groupMs,
    warmGroupOf6Ms: warmGroupMs,
    pageTimerTicksDuringGroup: ticks,
    equivalence: scores.byReward.execution_equivalence_reward,
    statuses: scores.completions.map((c) => c.execution?.candidate?.status ?? null),
    againEquivalence: again.byReward.execution_equivalence_reward,
    replacedAfterTimeout: evaluator.pool.stats.replacedAfterTimeout,
  };
};
(window as any).ready = true;
`,
);

let failed = false;
const check = (ok: boolean, what: string) => {
  if (!ok) failed = true;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
};

try {
  await build({ root: dir, logLevel: 'warn', worker: { format: 'es' }, build: { outDir: join(dir, 'dist'), target: 'es2022' } });
  const server = await preview({ root: dir, logLevel: 'warn', build: { outDir: join(dir, 'dist') }, preview: { port: 0, host: '127.0.0.1' } });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('vite preview did not report a URL');
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless=new', '--no-sandbox', '--disable-background-networking'] });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
    const r = await page.evaluate(() => (window as unknown as { runCheck: () => Promise<Record<string, unknown>> }).runCheck());
    console.log(JSON.stringify(r, null, 2));
    check(JSON.stringify(r.equivalence) === JSON.stringify([1, 1, 0, 0, 0, 0, 0, 0]), 'equivalence judged as expected for the 8 completions');
    check(JSON.stringify(r.statuses) === JSON.stringify(['ok', 'ok', 'ok', 'ok', 'rejected', 'error', 'timeout', 'timeout']), 'write rejected, bad column an error, both runaway queries timed out');
    check((r.groupMs as number) < 4000, `group with two runaway queries scored in ${Math.round(r.groupMs as number)} ms (< 4000)`);
    check((r.pageTimerTicksDuringGroup as number) >= 10, `page stayed responsive: ${r.pageTimerTicksDuringGroup} timer ticks during the group`);
    check(JSON.stringify(r.againEquivalence) === JSON.stringify([1, 1, 0, 0, 0, 0]), 'replacement workers judge correctly afterwards');
    check(errors.length === 0, `no page errors${errors.length ? `: ${errors.join('; ')}` : ''}`);
  } finally {
    await browser.close();
    await new Promise<void>((res) => server.httpServer.close(() => res()));
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
