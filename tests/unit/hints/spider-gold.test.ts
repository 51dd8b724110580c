/**
 * Every Spider dev gold query runs on its schema, so reading one must find its tables and never flag
 * an unknown table or column. Reads the shared data set at run time (it is not copied into the repo);
 * skipped where the checkout has no ../shared/data.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { extractPatterns } from '../../../src/hints/patterns';
import { parseSchema } from '../../../src/sql/schema';

const DATA = resolve(__dirname, '../../../../shared/data/spider-dev/spider_dev.jsonl');

describe.skipIf(!existsSync(DATA))('pattern extraction on Spider dev gold queries', () => {
  it('reads every gold query without issues, finds its tables, and flags nothing as unknown', () => {
    const rows = readFileSync(DATA, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as { context: string; answer: string });
    expect(rows.length).toBeGreaterThan(1000);
    const problems: string[] = [];
    for (const r of rows) {
      const read = extractPatterns(r.answer, { schema: parseSchema(r.context) });
      if (read.issues.length > 0) problems.push(`issues ${read.issues.join('; ')}: ${r.answer}`);
      if (read.tables.length === 0) problems.push(`no table: ${r.answer}`);
      const flagged = [...read.keys].filter((k) => k.startsWith('schema:'));
      if (flagged.length > 0) problems.push(`${flagged.join(', ')}: ${r.answer}`);
    }
    expect(problems).toEqual([]);
  });
});
