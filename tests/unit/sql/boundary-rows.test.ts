/**
 * Boundary rows (src/sql/boundary-rows.ts): for hand-written schemas and gold queries, SQLite itself
 * (sql.js, queried directly, not through the judge's comparison) shows that near misses of the gold
 * query return something else on at least one generated database, while rewrites that keep the
 * meaning return the same on all of them. The judge's verdicts are checked to agree.
 */
import type { Database, SqlJsStatic } from 'sql.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildExampleSuite, evaluateOnSuite, type ExampleSuite, type SqlExampleInput } from '../../../src/sql/example-suite';
import { loadSqlJs } from '../../../src/sql/sqljs-loader';
import { DEFAULT_PROFILES } from '../../../src/sql/synthetic-data';

let SQL: SqlJsStatic;
beforeAll(async () => {
  SQL = await loadSqlJs();
});

/** A query's result as SQLite returns it: rows as JSON, sorted unless the query orders them. */
function rowsOf(db: Database, sql: string): string[] {
  const out = db.exec(sql)[0]?.values.map((r) => JSON.stringify(r)) ?? [];
  return /\border\s+by\b/i.test(sql) ? out : out.sort();
}

/** Indices of the databases on which `a` and `b` return different rows. */
function differingDatabases(suite: ExampleSuite, a: string, b: string): number[] {
  return suite.databases.flatMap((db, i) => (JSON.stringify(rowsOf(db, a)) === JSON.stringify(rowsOf(db, b)) ? [] : [i]));
}

interface Case {
  name: string;
  example: SqlExampleInput;
  nearMisses: string[];
  rewrites: string[];
}

const players = 'CREATE TABLE player (player_id INTEGER PRIMARY KEY, name VARCHAR, age INTEGER, team VARCHAR)';
const singers = 'CREATE TABLE singer (singer_id INTEGER, name VARCHAR, country VARCHAR); CREATE TABLE concert (concert_id INTEGER, singer_id INTEGER, year INTEGER, venue VARCHAR)';

const CASES: Case[] = [
  {
    name: 'integer column, strict lower bound',
    example: { context: players, gold: 'SELECT name FROM player WHERE age > 30' },
    nearMisses: ['SELECT name FROM player WHERE age >= 30', 'SELECT name FROM player WHERE age > 31', 'SELECT name FROM player WHERE age > 29'],
    rewrites: ['SELECT name FROM player WHERE 30 < age', 'SELECT name FROM player WHERE NOT age <= 30', 'select NAME from PLAYER where AGE > 30'],
  },
  {
    name: 'equality with a number',
    example: { context: players, gold: 'SELECT count(*) FROM player WHERE age = 25' },
    nearMisses: ['SELECT count(*) FROM player WHERE age = 26', 'SELECT count(*) FROM player WHERE age = 24', 'SELECT count(*) FROM player WHERE age >= 25'],
    rewrites: ['SELECT count(*) FROM player WHERE 25 = age', 'SELECT count(name) + count(*) - count(name) FROM player WHERE age = 25'],
  },
  {
    name: 'BETWEEN bounds',
    example: { context: players, gold: 'SELECT name FROM player WHERE age BETWEEN 20 AND 30' },
    nearMisses: ['SELECT name FROM player WHERE age BETWEEN 21 AND 30', 'SELECT name FROM player WHERE age BETWEEN 19 AND 30', 'SELECT name FROM player WHERE age BETWEEN 20 AND 31', 'SELECT name FROM player WHERE age BETWEEN 20 AND 29'],
    rewrites: ['SELECT name FROM player WHERE age >= 20 AND age <= 30', 'SELECT name FROM player WHERE age <= 30 AND 20 <= age'],
  },
  {
    name: 'real column at the literal and a small step beside it',
    example: { context: 'CREATE TABLE product (product_id INTEGER, title VARCHAR, price REAL)', gold: 'SELECT title FROM product WHERE price <= 9.5' },
    nearMisses: ['SELECT title FROM product WHERE price < 9.5', 'SELECT title FROM product WHERE price <= 10.5', 'SELECT title FROM product WHERE price <= 8.5', 'SELECT title FROM product WHERE price <= 9.49'],
    rewrites: ['SELECT title FROM product WHERE NOT price > 9.5', 'SELECT title FROM product WHERE 9.5 >= price'],
  },
  {
    name: 'ISO dates: the day itself and the days around it',
    example: { context: 'CREATE TABLE event (event_id INTEGER, title VARCHAR, event_date DATE)', gold: "SELECT title FROM event WHERE event_date < '2010-06-15'" },
    nearMisses: ["SELECT title FROM event WHERE event_date <= '2010-06-15'", "SELECT title FROM event WHERE event_date < '2010-06-16'", "SELECT title FROM event WHERE event_date < '2010-06-14'"],
    rewrites: ["SELECT title FROM event WHERE '2010-06-15' > event_date", 'SELECT title FROM event WHERE event_date < "2010-06-15"'],
  },
  {
    name: 'numbers stored as text (WikiSQL VARCHAR columns)',
    example: { context: 'CREATE TABLE table_name_7 (venue VARCHAR, crowd VARCHAR)', gold: 'SELECT venue FROM table_name_7 WHERE crowd > 20000' },
    nearMisses: ['SELECT venue FROM table_name_7 WHERE crowd >= 20000', 'SELECT venue FROM table_name_7 WHERE crowd > 20001', 'SELECT venue FROM table_name_7 WHERE crowd > 19999'],
    rewrites: ['SELECT venue FROM table_name_7 WHERE 20000 < crowd', 'SELECT venue AS v FROM table_name_7 WHERE crowd > 20000'],
  },
  {
    name: 'boundary on the joined table: the neighbour rows survive the join',
    example: { context: singers, gold: 'SELECT DISTINCT T1.name FROM singer AS T1 JOIN concert AS T2 ON T1.singer_id = T2.singer_id WHERE T2.year >= 2014' },
    nearMisses: [
      'SELECT DISTINCT T1.name FROM singer AS T1 JOIN concert AS T2 ON T1.singer_id = T2.singer_id WHERE T2.year > 2014',
      'SELECT DISTINCT T1.name FROM singer AS T1 JOIN concert AS T2 ON T1.singer_id = T2.singer_id WHERE T2.year >= 2015',
      'SELECT DISTINCT T1.name FROM singer AS T1 JOIN concert AS T2 ON T1.singer_id = T2.singer_id WHERE T2.year >= 2013',
    ],
    rewrites: ['SELECT DISTINCT name FROM singer WHERE singer_id IN (SELECT singer_id FROM concert WHERE year >= 2014)'],
  },
  {
    name: 'HAVING count(*) threshold: groups of N - 1, N and N + 1',
    example: { context: singers, gold: 'SELECT T1.name FROM singer AS T1 JOIN concert AS T2 ON T1.singer_id = T2.singer_id GROUP BY T1.singer_id HAVING count(*) > 2' },
    nearMisses: [
      'SELECT T1.name FROM singer AS T1 JOIN concert AS T2 ON T1.singer_id = T2.singer_id GROUP BY T1.singer_id HAVING count(*) >= 2',
      'SELECT T1.name FROM singer AS T1 JOIN concert AS T2 ON T1.singer_id = T2.singer_id GROUP BY T1.singer_id HAVING count(*) > 3',
      'SELECT T1.name FROM singer AS T1 JOIN concert AS T2 ON T1.singer_id = T2.singer_id GROUP BY T1.singer_id HAVING count(*) > 1',
    ],
    rewrites: ['SELECT T1.name FROM singer AS T1 JOIN concert AS T2 ON T1.singer_id = T2.singer_id GROUP BY T1.singer_id HAVING count(*) >= 3'],
  },
  {
    name: 'HAVING avg(x) threshold, and SUM for AVG',
    example: { context: 'CREATE TABLE staff (staff_id INTEGER, dept VARCHAR, salary INTEGER)', gold: 'SELECT dept FROM staff GROUP BY dept HAVING avg(salary) >= 5000' },
    nearMisses: [
      'SELECT dept FROM staff GROUP BY dept HAVING avg(salary) > 5000',
      'SELECT dept FROM staff GROUP BY dept HAVING avg(salary) >= 5001',
      'SELECT dept FROM staff GROUP BY dept HAVING avg(salary) >= 4999',
      'SELECT dept FROM staff GROUP BY dept HAVING sum(salary) >= 5000',
    ],
    rewrites: ['SELECT dept FROM staff GROUP BY dept HAVING sum(salary) * 1.0 / count(salary) >= 5000'],
  },
  {
    name: 'ORDER BY ... LIMIT n: more than n + 1 rows, no ties',
    example: { context: players, gold: "SELECT name FROM player WHERE team = 'x' ORDER BY age DESC LIMIT 3" },
    nearMisses: ["SELECT name FROM player WHERE team = 'x' ORDER BY age DESC LIMIT 4", "SELECT name FROM player WHERE team = 'x' ORDER BY age DESC LIMIT 2"],
    rewrites: ["SELECT name FROM player WHERE team = 'x' ORDER BY age DESC LIMIT 3 OFFSET 0", "SELECT name FROM (SELECT name, age FROM player WHERE team = 'x' ORDER BY age DESC) LIMIT 3"],
  },
  {
    name: 'boundary under ORDER BY the same column LIMIT 1',
    example: { context: players, gold: 'SELECT name FROM player WHERE age < 40 ORDER BY age DESC LIMIT 1' },
    nearMisses: ['SELECT name FROM player WHERE age <= 40 ORDER BY age DESC LIMIT 1', 'SELECT name FROM player WHERE age < 39 ORDER BY age DESC LIMIT 1'],
    rewrites: ['SELECT name FROM player WHERE age < 40 AND age = (SELECT max(age) FROM player WHERE age < 40) ORDER BY age DESC LIMIT 1'],
  },
  {
    name: 'boundary that only matters when the other OR-branch fails, under MAX',
    example: { context: 'CREATE TABLE game (game_id INTEGER, home VARCHAR, year INTEGER, score INTEGER)', gold: "SELECT max(score) FROM game WHERE home = 'x' OR year <= 1980" },
    nearMisses: ["SELECT max(score) FROM game WHERE home = 'x' OR year < 1980", "SELECT max(score) FROM game WHERE home = 'x' OR year <= 1979"],
    rewrites: ["SELECT max(score) FROM game WHERE year <= 1980 OR home = 'x'"],
  },
  {
    name: 'boundary beside NOT IN (SELECT ...)',
    example: {
      context: 'CREATE TABLE patient (patient_id INTEGER, name VARCHAR, age INTEGER); CREATE TABLE appointment (appointment_id INTEGER, patient_id INTEGER)',
      gold: 'SELECT name FROM patient WHERE age > 60 AND patient_id NOT IN (SELECT patient_id FROM appointment)',
    },
    nearMisses: [
      'SELECT name FROM patient WHERE age >= 60 AND patient_id NOT IN (SELECT patient_id FROM appointment)',
      'SELECT name FROM patient WHERE age > 61 AND patient_id NOT IN (SELECT patient_id FROM appointment)',
    ],
    rewrites: ['SELECT name FROM patient AS p WHERE age > 60 AND NOT EXISTS (SELECT 1 FROM appointment AS a WHERE a.patient_id = p.patient_id)'],
  },
];

describe('boundary rows: near misses differ from gold on the data, rewrites do not', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const suite = buildExampleSuite(SQL, c.example);
      try {
        for (const miss of c.nearMisses) {
          expect(differingDatabases(suite, c.example.gold, miss), miss).not.toEqual([]);
          expect(evaluateOnSuite(suite, miss).equivalent, miss).toBe(false);
        }
        for (const same of c.rewrites) {
          expect(differingDatabases(suite, c.example.gold, same), same).toEqual([]);
          expect(evaluateOnSuite(suite, same).equivalent, same).toBe(true);
        }
        // The gold query still selects rows on every database that holds boundary rows.
        suite.goldResults.forEach((r, i) => {
          if (DEFAULT_PROFILES[i]!.boundary) expect(r.rows.length, `database ${i}`).toBeGreaterThan(0);
        });
      } finally {
        suite.close();
      }
    });
  }
});

describe('what the boundary rows hold', () => {
  const plain = DEFAULT_PROFILES.map(({ boundary: _boundary, ...p }) => p);

  it('without them, random rows alone miss the near misses these cases are about', () => {
    // The reference: the same cases judged on the random rows only. Some near misses go uncaught,
    // which is what the boundary rows are for (if random rows caught them all, these tests would
    // not show anything).
    let missed = 0;
    for (const c of CASES) {
      const suite = buildExampleSuite(SQL, c.example, { profiles: plain });
      missed += c.nearMisses.filter((m) => evaluateOnSuite(suite, m).equivalent).length;
      suite.close();
    }
    expect(missed).toBeGreaterThanOrEqual(5);
  });

  it('puts the literal and both neighbours on the joined table, each with a matching parent row', () => {
    const suite = buildExampleSuite(SQL, CASES[6]!.example);
    try {
      suite.databases.forEach((db, i) => {
        if (!DEFAULT_PROFILES[i]!.boundary) return;
        for (const year of [2013, 2014, 2015]) {
          const joined = db.exec(`SELECT count(*) FROM concert AS c JOIN singer AS s ON s.singer_id = c.singer_id WHERE c.year = ${year}`)[0]!.values[0]![0];
          expect(joined, `database ${i}, year ${year}`).toBeGreaterThan(0);
        }
      });
    } finally {
      suite.close();
    }
  });

  it('makes groups of exactly N - 1, N and N + 1 rows for HAVING count(*) > N', () => {
    const suite = buildExampleSuite(SQL, CASES[7]!.example);
    try {
      suite.databases.forEach((db, i) => {
        if (!DEFAULT_PROFILES[i]!.boundary) return;
        const sizes = new Set(db.exec('SELECT count(*) FROM singer AS s JOIN concert AS c ON s.singer_id = c.singer_id GROUP BY s.singer_id')[0]!.values.map((r) => r[0]));
        for (const n of [1, 2, 3]) expect(sizes.has(n), `database ${i}: a group of ${n}`).toBe(true);
      });
    } finally {
      suite.close();
    }
  });

  it('gives ORDER BY ... LIMIT n at least n + 2 rows with distinct sort keys', () => {
    const suite = buildExampleSuite(SQL, CASES[9]!.example);
    try {
      suite.databases.forEach((db, i) => {
        if (!DEFAULT_PROFILES[i]!.boundary) return;
        const ages = db.exec("SELECT age FROM player WHERE team = 'x' AND age IS NOT NULL ORDER BY age DESC")[0]!.values.map((r) => r[0]);
        expect(ages.length).toBeGreaterThanOrEqual(5);
        // The top n + 1 are strictly ordered, so LIMIT 3 and LIMIT 4 are both unambiguous.
        for (let k = 0; k < 4; k++) expect(ages[k]! > ages[k + 1]!, `database ${i}: ${ages.slice(0, 5).join(', ')}`).toBe(true);
      });
    } finally {
      suite.close();
    }
  });

  it('leaves the edge-size database without them, and is deterministic in the seed', () => {
    const a = buildExampleSuite(SQL, CASES[0]!.example, { seed: 3 });
    const b = buildExampleSuite(SQL, CASES[0]!.example, { seed: 3 });
    try {
      const dump = (s: ExampleSuite) => s.databases.map((db) => rowsOf(db, 'SELECT * FROM player ORDER BY player_id'));
      expect(dump(a)).toEqual(dump(b));
      const edge = DEFAULT_PROFILES.findIndex((p) => !p.boundary);
      const n = a.databases[edge]!.exec('SELECT count(*) FROM player')[0]!.values[0]![0] as number;
      expect(n).toBeLessThanOrEqual(DEFAULT_PROFILES[edge]!.rows[1]);
    } finally {
      a.close();
      b.close();
    }
  });
});
