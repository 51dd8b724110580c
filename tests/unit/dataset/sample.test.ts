import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SqlJsStatic } from 'sql.js';
import { parseDatasetText } from '../../../src/dataset/parse-rows';
import { loadSampleDataset, SAMPLE_DATASET_PATH } from '../../../src/dataset/sample';
import { validateRows } from '../../../src/dataset/validate';
import { buildExampleSuite, evaluateOnSuite } from '../../../src/sql/example-suite';
import { loadSqlJs } from '../../../src/sql/sqljs-loader';

const text = readFileSync(`public/${SAMPLE_DATASET_PATH}`, 'utf8');
const parsed = parseDatasetText(text, { format: 'json' });
const rows = parsed.rows.filter((r) => r !== null);

let SQL: SqlJsStatic;
beforeAll(async () => {
  SQL = await loadSqlJs();
});

describe('the shipped sample', () => {
  it('has 150-300 well-formed rows in both of the dataset’s styles', async () => {
    expect(parsed.problems).toEqual([]);
    expect(rows.length).toBeGreaterThanOrEqual(150);
    expect(rows.length).toBeLessThanOrEqual(300);
    const wiki = rows.filter((r) => /^CREATE TABLE table_(name_)?\d+/.test(r.context));
    const spider = rows.filter((r) => / JOIN /i.test(r.answer));
    expect(wiki.length).toBeGreaterThan(100);
    expect(wiki.filter((r) => /= "[^"]*"/.test(r.answer)).length).toBeGreaterThan(80);
    expect(wiki.filter((r) => /VARCHAR/.test(r.context) && /(SUM|AVG|MIN|MAX)\(|[<>]/.test(r.answer)).length).toBeGreaterThan(10);
    expect(spider.length).toBeGreaterThan(20);
    expect(rows.filter((r) => r.context.includes(';')).length).toBeGreaterThanOrEqual(30); // multi-table schemas
    for (const feature of [/GROUP BY .* HAVING/, /ORDER BY .* LIMIT/, /\(SELECT /, /INTERSECT/, /EXCEPT/, /NOT IN|NOT .* IN \(/]) {
      expect(rows.some((r) => feature.test(r.answer))).toBe(true);
    }
    expect(new Set(rows.map((r) => r.question)).size).toBe(rows.length);
    const v = await validateRows(parsed, { source: 'sample' });
    expect(v.counts.skipped).toBe(0);
  });

  it('every gold query runs on its synthetic databases, matches itself, and mostly selects rows', () => {
    let nonEmpty = 0;
    let databases = 0;
    for (const r of rows) {
      const suite = buildExampleSuite(SQL, { context: r.context, gold: r.answer, question: r.question });
      expect(evaluateOnSuite(suite, r.answer).equivalent, r.answer).toBe(true);
      nonEmpty += suite.goldResults.filter((g) => g.rows.length > 0).length;
      databases += suite.databases.length;
      suite.close();
    }
    expect(nonEmpty / databases).toBeGreaterThan(0.9);
  });

  it('loads through fetch from the app’s base URL', async () => {
    const urls: string[] = [];
    const fakeFetch = (async (url: string) => {
      urls.push(url);
      return new Response(text, { status: 200 });
    }) as typeof fetch;
    const r = await loadSampleDataset('/app', fakeFetch);
    expect(urls).toEqual(['/app/data/sql-create-context-sample.json']);
    expect(r.rows).toHaveLength(rows.length);
    const missing = (async () => new Response('nope', { status: 404, statusText: 'Not Found' })) as typeof fetch;
    await expect(loadSampleDataset('/', missing)).rejects.toThrow(/HTTP 404 Not Found for the sample dataset at \/data\/sql-create-context-sample.json/);
  });
});
