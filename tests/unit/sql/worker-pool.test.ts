import { afterAll, describe, expect, it } from 'vitest';
import { SqlEvaluator } from '../../../src/sql/evaluator';
import { COLD_FACTOR, COLD_UNITS, SqlTimeoutError, SqlWorkerError, SqlWorkerPool, type WorkerPort } from '../../../src/sql/worker-pool';
import { nodeWorkerFactory } from '../../../src/sql/worker-port-node';
import type { WorkerInbound, WorkerOutbound } from '../../../src/sql/worker-protocol';

const example = {
  context: 'CREATE TABLE singer (singer_id INTEGER, name VARCHAR, country VARCHAR, age INTEGER); CREATE TABLE singer_in_concert (concert_id INTEGER, singer_id VARCHAR)',
  gold: 'SELECT name FROM singer WHERE country = "France" ORDER BY age DESC',
};
const RECURSIVE_FOREVER = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c';
// At least 4 rows per table: 4^12 = 16.7 million combinations on the smallest database.
const HUGE_CROSS_JOIN = 'SELECT count(*) FROM singer a, singer b, singer c, singer d, singer e, singer f, singer g, singer h, singer i, singer j, singer k, singer l';

describe('SqlEvaluator on node:worker_threads', () => {
  const evaluator = new SqlEvaluator(nodeWorkerFactory, { size: 2, stepTimeoutMs: 1000 });
  afterAll(() => evaluator.close());

  it('judges a group of 8 concurrently, in order', async () => {
    const group = [
      example.gold,
      "select NAME from SINGER where COUNTRY = 'France' order by AGE desc",
      'SELECT name FROM singer WHERE country = "France"',
      'SELECT name FROM singer ORDER BY age DESC',
      'SELECT name, age FROM singer WHERE country = "France" ORDER BY age DESC',
      'SELECT nope FROM singer',
      'DROP TABLE singer',
      null,
    ];
    const reports = await evaluator.evaluateGroup(example, group);
    expect(reports.map((r) => r?.candidate?.status ?? null)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'error', 'rejected', null]);
    expect(reports.map((r) => r?.candidate?.equivalent ?? null)).toEqual([true, true, false, false, false, false, false, null]);
    expect(reports[0]!.gold).toMatchObject({ ok: true, databases: 5, ordered: true });
  });

  it('stops a recursive CTE that never ends within about a second, without blocking this thread', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 50);
    const t0 = performance.now();
    const report = await evaluator.evaluate(example, RECURSIVE_FOREVER);
    const elapsed = performance.now() - t0;
    clearInterval(timer);
    expect(report.candidate?.status).toBe('timeout');
    expect(report.gold.ok).toBe(true);
    expect(elapsed).toBeLessThan(2500);
    // This thread kept running its timers while the worker was stuck.
    expect(ticks).toBeGreaterThanOrEqual(10);
  });

  it('stops a huge cross join, and the replacement worker carries on', async () => {
    const before = evaluator.pool.stats.replacedAfterTimeout;
    const [cross, ok] = await Promise.all([evaluator.evaluate(example, HUGE_CROSS_JOIN), evaluator.evaluate(example, example.gold)]);
    expect(cross.candidate?.status).toBe('timeout');
    expect(ok.candidate?.equivalent).toBe(true);
    expect(evaluator.pool.stats.replacedAfterTimeout).toBe(before + 1);
    expect((await evaluator.evaluate(example, example.gold)).candidate?.equivalent).toBe(true);
  });

  it('two runaway queries on two workers time out together, not one after the other', async () => {
    // Both workers warm first (the previous test replaced one), so only the two budgets are timed.
    await evaluator.warmUp();
    await evaluator.evaluateGroup(example, [example.gold, example.gold]);
    const t0 = performance.now();
    const rs = await Promise.all([evaluator.evaluate(example, RECURSIVE_FOREVER), evaluator.evaluate(example, HUGE_CROSS_JOIN)]);
    expect(rs.map((r) => r.candidate?.status)).toEqual(['timeout', 'timeout']);
    // One after the other would take at least 2 x 1000 ms.
    expect(performance.now() - t0).toBeLessThan(1900);
  });

  it('write attempts change nothing that later candidates see', async () => {
    const writes = ['DELETE FROM singer', 'UPDATE singer SET country = "France"', "INSERT INTO singer VALUES (1, 'x', 'France', 99)", 'PRAGMA query_only = 0', "ATTACH ':memory:' AS m"];
    const rs = await evaluator.evaluateGroup(example, writes);
    expect(rs.every((r) => r?.candidate?.status === 'rejected')).toBe(true);
    const again = await evaluator.evaluateGroup(example, [example.gold, example.gold]);
    expect(again.map((r) => r?.candidate?.equivalent)).toEqual([true, true]);
  });

  it('a query that is slow on every database is stopped by the per-candidate budget', async () => {
    const slow = new SqlEvaluator(nodeWorkerFactory, { size: 1, stepTimeoutMs: 1000, candidateTimeoutMs: 300 });
    try {
      // Past the worker's cold units (COLD_UNITS), where budgets are larger.
      while (slow.pool.stats.completed < 3) await slow.inspectGold({ ...example, gold: `${example.gold} LIMIT ${slow.pool.stats.completed + 1}` });
      // 400,000 recursion steps: well under the 1 s step budget per database, over 300 ms in total.
      const r = await slow.evaluate(example, 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 400000) SELECT count(*) FROM c');
      expect(r.candidate?.status).toBe('timeout');
      expect(r.candidate?.error).toMatch(/300 ms budget/);
    } finally {
      slow.close();
    }
  });

  it('a result over the size cap is an error, and the worker that built it is replaced', async () => {
    const before = evaluator.pool.stats.recycled;
    // 5 MB of text in one cell: over the 4 MB result cap.
    const r = await evaluator.evaluate(example, "SELECT printf('%.*c', 5000000, 'x')");
    expect(r.candidate).toMatchObject({ status: 'error', errorKind: 'too-large' });
    expect(evaluator.pool.stats.recycled).toBe(before + 1);
    expect((await evaluator.evaluate(example, example.gold)).candidate?.equivalent).toBe(true);
  });

  it('reports unusable gold queries instead of throwing', async () => {
    expect(await evaluator.inspectGold({ context: '', gold: 'SELECT 1' })).toMatchObject({ ok: false, kind: 'schema' });
    expect(await evaluator.inspectGold({ context: 'CREATE TABLE t (a INT)', gold: 'SELECT b FROM t' })).toMatchObject({ ok: false, kind: 'gold-error' });
    const r = await evaluator.evaluate({ context: 'CREATE TABLE t (a INT)', gold: 'SELECT b FROM t' }, 'SELECT a FROM t');
    expect(r.candidate).toBeNull();
  });
});

/** A scripted in-process worker, to test the pool's bookkeeping without threads. */
function fakePort(behaviour: 'ok' | 'hang' | 'hang-build' | 'crash' | 'no-start'): WorkerPort {
  let onMessage: (m: WorkerOutbound) => void = () => {};
  let onFailure: (e: Error) => void = () => {};
  return {
    listen(m, f) {
      onMessage = m;
      onFailure = f;
      if (behaviour === 'no-start') setTimeout(() => onMessage({ type: 'init-failed', message: 'sql.js failed to load: no wasm' }), 1);
      else setTimeout(() => onMessage({ type: 'ready' }), 1);
    },
    post(msg: WorkerInbound) {
      if (behaviour === 'ok') setTimeout(() => onMessage({ type: 'result', id: msg.id, response: { kind: 'inspect-gold', gold: { ok: true, databases: 1, goldNonEmpty: 1, goldRowCounts: [1], ordered: false }, buildMs: 1 } }), 1);
      if (behaviour === 'hang') onMessage({ type: 'tick', id: msg.id, phase: 'candidate' });
      if (behaviour === 'hang-build') onMessage({ type: 'tick', id: msg.id, phase: 'build' });
      if (behaviour === 'crash') setTimeout(() => onFailure(new Error('out of memory')), 1);
    },
    terminate() {},
  };
}
const req = { kind: 'inspect-gold' as const, example: { context: 'x', gold: 'y' }, options: {} };

describe('SqlWorkerPool bookkeeping', () => {
  it('times out a silent worker and replaces it', async () => {
    const kinds = ['hang', 'ok'] as const;
    let n = 0;
    const pool = new SqlWorkerPool(() => fakePort(kinds[Math.min(n++, 1)]!), { size: 1, stepTimeoutMs: 50 });
    await expect(pool.run(req)).rejects.toBeInstanceOf(SqlTimeoutError);
    await expect(pool.run(req)).resolves.toMatchObject({ kind: 'inspect-gold' });
    expect(pool.stats).toMatchObject({ started: 2, replacedAfterTimeout: 1, completed: 1 });
    pool.close();
  });

  it('turns a crash into an error for that request only', async () => {
    const kinds = ['crash', 'ok'] as const;
    let n = 0;
    const pool = new SqlWorkerPool(() => fakePort(kinds[Math.min(n++, 1)]!), { size: 1 });
    await expect(pool.run(req)).rejects.toThrow(/SQL worker crashed: out of memory/);
    await expect(pool.run(req)).resolves.toMatchObject({ kind: 'inspect-gold' });
    pool.close();
  });

  it('fails fast with the reason when workers cannot start', async () => {
    const pool = new SqlWorkerPool(() => fakePort('no-start'), { size: 1 });
    await expect(pool.run(req)).rejects.toThrow(/failed to start: sql.js failed to load: no wasm/);
    pool.close();
  });

  it("gives a fresh worker's first units the cold budget, and later ones the normal budget", async () => {
    // Every unit takes 3× the step budget: fine while the worker is cold, a timeout once it is warm.
    const slow = (): WorkerPort => {
      let onMessage: (m: WorkerOutbound) => void = () => {};
      return {
        listen(m) {
          onMessage = m;
          setTimeout(() => onMessage({ type: 'ready' }), 1);
        },
        post(msg: WorkerInbound) {
          onMessage({ type: 'tick', id: msg.id, phase: 'candidate', gold: { ok: true, databases: 1, goldNonEmpty: 1, goldRowCounts: [1], ordered: false } });
          setTimeout(() => onMessage({ type: 'result', id: msg.id, response: { kind: 'inspect-gold', gold: { ok: true, databases: 1, goldNonEmpty: 1, goldRowCounts: [1], ordered: false }, buildMs: 1 } }), 150);
        },
        terminate() {},
      };
    };
    const pool = new SqlWorkerPool(slow, { size: 1, stepTimeoutMs: 50, candidateTimeoutMs: 100 });
    // Each request is two units (the task and its tick): the first COLD_UNITS / 2 pass.
    for (let i = 0; i < COLD_UNITS / 2; i++) await expect(pool.run(req)).resolves.toMatchObject({ kind: 'inspect-gold' });
    await expect(pool.run(req)).rejects.toBeInstanceOf(SqlTimeoutError);
    expect(COLD_FACTOR * 50).toBeGreaterThan(150);
    pool.close();
  });

  it('retries a timed-out database build once on a fresh worker; a second timeout counts', async () => {
    const kinds = ['hang-build', 'ok'] as const;
    let n = 0;
    const pool = new SqlWorkerPool(() => (n++ === 0 ? fakePort(kinds[0]) : fakePort(kinds[1])), { size: 1, stepTimeoutMs: 20 });
    await expect(pool.run(req)).resolves.toMatchObject({ kind: 'inspect-gold' });
    expect(pool.stats).toMatchObject({ started: 2, retriedAfterTimeout: 1, completed: 1 });
    pool.close();
    const stuck = new SqlWorkerPool(() => fakePort('hang-build'), { size: 1, stepTimeoutMs: 20 });
    await expect(stuck.run(req)).rejects.toBeInstanceOf(SqlTimeoutError);
    expect(stuck.stats).toMatchObject({ started: 2, retriedAfterTimeout: 1 });
    stuck.close();
  });

  it('rejects work after close', async () => {
    const pool = new SqlWorkerPool(() => fakePort('ok'));
    pool.close();
    await expect(pool.run(req)).rejects.toBeInstanceOf(SqlWorkerError);
  });
});
