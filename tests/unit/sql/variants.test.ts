/** The benchmark's query variants (bench/sql-variants.ts), checked against hand-written expectations. */
import { describe, expect, it } from 'vitest';
import { mutate, rewrite } from '../../../bench/sql-variants';

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
