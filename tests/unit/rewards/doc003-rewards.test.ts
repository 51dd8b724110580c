import { beforeAll, describe, expect, it } from 'vitest';
import type { SqlJsStatic } from 'sql.js';
import { extractSql } from '../../../src/prompt/extract-sql';
import { groupAdvantages, standardize } from '../../../src/rewards/advantages';
import { combineDoc003, DOC003_WEIGHTS, executionReward, formatQualityReward, resultQualityReward, sqlValidityReward } from '../../../src/rewards/sql-quality-rewards';
import type { RewardExample, RewardInput } from '../../../src/rewards/types';
import { loadSqlJs } from '../../../src/sql/sqljs-loader';
import { inThreadExecutor } from './in-thread-executor';

describe("document 003's worked example", () => {
  it('weights are 20/30/35/15 and sum to 1', () => {
    expect(DOC003_WEIGHTS).toEqual({ sql_validity_reward: 0.2, execution_reward: 0.3, result_quality_reward: 0.35, format_quality_reward: 0.15 });
  });

  it('combines components by the stated weights (hand-computed)', () => {
    // The document's four completions, components as printed. 0.2*1 + 0.3*0 + 0.35*0.4 + 0.15*0.6 = 0.43.
    const components = [
      { validity: 1, execution: 0, quality: 0.4, format: 0.6 },
      { validity: 1, execution: 0, quality: 0.5, format: 1 },
      { validity: 1, execution: 0, quality: -0.1, format: 0 },
      { validity: 1, execution: 0, quality: 0.2, format: 0.6 },
    ];
    const totals = components.map((c) => combineDoc003(c));
    expect(totals.map((t) => Math.round(t * 1000) / 1000)).toEqual([0.43, 0.525, 0.165, 0.36]);
    // The document prints 0.414, 0.497, 0.190, 0.340 for these: its totals do not follow from its own
    // components and weights (no weighting reproduces all four), so only the formula is reproduced.
    // Configurable weights: all on validity gives the validity component.
    expect(combineDoc003(components[2]!, { sql_validity_reward: 1, execution_reward: 0, result_quality_reward: 0, format_quality_reward: 0 })).toBe(1);
  });

  it('reproduces the advantages from the printed rewards, mean and std', () => {
    const rewards = [0.414, 0.497, 0.19, 0.34];
    const adv = standardize(rewards, 0.36, 0.127).map((a) => Math.round(a * 1000) / 1000);
    expect(adv).toEqual([0.425, 1.079, -1.339, -0.157]);
    // The printed mean (0.360) is the rewards' mean rounded; the printed std (0.127) is neither the
    // population std (0.1129) nor the sample std (0.1304) of the rewards, computed by hand:
    const pop = groupAdvantages(rewards, { std: 'population', epsilon: 0 });
    expect(pop.mean).toBeCloseTo(0.36025, 10);
    expect(pop.std).toBeCloseTo(Math.sqrt(0.05098475 / 4), 10);
    const sample = groupAdvantages(rewards, { epsilon: 0 });
    expect(sample.std).toBeCloseTo(Math.sqrt(0.05098475 / 3), 10);
    expect(sample.advantages[1]).toBeCloseTo(0.13675 / Math.sqrt(0.05098475 / 3), 10);
    // Signs and ranking agree with the document whichever std is used.
    expect(sample.advantages.map(Math.sign)).toEqual([1, 1, -1, -1]);
  });

  it('advantages: TRL epsilon, unscaled variant, a flat group, and an empty one', () => {
    expect(groupAdvantages([1, 1, 1, 1]).advantages).toEqual([0, 0, 0, 0]);
    expect(groupAdvantages([0, 2], { scale: false }).advantages).toEqual([-1, 1]);
    expect(groupAdvantages([0, 2]).advantages[1]).toBeCloseTo(1 / (Math.SQRT2 + 1e-4), 12);
    expect(() => groupAdvantages([])).toThrow(/empty group/);
  });
});

describe('document 003 rewards on real executions', () => {
  let SQL: SqlJsStatic;
  beforeAll(async () => {
    SQL = await loadSqlJs();
  });
  const example: RewardExample = {
    question: 'What is the average age of singers from each country?',
    context: 'CREATE TABLE singer (singer_id INTEGER, name VARCHAR, country VARCHAR, age INTEGER); CREATE TABLE concert (concert_id INTEGER, year VARCHAR)',
    answer: 'SELECT country, AVG(age) FROM singer GROUP BY country',
  };
  const wrap = (sql: string) => `<start_working_out>group by country<end_working_out><SOLUTION>${sql}</SOLUTION>`;
  async function inputs(sqls: string[]): Promise<RewardInput[]> {
    const completions = sqls.map(wrap);
    const extracted = completions.map(extractSql);
    const reports = await inThreadExecutor(SQL).evaluateGroup({ context: example.context, gold: example.answer }, extracted.map((e) => e?.sql ?? null));
    return completions.map((completion, i) => ({ example, completion, extracted: extracted[i]!, execution: reports[i]! }));
  }

  it('sql_validity_reward: parses (+1, even with an unknown table), write (−0.5), syntax error (−1), none (−1)', async () => {
    const xs = await inputs(['SELECT s.country, AVG(s.age) AS avg_age FROM singer AS s GROUP BY s.country', 'SELECT x FROM revenue_summary', 'DELETE FROM singer', 'SELECT FROM WHERE', 'hello']);
    expect(xs.map((x) => sqlValidityReward.score(x).score)).toEqual([1, 1, -0.5, -1, -1]);
    expect(sqlValidityReward.score({ example, completion: 'nothing', extracted: null, execution: null }).score).toBe(-1);
  });

  it('execution_reward: rows (+1), always empty (+0.5), error (−1)', async () => {
    const xs = await inputs(['SELECT country FROM singer', 'SELECT country FROM singer WHERE 0', 'SELECT nope FROM singer']);
    expect(xs.map((x) => executionReward.score(x).score)).toEqual([1, 0.5, -1]);
  });

  it('result_quality_reward: answering the cues scores higher than a wrong-table query', async () => {
    const xs = await inputs(['SELECT country, AVG(age) FROM singer GROUP BY country', 'SELECT country, age FROM singer', 'SELECT productname FROM revenue_summary']);
    const scores = xs.map((x) => resultQualityReward.score(x));
    // Cues: average, grouping ("each"). Columns named in the question: country, age.
    expect(scores[0]!.details.cues).toEqual(['average', 'grouping']);
    expect(scores[0]!.score).toBeCloseTo(1, 10); // q = 0.4 + 0.3 + 0.3
    expect(scores[1]!.score).toBeCloseTo(2 * (0.4 * 0 + 0.3 + 0.3) - 1, 10);
    expect(scores[2]!.details.unknownTables).toEqual(['revenue_summary']);
    expect(scores[2]!.score).toBeCloseTo(2 * 0 - 1, 10); // no cue, no named column, ungrounded
  });

  it('format_quality_reward: components add up as documented', async () => {
    const xs = await inputs([
      'SELECT s.country, AVG(s.age) AS avg_age FROM singer AS s GROUP BY s.country',
      'select country, avg(age) from singer group by country',
      'SELECT * FROM singer',
    ]);
    const r = xs.map((x) => formatQualityReward.score(x));
    expect(r[0]).toEqual({ score: 1, details: { explicitColumns: true, aliasing: true, upperKeywords: true, casting: true, clean: true } });
    // No alias for avg(age), lower-case keywords: 0.3 + 0.1 + 0.1.
    expect(r[1]!.score).toBeCloseTo(0.5, 10);
    // SELECT *: loses explicit columns only.
    expect(r[2]!.score).toBeCloseTo(0.7, 10);
  });

  it('format_quality_reward asks for CAST when a VARCHAR column is used as a number', () => {
    const wiki: RewardExample = { question: 'Total crowd at mcg?', context: 'CREATE TABLE table_name_5 (crowd VARCHAR, venue VARCHAR)', answer: 'SELECT SUM(crowd) FROM table_name_5 WHERE venue = "mcg"' };
    const score = (sql: string) => formatQualityReward.score({ example: wiki, completion: wrap(sql), extracted: extractSql(wrap(sql)), execution: null }).details.casting;
    expect(score('SELECT SUM(crowd) AS total FROM table_name_5 WHERE venue = "mcg"')).toBe(false);
    expect(score('SELECT SUM(CAST(crowd AS INTEGER)) AS total FROM table_name_5 WHERE venue = "mcg"')).toBe(true);
  });
});
