import { describe, expect, it } from 'vitest';
import { checkReadOnlyQuery } from '../../../src/sql/read-only-guard';

describe('checkReadOnlyQuery', () => {
  it.each([
    ['SELECT name FROM t WHERE school = "redwood school"', 'SELECT name FROM t WHERE school = "redwood school"'],
    ['  select 1 ;  ', 'select 1'],
    ['WITH x AS (SELECT 1 AS a) SELECT a FROM x;', 'WITH x AS (SELECT 1 AS a) SELECT a FROM x'],
    ['VALUES (1), (2)', 'VALUES (1), (2)'],
    ["SELECT replace(name, 'a', 'b') FROM t", "SELECT replace(name, 'a', 'b') FROM t"],
    ["SELECT 'DELETE FROM t; DROP TABLE t' AS s", "SELECT 'DELETE FROM t; DROP TABLE t' AS s"],
    ['SELECT 1 -- trailing comment; DROP TABLE t', 'SELECT 1 -- trailing comment; DROP TABLE t'],
  ])('accepts %j', (sql, normalized) => {
    expect(checkReadOnlyQuery(sql)).toEqual({ ok: true, sql: normalized });
  });

  it.each([
    ['', 'empty'],
    [' ; ; ', 'empty'],
    ['SELECT 1; SELECT 2', 'multiple-statements'],
    ['SELECT * FROM t; DROP TABLE t', 'multiple-statements'],
    ['INSERT INTO t VALUES (1)', 'not-a-query'],
    ['UPDATE t SET a = 1', 'not-a-query'],
    ['DELETE FROM t', 'not-a-query'],
    ['DROP TABLE t', 'not-a-query'],
    ["ATTACH ':memory:' AS m", 'not-a-query'],
    ['PRAGMA query_only = 0', 'not-a-query'],
    ['BEGIN', 'not-a-query'],
    ['CREATE TABLE x (a)', 'not-a-query'],
    ['WITH x AS (SELECT 1) DELETE FROM t', 'write-statement'],
    ['WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x', 'write-statement'],
    ['WITH x AS (SELECT 1) REPLACE INTO t VALUES (1)', 'write-statement'],
    ["SELECT 'unterminated", 'lex-error'],
  ])('rejects %j as %s', (sql, code) => {
    const r = checkReadOnlyQuery(sql);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.code).toBe(code);
      expect(r.reason.length).toBeGreaterThan(5);
    }
  });
});
