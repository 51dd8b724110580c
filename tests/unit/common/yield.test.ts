/**
 * yieldToEventLoop: a chain of awaits that never waits on a task keeps timers (and, in a browser
 * worker, incoming messages) out; with a turn every interval they get in.
 */
import { describe, expect, it } from 'vitest';
import { yieldToEventLoop } from '../../../src/common/yield';

/** Awaits `step` in a loop for `ms`, or until the timer set before the loop has fired. */
async function busyChain(ms: number, step: () => Promise<void>): Promise<{ fired: boolean; firedAfterMs: number }> {
  let firedAt = -1;
  const start = performance.now();
  setTimeout(() => (firedAt = performance.now()), 0);
  while (firedAt < 0 && performance.now() - start < ms) await step();
  return { fired: firedAt >= 0, firedAfterMs: firedAt - start };
}

describe('yieldToEventLoop', () => {
  it('without it, a timer waits for the whole chain', async () => {
    const { fired } = await busyChain(200, () => Promise.resolve());
    expect(fired).toBe(false);
  });

  it('with it, the timer gets in within about one interval', async () => {
    const { fired, firedAfterMs } = await busyChain(5_000, async () => {
      await Promise.resolve();
      await yieldToEventLoop(20);
    });
    expect(fired).toBe(true);
    expect(firedAfterMs).toBeLessThan(1_000);
  });

  it('within the interval it returns without waiting for a timer', async () => {
    await yieldToEventLoop(0); // a turn now: the next call is within the interval
    let timerRan = false;
    setTimeout(() => (timerRan = true), 0);
    await yieldToEventLoop(60_000);
    expect(timerRan).toBe(false);
  });
});
