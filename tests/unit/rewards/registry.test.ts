import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlJsStatic } from 'sql.js';
import { executionEquivalenceReward, executionPartialReward, partialCredit } from '../../../src/rewards/execution-rewards';
import { PRESETS, RewardRegistry, rewardByName } from '../../../src/rewards/registry';
import type { RewardExample } from '../../../src/rewards/types';
import { SqlEvaluator } from '../../../src/sql/evaluator';
import { loadSqlJs } from '../../../src/sql/sqljs-loader';
import { nodeWorkerFactory } from '../../../src/sql/worker-port-node';
import { inThreadExecutor } from './in-thread-executor';

const example: RewardExample = {
  question: 'What are the names of the singers who performed in a concert in 2014, and how many such concerts each?',
  context:
    'CREATE TABLE singer (singer_id INTEGER, name VARCHAR, country VARCHAR, age INTEGER); CREATE TABLE concert (concert_id INTEGER, concert_name VARCHAR, year VARCHAR); CREATE TABLE singer_in_concert (concert_id INTEGER, singer_id VARCHAR)',
  answer:
    'SELECT T1.name, COUNT(*) FROM singer AS T1 JOIN singer_in_concert AS T2 ON T1.singer_id = T2.singer_id JOIN concert AS T3 ON T2.concert_id = T3.concert_id WHERE T3.year = 2014 GROUP BY T1.singer_id',
};
const wrap = (sql: string) => `<start_working_out>Join the three tables and filter on the year.<end_working_out>\n<SOLUTION>${sql}</SOLUTION>`;
const GROUP = [
  wrap(example.answer),
  wrap('SELECT s.name, count(*) AS concerts FROM singer s JOIN singer_in_concert sc ON s.singer_id = sc.singer_id JOIN concert c ON sc.concert_id = c.concert_id WHERE c.year = "2014" GROUP BY s.singer_id'),
  wrap('SELECT T1.name, COUNT(*) FROM singer AS T1 JOIN singer_in_concert AS T2 ON T1.singer_id = T2.singer_id GROUP BY T1.singer_id'),
  wrap('SELECT T1.name FROM singer AS T1 JOIN singer_in_concert AS T2 ON T1.singer_id = T2.singer_id JOIN concert AS T3 ON T2.concert_id = T3.concert_id WHERE T3.year = 2014'),
  'I think it is SELECT name FROM singer',
  wrap('SELECT name, COUNT(*) FROM singers GROUP BY name'),
  wrap('DROP TABLE singer'),
  'No idea.',
];

let SQL: SqlJsStatic;
beforeAll(async () => {
  SQL = await loadSqlJs();
});

describe('RewardRegistry', () => {
  it('presets list TRL-style names with their weights', () => {
    expect(RewardRegistry.preset('doc000').names()).toEqual(['match_format_exactly', 'match_format_approximately', 'check_answer']);
    expect(RewardRegistry.preset('doc000').weights()).toEqual([1, 1, 1]);
    expect(RewardRegistry.preset('doc003').names()).toEqual(['sql_validity_reward', 'execution_reward', 'result_quality_reward', 'format_quality_reward']);
    expect(RewardRegistry.preset('doc003').weights()).toEqual([0.2, 0.3, 0.35, 0.15]);
    expect(Object.keys(PRESETS.default)).toContain('execution_equivalence_reward');
  });

  it('rejects unknown names, duplicates and non-finite weights with clear errors', () => {
    const r = RewardRegistry.preset('doc000');
    expect(() => r.setWeight('nope', 1)).toThrow(/no reward named "nope"; registered: match_format_exactly/);
    expect(() => r.add(rewardByName('check_answer'))).toThrow(/already registered/);
    expect(() => r.setWeight('check_answer', Number.NaN)).toThrow(/finite/);
    expect(() => rewardByName('accuracy')).toThrow(/unknown reward "accuracy"/);
  });

  it('needs an executor only when a reward runs SQL', async () => {
    await expect(RewardRegistry.preset('doc000').scoreGroup(example, GROUP)).resolves.toBeDefined();
    await expect(RewardRegistry.preset('default').scoreGroup(example, GROUP)).rejects.toThrow(/execution_equivalence_reward, execution_partial_reward need an SQL executor/);
  });

  it('scores a group of 8: per reward, per completion, and the weighted total', async () => {
    const registry = RewardRegistry.preset('default').add(rewardByName('sql_validity_reward'), 0.5);
    const g = await registry.scoreGroup(example, GROUP, inThreadExecutor(SQL));
    expect(g.names).toEqual(['match_format_exactly', 'match_format_approximately', 'execution_equivalence_reward', 'execution_partial_reward', 'sql_validity_reward']);
    expect(g.byReward.execution_equivalence_reward).toEqual([1, 1, 0, 0, 0, 0, 0, 0]);
    expect(g.byReward.match_format_exactly).toEqual([3, 3, 3, 3, 0, 3, 3, 0]);
    expect(g.byReward.sql_validity_reward).toEqual([1, 1, 1, 1, 1, 1, -0.5, -1]);
    // Partial credit: full for the equivalent ones; some for the dropped filter (right columns);
    // the missing count column has the wrong column count; failures and no-SQL get 0.
    const partial = g.byReward.execution_partial_reward!;
    expect(partial.slice(0, 2)).toEqual([1, 1]);
    expect(partial[2]).toBeGreaterThan(0.2);
    expect(partial[2]).toBeLessThan(1);
    expect(partial.slice(5)).toEqual([0, 0, 0]);
    expect(g.completions[4]!.extracted).toEqual({ sql: 'SELECT name FROM singer', source: 'bare-query' });
    expect(g.completions[5]!.details.execution_equivalence_reward).toMatchObject({ verdict: 'error', reason: 'no such table: singers' });
    expect(g.completions[6]!.details.execution_equivalence_reward).toMatchObject({ verdict: 'rejected' });
    // Totals are Σ weight × score, recomputed here from the parts.
    for (const [i, c] of g.completions.entries()) {
      const expected = g.names.reduce((s, n, k) => s + g.weights[k]! * c.scores[n]!, 0);
      expect(g.totals[i]).toBeCloseTo(expected, 12);
    }
    expect(g.totals[0]).toBeCloseTo(3 + 2 + 5 + 2 + 0.5, 12);
    expect(Math.max(...g.totals)).toBe(g.totals[0]);
  });

  it('the same group through the real worker pool gives the same scores', async () => {
    const evaluator = new SqlEvaluator(nodeWorkerFactory, { size: 2 });
    try {
      const registry = RewardRegistry.preset('default');
      const [viaWorkers, inThread] = await Promise.all([registry.scoreGroup(example, GROUP, evaluator), registry.scoreGroup(example, GROUP, inThreadExecutor(SQL))]);
      expect(viaWorkers.byReward).toEqual(inThread.byReward);
      expect(viaWorkers.totals).toEqual(inThread.totals);
    } finally {
      evaluator.close();
    }
  });
});

describe('execution rewards', () => {
  it('partial credit per database follows its formula', () => {
    expect(partialCredit({ equal: true, sameColumnCount: true, sameRowCount: true, rowOverlap: 1 })).toBe(1);
    expect(partialCredit({ equal: false, sameColumnCount: true, sameRowCount: true, rowOverlap: 1 })).toBeCloseTo(0.8, 12);
    expect(partialCredit({ equal: false, sameColumnCount: true, sameRowCount: false, rowOverlap: 0.5 })).toBeCloseTo(0.4, 12);
    expect(partialCredit({ equal: false, sameColumnCount: false, sameRowCount: true, rowOverlap: 0 })).toBeCloseTo(0.2, 12);
  });

  it('say why when there is nothing to judge', () => {
    const none = { example, completion: 'x', extracted: null, execution: null };
    expect(executionEquivalenceReward.score(none)).toEqual({ score: 0, details: { verdict: 'no SQL found' } });
    const goldBroken = { ...none, extracted: { sql: 'SELECT 1', source: 'bare-query' as const }, execution: { gold: { ok: false as const, kind: 'gold-error' as const, message: 'x' }, candidate: null, ms: 0 } };
    expect(executionPartialReward.score(goldBroken).details.verdict).toMatch(/gold query is unusable/);
  });
});
