import { describe, expect, it } from 'vitest';
import { extractSql } from '../../../src/prompt/extract-sql';

describe('extractSql', () => {
  it('takes the SQL between the solution tags', () => {
    const c = '<start_working_out>school is a column<end_working_out>\n<SOLUTION>SELECT name FROM t WHERE school = "x";</SOLUTION>';
    expect(extractSql(c)).toEqual({ sql: 'SELECT name FROM t WHERE school = "x"', source: 'solution-tags' });
  });

  it('takes the last complete pair and strips a code fence inside it', () => {
    const c = '<SOLUTION>SELECT 1</SOLUTION> wait, no: <SOLUTION>\n```sql\nSELECT 2\n```\n</SOLUTION>';
    expect(extractSql(c)).toEqual({ sql: 'SELECT 2', source: 'solution-tags' });
  });

  it('skips an empty pair in favour of an earlier non-empty one', () => {
    expect(extractSql('<SOLUTION>SELECT 1</SOLUTION><SOLUTION> </SOLUTION>')).toEqual({ sql: 'SELECT 1', source: 'solution-tags' });
  });

  it('accepts an opening tag whose closing tag never came (cut-off generation)', () => {
    expect(extractSql('<start_working_out>hm<end_working_out><SOLUTION> SELECT a FROM t WHERE b > 3')).toEqual({ sql: 'SELECT a FROM t WHERE b > 3', source: 'unclosed-solution-tag' });
  });

  it('falls back to a fenced block, preferring the one after the reasoning', () => {
    const c = '<start_working_out>draft:\n```sql\nSELECT draft FROM t\n```\n<end_working_out>\nAnswer:\n```sql\nSELECT final FROM t;\n```';
    expect(extractSql(c)).toEqual({ sql: 'SELECT final FROM t', source: 'code-fence' });
    expect(extractSql('```\nWITH x AS (SELECT 1) SELECT * FROM x\n```')).toEqual({ sql: 'WITH x AS (SELECT 1) SELECT * FROM x', source: 'code-fence' });
    // A fence that holds no query is not SQL.
    expect(extractSql('```python\nprint(1)\n```')).toBeNull();
  });

  it('falls back to a bare SELECT line, up to ";" or a blank line', () => {
    expect(extractSql('The query is:\nselect name\nfrom t\nwhere x = 1; -- done\nThanks')).toEqual({ sql: 'select name\nfrom t\nwhere x = 1', source: 'bare-query' });
    expect(extractSql('SELECT a FROM t\n\nThis returns a.')).toEqual({ sql: 'SELECT a FROM t', source: 'bare-query' });
    expect(extractSql('I think it is SELECT name FROM t WHERE x = 1; right?')).toEqual({ sql: 'SELECT name FROM t WHERE x = 1', source: 'bare-query' });
    // Lower-case "select" inside prose is a verb, not a query.
    expect(extractSql('First select the right table, then count.')).toBeNull();
  });

  it('returns null when there is no query at all', () => {
    expect(extractSql('')).toBeNull();
    expect(extractSql('I do not know.')).toBeNull();
    expect(extractSql('<SOLUTION></SOLUTION>')).toBeNull();
  });
});
