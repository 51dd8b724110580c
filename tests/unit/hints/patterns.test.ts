import { describe, expect, it } from 'vitest';
import { describePattern, FIXED_PATTERN_KEYS, isPatternKey, parsePatternKey, tablePatternKey } from '../../../src/hints/pattern-keys';
import { extractPatterns, matches, tokenizeLeniently } from '../../../src/hints/patterns';
import { parseSchema } from '../../../src/sql/schema';

const schema = parseSchema(
  [
    'CREATE TABLE customers (customer_id INTEGER PRIMARY KEY, name VARCHAR, city VARCHAR, signup_year INTEGER)',
    'CREATE TABLE products (product_id INTEGER PRIMARY KEY, title VARCHAR, category VARCHAR, price REAL)',
    'CREATE TABLE orders (order_id INTEGER PRIMARY KEY, customer_id INTEGER, product_id INTEGER, quantity INTEGER, amount REAL, status VARCHAR)',
  ].join('; '),
);

const keysOf = (sql: string, withSchema = true) => [...extractPatterns(sql, withSchema ? { schema } : {}).keys];

describe('extractPatterns on realistic SQL', () => {
  it('reads an aggregate over one table', () => {
    expect(keysOf('SELECT count(*) FROM customers WHERE city = \'Lyon\'')).toEqual([
      'agg:COUNT',
      'agg:COUNT(*)',
      'clause:WHERE',
      'column:customers.city',
      'quote:single-literal',
      'table:customers',
    ]);
  });

  it('reads an aliased join with grouping, HAVING, ordering and LIMIT 1, resolving aliases to tables', () => {
    const sql = `SELECT T2.title, sum(T1.amount) AS total
                 FROM orders AS T1 JOIN products AS T2 ON T1.product_id = T2.product_id
                 GROUP BY T2.product_id HAVING count(DISTINCT T1.customer_id) >= 3
                 ORDER BY total DESC LIMIT 1`;
    const keys = keysOf(sql);
    for (const k of [
      'join:INNER', 'alias:table', 'alias:column', 'agg:SUM', 'agg:COUNT', 'agg:COUNT(DISTINCT)', 'clause:GROUP-BY', 'clause:HAVING',
      'order:DESC', 'clause:LIMIT', 'limit:1', 'table:orders', 'table:products', 'column:products.title', 'column:orders.amount',
      'column:orders.product_id', 'column:products.product_id', 'column:orders.customer_id',
    ]) {
      expect(keys, k).toContain(k);
    }
    // "total" is the select alias, not a column; ordering by it is DESC only.
    expect(keys.filter((k) => k.startsWith('column:'))).not.toContain('column:orders.total');
    expect(keys).not.toContain('order:ASC');
    expect(keys).not.toContain('schema:unknown-column');
  });

  it.each([
    ['SELECT name FROM customers LEFT JOIN orders ON customers.customer_id = orders.customer_id', 'join:LEFT'],
    ['SELECT name FROM customers LEFT OUTER JOIN orders USING (customer_id)', 'join:LEFT'],
    ['SELECT name FROM customers CROSS JOIN products', 'join:CROSS'],
    ['SELECT name FROM customers NATURAL JOIN orders', 'join:NATURAL'],
    ['SELECT name FROM customers INNER JOIN orders ON customers.customer_id = orders.customer_id', 'join:INNER'],
    ['SELECT c.name, o.amount FROM customers c, orders o WHERE c.customer_id = o.customer_id', 'join:implicit'],
  ])('finds the join kind of %j', (sql, key) => {
    const keys = keysOf(sql);
    expect(keys).toContain(key);
    expect(keys.filter((k) => k.startsWith('join:'))).toEqual([key]);
  });

  it('resolves comma-join aliases to their tables', () => {
    const keys = keysOf('SELECT c.name, o.amount FROM customers c, orders o WHERE c.customer_id = o.customer_id');
    expect(keys).toEqual(expect.arrayContaining(['column:customers.name', 'column:orders.amount', 'column:customers.customer_id', 'column:orders.customer_id']));
  });

  it.each([
    ['SELECT name FROM customers WHERE customer_id IN (SELECT customer_id FROM orders)', 'subquery:IN'],
    ['SELECT name FROM customers WHERE customer_id NOT IN (SELECT customer_id FROM orders)', 'subquery:NOT-IN'],
    ['SELECT name FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.customer_id)', 'subquery:EXISTS'],
    ['SELECT name FROM customers c WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.customer_id)', 'subquery:NOT-EXISTS'],
    ['SELECT title FROM products WHERE price > (SELECT avg(price) FROM products)', 'subquery:scalar'],
    ['SELECT max(n) FROM (SELECT count(*) AS n FROM orders GROUP BY customer_id) AS per_customer', 'subquery:FROM'],
  ])('classifies the subquery in %j', (sql, key) => {
    const keys = keysOf(sql);
    expect(keys.filter((k) => k.startsWith('subquery:'))).toEqual([key]);
  });

  it('reads tables and columns inside nested queries, with correlated references to the outer alias', () => {
    const sql = 'SELECT name FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.customer_id AND o.status = \'paid\')';
    const r = extractPatterns(sql, { schema });
    expect(r.tables).toEqual(['customers', 'orders']);
    expect([...r.keys]).toEqual(expect.arrayContaining(['column:customers.name', 'column:orders.status', 'column:customers.customer_id']));
  });

  it('resolves unqualified columns against the schema, and only when unambiguous', () => {
    const keys = keysOf('SELECT title, quantity FROM orders JOIN products ON orders.product_id = products.product_id WHERE category = \'toys\'');
    expect(keys).toEqual(expect.arrayContaining(['column:products.title', 'column:orders.quantity', 'column:products.category']));
    // customer_id is in customers and orders: bare, it is ambiguous and left out.
    const ambiguous = keysOf('SELECT customer_id FROM customers JOIN orders ON customers.customer_id = orders.customer_id');
    expect(ambiguous.filter((k) => k.startsWith('column:'))).toEqual(['column:customers.customer_id', 'column:orders.customer_id']);
  });

  it('without a schema, attributes bare names to the only table and resolves aliases', () => {
    expect(keysOf('SELECT name, age FROM singer WHERE age > 30', false)).toEqual(
      expect.arrayContaining(['column:singer.name', 'column:singer.age', 'table:singer']),
    );
    const join = keysOf('SELECT T1.name FROM singer AS T1 JOIN concert AS T2 ON T1.id = T2.singer_id WHERE year = 2014', false);
    expect(join.filter((k) => k.startsWith('column:')).sort()).toEqual(['column:concert.singer_id', 'column:singer.id', 'column:singer.name']);
  });

  it('tells ORDER BY directions apart, with ASC as the default', () => {
    expect(keysOf('SELECT name FROM customers ORDER BY signup_year')).toContain('order:ASC');
    const both = keysOf('SELECT name FROM customers ORDER BY signup_year DESC, name ASC');
    expect(both).toEqual(expect.arrayContaining(['order:ASC', 'order:DESC']));
    expect(keysOf('SELECT name FROM customers ORDER BY signup_year DESC')).not.toContain('order:ASC');
  });

  it('reads LIMIT 1 apart from other limits', () => {
    expect(keysOf('SELECT name FROM customers LIMIT 1')).toEqual(expect.arrayContaining(['clause:LIMIT', 'limit:1']));
    expect(keysOf('SELECT name FROM customers LIMIT 10')).not.toContain('limit:1');
  });

  it('reads DISTINCT, SELECT *, set operations, LIKE, BETWEEN, IN lists, CASE and CTEs', () => {
    expect(keysOf('SELECT DISTINCT city FROM customers')).toContain('select:DISTINCT');
    expect(keysOf('SELECT * FROM products')).toContain('select:*');
    expect(keysOf('SELECT o.* FROM orders o')).toContain('select:*');
    expect(keysOf('SELECT count(*) FROM orders')).not.toContain('select:*');
    expect(keysOf('SELECT price * quantity FROM orders JOIN products USING (product_id)')).not.toContain('select:*');
    expect(keysOf('SELECT city FROM customers UNION SELECT category FROM products')).toContain('setop:UNION');
    expect(keysOf('SELECT city FROM customers UNION ALL SELECT category FROM products')).toContain('setop:UNION-ALL');
    expect(keysOf('SELECT customer_id FROM customers INTERSECT SELECT customer_id FROM orders')).toContain('setop:INTERSECT');
    expect(keysOf('SELECT customer_id FROM customers EXCEPT SELECT customer_id FROM orders')).toContain('setop:EXCEPT');
    expect(keysOf("SELECT name FROM customers WHERE name LIKE '%son'")).toContain('op:LIKE');
    expect(keysOf('SELECT title FROM products WHERE price BETWEEN 10 AND 20')).toContain('op:BETWEEN');
    expect(keysOf("SELECT title FROM products WHERE category IN ('toys', 'games')")).toContain('op:IN-list');
    expect(keysOf("SELECT CASE WHEN price > 10 THEN 'high' ELSE 'low' END FROM products")).toContain('op:CASE');
    const cte = extractPatterns('WITH big AS (SELECT customer_id FROM orders WHERE amount > 100) SELECT count(*) FROM big', { schema });
    expect([...cte.keys]).toContain('cte:WITH');
    expect(cte.tables).toEqual(['orders']); // the CTE name is not a table
    expect([...cte.keys]).not.toContain('schema:unknown-table');
  });

  it('tells double-quoted literals from quoted identifiers (the project double-quote rule)', () => {
    const dq = keysOf('SELECT name FROM customers WHERE city = "Lyon"');
    expect(dq).toContain('quote:double-literal');
    expect(dq).not.toContain('quote:single-literal');
    expect(dq).not.toContain('quote:identifier');
    expect(dq).not.toContain('column:customers.lyon');
    const ident = keysOf('SELECT "name" FROM "customers" WHERE "city" = \'Lyon\'');
    expect(ident).toEqual(expect.arrayContaining(['quote:identifier', 'quote:single-literal', 'column:customers.name', 'column:customers.city', 'table:customers']));
    expect(ident).not.toContain('quote:double-literal');
    expect(keysOf('SELECT `name` FROM [customers]')).toContain('quote:identifier');
  });

  it('treats two-argument MIN/MAX as scalar functions, not aggregates', () => {
    const keys = keysOf('SELECT max(price, 10), min(quantity) FROM orders JOIN products USING (product_id)');
    expect(keys).toContain('agg:MIN');
    expect(keys).not.toContain('agg:MAX');
  });

  it('flags tables and columns the schema lacks', () => {
    const keys = keysOf('SELECT product, sum(revenue) FROM sales GROUP BY product');
    expect(keys).toEqual(expect.arrayContaining(['schema:unknown-table', 'schema:unknown-column', 'table:sales']));
    const col = keysOf('SELECT o.revenue FROM orders o');
    expect(col).toEqual(expect.arrayContaining(['schema:unknown-column', 'column:orders.revenue']));
    expect(col).not.toContain('schema:unknown-table');
    expect(keysOf('SELECT amount FROM orders')).not.toContain('schema:unknown-column');
  });

  it('does not take select aliases, CAST types or function names for columns', () => {
    const keys = keysOf('SELECT CAST(price AS INTEGER) p, upper(title) AS t FROM products ORDER BY p');
    expect(keys.filter((k) => k.startsWith('column:')).sort()).toEqual(['column:products.price', 'column:products.title']);
    expect(keys).not.toContain('schema:unknown-column');
  });

  it('resolves bare names against each SELECT of a compound query separately', () => {
    const keys = keysOf('SELECT name FROM customers UNION SELECT title FROM products');
    expect(keys).toEqual(expect.arrayContaining(['column:customers.name', 'column:products.title']));
  });
});

describe('extractPatterns on garbage', () => {
  it.each([
    '',
    '   ',
    'I think the answer is to count the singers.',
    "SELECT name FROM customers WHERE name = 'unterminated",
    'SELECT name FROM customers WHERE city = "unterminated',
    '¿¿¿ ### @@@ ???',
    'SELECT ((((( FROM FROM JOIN ON ON ))) WHERE',
    ')))) SELECT * FROM',
    'SELECT * FROM t; DROP TABLE t; --',
    'x'.repeat(50_000),
    '<SOLUTION>SELECT 1</SOLUTION>',
  ])('never throws on %j', (sql) => {
    expect(() => extractPatterns(sql, { schema })).not.toThrow();
    expect(() => extractPatterns(sql)).not.toThrow();
  });

  it('returns what it read before an unterminated literal, and says why it stopped', () => {
    const r = extractPatterns("SELECT name FROM customers WHERE city = 'Ly", { schema });
    expect([...r.keys]).toEqual(expect.arrayContaining(['table:customers', 'column:customers.name', 'clause:WHERE']));
    expect(r.issues.join(' ')).toMatch(/unterminated string literal/);
  });

  it('skips unexpected characters and keeps reading', () => {
    const r = extractPatterns('SELECT name # FROM customers', { schema });
    expect(r.tables).toEqual(['customers']);
    expect(r.issues.join(' ')).toMatch(/unexpected character "#"/);
  });

  it('accepts non-string input', () => {
    expect(extractPatterns(undefined).keys.size).toBe(0);
    expect(extractPatterns(42 as unknown).issues).toEqual(['not a string']);
  });

  it('cuts very long input and says so', () => {
    const r = extractPatterns(`SELECT name FROM customers WHERE ${'name = name AND '.repeat(3000)}1`);
    expect(r.issues.join(' ')).toMatch(/longer than/);
    expect(r.tables).toEqual(['customers']);
  });

  it('caps the lexer issues it reports', () => {
    const r = tokenizeLeniently('SELECT ####### 1');
    expect(r.issues.length).toBe(4);
    expect(r.issues[3]).toMatch(/4 more characters/);
    expect(r.tokens.map((t) => t.text).join('')).toBe('SELECT  1');
  });
});

describe('pattern keys', () => {
  it('every extracted key parses and has a description', () => {
    const r = extractPatterns('SELECT T1.name, count(*) FROM customers AS T1 JOIN orders AS T2 ON T1.customer_id = T2.customer_id GROUP BY T1.name', { schema });
    for (const p of r.patterns) {
      expect(isPatternKey(p.key)).toBe(true);
      expect(p.description).toBe(describePattern(p.key));
      expect(p.description.length).toBeGreaterThan(2);
    }
    expect(r.patterns.find((p) => p.key === 'table:customers')?.tables).toEqual(['customers']);
    expect(r.patterns.find((p) => p.key === 'agg:COUNT')?.tables).toEqual([]);
  });

  it('rejects keys it does not produce', () => {
    for (const bad of ['', 'agg:MEDIAN', 'table:', 'table:Singer', 'column:singer', 'column:.x', 'column:singer.', 'foo', 'table:a\nb', 42]) {
      expect(parsePatternKey(bad), String(bad)).toBeUndefined();
    }
    expect(parsePatternKey('column:singer.age')).toEqual({ family: 'column', table: 'singer', column: 'age' });
    expect(FIXED_PATTERN_KEYS.every((k) => isPatternKey(k))).toBe(true);
  });

  it('does not make keys for names a key cannot carry', () => {
    expect(tablePatternKey('my.table')).toBeUndefined();
    expect(keysOf('SELECT a FROM "my.table"', false)).not.toContain('table:my.table');
  });

  it('matches() agrees with extraction', () => {
    expect(matches('agg:COUNT(DISTINCT)', 'SELECT count(DISTINCT city) FROM customers')).toBe(true);
    expect(matches('agg:COUNT(DISTINCT)', 'SELECT count(city) FROM customers')).toBe(false);
    expect(matches('column:customers.city', 'SELECT city FROM customers', { schema })).toBe(true);
    expect(matches('join:LEFT', 'garbage ((( LEFT')).toBe(false);
  });
});
