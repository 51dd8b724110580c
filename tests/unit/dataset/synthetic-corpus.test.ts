import { describe, expect, it } from 'vitest';
import { splitExamples } from '../../../src/dataset/split';
import { generateSyntheticCorpus, QUESTION_TYPES, SYNTHETIC_DOMAINS, type SyntheticCorpusOptions } from '../../../src/dataset/synthetic';
import { DatasetError } from '../../../src/dataset/types';
import { parseSchema } from '../../../src/sql/schema';

const corpus = generateSyntheticCorpus({ size: 2000, seed: 1 });
const rows = corpus.rows.map((r, i) => ({ ...r, ...corpus.meta[i]!, index: i }));
const ofType = (type: string) => rows.filter((r) => r.type === type);

describe('synthetic corpus: determinism', () => {
  it('gives the same corpus for the same options, another for another seed', () => {
    const a = generateSyntheticCorpus({ size: 400, seed: 5 });
    expect(generateSyntheticCorpus({ size: 400, seed: 5 })).toEqual(a);
    const b = generateSyntheticCorpus({ size: 400, seed: 6 });
    const shared = new Set(a.rows.map((r) => JSON.stringify(r)));
    expect(b.rows.filter((r) => shared.has(JSON.stringify(r))).length).toBeLessThan(10);
    expect(generateSyntheticCorpus({ size: 400, seed: -5 }).rows).not.toEqual(a.rows);
  });

  it('makes a larger corpus start with the smaller one of the same seed', () => {
    const small = generateSyntheticCorpus({ size: 150, seed: 9 });
    const large = generateSyntheticCorpus({ size: 300, seed: 9 });
    expect(large.rows.slice(0, 149)).toEqual(small.rows.slice(0, 149));
  });
});

describe('synthetic corpus: options', () => {
  const bad: [unknown, RegExp][] = [
    [{ size: 0, seed: 1 }, /size must be a whole number from 1 to 200000, got 0/],
    [{ size: 2.5, seed: 1 }, /size must be a whole number .* got 2\.5/],
    [{ size: '10', seed: 1 }, /size must be a whole number .* got "10"/],
    [{ size: 200_001, seed: 1 }, /got 200001/],
    [{ size: 10 }, /seed must be a whole number \(a safe integer\), got undefined/],
    [{ size: 10, seed: 0.5 }, /seed must be a whole number/],
    [{ size: 10, seed: 2 ** 60 }, /seed must be a whole number/],
    [{ size: 10, seed: 1, domains: ['school', 'zoo'] }, /unknown domain\(s\) "zoo"; known: school, shop/],
    [{ size: 10, seed: 1, domains: [] }, /domains must be a non-empty list/],
    [{ size: 10, seed: 1, questionsPerSchema: [0, 3] }, /questionsPerSchema must be \[min, max\]/],
    [{ size: 10, seed: 1, questionsPerSchema: [5, 2] }, /questionsPerSchema/],
    [{ size: 10, seed: 1, maxTables: 5 }, /maxTables must be 1, 2, 3 or 4, got 5/],
    [{ size: 10, seed: 1, typeWeights: { joins: 1 } }, /unknown question type "joins"/],
    [{ size: 10, seed: 1, typeWeights: { list: -1 } }, /weight of list must be a number >= 0, got -1/],
    [{ size: 10, seed: 1, typeWeights: Object.fromEntries(QUESTION_TYPES.map((t) => [t, 0])) }, /every question type has weight 0/],
    [{ size: 10, seed: 1, maxTables: 1, typeWeights: { ...Object.fromEntries(QUESTION_TYPES.map((t) => [t, 0])), join1: 1 } }, /join questions need maxTables >= 2/],
    [null, /options must be an object/],
  ];
  it.each(bad)('rejects %j with a clear message', (options, message) => {
    expect(() => generateSyntheticCorpus(options as SyntheticCorpusOptions)).toThrow(DatasetError);
    expect(() => generateSyntheticCorpus(options as SyntheticCorpusOptions)).toThrow(message);
  });

  it('honours domains, table limits, question types and questions per schema', () => {
    const c = generateSyntheticCorpus({ size: 300, seed: 2, domains: ['film', 'music'], maxTables: 2, questionsPerSchema: [2, 2], typeWeights: { join2: 0, list: 0 } });
    expect(new Set(c.meta.map((m) => m.domain))).toEqual(new Set(['film', 'music']));
    expect(Math.max(...c.meta.map((m) => m.tables))).toBe(2);
    expect(c.meta.some((m) => m.type === 'join2' || m.type === 'list')).toBe(false);
    const perSchema = new Map<string, number>();
    for (const m of c.meta) perSchema.set(m.schemaId, (perSchema.get(m.schemaId) ?? 0) + 1);
    // A few instances repeat a context; each occurrence asks two questions.
    expect([...perSchema.values()].every((n) => n % 2 === 0)).toBe(true);
    const only = generateSyntheticCorpus({ size: 200, seed: 3, typeWeights: Object.fromEntries(QUESTION_TYPES.map((t) => [t, t === 'join2' ? 1 : 0])) });
    expect(only.meta.every((m) => m.type === 'join2' && m.tables >= 3)).toBe(true);
  });
});

describe('synthetic corpus: schemas', () => {
  it('has rows and aligned metadata, contexts that parse, 1–4 tables of 2–6 columns with keys', () => {
    expect(corpus.rows).toHaveLength(2000);
    expect(corpus.meta).toHaveLength(2000);
    expect(Object.keys(corpus.rows[0]!).sort()).toEqual(['answer', 'context', 'question']);
    for (const r of rows) {
      const { tables } = parseSchema(r.context);
      expect(tables.length).toBe(r.tables);
      expect(tables.length).toBeGreaterThanOrEqual(1);
      expect(tables.length).toBeLessThanOrEqual(4);
      for (const t of tables) {
        expect(t.columns.length, r.context).toBeGreaterThanOrEqual(2);
        expect(t.columns.length, r.context).toBeLessThanOrEqual(6);
        expect(t.columns[0]!.name === 'id' || t.columns[0]!.name.endsWith('_id')).toBe(true);
      }
    }
  });

  it('connects the tables of an instance through foreign-key columns', () => {
    for (const context of new Set(rows.map((r) => r.context))) {
      const { tables } = parseSchema(context);
      const key = (t: (typeof tables)[number]) => t.columns[0]!.name;
      // A links to B when A has a column "<stem of B>_id" naming B's key ("id" style: B's name starts with the stem).
      const linked = (a: (typeof tables)[number], b: (typeof tables)[number]) =>
        a.columns.slice(1).some((c) => c.name === key(b) || (key(b) === 'id' && c.name.endsWith('_id') && b.name.startsWith(c.name.slice(0, -3))));
      const reached = new Set([tables[0]!.name]);
      for (let grew = true; grew; ) {
        grew = false;
        for (const a of tables) for (const b of tables) if (reached.has(a.name) && !reached.has(b.name) && (linked(a, b) || linked(b, a))) (reached.add(b.name), (grew = true));
      }
      expect(reached.size, context).toBe(tables.length);
    }
  });

  it('asks several questions per schema instance, over many distinct instances and every domain', () => {
    const runs: number[] = [];
    rows.forEach((r, i) => (i > 0 && rows[i - 1]!.context === r.context ? runs[runs.length - 1]!++ : runs.push(1)));
    expect(runs.slice(0, -1).every((n) => n >= 3 && n <= 8)).toBe(true);
    expect(new Set(rows.map((r) => r.context)).size).toBeGreaterThan(300);
    expect(new Set(rows.map((r) => r.domain))).toEqual(new Set(SYNTHETIC_DOMAINS));
    expect(SYNTHETIC_DOMAINS.length).toBeGreaterThanOrEqual(8);
    // One schema id per context.
    const idOf = new Map<string, string>();
    for (const r of rows) {
      expect(idOf.get(r.context) ?? r.schemaId).toBe(r.schemaId);
      idOf.set(r.context, r.schemaId);
    }
    expect(new Set(idOf.values()).size).toBe(idOf.size);
  });

  it('uses name variants: one catalogue table appears under several names', () => {
    const names = new Set(rows.flatMap((r) => parseSchema(r.context).tables.map((t) => t.name)));
    for (const group of [['employee', 'employees', 'staff', 'worker'], ['movie', 'movies', 'film', 'films']]) {
      expect(group.filter((n) => names.has(n)).length).toBeGreaterThanOrEqual(3);
    }
  });
});

describe('synthetic corpus: questions', () => {
  it('covers every question type and their variants', () => {
    for (const t of QUESTION_TYPES) expect(ofType(t).length, t).toBeGreaterThan(2000 * 0.025);
    const details = (t: string) => new Set(ofType(t).map((r) => r.detail));
    expect(details('compare')).toEqual(new Set(['>', '>=', '<', '<=', 'between']));
    expect(details('aggregate')).toEqual(new Set(['count', 'sum', 'avg', 'min', 'max', 'max-min']));
    expect(details('order-limit')).toEqual(new Set(['top1', 'topn', 'order']));
    expect(details('group-having')).toEqual(new Set(['count>', 'count>=', 'avg>']));
    expect(details('distinct')).toEqual(new Set(['distinct', 'count-distinct']));
    for (const d of ['filter', 'filter-distinct', 'count', 'related', 'pair', 'group-count', 'group-avg', 'having']) expect(details('join1').has(d), d).toBe(true);
    for (const d of ['filter', 'filter-distinct', 'count']) expect(details('join2').has(d), d).toBe(true);
    expect(ofType('filter-eq').some((r) => r.detail === 'text')).toBe(true);
    expect(ofType('filter-eq').some((r) => r.detail === 'number')).toBe(true);
    expect(ofType('list').some((r) => r.detail === '2')).toBe(true);
  });

  it('writes SQL of the shape each type promises', () => {
    const shapes: Record<string, RegExp> = {
      list: /^SELECT [\w, ]+ FROM \w+$/,
      'filter-eq': /^SELECT [\w, ]+ FROM \w+ WHERE \w+ = ('[^']+'|\d+(\.\d+)?)( AND .+)?$/,
      compare: /^SELECT [\w, ]+ FROM \w+ WHERE \w+ (>|>=|<|<=|BETWEEN) .+$/,
      aggregate: /^SELECT (COUNT\(\*\)|(SUM|AVG|MIN|MAX)\(\w+\)|MAX\(\w+\), MIN\(\w+\)) FROM \w+( WHERE .+)?$/,
      'order-limit': /^SELECT [\w, ]+ FROM \w+( WHERE .+)? ORDER BY \w+ (ASC|DESC)( LIMIT \d)?$/,
      'group-by': /^SELECT (\w+), (COUNT\(\*\)|(SUM|AVG|MIN|MAX)\(\w+\)) FROM \w+ GROUP BY \1$/,
      'group-having': /^SELECT (\w+) FROM \w+ GROUP BY \1 HAVING (COUNT\(\*\) >=? \d|AVG\(\w+\) > [\d.]+)$/,
      distinct: /^SELECT (DISTINCT \w+|COUNT\(DISTINCT \w+\)) FROM \w+( WHERE .+)?$/,
      join1: /^SELECT .+ FROM \w+ AS T1 JOIN \w+ AS T2 ON T\d\.\w+ = T\d\.\w+( WHERE .+| GROUP BY .+)?$/,
      join2: /^SELECT .+ FROM \w+ AS T1 JOIN \w+ AS T2 ON T1\.\w+ = T2\.\w+ JOIN \w+ AS T3 ON T2\.\w+ = T3\.\w+ WHERE T3\..+$/,
    };
    for (const r of rows) expect(r.answer, `${r.type}: ${r.question}`).toMatch(shapes[r.type]!);
  });

  it('writes literals in the question the way the gold query uses them', () => {
    for (const r of rows) {
      const sql = r.answer;
      for (const m of sql.matchAll(/'([^']*)'/g)) expect(r.question, sql).toContain(m[1]!);
      const conditions = sql.replace(/^.*? (WHERE|HAVING) /, '').replace(/ ORDER BY .*$/, '');
      if (/ (WHERE|HAVING) /.test(sql)) {
        for (const m of conditions.replace(/'[^']*'/g, '').replace(/\bT\d\./g, '').matchAll(/(?<![\w.])\d+(\.\d+)?(?![\w.])/g)) {
          if (!/COUNT\(\*\) >=? \d/.test(conditions) || !conditions.endsWith(m[0])) expect(r.question.split(/[\s,?.:]+(?=\s|$)|\s+/), `${sql} | ${r.question}`).toContain(m[0]);
        }
      }
      const limit = / LIMIT (\d+)$/.exec(sql);
      if (limit && limit[1] !== '1') expect(r.question).toMatch(new RegExp(`\\b${limit[1]}\\b`));
    }
  });

  it('words comparisons by their boundaries', () => {
    // Longest phrases first: "no more than" is <=, "more than" is >.
    const words: [RegExp, string][] = [
      [/\b(greater than or equal to|at least|or more|not less than|on or after|or later)\b/, '>='],
      [/\b(less than or equal to|at most|no more than|or less|does not exceed|on or before|or earlier)\b/, '<='],
      [/\b(between|in the range)\b/, 'BETWEEN'],
      [/\b(more than|greater than|above|over|exceeds|higher than|after|later than|older than|more expensive than)\b/, '>'],
      [/\b(less than|below|under|lower than|smaller than|before|earlier than|younger than|cheaper than)\b/, '<'],
    ];
    for (const r of ofType('compare')) {
      const op = / (>=|<=|>|<|BETWEEN) /.exec(r.answer)![1];
      expect(words.find(([re]) => re.test(r.question))?.[1], `${r.question} | ${r.answer}`).toBe(op);
    }
  });

  it('words order, limits, aggregates, groups and distinct values as the SQL does', () => {
    for (const r of ofType('order-limit')) {
      const desc = r.answer.includes(' DESC');
      if (/with the (highest|largest|latest|most recent)\b|\btop \d|from highest to lowest|in descending order|from latest to earliest|newest first/.test(r.question)) expect(desc, r.question).toBe(true);
      if (/with the (lowest|smallest|earliest)\b|from lowest to highest|in ascending order|from earliest to latest/.test(r.question)) expect(desc, r.question).toBe(false);
      if (r.detail === 'top1') expect(r.answer).toMatch(/LIMIT 1$/);
    }
    // The aggregate word comes before the column phrase (which may hold such words too: "total amount").
    const aggregateWords: [string, string][] = [
      ['how many', 'COUNT'], ['count the', 'COUNT'], ['number of', 'COUNT'], ['total number of', 'COUNT'],
      ['total', 'SUM'], ['sum of', 'SUM'], ['combined', 'SUM'], ['average', 'AVG'], ['mean', 'AVG'],
      ['highest', 'MAX'], ['maximum', 'MAX'], ['largest', 'MAX'], ['latest', 'MAX'], ['most recent', 'MAX'],
      ['lowest', 'MIN'], ['minimum', 'MIN'], ['smallest', 'MIN'], ['earliest', 'MIN'],
    ];
    for (const r of ofType('aggregate')) {
      const fn = /^SELECT (\w+)\(/.exec(r.answer)![1];
      const q = r.question.toLowerCase();
      const hits = aggregateWords.map(([w, f]) => ({ at: q.search(new RegExp(`\\b${w}\\b`)), len: w.length, f })).filter((h) => h.at >= 0);
      hits.sort((a, b) => a.at - b.at || b.len - a.len);
      expect(hits[0]?.f, `${r.question} | ${r.answer}`).toBe(fn);
    }
    for (const r of ofType('group-having')) {
      const m = / HAVING COUNT\(\*\) (>=?) (\d+)$/.exec(r.answer);
      if (!m) continue;
      expect(r.question).toContain(m[1] === '>' ? `more than ${m[2]}` : /or more/.test(r.question) ? `${m[2]} or more` : `at least ${m[2]}`);
    }
    for (const r of ofType('distinct')) expect(r.question, r.answer).toMatch(/\b(different|distinct|unique)\b/);
  });

  it('varies the wording', () => {
    expect(new Set(rows.map((r) => `${r.question}\n${r.context}`)).size).toBe(rows.length);
    expect(new Set(rows.map((r) => r.question)).size).toBeGreaterThan(1950);
    const openings = new Set(rows.map((r) => r.question.split(' ').slice(0, 2).join(' ')));
    expect(openings.size).toBeGreaterThan(60);
    // Column phrases beyond the column's own name: "year of birth" for birth_year, synonyms across name variants.
    expect(rows.some((r) => /\bbirth_year\b/.test(r.answer) && r.question.includes('year of birth'))).toBe(true);
    expect(rows.some((r) => /\bpay\b/.test(r.answer) && /\bsalary\b/.test(r.question))).toBe(true);
  });
});

describe('synthetic corpus: held-out schemas', () => {
  it('keeps every question of a schema on one side of the split, several on the held-out side', () => {
    const examples = rows.map((r) => ({ id: `s#${r.index}`, question: r.question, context: r.context, answer: r.answer }));
    const split = splitExamples(examples, { seed: 42, heldOut: 200 });
    const held = new Set(split.heldOut.map((e) => e.context));
    expect(split.train.filter((e) => held.has(e.context))).toEqual([]);
    expect(split.heldOut.length).toBeGreaterThanOrEqual(200);
    expect(split.heldOut.length / held.size).toBeGreaterThan(3);
  });
});
