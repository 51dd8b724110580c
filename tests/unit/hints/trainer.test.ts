import { describe, expect, it } from 'vitest';
import { resolveHintsConfig } from '../../../src/hints/config';
import { renderHints } from '../../../src/hints/inject';
import { HintStore } from '../../../src/hints/store';
import { HintsTrainerError, parseReplayJsonl, readGroup, ReplayError, replayHints, runHintsStep, type PromptGroup } from '../../../src/hints/trainer';

const SHOP = [
  'CREATE TABLE sales (product VARCHAR, revenue REAL)',
  'CREATE TABLE products (product_id INTEGER, name VARCHAR)',
  'CREATE TABLE orders (order_id INTEGER, product_id INTEGER, amount REAL)',
].join('; ');

/** Document 003's group for "Show total revenue by product", with its rewards. */
const REVENUE: PromptGroup = {
  example: { question: 'Show total revenue by product', context: SHOP },
  completions: [
    { sql: 'SELECT product, SUM(revenue) FROM sales GROUP BY product', reward: 0.414 },
    { sql: 'SELECT p.name, SUM(o.amount) FROM products p JOIN orders o ON p.product_id = o.product_id GROUP BY p.name', reward: 0.497 },
    { sql: 'SELECT productname FROM revenue_summary', reward: 0.19 },
    { sql: 'SELECT product_id, COUNT(*) FROM orders GROUP BY product_id', reward: 0.34 },
  ],
};

const countWords = (text: string) => (text.match(/\w+|[^\w\s]/g) ?? []).length;

describe('runHintsStep', () => {
  it("reproduces document 003's step 4: GROUP BY, SUM and JOIN reinforced, the made-up table penalised", () => {
    const store = new HintStore();
    const summary = runHintsStep(store, [REVENUE], resolveHintsConfig({ min_evidence_to_create: 1 }));
    const g = summary.groups[0]!;
    expect(g.advantages_from).toBe('rewards');
    expect(g.mean).toBeCloseTo(0.36025, 10);
    // Sample std plus TRL's epsilon 1e-4 (without it: 1.049 and -1.306).
    expect(g.completions.map((c) => Number(c.advantage.toFixed(3)))).toEqual([0.412, 1.048, -1.305, -0.155]);
    expect(g.completions.map((c) => c.qualifies)).toEqual([true, true, true, false]);
    expect(g.completions.map((c) => c.id)).toEqual(['s1.p0.c0', 's1.p0.c1', 's1.p0.c2', 's1.p0.c3']);

    const prefer = store.hints().filter((h) => h.hint_type === 'prefer').map((h) => h.pattern);
    const avoid = store.hints().filter((h) => h.hint_type === 'avoid').map((h) => h.pattern);
    expect(prefer).toEqual(expect.arrayContaining(['clause:GROUP-BY', 'agg:SUM', 'join:INNER']));
    expect(avoid).toEqual(expect.arrayContaining(['table:revenue_summary', 'schema:unknown-table']));
    // SUM: 0.412*(1-1/2) + 1.049*(1-1/2) + (-1.306)*(0-1/2), times lr 0.1.
    const a = g.completions.map((c) => c.advantage);
    expect(store.getByPattern('agg:SUM')!.weight).toBeCloseTo(0.1 * (0.5 * a[0]! + 0.5 * a[1]! - 0.5 * a[2]!), 12);
    // The made-up table's hint applies to this database's tables; schema hygiene applies everywhere.
    expect(store.getByPattern('table:revenue_summary')!.tables).toEqual(['orders', 'products', 'sales']);
    expect(store.getByPattern('schema:unknown-table')!.tables).toEqual([]);
    expect(store.getByPattern('join:INNER')!.tables).toEqual(['orders', 'products']);
    expect(summary.created.length).toBe(store.size);
    expect(summary.mean_reward).toBeCloseTo(0.36025, 10);
  });

  it('with the default min_evidence_to_create 2, patterns seen in one good completion wait as candidates', () => {
    const store = new HintStore();
    runHintsStep(store, [REVENUE], resolveHintsConfig());
    expect(store.getByPattern('agg:SUM')).toBeDefined();
    expect(store.getByPattern('join:INNER')).toBeUndefined();
    expect(store.candidates().map((c) => c.pattern)).toContain('join:INNER');
  });

  it('the learned hints reach the next prompt on the same database', () => {
    const store = new HintStore();
    runHintsStep(store, [REVENUE], resolveHintsConfig({ min_evidence_to_create: 1 }));
    const block = renderHints(store.hints(), { tables: ['sales', 'products', 'orders'], countTokens: countWords, budgetTokens: 200 });
    expect(block.text).toContain('- Prefer: SUM(...)');
    expect(block.text).toContain('- Avoid: the table revenue_summary');
    const elsewhere = renderHints(store.hints(), { tables: ['singer'], countTokens: countWords, budgetTokens: 200 });
    expect(elsewhere.included.map((h) => h.pattern).sort()).toEqual(['schema:unknown-column', 'schema:unknown-table']);
  });

  it('uses advantages given by the shared GRPO code instead of the rewards', () => {
    const store = new HintStore();
    const given = { ...REVENUE, advantages: [-1, -1, 1, 1] };
    const summary = runHintsStep(store, [given], resolveHintsConfig({ min_evidence_to_create: 1 }));
    expect(summary.groups[0]!.advantages_from).toBe('input');
    expect(summary.groups[0]!.mean).toBeUndefined();
    expect(store.getByPattern('agg:SUM')!.hint_type).toBe('avoid');
  });

  it('reads SQL out of raw completion text', () => {
    const group: PromptGroup = {
      example: { question: 'How many orders?', context: SHOP },
      completions: [
        { text: '<start_working_out>count rows<end_working_out><SOLUTION>SELECT count(*) FROM orders</SOLUTION>', reward: 1 },
        { text: 'I would write SELECT amount FROM orders', reward: 0 },
      ],
    };
    const reading = readGroup(group, resolveHintsConfig(), 'x.');
    expect(reading.completions.map((c) => c.sql)).toEqual(['SELECT count(*) FROM orders', 'SELECT amount FROM orders']);
    expect(reading.completions[0]!.patterns).toContain('agg:COUNT(*)');
  });

  it('skips one-completion groups, and checks every group before touching the store', () => {
    const store = new HintStore();
    const config = resolveHintsConfig({ min_evidence_to_create: 1 });
    const lonely: PromptGroup = { example: { question: 'q', context: SHOP }, completions: [{ sql: 'SELECT 1', reward: 1 }] };
    const summary = runHintsStep(store, [lonely, REVENUE], config);
    expect(summary.skipped_groups).toEqual([{ index: 0, question: 'q', reason: '1 completion(s): no group to compare with' }]);
    expect(summary.groups).toHaveLength(1);

    const before = store.exportJson();
    expect(() => runHintsStep(store, [REVENUE, { ...REVENUE, advantages: [1, 2] }], config)).toThrow(HintsTrainerError);
    expect(() => runHintsStep(store, [REVENUE, { ...REVENUE, advantages: [1, 2] }], config)).toThrow(/group 1: 2 advantages for 4 completions/);
    const nan: PromptGroup = { ...REVENUE, completions: [{ sql: 'SELECT 1', reward: Number.NaN }, { sql: 'SELECT 2', reward: 0 }] };
    expect(() => runHintsStep(store, [nan], config)).toThrow(/reward must be a finite number/);
    expect(() => runHintsStep(store, [{ ...REVENUE, completions: [{ reward: 1 } as never, { sql: 'x', reward: 0 }] }], config)).toThrow(/needs sql or text/);
    expect(store.exportJson()).toBe(before);
  });

  it('survives garbage completions and a context that does not parse', () => {
    const store = new HintStore();
    const group: PromptGroup = {
      example: { question: 'q', context: 'this is not sql' },
      completions: [
        { sql: "SELECT name FROM singer WHERE country = 'France", reward: 1 },
        { sql: '### ??? ###', reward: -1 },
        { text: '', reward: 0 },
      ],
    };
    const summary = runHintsStep(store, [group], resolveHintsConfig({ min_evidence_to_create: 1 }));
    expect(summary.groups[0]!.example_tables).toEqual([]);
    expect(summary.groups[0]!.completions[0]!.issues.join(' ')).toMatch(/unterminated/);
    expect(store.getByPattern('table:singer')!.hint_type).toBe('prefer');
  });
});

describe('replay', () => {
  const record = (question: string, rows: [string, number][]) =>
    JSON.stringify({ question, context: SHOP, completions: rows.map(([sql, reward]) => ({ sql, reward })) });
  const jsonl = [
    record('Total revenue per product', [
      ['SELECT product, sum(revenue) FROM sales GROUP BY product', 1],
      ['SELECT product, revenue FROM sales', 0],
      ['SELECT * FROM revenue_summary', -1],
    ]),
    '',
    '{"question": "broken"',
    record('Orders per product', [
      ['SELECT product_id, count(*) FROM orders GROUP BY product_id', 1],
      ['SELECT product_id FROM orders', 0.2],
    ]),
    JSON.stringify({ question: 'one only', context: SHOP, completions: [{ sql: 'SELECT 1', reward: 1 }] }),
    record('Largest order', [
      ['SELECT max(amount) FROM orders', 1],
      ["SELECT amount FROM orders WHERE amount = \"max\"", 0],
    ]),
  ].join('\n');

  it('parses recorded groups and reports bad lines with their numbers', () => {
    const { records, errors } = parseReplayJsonl(jsonl);
    expect(records.map((r) => r.line)).toEqual([1, 4, 6]);
    expect(errors.map((e) => e.line)).toEqual([3, 5]);
    expect(errors[0]!.message).toMatch(/not JSON/);
    expect(errors[1]!.message).toBe('needs at least 2 completions to compare, got 1');
  });

  it('learns the same hints as running the steps directly, with completion ids that point at the file', () => {
    const config = resolveHintsConfig({ min_evidence_to_create: 1 });
    const replayed = new HintStore();
    const summary = replayHints(replayed, jsonl, config, { groupsPerStep: 2 });
    expect(summary.steps).toHaveLength(2);
    expect(summary.groups_used).toBe(3);
    expect(summary.skipped_lines.map((e) => e.line)).toEqual([3, 5]);
    expect(summary.final_hints).toBe(replayed.size);
    expect(summary.hints_created).toBeGreaterThan(0);

    const direct = new HintStore();
    const { records } = parseReplayJsonl(jsonl);
    const asGroup = (r: (typeof records)[number]): PromptGroup => ({
      example: { question: r.question, context: r.context },
      completions: r.completions.map((c, i) => ({ ...c, id: `line${r.line}.c${i}` })),
    });
    runHintsStep(direct, records.slice(0, 2).map(asGroup), config);
    runHintsStep(direct, records.slice(2).map(asGroup), config);
    expect(replayed.exportJson()).toBe(direct.exportJson());

    const evidenceIds = replayed.getByPattern('agg:SUM')!.history[0]!.evidence!.map((e) => e.completion_id);
    expect(evidenceIds).toEqual(['line1.c0', 'line1.c2']);
    expect(replayed.getByPattern('quote:double-literal')!.hint_type).toBe('avoid');
  });

  it('in strict mode refuses bad input before learning anything', () => {
    const store = new HintStore();
    expect(() => replayHints(store, jsonl, resolveHintsConfig(), { strict: true })).toThrow(ReplayError);
    expect(() => replayHints(store, jsonl, resolveHintsConfig(), { strict: true })).toThrow(/line 3: not JSON/);
    expect(store.step).toBe(0);
    expect(store.size).toBe(0);
  });

  it('accepts parsed records and checks them too', () => {
    const store = new HintStore();
    const summary = replayHints(store, [{ question: 'q', context: SHOP, completions: [{ sql: 'SELECT 1', reward: Number.POSITIVE_INFINITY }, { sql: 'SELECT 2', reward: 0 }] }], resolveHintsConfig());
    expect(summary.skipped_lines).toEqual([{ line: 1, message: 'completions[0].reward must be a finite number' }]);
    expect(summary.steps).toHaveLength(0);
    expect(() => replayHints(store, [], resolveHintsConfig(), { groupsPerStep: 0 })).toThrow(/groupsPerStep/);
  });
});
