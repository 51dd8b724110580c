/** The benchmark's query variants (bench/sql-variants.ts), checked against hand-written expectations. */
import { describe, expect, it } from 'vitest';
import { mutants, mutate, rewrite, uncatchableReason } from '../../../bench/sql-variants';

const ctx = 'CREATE TABLE singer (singer_id INTEGER, name VARCHAR, country VARCHAR, age INTEGER)';

describe('rewrites (meaning kept)', () => {
  it('reformat flips case and lays clauses on lines', () => {
    expect(rewrite('SELECT name FROM singer WHERE age > 3', 'reformat')).toBe('select NAME\n  from SINGER\n  where AGE > 3');
  });
  it('aliases every unaliased outer item, leaves * alone, skips compound + ORDER BY', () => {
    expect(rewrite('SELECT name, count(*) AS n, T1.age FROM singer AS T1', 'aliases')).toBe('SELECT name AS alias_1, count (*) AS n, T1.age AS alias_3 FROM singer AS T1');
    expect(rewrite('SELECT * FROM singer', 'aliases')).toBeNull();
    expect(rewrite('SELECT name FROM singer UNION SELECT country FROM singer ORDER BY name', 'aliases')).toBeNull();
  });
  it('reorder-and reverses top-level AND terms, keeping BETWEEN intact, and skips OR', () => {
    expect(rewrite('SELECT name FROM singer WHERE age BETWEEN 1 AND 5 AND country = "x" ORDER BY age', 'reorder-and')).toBe(
      'SELECT name FROM singer WHERE country = "x" AND age BETWEEN 1 AND 5 ORDER BY age',
    );
    expect(rewrite('SELECT name FROM singer WHERE age > 1 AND country = "x" OR age < 0', 'reorder-and')).toBeNull();
  });
});

describe('wrong variants', () => {
  it('changed-column picks another column of the same table and type', () => {
    expect(mutate('SELECT T1.name FROM singer AS T1 WHERE T1.age > 3', ctx, 'changed-column')).toBe('SELECT T1.country FROM singer AS T1 WHERE T1.age > 3');
    expect(mutate('SELECT max(age) FROM singer', ctx, 'changed-column')).toBe('SELECT max (singer_id) FROM singer');
  });
  it('dropped-condition removes the last AND-term, or the whole WHERE / HAVING', () => {
    expect(mutate('SELECT name FROM singer WHERE age > 3 AND country = "x"', ctx, 'dropped-condition')).toBe('SELECT name FROM singer WHERE age > 3');
    expect(mutate('SELECT name FROM singer WHERE age > 3 ORDER BY age', ctx, 'dropped-condition')).toBe('SELECT name FROM singer ORDER BY age');
    expect(mutate('SELECT country FROM singer GROUP BY country HAVING count(*) > 1', ctx, 'dropped-condition')).toBe('SELECT country FROM singer GROUP BY country');
  });
  it('wrong-aggregate and flipped-order', () => {
    expect(mutate('SELECT max(age), min(age) FROM singer', ctx, 'wrong-aggregate')).toBe('SELECT MIN (age), min (age) FROM singer');
    expect(mutate('SELECT count(DISTINCT country) FROM singer', ctx, 'wrong-aggregate')).toBe('SELECT count (country) FROM singer');
    expect(mutate('SELECT count(*) FROM singer', ctx, 'wrong-aggregate')).toBeNull();
    expect(mutate('SELECT name FROM singer ORDER BY age DESC LIMIT 1', ctx, 'flipped-order')).toBe('SELECT name FROM singer ORDER BY age ASC LIMIT 1');
    expect(mutate('SELECT name FROM singer ORDER BY age', ctx, 'flipped-order')).toBe('SELECT name FROM singer ORDER BY age DESC');
  });
});

describe('near-miss variants', () => {
  it('comparison-boundary flips the first < <= > >= against a literal, the outer query first', () => {
    expect(mutants('SELECT name FROM singer WHERE country = "x" AND age > 30', ctx, 'comparison-boundary')).toEqual(['SELECT name FROM singer WHERE country = "x" AND age >= 30']);
    expect(mutants('SELECT name FROM singer WHERE 30 <= age', ctx, 'comparison-boundary')).toEqual(['SELECT name FROM singer WHERE 30 < age']);
    expect(mutants('SELECT name FROM singer WHERE age IN (SELECT age FROM singer WHERE age < 5) AND singer_id >= 2', ctx, 'comparison-boundary')).toEqual([
      'SELECT name FROM singer WHERE age IN (SELECT age FROM singer WHERE age < 5) AND singer_id > 2',
    ]);
    expect(mutants('SELECT name FROM singer WHERE age IN (SELECT age FROM singer WHERE age < 5)', ctx, 'comparison-boundary')).toEqual([
      'SELECT name FROM singer WHERE age IN (SELECT age FROM singer WHERE age <= 5)',
    ]);
    expect(mutants('SELECT country FROM singer GROUP BY country HAVING count(*) > 2', ctx, 'comparison-boundary')).toEqual(['SELECT country FROM singer GROUP BY country HAVING count (*) >= 2']);
    expect(mutants('SELECT name FROM singer WHERE age = 3 ORDER BY age', ctx, 'comparison-boundary')).toEqual([]);
  });

  it('off-by-one-literal moves a number (keeping its decimals), a numeric string or an ISO date by one', () => {
    expect(mutants('SELECT name FROM singer WHERE age = 25', ctx, 'off-by-one-literal')).toEqual(['SELECT name FROM singer WHERE age = 26', 'SELECT name FROM singer WHERE age = 24']);
    expect(mutants('SELECT name FROM singer WHERE age > -3.25', ctx, 'off-by-one-literal')).toEqual(['SELECT name FROM singer WHERE age > -2.25', 'SELECT name FROM singer WHERE age > -4.25']);
    expect(mutants('SELECT name FROM singer WHERE country = "x" AND age <= "40"', ctx, 'off-by-one-literal')).toEqual([
      'SELECT name FROM singer WHERE country = "x" AND age <= "41"',
      'SELECT name FROM singer WHERE country = "x" AND age <= "39"',
    ]);
    expect(mutants("SELECT name FROM singer WHERE country < '2012-03-01'", ctx, 'off-by-one-literal')).toEqual([
      "SELECT name FROM singer WHERE country < '2012-03-02'",
      "SELECT name FROM singer WHERE country < '2012-02-29'",
    ]);
    expect(mutants('SELECT name FROM singer WHERE age BETWEEN 20 AND 30', ctx, 'off-by-one-literal')).toEqual([
      'SELECT name FROM singer WHERE age BETWEEN 21 AND 30',
      'SELECT name FROM singer WHERE age BETWEEN 19 AND 30',
    ]);
    expect(mutants('SELECT name FROM singer WHERE country = "x"', ctx, 'off-by-one-literal')).toEqual([]);
  });

  it('limit-off-by-one gives n + 1, and n - 1 when n > 1', () => {
    expect(mutants('SELECT name FROM singer ORDER BY age LIMIT 1', ctx, 'limit-off-by-one')).toEqual(['SELECT name FROM singer ORDER BY age LIMIT 2']);
    expect(mutants('SELECT name FROM singer ORDER BY age LIMIT 3', ctx, 'limit-off-by-one')).toEqual(['SELECT name FROM singer ORDER BY age LIMIT 4', 'SELECT name FROM singer ORDER BY age LIMIT 2']);
    expect(mutants('SELECT name FROM singer ORDER BY age LIMIT 5, 2', ctx, 'limit-off-by-one')).toEqual(['SELECT name FROM singer ORDER BY age LIMIT 5, 3', 'SELECT name FROM singer ORDER BY age LIMIT 5, 1']);
    expect(mutants('SELECT name FROM singer', ctx, 'limit-off-by-one')).toEqual([]);
  });

  it('sets apart, with a reason, only the variants no data can tell from gold', () => {
    const check = (gold: string, kind: 'comparison-boundary' | 'off-by-one-literal' | 'limit-off-by-one') => mutants(gold, ctx, kind).map((v) => uncatchableReason(gold, v, kind));
    expect(check('SELECT count(*) FROM singer WHERE age = (SELECT age FROM singer ORDER BY age LIMIT 1)', 'limit-off-by-one')).toEqual(['scalar-subquery-limit']);
    expect(check('SELECT max(age) FROM singer ORDER BY name LIMIT 2', 'limit-off-by-one')).toEqual(['one-row-limit', 'one-row-limit']);
    expect(check('SELECT country FROM singer GROUP BY country HAVING count(*) >= 0', 'off-by-one-literal')).toEqual(['group-count-at-least-1', 'group-count-at-least-1']);
    expect(check('SELECT country FROM singer GROUP BY country HAVING count(*) > 0', 'comparison-boundary')).toEqual(['group-count-at-least-1']);
    // Catchable by some data: IN (SELECT ... LIMIT), grouped queries, count(*) without GROUP BY, count(x).
    expect(check('SELECT count(*) FROM singer WHERE age IN (SELECT age FROM singer ORDER BY age LIMIT 1)', 'limit-off-by-one')).toEqual([null]);
    expect(check('SELECT country, max(age) FROM singer GROUP BY country LIMIT 2', 'limit-off-by-one')).toEqual([null, null]);
    expect(check('SELECT count(*) FROM singer HAVING count(*) > 0', 'comparison-boundary')).toEqual([null]);
    expect(check('SELECT country FROM singer GROUP BY country HAVING count(age) >= 0', 'off-by-one-literal')).toEqual([null, null]);
    expect(check('SELECT country FROM singer GROUP BY country HAVING count(*) > 1', 'comparison-boundary')).toEqual([null]);
  });
});
