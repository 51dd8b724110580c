import { describe, expect, it } from 'vitest';
import { detectFormat, parseDatasetText } from '../../../src/dataset/parse-rows';
import { DatasetError } from '../../../src/dataset/types';

const row = { question: 'How many heads?', context: 'CREATE TABLE head (age INTEGER)', answer: 'SELECT COUNT(*) FROM head' };

describe('parseDatasetText', () => {
  it('reads a JSON array (the hub layout)', () => {
    const r = parseDatasetText(JSON.stringify([row, row]));
    expect(r.format).toBe('json');
    expect(r.rows).toEqual([row, row]);
    expect(r.problems).toEqual([]);
  });

  it('reads JSONL, keeping bad lines as problems with their line numbers', () => {
    const text = [JSON.stringify(row), '{not json', '', JSON.stringify({ question: 'q', context: 'CREATE TABLE t (a INT)' }), '[1]', JSON.stringify(row)].join('\n');
    const r = parseDatasetText(text, { fileName: 'train.jsonl' });
    expect(r.format).toBe('jsonl');
    expect(r.rows).toEqual([row, null, null, null, row]);
    expect(r.problems.map((p) => [p.kind, p.where])).toEqual([
      ['unreadable-record', 'line 2'],
      ['missing-field', 'line 4'],
      ['unreadable-record', 'line 5'],
    ]);
    expect(r.problems[1]!.reason).toBe('missing or empty: answer (absent)');
  });

  it('reads CSV with a column mapping when the names differ', () => {
    const csv = 'nl_question,ddl,gold\n"How many heads?","CREATE TABLE head (age INTEGER)","SELECT COUNT(*) FROM head"\n';
    expect(() => parseDatasetText(csv)).toThrow(/no column for question .*columns are: nl_question, ddl, gold. Pass a column mapping/);
    const r = parseDatasetText(csv, { columns: { question: 'nl_question', context: 'DDL', answer: 'gold' } });
    expect(r.rows).toEqual([row]);
    expect(r.mapping).toEqual({ question: 'nl_question', context: 'ddl', answer: 'gold' });
  });

  it('finds common synonyms by itself, and reports short CSV records and non-text fields', () => {
    const csv = 'Question,Schema,SQL\nq1,CREATE TABLE t (a INT),SELECT a FROM t\nonly-two,fields\n';
    const r = parseDatasetText(csv);
    expect(r.mapping).toEqual({ question: 'Question', context: 'Schema', answer: 'SQL' });
    expect(r.rows[0]).toEqual({ question: 'q1', context: 'CREATE TABLE t (a INT)', answer: 'SELECT a FROM t' });
    expect(r.problems).toEqual([{ index: 1, kind: 'unreadable-record', reason: '2 fields, header has 3', where: 'line 3' }]);
    const j = parseDatasetText(JSON.stringify([{ ...row, answer: 42 }, { ...row, question: '  ' }]));
    expect(j.problems.map((p) => p.reason)).toEqual(['missing or empty: answer (a number)', 'missing or empty: question (empty)']);
  });

  it('fails clearly on files it cannot read at all', () => {
    expect(() => parseDatasetText('[{"a": 1', { format: 'json' })).toThrow(DatasetError);
    expect(() => parseDatasetText('[{"a": 1', { format: 'json' })).toThrow(/not valid JSON/);
    expect(() => parseDatasetText('{"question": "q"}', { format: 'json' })).toThrow(/expected a JSON array/);
    expect(() => parseDatasetText(JSON.stringify([row]), { columns: { answer: 'sql_query' } })).toThrow(/column "sql_query" \(mapped to answer\) not found/);
    expect(() => parseDatasetText('', { format: 'csv' })).toThrow(/CSV is empty/);
  });

  it('detects the format from the file name, else from the content', () => {
    expect(detectFormat('', 'x.JSONL')).toBe('jsonl');
    expect(detectFormat('', 'x.tsv')).toBe('csv');
    expect(detectFormat('  [ ]')).toBe('json');
    expect(detectFormat('{"a":1}\n{"a":2}')).toBe('jsonl');
    expect(detectFormat('a,b')).toBe('csv');
  });
});
