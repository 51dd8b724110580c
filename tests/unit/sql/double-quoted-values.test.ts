import { beforeAll, describe, expect, it } from 'vitest';
import type { SqlJsStatic } from 'sql.js';
import { normalizeDoubleQuotedValues } from '../../../src/sql/double-quoted-values';
import { loadSqlJs } from '../../../src/sql/sqljs-loader';

describe('normalizeDoubleQuotedValues', () => {
  it.each([
    ['SELECT name FROM t WHERE school = "redwood school"', "SELECT name FROM t WHERE school = 'redwood school'", ['redwood school']],
    ['SELECT a FROM t WHERE b <> "x" AND c >= "5" AND d LIKE "%z%"', "SELECT a FROM t WHERE b <> 'x' AND c >= '5' AND d LIKE '%z%'", ['x', '5', '%z%']],
    ['SELECT a FROM t WHERE b NOT IN ("p", "q") OR c BETWEEN "1" AND "9"', "SELECT a FROM t WHERE b NOT IN ('p', 'q') OR c BETWEEN '1' AND '9'", ['p', 'q', '1', '9']],
    ['SELECT a FROM t WHERE b = "o\'brien"', "SELECT a FROM t WHERE b = 'o''brien'", ["o'brien"]],
    ['SELECT a FROM t WHERE b = "say ""hi"""', `SELECT a FROM t WHERE b = 'say "hi"'`, ['say "hi"']],
    ['SELECT CASE WHEN a = 1 THEN "one" ELSE "other" END FROM t', "SELECT CASE WHEN a = 1 THEN 'one' ELSE 'other' END FROM t", ['one', 'other']],
    ['SELECT a FROM t WHERE b IS NOT "x"', "SELECT a FROM t WHERE b IS NOT 'x'", ['x']],
    ['SELECT CASE a WHEN "p" THEN 1 END FROM t', "SELECT CASE a WHEN 'p' THEN 1 END FROM t", ['p']],
  ])('rewrites values in %j', (sql, expected, values) => {
    expect(normalizeDoubleQuotedValues(sql)).toEqual({ sql: expected, rewritten: values });
  });

  it.each([
    'SELECT "name", "T1"."col" FROM "my table" AS "T1" WHERE "T1"."id" = "T2"."id"',
    'SELECT count(*) AS "total" FROM t GROUP BY "grp" ORDER BY "total"',
    'SELECT a FROM t WHERE b IN (SELECT "c" FROM u)',
    'SELECT a FROM t WHERE "b" = 1',
    'SELECT CASE WHEN "flag" = 1 THEN a END FROM t',
  ])('leaves identifiers alone in %j', (sql) => {
    expect(normalizeDoubleQuotedValues(sql)).toEqual({ sql, rewritten: [] });
  });

  it('leaves the AND after a BETWEEN bound alone when the next operand is an identifier', () => {
    const sql = 'SELECT a FROM t WHERE c BETWEEN 1 AND 9 AND "d" = "v"';
    expect(normalizeDoubleQuotedValues(sql).sql).toBe(`SELECT a FROM t WHERE c BETWEEN 1 AND 9 AND "d" = 'v'`);
  });
});

describe('the double-quote rule against SQLite itself', () => {
  let SQL: SqlJsStatic;
  beforeAll(async () => {
    SQL = await loadSqlJs();
  });

  function db() {
    const d = new SQL.Database();
    // A table where the value "away" is also a column name: the dataset means the string.
    d.run(`CREATE TABLE table_name_61 (result VARCHAR, venue VARCHAR, away VARCHAR);
      INSERT INTO table_name_61 VALUES ('w 2-1', 'away', 'home'), ('l 0-3', 'home', 'home'), ('d 1-1', 'away', 'away');`);
    return d;
  }
  const rows = (d: ReturnType<typeof db>, sql: string) => d.exec(sql)[0]?.values ?? [];

  it('without a same-named column, SQLite and the rule agree', () => {
    const d = db();
    const sql = 'SELECT result FROM table_name_61 WHERE result = "w 2-1"';
    expect(rows(d, sql)).toEqual([['w 2-1']]);
    expect(rows(d, normalizeDoubleQuotedValues(sql).sql)).toEqual([['w 2-1']]);
    d.close();
  });

  it('with a same-named column, SQLite compares two columns; the rule compares with the string', () => {
    const d = db();
    const sql = 'SELECT result FROM table_name_61 WHERE venue = "away"';
    // SQLite's own reading: venue = away (the column), true where the two columns match: rows 2 and 3.
    expect(rows(d, sql)).toEqual([['l 0-3'], ['d 1-1']]);
    // The dataset's meaning: venue is the string 'away' (rows 1 and 3).
    expect(rows(d, normalizeDoubleQuotedValues(sql).sql)).toEqual([['w 2-1'], ['d 1-1']]);
    d.close();
  });
});
