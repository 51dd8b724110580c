/**
 * Document 000's answer check, on the SQL string (no execution).
 *   exact match of the solution text with the gold SQL                      +3.0
 *   match after normalising whitespace and case (outside string literals)  +1.5
 *   both numbers: ratio within 10% +0.5, within 20% +0.25, else            −1.0   (kept from the recipe)
 *   wrong, but a well-formed single read-only query                        −0.5
 *   wrong, and not a query at all                                          −1.0
 *   no solution in the full format (the recipe extracts with that regex)    0
 * The numeric branch comes from the recipe's math origin; SQL answers practically never reach it.
 */
import { significant, tokenize } from '../sql/lexer';
import { checkReadOnlyQuery } from '../sql/read-only-guard';
import { FULL_FORMAT } from './format-rewards';
import type { RewardFunction, RewardResult } from './types';

/** Tokens with words upper-cased, whitespace and a trailing ';' dropped; literals kept exact. */
export function normalizeSqlText(sql: string): string {
  try {
    const sig = significant(tokenize(sql));
    while (sig.length > 0 && sig[sig.length - 1]!.text === ';') sig.pop();
    return sig.map((t) => (t.kind === 'word' ? t.value : t.text)).join(' ');
  } catch {
    return sql.replace(/\s+/g, ' ').replace(/;\s*$/, '').trim().toUpperCase();
  }
}

function asNumber(s: string): number | undefined {
  const t = s.trim();
  if (!/^[-+]?\d+(\.\d+)?(e[-+]?\d+)?$/i.test(t)) return undefined;
  return Number(t);
}

export const checkAnswer: RewardFunction = {
  name: 'check_answer',
  description: 'Solution text vs gold SQL: exact +3.0, whitespace/case-normalised +1.5, wrong −0.5 (query) / −1.0 (not a query)',
  range: [-1, 3],
  needsExecution: false,
  score({ completion, example }): RewardResult {
    const m = FULL_FORMAT.exec(completion);
    if (!m) return { score: 0, details: { guess: null, verdict: 'no solution in the full format' } };
    const guess = m[1]!.trim();
    const gold = example.answer.trim();
    if (guess === gold) return { score: 3, details: { guess, verdict: 'exact match' } };
    if (normalizeSqlText(guess) === normalizeSqlText(gold)) return { score: 1.5, details: { guess, verdict: 'match after normalising whitespace and case' } };
    const g = asNumber(guess);
    const a = asNumber(gold);
    if (g !== undefined && a !== undefined && a !== 0) {
      const ratio = g / a;
      if (ratio >= 0.9 && ratio <= 1.1) return { score: 0.5, details: { guess, verdict: 'number within 10%', ratio } };
      if (ratio >= 0.8 && ratio <= 1.2) return { score: 0.25, details: { guess, verdict: 'number within 20%', ratio } };
      return { score: -1, details: { guess, verdict: 'number far off', ratio } };
    }
    const query = checkReadOnlyQuery(guess).ok;
    return { score: query ? -0.5 : -1, details: { guess, verdict: query ? 'wrong query' : 'not a query' } };
  },
};
