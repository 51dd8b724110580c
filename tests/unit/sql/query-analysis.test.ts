import { describe, expect, it } from 'vitest';
import { analyzeQuery } from '../../../src/sql/query-analysis';
import { parseSchema } from '../../../src/sql/schema';

const concert = parseSchema(
  'CREATE TABLE stadium (Stadium_ID INTEGER, Name VARCHAR, Capacity INTEGER); CREATE TABLE concert (concert_ID INTEGER, Stadium_ID VARCHAR, Year VARCHAR, Theme VARCHAR)',
);

describe('analyzeQuery', () => {
  it('finds column-literal constraints, including WikiSQL double-quoted values', () => {
    const s = parseSchema('CREATE TABLE table_name_12 (name VARCHAR, school VARCHAR, pick VARCHAR)');
    const f = analyzeQuery('SELECT name FROM table_name_12 WHERE school = "redwood school" AND pick > 10', s);
    expect(f.tables).toEqual(['table_name_12']);
    expect(f.constraints).toEqual([
      { ref: { table: 'table_name_12', column: 'school' }, op: '=', values: ['redwood school'], negated: false },
      { ref: { table: 'table_name_12', column: 'pick' }, op: '>', values: [10], negated: false },
    ]);
    expect(f.numericColumns).toEqual([{ table: 'table_name_12', column: 'pick' }]);
    expect(f.literals).toEqual(['redwood school', 10]);
  });

  it('resolves aliases in joins and records join equalities', () => {
    const f = analyzeQuery(
      'SELECT T2.Name FROM concert AS T1 JOIN stadium AS T2 ON T1.Stadium_ID = T2.Stadium_ID WHERE T1.Year = 2014 ORDER BY T2.Capacity DESC LIMIT 1',
      concert,
    );
    expect(f.tables.sort()).toEqual(['concert', 'stadium']);
    expect(f.equalities).toEqual([[{ table: 'concert', column: 'Stadium_ID' }, { table: 'stadium', column: 'Stadium_ID' }]]);
    expect(f.constraints).toEqual([{ ref: { table: 'concert', column: 'Year' }, op: '=', values: [2014], negated: false }]);
    expect(f.orderByColumns).toEqual([{ table: 'stadium', column: 'Capacity' }]);
    expect(f.hasTopLevelOrderBy).toBe(true);
  });

  it('keeps aliases scoped to their subquery (Spider reuses T1/T2 inside)', () => {
    const f = analyzeQuery(
      'SELECT T1.Name FROM stadium AS T1 WHERE T1.Stadium_ID NOT IN (SELECT T1.Stadium_ID FROM concert AS T1 WHERE T1.Theme LIKE "%rock%")',
      concert,
    );
    expect(f.equalities).toEqual([[{ table: 'stadium', column: 'Stadium_ID' }, { table: 'concert', column: 'Stadium_ID' }]]);
    expect(f.constraints).toEqual([{ ref: { table: 'concert', column: 'Theme' }, op: 'LIKE', values: ['%rock%'], negated: false }]);
    expect(f.hasTopLevelOrderBy).toBe(false);
  });

  it('flips literal-first comparisons, reads IN lists, BETWEEN and negative numbers', () => {
    const f = analyzeQuery("SELECT Name FROM stadium WHERE 5000 < Capacity AND Name IN ('a', 'b') AND Capacity BETWEEN -3 AND 9", concert);
    expect(f.constraints).toEqual([
      { ref: { table: 'stadium', column: 'Capacity' }, op: '>', values: [5000], negated: false },
      { ref: { table: 'stadium', column: 'Name' }, op: 'IN', values: ['a', 'b'], negated: false },
      { ref: { table: 'stadium', column: 'Capacity' }, op: 'BETWEEN', values: [-3, 9], negated: false },
    ]);
  });

  it('marks SUM/AVG arguments numeric, sees HAVING count thresholds, ignores ORDER BY inside subqueries', () => {
    const f = analyzeQuery(
      'SELECT Theme, sum(Year) FROM concert GROUP BY Theme HAVING count(*) > 2 UNION SELECT Name, 0 FROM stadium WHERE Capacity = (SELECT max(Capacity) FROM stadium ORDER BY Name)',
      concert,
    );
    expect(f.numericColumns).toEqual([{ table: 'concert', column: 'Year' }]);
    expect(f.minGroupRows).toBe(3);
    expect(f.hasTopLevelOrderBy).toBe(false);
    expect(f.equalities).toEqual([
      [{ table: 'stadium', column: 'Capacity' }, { table: 'stadium', column: 'Capacity' }],
      // UNION: the first result columns of both sides meet (the second pair is not two columns).
      [{ table: 'concert', column: 'Theme' }, { table: 'stadium', column: 'Name' }],
    ]);
  });

  it('links the result columns of INTERSECT / EXCEPT sides position by position', () => {
    const f = analyzeQuery('SELECT Stadium_ID, Name FROM stadium EXCEPT SELECT DISTINCT T1.Stadium_ID, T1.Theme FROM concert AS T1 WHERE T1.Year = 2014', concert);
    expect(f.equalities).toEqual([
      [{ table: 'stadium', column: 'Stadium_ID' }, { table: 'concert', column: 'Stadium_ID' }],
      [{ table: 'stadium', column: 'Name' }, { table: 'concert', column: 'Theme' }],
    ]);
  });
});
