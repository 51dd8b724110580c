/**
 * Pause / resume / stop for a run. The trainer calls `checkpoint()` between phases: it waits while
 * paused and throws RunStopped once stop was asked. Generation also gets `signal`, so a stop does
 * not wait for max_completion_length tokens.
 */

import { yieldToEventLoop } from '../common/yield';

export class RunStopped extends Error {
  constructor(reason = 'stopped by the user') {
    super(reason);
    this.name = 'RunStopped';
  }
}

export class RunControl {
  private paused = false;
  private stopped = false;
  private waiting = false;
  private failure: Error | null = null;
  private wake: (() => void) | null = null;
  private abort = new AbortController();

  /** Called with true when a pause takes effect (the run is waiting), false when it continues. */
  onPauseChange: (paused: boolean) => void = () => {};

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** A pause has taken effect: the run is waiting between phases, touching nothing. */
  get isWaiting(): boolean {
    return this.waiting;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  pause(): void {
    if (!this.stopped) this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.wake?.();
  }

  stop(): void {
    this.stopped = true;
    this.paused = false;
    this.abort.abort(new RunStopped());
    this.wake?.();
  }

  /** Stops the run because of `error` (e.g. the GPU device was lost); checkpoint() rethrows it. */
  fail(error: Error): void {
    this.failure ??= error;
    this.stop();
  }

  /** Between phases: waits while paused; throws when stopped (or failed). */
  async checkpoint(): Promise<void> {
    await yieldToEventLoop();
    this.throwIfStopped();
    if (this.paused) {
      // Waiting before anyone hears of the pause: a listener may act on the paused run at once.
      this.waiting = true;
      this.onPauseChange(true);
      try {
        while (this.paused && !this.stopped) await new Promise<void>((resolve) => (this.wake = resolve));
      } finally {
        this.waiting = false;
      }
      this.wake = null;
      this.throwIfStopped();
      this.onPauseChange(false);
    }
  }

  throwIfStopped(): void {
    if (this.failure) throw this.failure;
    if (this.stopped) throw new RunStopped();
  }
}
