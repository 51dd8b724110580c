import { describe, expect, it } from 'vitest';
import { extractSql } from '../../../src/prompt/extract-sql';
import { checkAnswer, normalizeSqlText } from '../../../src/rewards/answer-check';
import { matchFormatApproximately, matchFormatExactly } from '../../../src/rewards/format-rewards';
import type { RewardInput } from '../../../src/rewards/types';

const example = { question: 'Which player went to redwood school?', context: 'CREATE TABLE table_name_12 (name VARCHAR, school VARCHAR)', answer: 'SELECT name FROM table_name_12 WHERE school = "redwood school"' };
const input = (completion: string): RewardInput => ({ example, completion, extracted: extractSql(completion), execution: null });
const wrap = (sql: string) => `<start_working_out>The school column holds it.<end_working_out>\n<SOLUTION>${sql}</SOLUTION>`;

describe('match_format_exactly', () => {
  it.each([
    [wrap('SELECT 1'), 3],
    [`  \n${wrap('SELECT 1')}\n\n`, 3],
    ['<start_working_out>a<end_working_out>some text<SOLUTION>SELECT 1</SOLUTION>', 3],
    ['Sure! ' + wrap('SELECT 1'), 0], // text before the reasoning
    [wrap('SELECT 1') + ' Hope this helps.', 0], // text after the solution
    ['<start_working_out><end_working_out><SOLUTION>SELECT 1</SOLUTION>', 0], // empty reasoning
    ['<start_working_out>a<end_working_out><SOLUTION></SOLUTION>', 0], // empty solution
    ['<SOLUTION>SELECT 1</SOLUTION>', 0],
  ])('%j scores %d', (completion, score) => {
    expect(matchFormatExactly.score(input(completion)).score).toBe(score);
  });
});

describe('match_format_approximately', () => {
  it.each([
    [wrap('SELECT 1'), 2], // 4 tags once each: 4 x 0.5
    ['<SOLUTION>SELECT 1</SOLUTION>', 0], // 2 present (+1), 2 missing (-1)
    ['nothing here', -2],
    [wrap('SELECT 1') + '<SOLUTION>SELECT 2</SOLUTION>', 0], // reasoning tags +1, solution tags twice -1
    ['<start_working_out>x<start_working_out>y<end_working_out><SOLUTION>z</SOLUTION>', 1],
  ])('%j scores %d', (completion, score) => {
    expect(matchFormatApproximately.score(input(completion)).score).toBe(score);
  });
});

describe('check_answer', () => {
  it.each([
    [wrap(example.answer), 3, 'exact match'],
    [wrap(' SELECT name FROM table_name_12 WHERE school = "redwood school" '), 3, 'exact match'],
    [wrap('select NAME\n from table_name_12   where school="redwood school";'), 1.5, 'match after normalising whitespace and case'],
    // Case inside a literal is a different value, not a normalisation.
    [wrap('SELECT name FROM table_name_12 WHERE school = "Redwood School"'), -0.5, 'wrong query'],
    [wrap('SELECT school FROM table_name_12'), -0.5, 'wrong query'],
    [wrap('the player is John'), -1, 'not a query'],
    [wrap('DELETE FROM table_name_12'), -1, 'not a query'],
    ['<SOLUTION>SELECT name FROM table_name_12 WHERE school = "redwood school"</SOLUTION>', 0, 'no solution in the full format'],
  ])('%j scores %d', (completion, score, verdict) => {
    const r = checkAnswer.score(input(completion));
    expect(r.score).toBe(score);
    expect(r.details.verdict).toBe(verdict);
  });

  it('keeps the recipe’s numeric proximity grades for numeric answers', () => {
    const numeric = { ...example, answer: '100' };
    const score = (guess: string) => checkAnswer.score({ example: numeric, completion: wrap(guess), extracted: null, execution: null }).score;
    expect([score('100'), score('105'), score('85'), score('50')]).toEqual([3, 0.5, 0.25, -1]);
  });

  it('normalizeSqlText drops whitespace and a trailing semicolon, upper-cases words only', () => {
    expect(normalizeSqlText("select a,b from t where x='Aa' ;")).toBe("SELECT A , B FROM T WHERE X = 'Aa'");
  });
});
