import { describe, expect, it } from 'vitest';
import { resolveHintsConfig } from '../../../src/hints/config';
import { HintStore } from '../../../src/hints/store';
import { HINT_STORE_FORMAT, HintStoreImportError, parseHintStoreFile } from '../../../src/hints/store-file';

/** A store with learned, decayed, pinned, edited and removed hints and a pending candidate. */
function busyStore(): HintStore {
  const store = new HintStore();
  const config = resolveHintsConfig({ decay: 0.2, min_evidence_to_create: 1, prune_threshold: 0.05 });
  const g = (rows: [string, number, string[]][]) => ({
    example_tables: ['orders'],
    completions: rows.map(([id, advantage, patterns]) => ({ id, advantage, patterns, tables: ['orders'] })),
  });
  store.applyStep([g([['a', 1.2, ['agg:SUM', 'quote:double-literal']], ['b', -1.2, ['agg:COUNT']]])], config);
  store.applyStep([], config);
  store.addHint({ pattern: 'table:orders', weight: 0.4, pinned: true });
  store.editHint('h1', { description: 'COUNT(...) where a sum is asked for' });
  const strict = resolveHintsConfig({ min_evidence_to_create: 9 });
  store.applyStep([g([['c', 1, ['op:LIKE']], ['d', -1, []]])], strict);
  store.applyStep([], config);
  store.deleteHint(store.getByPattern('quote:double-literal')!.id);
  return store;
}

describe('hint store JSON', () => {
  it('round-trips everything: hints with history, candidates, removed hints, step and id counter', () => {
    const store = busyStore();
    expect(store.removed()).toHaveLength(1);
    expect(store.candidates()).toHaveLength(1);
    expect(store.hints().map((h) => [h.pattern, h.pinned])).toEqual([
      ['agg:COUNT', false],
      ['agg:SUM', false],
      ['table:orders', true],
    ]);
    const json = store.exportJson();
    const back = HintStore.fromJson(json);
    expect(back.exportJson()).toBe(json);
    expect(back.step).toBe(store.step);
    expect(back.hints()).toEqual(store.hints());
    // The id counter survives: new hints do not reuse removed ids.
    const next = back.addHint({ pattern: 'agg:AVG', weight: 0.2 });
    expect(store.hints().some((h) => h.id === next.id) || store.removed().some((r) => r.hint.id === next.id)).toBe(false);
  });

  it('is versioned', () => {
    const file = JSON.parse(new HintStore().exportJson());
    expect(file).toMatchObject({ format: HINT_STORE_FORMAT, version: 1, step: 0, next_id: 1, hints: [], candidates: [], removed: [] });
  });

  const valid = () => JSON.parse(busyStore().exportJson());

  it.each([
    ['not JSON', () => '{"format":', /not JSON/],
    ['another format', () => ({ ...valid(), format: 'something-else' }), /not a hint store file/],
    ['a newer version', () => ({ ...valid(), version: 2 }), /newer WebGRPO/],
    ['a non-integer version', () => ({ ...valid(), version: '1' }), /version must be an integer/],
    ['an array', () => [], /file must be an object/],
    ['a bad weight', () => { const f = valid(); f.hints[0].weight = 3; return f; }, /hints\[0\]\.weight must be a number in \[-1, 1\], got 3/],
    ['a type that contradicts its weight', () => { const f = valid(); f.hints[0].hint_type = f.hints[0].weight > 0 ? 'avoid' : 'prefer'; return f; }, /hints\[0\]\.hint_type .* contradicts weight/],
    ['an unknown pattern', () => { const f = valid(); f.hints[0].pattern = 'agg:MEDIAN'; return f; }, /hints\[0\]\.pattern is not a known pattern key/],
    ['duplicate ids', () => { const f = valid(); f.hints[1].id = f.hints[0].id; return f; }, /is used twice/],
    ['duplicate patterns', () => { const f = valid(); f.hints[1].pattern = f.hints[0].pattern; return f; }, /has two hints/],
    ['an id at or past next_id', () => ({ ...valid(), next_id: 1 }), /is not below next_id/],
    ['upper-case tables', () => { const f = valid(); f.hints[0].tables = ['Orders']; return f; }, /tables must hold non-empty lower-case table names/],
    ['a bad history entry', () => { const f = valid(); f.hints[0].history[0].kind = 'teleported'; return f; }, /history\[0\]\.kind must be one of/],
    ['a future step', () => { const f = valid(); f.hints[0].updated_step = f.step + 1; return f; }, /created_step <= updated_step <= step/],
    ['an unpinned zero weight', () => { const f = valid(); const h = f.hints.find((x: { pinned: boolean }) => !x.pinned); h.weight = 0; return f; }, /is 0 on an unpinned hint/],
    ['a bad removal reason', () => { const f = valid(); f.removed[0].reason = 'lost'; return f; }, /removed\[0\]\.reason must be one of/],
    ['missing hints', () => { const f = valid(); delete f.hints; return f; }, /hints must be an array, got nothing/],
  ])('rejects %s with a clear error and leaves the store unchanged', (_name, make, message) => {
    const store = busyStore();
    const before = store.exportJson();
    const input = make();
    expect(() => store.importJson(typeof input === 'string' ? input : JSON.stringify(input))).toThrow(HintStoreImportError);
    expect(() => store.importJson(input)).toThrow(message);
    expect(store.exportJson()).toBe(before);
  });

  it('lists every problem, with paths', () => {
    const f = valid();
    f.hints[0].weight = 'heavy';
    f.hints[0].evidence_count = -1;
    try {
      parseHintStoreFile(f);
      expect.unreachable();
    } catch (e) {
      const problems = (e as HintStoreImportError).problems;
      expect(problems).toEqual(expect.arrayContaining(['hints[0].weight must be a number in [-1, 1], got "heavy"', 'hints[0].evidence_count must be an integer >= 0, got -1']));
    }
  });

  it('importing replaces the whole store', () => {
    const a = busyStore();
    const b = new HintStore();
    b.addHint({ pattern: 'op:CASE', weight: -0.3 });
    a.importJson(b.exportJson());
    expect(a.hints().map((h) => h.pattern)).toEqual(['op:CASE']);
    expect(a.step).toBe(0);
  });
});
