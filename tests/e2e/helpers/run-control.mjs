/**
 * Ending a run from an e2e test as a person would (the Stop button), and knowing it ended.
 */

const ENDED = ['stopped', 'finished', 'failed', 'idle'];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The run's phase as the page shows it (the phase badge's data-phase). */
export const runPhase = (page) => page.getByTestId('phase').getAttribute('data-phase');

/**
 * Presses Stop until the run has ended, and returns the phase it ended in. The click is dispatched
 * without Playwright's wait for a still element: the run bar moves with every progress event, and a
 * missed click would leave the run going. Throws, naming the phase and the button, when the run is
 * still going after `timeoutMs`.
 */
export async function stopRun(page, timeoutMs = 120_000) {
  const stop = page.getByTestId('stop');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const phase = await runPhase(page);
    if (ENDED.includes(phase)) return phase;
    if (Date.now() > deadline) throw new Error(`the run did not end within ${timeoutMs / 1000} s of pressing Stop: phase "${phase}", the button reads "${await stop.innerText()}"`);
    if (await stop.isEnabled()) await stop.dispatchEvent('click');
    await sleep(500);
  }
}
