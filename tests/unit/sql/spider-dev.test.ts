/**
 * The gold queries of Spider dev (1,034 real questions, in this dataset's row shape) on their
 * synthetic databases. Read at test time from ../shared/data/spider-dev/ next to the repository;
 * never copied into the project. Skipped, with a message, when the file is absent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDatasetText } from '../../../src/dataset/parse-rows';
import type { SqlRow } from '../../../src/dataset/types';
import { buildExampleSuite, evaluateOnSuite } from '../../../src/sql/example-suite';
import { loadSqlJs } from '../../../src/sql/sqljs-loader';

const SPIDER = resolve(process.cwd(), '../shared/data/spider-dev/spider_dev.jsonl');
const present = existsSync(SPIDER);
if (!present) console.warn(`Spider dev check skipped: ${SPIDER} not found (it lives outside the repository, in ../shared).`);

describe.skipIf(!present)('Spider dev gold queries on synthetic databases', () => {
  it('every gold query executes, is judged equivalent to itself, and mostly returns rows', { timeout: 300_000 }, async () => {
    const SQL = await loadSqlJs();
    const parsed = parseDatasetText(readFileSync(SPIDER, 'utf8'), { format: 'jsonl' });
    const rows = parsed.rows.filter((r): r is SqlRow => r !== null);
    expect(parsed.problems).toEqual([]);
    expect(rows).toHaveLength(1034);
    const failures: string[] = [];
    let nonEmpty = 0;
    let databases = 0;
    for (const [i, r] of rows.entries()) {
      try {
        const suite = buildExampleSuite(SQL, { context: r.context, gold: r.answer, question: r.question });
        const self = evaluateOnSuite(suite, r.answer);
        if (!self.equivalent) failures.push(`row ${i}: not equivalent to itself (${self.error ?? self.verdicts.find((v) => !v.equal)?.reason})`);
        nonEmpty += suite.goldResults.filter((g) => g.rows.length > 0).length;
        databases += suite.databases.length;
        suite.close();
      } catch (e) {
        failures.push(`row ${i}: ${(e as Error).message}`);
      }
    }
    const fraction = nonEmpty / databases;
    console.log(`Spider dev: ${rows.length - failures.length}/${rows.length} gold queries execute and match themselves; gold returns rows on ${(100 * fraction).toFixed(1)}% of ${databases} synthetic databases`);
    expect(failures).toEqual([]);
    // Reported above; asserted loosely so that tuning the generator cannot silently make it useless.
    expect(fraction).toBeGreaterThan(0.9);
  });
});
