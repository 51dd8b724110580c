/**
 * Gives the event loop a turn during long GPU work. In a Chromium worker a run on WebGPU chains one
 * GPU callback after another, and those were measured to keep the worker's incoming messages (a
 * Stop from the page) and its timers waiting for minutes. Awaiting a zero-delay timer lets them in;
 * it is skipped unless `intervalMs` has passed since the last turn, so it costs little.
 */
let lastTurn = 0;

export const YIELD_INTERVAL_MS = 50;

export async function yieldToEventLoop(intervalMs = YIELD_INTERVAL_MS): Promise<void> {
  if (performance.now() - lastTurn < intervalMs) return;
  await new Promise<void>((resolve) => setTimeout(resolve, 0));
  lastTurn = performance.now();
}
