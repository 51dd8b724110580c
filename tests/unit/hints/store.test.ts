import { describe, expect, it } from 'vitest';
import { resolveHintsConfig, type HintsConfig } from '../../../src/hints/config';
import { creditPatterns, HintStore, HintStoreError, MAX_HISTORY, scopeTables, type GroupEvidenceInput } from '../../../src/hints/store';

/** A group from [id, advantage, patterns] rows; every completion reads `orders`. */
function group(rows: [string, number, string[]][], exampleTables = ['orders', 'products']): GroupEvidenceInput {
  return { example_tables: exampleTables, completions: rows.map(([id, advantage, patterns]) => ({ id, advantage, patterns, tables: ['orders'] })) };
}

// Advantages +1.0, +0.5, -1.2, -0.1: the first three pass the 0.3 threshold.
const SUM_VS_COUNT = group([
  ['c0', 1.0, ['agg:SUM', 'table:orders']],
  ['c1', 0.5, ['agg:SUM', 'table:orders']],
  ['c2', -1.2, ['agg:COUNT', 'table:orders']],
  ['c3', -0.1, ['agg:COUNT', 'table:orders']],
]);

const cfg = (o: Partial<HintsConfig> = {}) => resolveHintsConfig({ decay: 0, min_evidence_to_create: 1, ...o });

describe('credit (the update rule before the step size)', () => {
  it('centres presence on the group share: patterns that beat the group get positive credit, losers negative', () => {
    const credits = creditPatterns([SUM_VS_COUNT], cfg());
    // SUM: 1.0*(1-0.5) + 0.5*(1-0.5) + (-1.2)*(0-0.5) = 1.35; COUNT is the mirror image.
    expect(credits.get('agg:SUM')!.credit).toBeCloseTo(1.35, 12);
    expect(credits.get('agg:COUNT')!.credit).toBeCloseTo(-1.35, 12);
    expect(credits.get('agg:SUM')!.occurrences).toBe(2);
    expect(credits.get('agg:COUNT')!.occurrences).toBe(1); // c3 used it but |A| = 0.1 is under the threshold
    // Every completion read orders: it cannot explain the differences.
    expect(credits.has('table:orders')).toBe(false);
    expect(credits.get('agg:COUNT')!.evidence.map((e) => e.completion_id)).toEqual(['c0', 'c1', 'c2']);
  });

  it('uncentred, only completions that use a pattern move it', () => {
    const credits = creditPatterns([SUM_VS_COUNT], cfg({ center_patterns: false }));
    expect(credits.get('agg:SUM')!.credit).toBeCloseTo(1.5, 12);
    expect(credits.get('agg:COUNT')!.credit).toBeCloseTo(-1.2, 12);
    expect(credits.get('table:orders')!.credit).toBeCloseTo(1.0 + 0.5 - 1.2, 12);
  });

  it('ignores completions at or under the threshold', () => {
    const g = group([
      ['a', 0.3, ['agg:SUM']],
      ['b', -0.3, ['agg:MAX']],
    ]);
    expect(creditPatterns([g], cfg()).size).toBe(0);
    expect(creditPatterns([g], cfg({ min_advantage_threshold: 0.29 })).size).toBe(2);
  });

  it('adds credit over the groups of a step', () => {
    const credits = creditPatterns([SUM_VS_COUNT, SUM_VS_COUNT], cfg());
    expect(credits.get('agg:SUM')!.credit).toBeCloseTo(2.7, 12);
    expect(credits.get('agg:SUM')!.occurrences).toBe(4);
  });
});

describe('scope of a hint', () => {
  it('structural hints apply to the tables their evidence read; table hints to their table', () => {
    expect(scopeTables('agg:SUM', ['Orders', 'products'], ['orders', 'products', 'customers'])).toEqual(['orders', 'products']);
    expect(scopeTables('column:orders.amount', ['orders'], ['orders'])).toEqual(['orders']);
  });
  it('a hint about a table the example lacks applies where it was hallucinated', () => {
    expect(scopeTables('table:sales', ['sales'], ['orders', 'products'])).toEqual(['orders', 'products']);
  });
  it('quoting and schema hints are global', () => {
    expect(scopeTables('quote:double-literal', ['orders'], ['orders'])).toEqual([]);
    expect(scopeTables('schema:unknown-table', ['sales'], ['orders'])).toEqual([]);
  });
});

describe('HintStore.applyStep', () => {
  it('creates prefer and avoid hints with weight lr * credit and logs the evidence', () => {
    const store = new HintStore();
    const update = store.applyStep([SUM_VS_COUNT], cfg());
    expect(update.step).toBe(1);
    expect(update.created.map((c) => [c.pattern, c.hint_type, Number(c.new_weight.toFixed(6))])).toEqual([
      ['agg:COUNT', 'avoid', -0.135],
      ['agg:SUM', 'prefer', 0.135],
    ]);
    const sum = store.getByPattern('agg:SUM')!;
    expect(sum).toMatchObject({ hint_type: 'prefer', description: 'SUM(...)', tables: ['orders'], evidence_count: 2, created_step: 1, updated_step: 1, pinned: false });
    expect(sum.history).toHaveLength(1);
    expect(sum.history[0]).toMatchObject({ step: 1, kind: 'created', old_weight: 0 });
    expect(sum.history[0]!.evidence!.map((e) => [e.completion_id, e.advantage, e.contains])).toEqual([
      ['c0', 1.0, true],
      ['c1', 0.5, true],
      ['c2', -1.2, false],
    ]);
  });

  it('updates w <- w + lr*credit - lr*kl_coef*w, and the log adds up', () => {
    const store = new HintStore();
    const config = cfg();
    store.applyStep([SUM_VS_COUNT], config);
    const update = store.applyStep([SUM_VS_COUNT], config);
    const sum = store.getByPattern('agg:SUM')!;
    const expected = 0.135 + 0.1 * 1.35 - 0.1 * 0.05 * 0.135;
    expect(sum.weight).toBeCloseTo(expected, 12);
    const event = sum.history[1]!;
    expect(event).toMatchObject({ step: 2, kind: 'learned' });
    expect(event.gradient).toBeCloseTo(0.135, 12);
    expect(event.kl_pull).toBeCloseTo(-0.000675, 12);
    expect(event.old_weight + event.gradient! + event.kl_pull!).toBeCloseTo(event.new_weight, 12);
    expect(update.updated.map((u) => u.pattern)).toEqual(['agg:COUNT', 'agg:SUM']);
    expect(sum.evidence_count).toBe(4);
  });

  it('a larger kl_coef pulls harder toward the un-hinted policy', () => {
    const weights = [0, 0.5].map((kl) => {
      const store = new HintStore();
      const config = cfg({ kl_coef: kl });
      store.applyStep([SUM_VS_COUNT], config);
      store.applyStep([SUM_VS_COUNT], config);
      return store.getByPattern('agg:SUM')!.weight;
    });
    expect(weights[0]).toBeCloseTo(0.27, 12);
    expect(weights[1]).toBeCloseTo(0.135 * (1 - 0.05) + 0.135, 12);
  });

  it('clips weights to [-1, 1]', () => {
    const store = new HintStore();
    const huge = group([
      ['a', 40, ['agg:SUM']],
      ['b', -40, []],
    ]);
    store.applyStep([huge], cfg());
    expect(store.getByPattern('agg:SUM')!.weight).toBe(1);
  });

  it('flips a hint from prefer to avoid when the evidence turns', () => {
    const store = new HintStore();
    const config = cfg();
    store.applyStep([SUM_VS_COUNT], config);
    const flipped = group([
      ['d0', -2, ['agg:SUM']],
      ['d1', 2, ['agg:AVG']],
    ]);
    store.applyStep([flipped], config);
    const sum = store.getByPattern('agg:SUM')!;
    expect(sum.weight).toBeLessThan(0);
    expect(sum.hint_type).toBe('avoid');
  });

  it('gathers evidence as a candidate until min_evidence_to_create, then creates the hint with the summed credit', () => {
    const store = new HintStore();
    const config = cfg({ min_evidence_to_create: 2 });
    const once = group([
      ['a', 1.0, ['op:LIKE']],
      ['b', -1.0, []],
    ]);
    const first = store.applyStep([once], config);
    expect(first.created).toEqual([]);
    expect(store.candidates()).toMatchObject([{ pattern: 'op:LIKE', occurrences: 1, first_step: 1, last_step: 1 }]);
    expect(store.candidates()[0]!.net_credit).toBeCloseTo(1.0, 12); // 1.0*0.5 + (-1.0)*(-0.5)
    const second = store.applyStep([once], config);
    expect(second.created.map((c) => c.pattern)).toEqual(['op:LIKE']);
    expect(store.getByPattern('op:LIKE')!.weight).toBeCloseTo(0.2, 12);
    expect(store.getByPattern('op:LIKE')!.evidence_count).toBe(2);
    expect(store.getByPattern('op:LIKE')!.history[0]!.evidence).toHaveLength(4);
    expect(store.candidates()).toEqual([]);
  });

  it('does not create a hint weaker than the prune threshold', () => {
    const store = new HintStore();
    const weak = group([
      ['a', 0.35, ['op:LIKE']],
      ['b', -0.35, []],
    ]);
    store.applyStep([weak], cfg({ prune_threshold: 0.05 })); // lr*credit = 0.035
    expect(store.size).toBe(0);
    expect(store.candidates()).toHaveLength(1);
  });

  it('forgets candidates after candidate_ttl_steps without evidence', () => {
    const store = new HintStore();
    const config = cfg({ min_evidence_to_create: 5, candidate_ttl_steps: 2 });
    store.applyStep([group([['a', 1, ['op:LIKE']], ['b', -1, []]])], config);
    store.applyStep([], config);
    expect(store.candidates()).toHaveLength(1);
    store.applyStep([], config);
    expect(store.candidates()).toHaveLength(0);
  });

  it('decays hints that got no credit, merging consecutive decay steps into one log entry', () => {
    const store = new HintStore();
    const config = cfg({ decay: 0.1, prune_threshold: 0.01 });
    store.applyStep([SUM_VS_COUNT], config);
    for (let k = 0; k < 3; k++) expect(store.applyStep([], config).decayed).toBe(2);
    const sum = store.getByPattern('agg:SUM')!;
    expect(sum.weight).toBeCloseTo(0.135 * 0.9 ** 3, 12);
    expect(sum.updated_step).toBe(1);
    expect(sum.history).toHaveLength(2);
    expect(sum.history[1]).toMatchObject({ kind: 'decayed', from_step: 2, step: 4 });
    expect(sum.history[1]!.old_weight).toBeCloseTo(0.135, 12);
    expect(sum.history[1]!.new_weight).toBeCloseTo(sum.weight, 12);
  });

  it('prunes unpinned hints that decay under the threshold, keeping them for audit', () => {
    const store = new HintStore();
    const config = cfg({ decay: 0.5, prune_threshold: 0.05 });
    store.applyStep([SUM_VS_COUNT], config); // |w| = 0.135
    store.applyStep([], config); // 0.0675
    const update = store.applyStep([], config); // 0.03375 < 0.05
    expect(update.removed.map((r) => [r.pattern, r.reason])).toEqual([
      ['agg:COUNT', 'weak'],
      ['agg:SUM', 'weak'],
    ]);
    expect(store.size).toBe(0);
    const removed = store.removed();
    expect(removed.map((r) => [r.hint.pattern, r.reason, r.step])).toEqual([
      ['agg:COUNT', 'weak', 3],
      ['agg:SUM', 'weak', 3],
    ]);
    expect(removed[0]!.hint.history.length).toBeGreaterThan(0);
  });

  it('never decays, pulls or prunes pinned hints, but still lets them learn', () => {
    const store = new HintStore();
    const config = cfg({ decay: 0.5, prune_threshold: 0.05 });
    store.applyStep([SUM_VS_COUNT], config);
    const id = store.getByPattern('agg:SUM')!.id;
    store.pin(id);
    for (let k = 0; k < 5; k++) store.applyStep([], config);
    expect(store.get(id)!.weight).toBeCloseTo(0.135, 12);
    expect(store.getByPattern('agg:COUNT')).toBeUndefined();
    store.applyStep([SUM_VS_COUNT], config);
    const learned = store.get(id)!.history.at(-1)!;
    expect(learned).toMatchObject({ kind: 'learned', kl_pull: 0 });
    expect(store.get(id)!.weight).toBeCloseTo(0.27, 12);
  });

  it('keeps at most max_hints, dropping the weakest unpinned ones', () => {
    const store = new HintStore();
    const g = group([
      ['a', 3, ['agg:SUM', 'agg:MAX', 'op:LIKE']],
      ['b', 1, ['agg:MAX', 'op:LIKE']],
      ['c', -2, ['op:LIKE']],
      ['d', -2, []],
    ]);
    const update = store.applyStep([g], cfg({ max_hints: 2 }));
    const credits = creditPatterns([g], cfg());
    const ranked = [...credits.values()].sort((x, y) => Math.abs(y.credit) - Math.abs(x.credit)).map((c) => c.pattern);
    expect(store.hints().map((h) => h.pattern).sort()).toEqual(ranked.slice(0, 2).sort());
    expect(update.removed.map((r) => [r.pattern, r.reason])).toEqual([[ranked[2], 'capacity']]);
  });

  it('pinned hints are kept past max_hints', () => {
    const store = new HintStore();
    store.addHint({ pattern: 'agg:AVG', weight: 0.01, pinned: true });
    store.addHint({ pattern: 'agg:MIN', weight: -0.01, pinned: true });
    store.applyStep([SUM_VS_COUNT], cfg({ max_hints: 2 }));
    expect(store.hints().map((h) => h.pattern)).toEqual(['agg:AVG', 'agg:MIN']);
  });

  it('caps a hint history, keeping the creating entry', () => {
    const store = new HintStore();
    const config = cfg();
    for (let k = 0; k < MAX_HISTORY + 20; k++) store.applyStep([SUM_VS_COUNT], config);
    const sum = store.getByPattern('agg:SUM')!;
    expect(sum.history).toHaveLength(MAX_HISTORY);
    expect(sum.history[0]!.kind).toBe('created');
    expect(sum.history_dropped).toBeGreaterThan(0);
    expect(sum.history.at(-1)!.step).toBe(MAX_HISTORY + 20);
  });

  it('hands out copies', () => {
    const store = new HintStore();
    store.applyStep([SUM_VS_COUNT], cfg());
    const h = store.getByPattern('agg:SUM')!;
    h.weight = 0.9;
    h.history.length = 0;
    expect(store.getByPattern('agg:SUM')!.weight).toBeCloseTo(0.135, 12);
    expect(store.getByPattern('agg:SUM')!.history).toHaveLength(1);
  });
});

describe('hand edits', () => {
  it('adds, edits, pins, unpins and deletes, logging each change', () => {
    const store = new HintStore();
    const h = store.addHint({ pattern: 'quote:double-literal', weight: -0.6 });
    expect(h).toMatchObject({ id: 'h1', hint_type: 'avoid', description: 'double-quoted string literals ("text")', tables: [], pinned: false });
    store.editHint(h.id, { description: 'double quotes around text values; use single quotes' });
    store.editHint(h.id, { hint_type: 'prefer' });
    expect(store.get(h.id)).toMatchObject({ hint_type: 'prefer', weight: 0.6 });
    store.editHint(h.id, { weight: -0.2, tables: ['Orders'] });
    expect(store.get(h.id)).toMatchObject({ hint_type: 'avoid', weight: -0.2, tables: ['orders'] });
    store.pin(h.id);
    store.unpin(h.id);
    const kinds = store.get(h.id)!.history.map((e) => e.kind);
    expect(kinds).toEqual(['created', 'edited', 'edited', 'edited', 'pinned', 'unpinned']);
    expect(store.get(h.id)!.history[3]!.note).toBe('weight +0.600 -> -0.200; tables [] -> [orders]');
    store.deleteHint(h.id);
    expect(store.size).toBe(0);
    expect(store.removed()[0]).toMatchObject({ reason: 'deleted', hint: { id: 'h1' } });
    // Ids are never reused.
    expect(store.addHint({ pattern: 'agg:SUM', weight: 0.3 }).id).toBe('h2');
  });

  it('a table hint added by hand applies to its table', () => {
    expect(new HintStore().addHint({ pattern: 'table:orders', weight: 0.4 }).tables).toEqual(['orders']);
  });

  it('adding a hint by hand ends the pattern candidacy', () => {
    const store = new HintStore();
    store.applyStep([group([['a', 1, ['op:LIKE']], ['b', -1, []]])], cfg({ min_evidence_to_create: 3 }));
    store.addHint({ pattern: 'op:LIKE', weight: 0.5 });
    expect(store.candidates()).toEqual([]);
  });

  it.each([
    [() => new HintStore().addHint({ pattern: 'agg:MEDIAN', weight: 0.5 }), /not a pattern key/],
    [() => new HintStore().addHint({ pattern: 'agg:SUM', weight: 0 }), /must not be 0/],
    [() => new HintStore().addHint({ pattern: 'agg:SUM', weight: 1.5 }), /\[-1, 1\]/],
    [() => new HintStore().addHint({ pattern: 'agg:SUM', weight: 0.5, description: 'two\nlines' }), /one line/],
    [() => new HintStore().addHint({ pattern: 'agg:SUM', weight: 0.5, tables: [''] }), /non-empty table names/],
    [() => new HintStore().editHint('h9', { weight: 0.1 }), /no hint with id "h9"/],
    [() => new HintStore().pin('nope'), /no hint with id/],
  ])('rejects bad edits (%#)', (op, message) => {
    expect(op).toThrow(HintStoreError);
    expect(op).toThrow(message);
  });

  it('rejects a duplicate pattern and a contradictory edit', () => {
    const store = new HintStore();
    const h = store.addHint({ pattern: 'agg:SUM', weight: 0.5 });
    expect(() => store.addHint({ pattern: 'agg:SUM', weight: -0.5 })).toThrow(/already has a hint/);
    expect(() => store.editHint(h.id, { weight: 0.3, hint_type: 'avoid' })).toThrow(/contradicts/);
    expect(store.get(h.id)!.weight).toBe(0.5);
  });
});
