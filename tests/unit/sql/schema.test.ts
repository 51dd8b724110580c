import { describe, expect, it } from 'vitest';
import { affinityOf, parseSchema, SchemaError } from '../../../src/sql/schema';

describe('parseSchema', () => {
  it('reads WikiSQL-style single-table contexts', () => {
    const s = parseSchema('CREATE TABLE table_name_12 (name VARCHAR, school VARCHAR, pick INTEGER)');
    expect(s.tables).toHaveLength(1);
    expect(s.tables[0]!.name).toBe('table_name_12');
    expect(s.tables[0]!.columns.map((c) => [c.name, c.declaredType, c.affinity])).toEqual([
      ['name', 'VARCHAR', 'TEXT'],
      ['school', 'VARCHAR', 'TEXT'],
      ['pick', 'INTEGER', 'INTEGER'],
    ]);
  });

  it('reads several statements, keys, foreign keys, quoted names and typed parameters', () => {
    const s = parseSchema(`CREATE TABLE "Dept" (dept_id INTEGER PRIMARY KEY, "Dept Name" VARCHAR(40) NOT NULL UNIQUE);
      CREATE TABLE emp (id INT, dept INT REFERENCES Dept(dept_id), salary DECIMAL(10, 2), hired DATE,
        PRIMARY KEY (id), FOREIGN KEY (dept) REFERENCES "Dept" (dept_id));`);
    expect(s.tables.map((t) => t.name)).toEqual(['Dept', 'emp']);
    const [dept, emp] = s.tables as [typeof s.tables[0] & object, typeof s.tables[0] & object];
    expect(dept.primaryKey).toEqual(['dept_id']);
    expect(dept.columns[1]).toMatchObject({ name: 'Dept Name', declaredType: 'VARCHAR(40)', notNull: true, unique: true });
    expect(emp.primaryKey).toEqual(['id']);
    expect(emp.columns.find((c) => c.name === 'salary')).toMatchObject({ declaredType: 'DECIMAL(10,2)', affinity: 'NUMERIC' });
    // The column-level REFERENCES and the table-level FOREIGN KEY say the same thing: kept once.
    expect(emp.foreignKeys).toEqual([{ columns: ['dept'], refTable: 'Dept', refColumns: ['dept_id'] }]);
  });

  it('follows SQLite affinity rules', () => {
    expect(['INT', 'BIGINT', 'VARCHAR(9)', 'CLOB', 'BLOB', '', 'REAL', 'DOUBLE PRECISION', 'FLOAT', 'NUMERIC', 'DATE', 'BOOLEAN'].map(affinityOf)).toEqual([
      'INTEGER', 'INTEGER', 'TEXT', 'TEXT', 'BLOB', 'BLOB', 'REAL', 'REAL', 'REAL', 'NUMERIC', 'NUMERIC', 'NUMERIC',
    ]);
  });

  it.each([
    ['', /empty context/],
    ['   ;  ', /empty context/],
    ['INSERT INTO t VALUES (1)', /statement 1 is not CREATE TABLE \(it starts with "INSERT"\)/],
    ['CREATE TABLE a (x INT); DROP TABLE a', /statement 2 is not CREATE TABLE/],
    ['CREATE VIEW v AS SELECT 1', /CREATE VIEW, not CREATE TABLE/],
    ['CREATE TABLE t (a INT', /unbalanced parentheses/],
    ['CREATE TABLE t ()', /no columns/],
    ['CREATE TABLE t (a INT,)', /empty column definition/],
    ['CREATE TABLE t (a INT, A TEXT)', /duplicate column "A"/],
    ['CREATE TABLE t (a INT); CREATE TABLE T (b INT)', /created twice/],
    ['CREATE TABLE t AS SELECT 1', /AS SELECT is not supported/],
    ["CREATE TABLE t (a VARCHAR DEFAULT 'x)", /does not tokenize/],
  ])('rejects %j', (context, message) => {
    expect(() => parseSchema(context)).toThrow(SchemaError);
    expect(() => parseSchema(context)).toThrow(message);
  });
});
