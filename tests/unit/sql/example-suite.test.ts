import { beforeAll, describe, expect, it } from 'vitest';
import type { SqlJsStatic } from 'sql.js';
import { buildExampleSuite, evaluateOnSuite, ExampleSuiteError, type SqlExampleInput } from '../../../src/sql/example-suite';
import { runQuery } from '../../../src/sql/run-query';
import { loadSqlJs } from '../../../src/sql/sqljs-loader';

let SQL: SqlJsStatic;
beforeAll(async () => {
  SQL = await loadSqlJs();
});

function judge(example: SqlExampleInput, candidates: string[]) {
  const suite = buildExampleSuite(SQL, example);
  try {
    return { suite, results: candidates.map((c) => evaluateOnSuite(suite, c)) };
  } finally {
    suite.close();
  }
}

const singers: SqlExampleInput = {
  context:
    'CREATE TABLE singer (singer_id INTEGER, name VARCHAR, country VARCHAR, age INTEGER); CREATE TABLE concert (concert_id INTEGER, concert_name VARCHAR, year VARCHAR); CREATE TABLE singer_in_concert (concert_id INTEGER, singer_id VARCHAR)',
  gold: 'SELECT T1.name, COUNT(*) FROM singer AS T1 JOIN singer_in_concert AS T2 ON T1.singer_id = T2.singer_id GROUP BY T1.singer_id HAVING COUNT(*) >= 2',
  question: 'Which singers performed in at least two concerts, and in how many?',
};

describe('WikiSQL-style single-table rows', () => {
  const school: SqlExampleInput = {
    context: 'CREATE TABLE table_name_12 (name VARCHAR, school VARCHAR)',
    gold: 'SELECT name FROM table_name_12 WHERE school = "redwood school"',
    question: 'Which player went to redwood school?',
  };

  it('the gold query selects rows on the synthetic databases', () => {
    const suite = buildExampleSuite(SQL, school);
    expect(suite.databases).toHaveLength(5);
    expect(suite.goldResults.filter((r) => r.rows.length > 0).length).toBeGreaterThanOrEqual(4);
    // Independent check: the gold rows are exactly the names whose school is the literal, read raw.
    for (const [i, db] of suite.databases.entries()) {
      const raw = db.exec('SELECT name, school FROM table_name_12')[0]?.values ?? [];
      const expected = raw.filter(([, s]) => s === 'redwood school').map(([n]) => n).sort();
      expect(suite.goldResults[i]!.rows.map((r) => r[0]).sort()).toEqual(expected);
    }
    suite.close();
  });

  it('judges reformatted and re-quoted versions equivalent, wrong ones not', () => {
    const { results } = judge(school, [
      "select NAME from TABLE_NAME_12 where SCHOOL='redwood school'",
      'SELECT t.name AS player FROM table_name_12 AS t WHERE t.school = "redwood school";',
      'SELECT name FROM table_name_12',
      'SELECT school FROM table_name_12 WHERE school = "redwood school"',
      'SELECT DISTINCT name FROM table_name_12 WHERE school = "redwood school" OR school = "oak school"',
    ]);
    expect(results.map((r) => r.status)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    expect(results.map((r) => r.equivalent)).toEqual([true, true, false, false, false]);
    expect(results[1]!.rewrittenValues).toEqual(['redwood school']);
  });

  it('aggregates VARCHAR-typed numbers the way SQLite does (checked against the raw rows)', () => {
    const crowd: SqlExampleInput = {
      context: 'CREATE TABLE table_name_5 (crowd VARCHAR, venue VARCHAR)',
      gold: 'SELECT SUM(crowd) FROM table_name_5 WHERE venue = "mcg"',
    };
    const suite = buildExampleSuite(SQL, crowd);
    let everyDbHasAValue = true;
    for (const [i, db] of suite.databases.entries()) {
      const raw = (db.exec('SELECT crowd, venue FROM table_name_5')[0]?.values ?? []).filter(([, v]) => v === 'mcg');
      const gold = suite.goldResults[i]!.rows[0]![0];
      if (raw.every(([c]) => c === null)) everyDbHasAValue = false;
      if (raw.every(([c]) => c === null)) expect(gold).toBeNull();
      else expect(gold).toBeCloseTo(raw.reduce((s, [c]) => s + (c === null ? 0 : Number(c)), 0), 6);
    }
    const results = ['SELECT total(crowd) FROM table_name_5 WHERE venue = "mcg"', 'SELECT MAX(crowd) FROM table_name_5 WHERE venue = "mcg"', 'SELECT SUM(crowd) FROM table_name_5'].map((c) =>
      evaluateOnSuite(suite, c),
    );
    // total() differs from sum() only on all-NULL input (0.0 instead of NULL); MAX and the dropped filter are wrong.
    expect(results[0]!.equivalent).toBe(everyDbHasAValue);
    expect(results[1]!.equivalent).toBe(false);
    expect(results[2]!.equivalent).toBe(false);
    suite.close();
  });

  it('compares text-typed numbers as text, exactly like SQLite', () => {
    const pick: SqlExampleInput = { context: 'CREATE TABLE table_name_7 (player VARCHAR, pick VARCHAR)', gold: 'SELECT player FROM table_name_7 WHERE pick > 50' };
    const suite = buildExampleSuite(SQL, pick);
    for (const [i, db] of suite.databases.entries()) {
      const raw = db.exec('SELECT player, pick FROM table_name_7')[0]?.values ?? [];
      // A TEXT column compared with an integer: the integer takes the column's affinity ('50'), so string order.
      const expected = raw.filter(([, p]) => p !== null && String(p) > '50').map(([n]) => n).sort();
      expect(suite.goldResults[i]!.rows.map((r) => r[0]).sort()).toEqual(expected);
    }
    suite.close();
  });
});

describe('Spider-style multi-table rows', () => {
  it('joins with GROUP BY / HAVING: a rewrite matches, a loosened HAVING does not', () => {
    const { suite, results } = judge(singers, [
      'SELECT s.name, count(*) AS n FROM singer_in_concert sic, singer s WHERE s.singer_id = sic.singer_id GROUP BY s.singer_id HAVING n > 1',
      'SELECT T1.name, COUNT(*) FROM singer AS T1 JOIN singer_in_concert AS T2 ON T1.singer_id = T2.singer_id GROUP BY T1.singer_id',
      'SELECT T1.name, COUNT(*) FROM singer AS T1 JOIN singer_in_concert AS T2 ON T1.singer_id = T2.singer_id GROUP BY T1.name HAVING COUNT(*) >= 2',
    ]);
    expect(suite.goldResults.filter((r) => r.rows.length > 0).length).toBeGreaterThanOrEqual(3);
    expect(results[0]!.equivalent).toBe(true);
    expect(results[1]!.equivalent).toBe(false);
    expect(results[2]!.status).toBe('ok');
  });

  it('ORDER BY ... LIMIT compares in order (checked against a sort of the raw rows)', () => {
    const top: SqlExampleInput = { context: singers.context, gold: 'SELECT name, age FROM singer ORDER BY age DESC LIMIT 3' };
    const suite = buildExampleSuite(SQL, top);
    expect(suite.ordered).toBe(true);
    for (const [i, db] of suite.databases.entries()) {
      const raw = db.exec('SELECT name, age FROM singer')[0]?.values ?? [];
      const ages = raw.map((r) => r[1] as number).sort((a, b) => b - a).slice(0, 3);
      expect(suite.goldResults[i]!.rows.map((r) => r[1])).toEqual(ages);
    }
    const res = [
      'SELECT s.name, s.age FROM singer s ORDER BY s.age DESC LIMIT 3',
      'SELECT name, age FROM singer ORDER BY age ASC LIMIT 3',
      'SELECT name, age FROM singer ORDER BY age DESC',
    ].map((c) => evaluateOnSuite(suite, c));
    expect(res.map((r) => r.equivalent)).toEqual([true, false, false]);
    suite.close();
  });

  it('nested queries: above-average age', () => {
    const { results } = judge({ context: singers.context, gold: 'SELECT name FROM singer WHERE age > (SELECT AVG(age) FROM singer)' }, [
      'SELECT s.name FROM singer AS s WHERE s.age > (SELECT avg(s2.age) FROM singer AS s2)',
      'SELECT name FROM singer WHERE age >= (SELECT AVG(age) FROM singer)',
      'SELECT name FROM singer WHERE age > (SELECT MIN(age) FROM singer)',
    ]);
    expect(results[0]!.equivalent).toBe(true);
    expect(results[2]!.equivalent).toBe(false);
  });

  it('quoted identifiers: double quotes in identifier positions stay identifiers', () => {
    const { suite, results } = judge(
      { context: 'CREATE TABLE "Dept" ("Dept Name" VARCHAR, "Budget in Billions" REAL, [order] INTEGER)', gold: 'SELECT "Dept Name" FROM "Dept" WHERE "Budget in Billions" > 5.5' },
      ['SELECT `Dept Name` FROM [Dept] WHERE [Budget in Billions] > 5.5', 'SELECT "Dept Name" FROM "Dept"', 'SELECT [order] FROM Dept WHERE "Budget in Billions" > 5.5'],
    );
    expect(suite.goldResults.every((r) => r.columns[0] === 'Dept Name')).toBe(true);
    expect(results.map((r) => r.equivalent)).toEqual([true, false, false]);
  });
});

describe('bad inputs', () => {
  it.each([
    [{ context: '', gold: 'SELECT 1' }, 'schema', /empty context/],
    [{ context: 'CREATE TABLE t (a INT', gold: 'SELECT a FROM t' }, 'schema', /unbalanced/],
    [{ context: 'CREATE TABLE t (a INT)', gold: 'SELEC a FROM t' }, 'gold-rejected', /starts with "SELEC"/],
    [{ context: 'CREATE TABLE t (a INT)', gold: 'SELECT a FROM t; DROP TABLE t' }, 'gold-rejected', /one statement/],
    [{ context: 'CREATE TABLE t (a INT)', gold: 'SELECT b FROM t' }, 'gold-error', /no such column: b/],
    [{ context: 'CREATE TABLE t (a INT CHECK)', gold: 'SELECT a FROM t' }, 'schema', /SQLite rejected the context: .*syntax error/],
  ])('example %j fails as %s', (example, kind, message) => {
    try {
      buildExampleSuite(SQL, example);
      expect.unreachable('should have thrown');
    } catch (e) {
      expect(e).toBeInstanceOf(ExampleSuiteError);
      expect((e as ExampleSuiteError).kind).toBe(kind);
      expect((e as Error).message).toMatch(message);
    }
  });

  it('classifies candidate failures: garbage, unknown names, several statements, writes', () => {
    const { results } = judge(singers, [
      'SELECT FROM WHERE',
      'SELECT nope FROM singer',
      'SELECT name FROM singer; SELECT age FROM singer',
      'DELETE FROM singer',
      'WITH x AS (SELECT 1) UPDATE singer SET age = 0',
      "I think the answer is 'Ann'",
      '',
    ]);
    expect(results.map((r) => [r.status, r.errorKind])).toEqual([
      ['error', 'syntax'],
      ['error', 'schema'],
      ['rejected', 'multiple-statements'],
      ['rejected', 'not-a-query'],
      ['rejected', 'write-statement'],
      ['rejected', 'not-a-query'],
      ['rejected', 'empty'],
    ]);
  });

  it('the databases themselves refuse writes (query_only), so nothing a candidate does is seen by the next', () => {
    const suite = buildExampleSuite(SQL, singers);
    const db = suite.databases[0]!;
    const before = db.exec('SELECT count(*) FROM singer')[0]!.values[0]![0];
    for (const write of ['DELETE FROM singer', 'DROP TABLE singer', 'INSERT INTO singer VALUES (1, 2, 3, 4)', 'CREATE TEMP TABLE z (a)', 'UPDATE singer SET age = 0']) {
      const out = runQuery(db, write);
      expect(out.ok ? 'ran' : out.message).toMatch(/readonly/);
    }
    expect(db.exec('SELECT count(*) FROM singer')[0]!.values[0]![0]).toBe(before);
    expect(evaluateOnSuite(suite, singers.gold).equivalent).toBe(true);
    suite.close();
  });

  it('caps result size: a cross join over the limit is an error, not a huge array', () => {
    const suite = buildExampleSuite(SQL, singers, { limits: { maxRows: 500, maxBytes: 1_000_000 } });
    const r = evaluateOnSuite(suite, 'SELECT * FROM singer a, singer b, singer c, singer_in_concert d');
    expect(r.status).toBe('error');
    expect(r.errorKind).toBe('too-many-rows');
    suite.close();
  });

  it('is deterministic: same seed, same databases and gold results; another seed, other data', () => {
    const a = buildExampleSuite(SQL, singers, { seed: 5 });
    const b = buildExampleSuite(SQL, singers, { seed: 5 });
    const c = buildExampleSuite(SQL, singers, { seed: 6 });
    const dump = (s: typeof a) => s.databases.map((d) => d.exec('SELECT * FROM singer'));
    expect(dump(b)).toEqual(dump(a));
    expect(b.goldResults).toEqual(a.goldResults);
    expect(dump(c)).not.toEqual(dump(a));
    for (const s of [a, b, c]) s.close();
  });
});
