import { describe, expect, it } from 'vitest';
import { DEFAULT_HINTS_HEADER, isHintRelevant, orderForInjection, renderHints, tablesOfContext, withHints } from '../../../src/hints/inject';
import { HintStore } from '../../../src/hints/store';
import type { PolicyHint } from '../../../src/hints/types';

/** A deterministic stand-in tokenizer: one token per word or punctuation mark. */
const countWords = (text: string) => (text.match(/\w+|[^\w\s]/g) ?? []).length;

function storeWith(...hints: [string, number, string[]?, boolean?][]): PolicyHint[] {
  const store = new HintStore();
  for (const [pattern, weight, tables, pinned] of hints) store.addHint({ pattern, weight, ...(tables ? { tables } : {}), pinned: pinned ?? false });
  return store.hints();
}

describe('renderHints', () => {
  const hints = storeWith(
    ['agg:SUM', 0.4, ['orders']],
    ['quote:double-literal', -0.9],
    ['table:customers', 0.7],
    ['join:LEFT', -0.4, ['orders', 'customers']],
    ['agg:COUNT(DISTINCT)', 0.2, ['singer']],
  );

  it('renders relevant hints strongest first, as Prefer/Avoid lines under a header', () => {
    const r = renderHints(hints, { tables: ['orders', 'products'], countTokens: countWords, budgetTokens: 1000 });
    expect(r.text).toBe(
      [DEFAULT_HINTS_HEADER, '- Avoid: double-quoted string literals ("text")', '- Prefer: SUM(...)', '- Avoid: LEFT JOIN'].join('\n'),
    );
    expect(r.included.map((h) => h.pattern)).toEqual(['quote:double-literal', 'agg:SUM', 'join:LEFT']);
    expect(r.tokens).toBe(countWords(r.text));
    expect(r.skipped).toEqual([
      { id: 'h3', pattern: 'table:customers', reason: 'not-relevant' },
      { id: 'h5', pattern: 'agg:COUNT(DISTINCT)', reason: 'not-relevant' },
    ]);
  });

  it('keeps equal-weight hints in a stable order (pinned, then evidence, then age)', () => {
    // SUM (h1) and LEFT JOIN (h4) both have |w| = 0.4: the older one comes first.
    const again = renderHints([...hints].reverse(), { tables: ['orders'], countTokens: countWords, budgetTokens: 1000 });
    expect(again.included.map((h) => h.id)).toEqual(['h2', 'h1', 'h4']);
    const pinned = storeWith(['agg:SUM', 0.4], ['agg:AVG', -0.4, undefined, true]);
    expect(orderForInjection(pinned).map((h) => h.pattern)).toEqual(['agg:AVG', 'agg:SUM']);
  });

  it('respects the token budget, skipping a hint that does not fit and trying the next', () => {
    const long = storeWith(['quote:double-literal', -0.9], ['subquery:scalar', 0.8], ['agg:SUM', 0.5]);
    const full = renderHints(long, { tables: [], countTokens: countWords, budgetTokens: 1000 });
    const headerAndFirst = countWords(`${DEFAULT_HINTS_HEADER}\n- Avoid: double-quoted string literals ("text")`);
    const withSum = countWords(`${DEFAULT_HINTS_HEADER}\n- Avoid: double-quoted string literals ("text")\n- Prefer: SUM(...)`);
    // Budget fits the first and the short SUM line but not the scalar-subquery line between them.
    const r = renderHints(long, { tables: [], countTokens: countWords, budgetTokens: withSum });
    expect(full.included).toHaveLength(3);
    expect(r.included.map((h) => h.pattern)).toEqual(['quote:double-literal', 'agg:SUM']);
    expect(r.skipped).toEqual([{ id: 'h2', pattern: 'subquery:scalar', reason: 'over-budget' }]);
    expect(r.tokens).toBeLessThanOrEqual(withSum);
    expect(r.tokens).toBe(countWords(r.text));
    expect(headerAndFirst).toBeLessThan(withSum);
  });

  it('renders nothing, not a lone header, when nothing fits or applies', () => {
    const tiny = renderHints(hints, { tables: ['orders'], countTokens: countWords, budgetTokens: 5 });
    expect(tiny).toMatchObject({ text: '', tokens: 0, included: [] });
    expect(tiny.skipped.every((s) => s.reason === 'over-budget' || s.reason === 'not-relevant')).toBe(true);
    expect(renderHints([], { tables: ['orders'], countTokens: countWords, budgetTokens: 100 })).toEqual({ text: '', tokens: 0, included: [], skipped: [] });
  });

  it('skips pinned zero-weight hints', () => {
    const store = new HintStore();
    const h = store.addHint({ pattern: 'agg:SUM', weight: 0.3, pinned: true });
    store.editHint(h.id, { weight: 0 });
    const r = renderHints(store.hints(), { tables: [], countTokens: countWords, budgetTokens: 100 });
    expect(r.skipped).toEqual([{ id: h.id, pattern: 'agg:SUM', reason: 'zero-weight' }]);
  });

  it('uses edited descriptions', () => {
    const store = new HintStore();
    const h = store.addHint({ pattern: 'quote:double-literal', weight: -0.5 });
    store.editHint(h.id, { description: 'double quotes around text; write \'text\'' });
    expect(renderHints(store.hints(), { tables: [], countTokens: countWords, budgetTokens: 100 }).included[0]!.line).toBe("- Avoid: double quotes around text; write 'text'");
  });
});

describe('relevance and prompt assembly', () => {
  it('matches tables case-insensitively; no tables means global', () => {
    expect(isHintRelevant({ tables: ['orders'] }, ['Orders'])).toBe(true);
    expect(isHintRelevant({ tables: ['orders'] }, ['customers'])).toBe(false);
    expect(isHintRelevant({ tables: [] }, [])).toBe(true);
  });

  it('reads the tables of a CREATE TABLE context, and none from a bad one', () => {
    expect(tablesOfContext('CREATE TABLE Orders (id INTEGER); CREATE TABLE customers (id INTEGER, name TEXT)')).toEqual(['orders', 'customers']);
    expect(tablesOfContext('DROP TABLE x')).toEqual([]);
  });

  it('appends the block to a system prompt after a blank line, or leaves it alone', () => {
    expect(withHints('You write SQL.', { text: 'Guidance:\n- Prefer: SUM(...)' })).toBe('You write SQL.\n\nGuidance:\n- Prefer: SUM(...)');
    expect(withHints('You write SQL.', { text: '' })).toBe('You write SQL.');
  });
});
