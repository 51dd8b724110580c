import { describe, expect, it } from 'vitest';
import { significant, splitStatements, SqlLexError, tokenize, untokenize } from '../../../src/sql/lexer';

describe('tokenize', () => {
  it('round-trips the source exactly', () => {
    const sql = `SELECT T1.name, "a ""b""", 'it''s', [x y], \`z\` FROM t AS T1 -- note\n WHERE x >= 1.5e3 /* c */ AND y <> x'0aff';`;
    expect(untokenize(tokenize(sql))).toBe(sql);
  });

  it('classifies literals and unescapes quoted content', () => {
    const toks = significant(tokenize(`'it''s' "say ""hi""" [a b] x'00' 12 .5 3e-2 0x1F ?1 :name`));
    expect(toks.map((t) => [t.kind, t.value])).toEqual([
      ['string', "it's"],
      ['dquoted', 'say "hi"'],
      ['bquoted', 'a b'],
      ['blob', '00'],
      ['number', '12'],
      ['number', '.5'],
      ['number', '3e-2'],
      ['number', '0x1F'],
      ['param', '?1'],
      ['param', ':name'],
    ]);
  });

  it('upper-cases word values but keeps the text', () => {
    const [t] = tokenize('select');
    expect(t).toMatchObject({ kind: 'word', text: 'select', value: 'SELECT' });
  });

  it('reads multi-character operators as one token', () => {
    const ops = significant(tokenize('a<=b>=c<>d!=e==f||g')).filter((t) => t.kind === 'op').map((t) => t.text);
    expect(ops).toEqual(['<=', '>=', '<>', '!=', '==', '||']);
  });

  it('rejects unterminated literals with the offset', () => {
    expect(() => tokenize("SELECT 'abc")).toThrow(SqlLexError);
    expect(() => tokenize('SELECT "abc')).toThrow(/unterminated double-quoted token starting at offset 7/);
  });

  it('rejects characters SQLite does not know', () => {
    expect(() => tokenize('SELECT # FROM t')).toThrow(/unexpected character "#"/);
  });
});

describe('splitStatements', () => {
  it('splits at semicolons outside literals and comments, dropping empty statements', () => {
    const stmts = splitStatements(tokenize("SELECT ';' ; -- ; \n SELECT 2;;  "));
    expect(stmts.map((s) => untokenize(s).trim())).toEqual(["SELECT ';'", '-- ; \n SELECT 2']);
  });
});
