import { describe, expect, it } from 'vitest';
import { analyzeQuery } from '../../../src/sql/query-analysis';
import { parseSchema } from '../../../src/sql/schema';
import { DEFAULT_PROFILES, generateRows, questionLiterals } from '../../../src/sql/synthetic-data';

const schema = parseSchema(
  'CREATE TABLE singer (Singer_ID INTEGER, Name VARCHAR, Country VARCHAR, Age INTEGER); CREATE TABLE singer_in_concert (concert_ID INTEGER, Singer_ID VARCHAR)',
);
const gold = 'SELECT T1.Name FROM singer AS T1 JOIN singer_in_concert AS T2 ON T1.Singer_ID = T2.Singer_ID WHERE T1.Country = "France" AND T1.Age > 40';
const facts = analyzeQuery(gold, schema);
const profile = DEFAULT_PROFILES[1]!;

describe('generateRows', () => {
  it('is deterministic in the seed, and different seeds give different data', () => {
    const a = generateRows(schema, facts, profile, 42);
    expect(generateRows(schema, facts, profile, 42)).toEqual(a);
    expect(generateRows(schema, facts, profile, 43)).not.toEqual(a);
  });

  it('gives every table rows within the profile and one value per column', () => {
    // Random rows only: boundary rows (boundary-rows.test.ts) come on top of the profile's count.
    const { boundary: _boundary, ...plain } = profile;
    for (const { table, rows } of generateRows(schema, facts, plain, 1)) {
      expect(rows.length).toBeGreaterThanOrEqual(plain.rows[0]);
      expect(rows.length).toBeLessThanOrEqual(plain.rows[1]);
      for (const row of rows) expect(row).toHaveLength(table.columns.length);
    }
  });

  it("plants the gold query's literals and values around its bounds", () => {
    let france = 0;
    let over40 = 0;
    let total = 0;
    for (let seed = 0; seed < 20; seed++) {
      const singer = generateRows(schema, facts, profile, seed)[0]!;
      for (const [, , country, age] of singer.rows) {
        total++;
        if (country === 'France') france++;
        if (typeof age === 'number' && age > 40) over40++;
      }
    }
    expect(france / total).toBeGreaterThan(0.15);
    expect(over40 / total).toBeGreaterThan(0.2);
    expect(over40 / total).toBeLessThan(0.95);
  });

  it('keeps own keys unique and draws joined columns from the same values', () => {
    for (let seed = 0; seed < 10; seed++) {
      const [singer, sic] = generateRows(schema, facts, profile, seed) as [ReturnType<typeof generateRows>[0], ReturnType<typeof generateRows>[0]];
      const ids = singer.rows.map((r) => r[0]);
      expect(new Set(ids).size).toBe(ids.length);
      const idSet = new Set(ids.map(String));
      const hits = sic.rows.filter((r) => idSet.has(String(r[1]))).length;
      expect(hits / sic.rows.length).toBeGreaterThan(0.4);
    }
  });

  it('writes numeric strings into VARCHAR columns used as numbers (WikiSQL style)', () => {
    const s = parseSchema('CREATE TABLE table_name_5 (crowd VARCHAR, venue VARCHAR)');
    const f = analyzeQuery('SELECT SUM(crowd) FROM table_name_5 WHERE venue = "mcg"', s);
    const [t] = generateRows(s, f, profile, 7);
    for (const [crowd] of t!.rows) {
      expect(typeof crowd).toBe('string');
      expect(Number.isFinite(Number(crowd))).toBe(true);
    }
  });

  it('reads numbers and quoted phrases from a question', () => {
    expect(questionLiterals('Which team scored more than 3.5 goals in 1998 at "the oval" and isn\'t \'home\'?')).toEqual([3.5, 1998, 'the oval', 'home']);
  });
});
