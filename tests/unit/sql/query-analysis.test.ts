import { describe, expect, it } from 'vitest';
import { analyzeQuery, type ColumnConstraint } from '../../../src/sql/query-analysis';
import { parseSchema } from '../../../src/sql/schema';

const concert = parseSchema(
  'CREATE TABLE stadium (Stadium_ID INTEGER, Name VARCHAR, Capacity INTEGER); CREATE TABLE concert (concert_ID INTEGER, Stadium_ID VARCHAR, Year VARCHAR, Theme VARCHAR)',
);

/** The column-op-literal part of constraints (where they sit is checked in its own test). */
const core = (cs: ColumnConstraint[]) => cs.map(({ ref, op, values, negated }) => ({ ref, op, values, negated }));

describe('analyzeQuery', () => {
  it('finds column-literal constraints, including WikiSQL double-quoted values', () => {
    const s = parseSchema('CREATE TABLE table_name_12 (name VARCHAR, school VARCHAR, pick VARCHAR)');
    const f = analyzeQuery('SELECT name FROM table_name_12 WHERE school = "redwood school" AND pick > 10', s);
    expect(f.tables).toEqual(['table_name_12']);
    expect(core(f.constraints)).toEqual([
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
    expect(core(f.constraints)).toEqual([{ ref: { table: 'concert', column: 'Year' }, op: '=', values: [2014], negated: false }]);
    expect(f.orderByColumns).toEqual([{ table: 'stadium', column: 'Capacity' }]);
    expect(f.hasTopLevelOrderBy).toBe(true);
  });

  it('keeps aliases scoped to their subquery (Spider reuses T1/T2 inside)', () => {
    const f = analyzeQuery(
      'SELECT T1.Name FROM stadium AS T1 WHERE T1.Stadium_ID NOT IN (SELECT T1.Stadium_ID FROM concert AS T1 WHERE T1.Theme LIKE "%rock%")',
      concert,
    );
    expect(f.equalities).toEqual([[{ table: 'stadium', column: 'Stadium_ID' }, { table: 'concert', column: 'Stadium_ID' }]]);
    expect(core(f.constraints)).toEqual([{ ref: { table: 'concert', column: 'Theme' }, op: 'LIKE', values: ['%rock%'], negated: false }]);
    expect(f.hasTopLevelOrderBy).toBe(false);
  });

  it('flips literal-first comparisons, reads IN lists, BETWEEN and negative numbers', () => {
    const f = analyzeQuery("SELECT Name FROM stadium WHERE 5000 < Capacity AND Name IN ('a', 'b') AND Capacity BETWEEN -3 AND 9", concert);
    expect(core(f.constraints)).toEqual([
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

  it('records where each condition sits: scope, excluding subquery, OR-branches', () => {
    const f = analyzeQuery(
      "SELECT Name FROM stadium WHERE Capacity > 5000 AND (Name = 'a' OR Name = 'b') AND Stadium_ID NOT IN (SELECT Stadium_ID FROM concert WHERE Year >= 2014)",
      concert,
    );
    const [cap, a, b, year] = f.constraints as [ColumnConstraint, ColumnConstraint, ColumnConstraint, ColumnConstraint];
    expect(core([cap, a, b, year]).map((c) => `${c.ref.column} ${c.op} ${c.values[0]}`)).toEqual(['Capacity > 5000', 'Name = a', 'Name = b', 'Year >= 2014']);
    expect([cap.scope, a.scope, year.scope]).toEqual([0, 0, 1]);
    expect([cap.excluding, a.excluding, year.excluding]).toEqual([false, false, true]);
    // Name = 'a' and Name = 'b': same parenthesis, different OR-branches; both ANDed with Capacity.
    expect(a.orPath).toHaveLength(2);
    expect(a.orPath[0]).toBe(cap.orPath[0]);
    expect(a.orPath[1]!.split(':')[0]).toBe(b.orPath[1]!.split(':')[0]);
    expect(a.orPath[1]).not.toBe(b.orPath[1]);
    expect(f.excludedTables).toEqual(['concert']);
  });

  it('reads HAVING thresholds on aggregates, GROUP BY columns, LIMIT counts and ORDER BY an aggregate', () => {
    const f = analyzeQuery('SELECT Theme FROM concert GROUP BY Theme HAVING count(*) >= 2 AND avg(Year) < 2010 ORDER BY count(*) DESC LIMIT 3', concert);
    expect(f.aggregateConstraints.map(({ fn, arg, distinct, op, values }) => ({ fn, arg, distinct, op, values }))).toEqual([
      { fn: 'COUNT', arg: undefined, distinct: false, op: '>=', values: [2] },
      { fn: 'AVG', arg: { table: 'concert', column: 'Year' }, distinct: false, op: '<', values: [2010] },
    ]);
    expect(f.groupByColumns).toEqual([{ table: 'concert', column: 'Theme' }]);
    expect(f.limits).toEqual([3]);
    expect(f.orderByAggregate).toBe(true);
    expect(f.setOperators).toEqual([]);
    const g = analyzeQuery('SELECT Name FROM stadium ORDER BY Capacity LIMIT 2, 5', concert);
    expect(g.limits).toEqual([5]);
    expect(g.orderByAggregate).toBe(false);
  });

  it('marks the right side of EXCEPT as excluding and names the set operators', () => {
    const f = analyzeQuery(
      'SELECT Name FROM stadium EXCEPT SELECT T2.Name FROM concert AS T1 JOIN stadium AS T2 ON T1.Stadium_ID = T2.Stadium_ID WHERE T1.Year = 2014',
      concert,
    );
    expect(f.setOperators).toEqual(['EXCEPT']);
    expect(f.constraints.map((c) => [c.ref.column, c.branch, c.excluding])).toEqual([['Year', 1, true]]);
    // stadium is read on the left too, so only concert is read solely to exclude rows.
    expect(f.excludedTables).toEqual(['concert']);
  });
});
