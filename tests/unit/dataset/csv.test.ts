import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../../src/dataset/csv';
import { DatasetError } from '../../../src/dataset/types';

const fields = (text: string, delimiter?: string) => parseCsv(text, delimiter ? { delimiter } : {}).map((r) => r.fields);

describe('parseCsv', () => {
  it('reads plain and quoted fields', () => {
    expect(fields('a,b,c\n1,"two",3\n')).toEqual([['a', 'b', 'c'], ['1', 'two', '3']]);
  });

  it('unescapes doubled quotes and keeps delimiters and newlines inside quotes', () => {
    const text = 'question,answer\n"Who said ""hi""?","SELECT a, b\nFROM t WHERE x = ""y"""\n';
    expect(fields(text)).toEqual([['question', 'answer'], ['Who said "hi"?', 'SELECT a, b\nFROM t WHERE x = "y"']]);
  });

  it('reports the starting line of each record, counting newlines inside quotes', () => {
    expect(parseCsv('h\n"a\nb"\nc\n').map((r) => r.line)).toEqual([1, 2, 4]);
  });

  it('handles CRLF, a byte-order mark, empty fields, blank lines and a missing final newline', () => {
    expect(fields('\ufeffa,b\r\n,\r\n\r\n"",x')).toEqual([['a', 'b'], ['', ''], ['', 'x']]);
  });

  it('uses another delimiter when asked', () => {
    expect(fields('a\tb\n"x\ty"\tz', '\t')).toEqual([['a', 'b'], ['x\ty', 'z']]);
  });

  it('rejects an unclosed quote with the line it opened on', () => {
    expect(() => parseCsv('a,b\n1,"open\n2,3\n')).toThrow(DatasetError);
    expect(() => parseCsv('a,b\n1,"open\n2,3\n')).toThrow(/quoted field starting on line 2 is never closed/);
  });

  it('rejects text after a closing quote', () => {
    expect(() => parseCsv('a\n"x"y\n')).toThrow(/line 2: unexpected "y" after a closing quote/);
  });

  it('rejects an unusable delimiter', () => {
    expect(() => parseCsv('a', { delimiter: '"' })).toThrow(/delimiter/);
  });
});
