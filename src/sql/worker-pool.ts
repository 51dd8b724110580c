/**
 * A small pool of SQL workers with a watchdog. sql.js cannot interrupt a running query, so a
 * runaway one (a huge cross join, a recursive CTE that never ends) is stopped by terminating its
 * worker and starting a fresh one. Each unit of work (building one database, running one query)
 * gets its own time budget: the worker posts a tick before each, and the timer restarts on every tick.
 * A candidate also has a total budget over all of an example's databases.
 * A fresh worker's first units get COLD_FACTOR times the budget: its JavaScript and wasm are not
 * optimised yet, and on a busy machine a first database build can take seconds through no fault of
 * the query. A timeout while building databases or running the gold query (trusted work, not the
 * candidate's) is retried once on a fresh worker before it counts.
 * Environment-neutral: the two thin adapters (worker-port-node.ts, worker-port-browser.ts) supply ports.
 */
import type { GoldReport } from './example-suite';
import type { SqlWorkerRequest, SqlWorkerResponse, WorkerInbound, WorkerOutbound } from './worker-protocol';

/** One worker, seen from the pool. */
export interface WorkerPort {
  post(msg: WorkerInbound): void;
  /** Registers the handlers (called once). onFailure: the worker died or could not start. */
  listen(onMessage: (msg: WorkerOutbound) => void, onFailure: (error: Error) => void): void;
  terminate(): void;
}

export type WorkerFactory = () => WorkerPort;

export interface PoolOptions {
  /** Workers running at once. Default 2. */
  size?: number;
  /** Budget for one unit of work (one database build or one query on one database). Default 1000 ms. */
  stepTimeoutMs?: number;
  /** Budget for one candidate on all of an example's databases together. Default 2000 ms. */
  candidateTimeoutMs?: number;
  /**
   * Budget for a new worker to start and load sql.js. Default 120 000 ms: right after
   * onnxruntime-web's 27 MB wasm is first used, V8 spends tens of seconds of CPU optimising it,
   * and on a 2-core machine a worker starting then waits that long for its share.
   */
  startupTimeoutMs?: number;
}

export class SqlTimeoutError extends Error {
  constructor(readonly phase: 'build' | 'gold' | 'candidate' | 'start', readonly budgetMs: number, readonly gold: GoldReport | undefined) {
    super(`SQL ${phase === 'candidate' ? 'query' : phase} step ran longer than ${budgetMs} ms; its worker was stopped and replaced`);
    this.name = 'SqlTimeoutError';
  }
}

export class SqlWorkerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SqlWorkerError';
  }
}

interface Task {
  id: number;
  request: SqlWorkerRequest;
  key: string;
  resolve: (r: SqlWorkerResponse) => void;
  reject: (e: Error) => void;
  phase: 'build' | 'gold' | 'candidate';
  gold?: GoldReport;
  /** When the candidate's first query started (its total budget runs from here). */
  candidateSince?: number;
  /** Already retried after a timeout in the build or gold phase. */
  retried?: boolean;
}

/** Units of work a new worker does with the cold budget, and how much larger that budget is. */
export const COLD_UNITS = 8;
export const COLD_FACTOR = 5;

interface Slot {
  port: WorkerPort;
  ready: boolean;
  dead: boolean;
  task: Task | null;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Examples this worker has databases for (most recent last). */
  recent: string[];
  /** Units of work started on this worker (ticks and tasks). */
  units: number;
}

export interface PoolStats {
  started: number;
  replacedAfterTimeout: number;
  /** Build/gold work retried on a fresh worker after a timeout. */
  retriedAfterTimeout: number;
  crashed: number;
  completed: number;
  /** Workers retired after producing an over-size result (their wasm heap never shrinks). */
  recycled: number;
}

const exampleKey = (r: SqlWorkerRequest) => `${r.example.context}\u0000${r.example.gold}`;

export class SqlWorkerPool {
  private slots: Slot[] = [];
  private queue: Task[] = [];
  private nextId = 1;
  private closed = false;
  private startFailures = 0;
  readonly size: number;
  readonly stepTimeoutMs: number;
  readonly startupTimeoutMs: number;
  readonly candidateTimeoutMs: number;
  readonly stats: PoolStats = { started: 0, replacedAfterTimeout: 0, retriedAfterTimeout: 0, crashed: 0, completed: 0, recycled: 0 };

  constructor(private readonly factory: WorkerFactory, options: PoolOptions = {}) {
    this.size = Math.max(1, options.size ?? 2);
    this.stepTimeoutMs = options.stepTimeoutMs ?? 1000;
    this.startupTimeoutMs = options.startupTimeoutMs ?? 120_000;
    this.candidateTimeoutMs = options.candidateTimeoutMs ?? 2000;
  }

  run(request: SqlWorkerRequest): Promise<SqlWorkerResponse> {
    if (this.closed) return Promise.reject(new SqlWorkerError('the SQL worker pool is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, request, key: exampleKey(request), resolve, reject, phase: 'build' });
      this.pump();
    });
  }

  /** Starts every worker now (instead of on first use) and resolves when all have loaded sql.js. */
  async warmUp(): Promise<void> {
    while (this.slots.length < this.size && !this.closed) this.spawn();
    const deadline = performance.now() + this.startupTimeoutMs;
    while (!this.closed && this.slots.some((s) => !s.ready)) {
      if (performance.now() > deadline) throw new SqlWorkerError(`SQL workers not ready within ${this.startupTimeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
    if (this.slots.length === 0) throw new SqlWorkerError('no SQL worker could start');
  }

  /** Stops every worker; queued and running requests are rejected. */
  close(): void {
    this.closed = true;
    for (const t of this.queue.splice(0)) t.reject(new SqlWorkerError('the SQL worker pool was closed'));
    for (const s of this.slots) this.kill(s, new SqlWorkerError('the SQL worker pool was closed'));
    this.slots = [];
  }

  private pump(): void {
    while (this.queue.length > 0 && !this.closed) {
      const idle = this.slots.filter((s) => s.ready && !s.task && !s.dead);
      if (idle.length === 0) {
        if (this.slots.length < this.size) this.spawn();
        return;
      }
      // Prefer a worker that already has this example's databases.
      const task = this.queue.shift()!;
      const slot = idle.find((s) => s.recent.includes(task.key)) ?? idle[0]!;
      this.assign(slot, task);
    }
  }

  private spawn(): void {
    let port: WorkerPort;
    try {
      port = this.factory();
    } catch (e) {
      this.failQueue(new SqlWorkerError(`could not start an SQL worker: ${e instanceof Error ? e.message : String(e)}`));
      return;
    }
    this.stats.started++;
    const slot: Slot = { port, ready: false, dead: false, task: null, timer: undefined, recent: [], units: 0 };
    this.slots.push(slot);
    slot.timer = setTimeout(() => this.startFailed(slot, `no SQL worker became ready within ${this.startupTimeoutMs} ms`), this.startupTimeoutMs);
    port.listen(
      (msg) => this.onMessage(slot, msg),
      (error) => this.onFailure(slot, error),
    );
  }

  private assign(slot: Slot, task: Task): void {
    slot.task = task;
    slot.recent = [...slot.recent.filter((k) => k !== task.key), task.key].slice(-8);
    this.arm(slot);
    slot.port.post({ id: task.id, request: task.request });
  }

  private arm(slot: Slot): void {
    clearTimeout(slot.timer);
    const factor = slot.units++ < COLD_UNITS ? COLD_FACTOR : 1;
    let budget = this.stepTimeoutMs * factor;
    const since = slot.task?.candidateSince;
    // A query that takes 0.9 s on each of five databases is stopped by the candidate's total budget.
    let which = budget;
    if (since !== undefined) {
      const total = this.candidateTimeoutMs * factor;
      const left = Math.max(0, since + total - performance.now());
      if (left < budget) {
        budget = left;
        which = total;
      }
    }
    slot.timer = setTimeout(() => this.onTimeout(slot, which), budget);
  }

  private onMessage(slot: Slot, msg: WorkerOutbound): void {
    if (slot.dead) return;
    switch (msg.type) {
      case 'ready':
        clearTimeout(slot.timer);
        slot.ready = true;
        this.startFailures = 0;
        this.pump();
        return;
      case 'init-failed':
        this.startFailed(slot, msg.message);
        return;
      case 'tick':
        if (slot.task?.id !== msg.id) return;
        slot.task.phase = msg.phase;
        if (msg.gold) slot.task.gold = msg.gold;
        if (msg.phase === 'candidate') slot.task.candidateSince ??= performance.now();
        this.arm(slot);
        return;
      case 'result':
      case 'failed': {
        const task = slot.task;
        if (task?.id !== msg.id) return;
        clearTimeout(slot.timer);
        slot.task = null;
        if (msg.type === 'result') {
          this.stats.completed++;
          task.resolve(msg.response);
          // A result over the size cap was materialised inside the worker first: sql.js's memory
          // grew to hold it and never shrinks, so this worker is retired for a fresh one.
          if (msg.response.kind === 'evaluate' && msg.response.candidate?.errorKind === 'too-large') {
            this.stats.recycled++;
            this.remove(slot, undefined);
            return;
          }
        } else task.reject(new SqlWorkerError(`SQL worker failed: ${msg.message}`));
        this.pump();
        return;
      }
    }
  }

  /** `budgetMs`: the budget that ran out (the step's or the candidate's total). */
  private onTimeout(slot: Slot, budgetMs: number): void {
    const task = slot.task;
    this.stats.replacedAfterTimeout++;
    if (task && task.phase !== 'candidate' && !task.retried) {
      // Building databases or running the gold query: try once more on a fresh worker.
      task.retried = true;
      task.candidateSince = undefined;
      task.phase = 'build';
      this.stats.retriedAfterTimeout++;
      slot.task = null;
      this.queue.unshift(task);
      this.remove(slot, undefined);
      return;
    }
    this.remove(slot, task ? new SqlTimeoutError(task.phase, budgetMs, task.gold) : undefined);
  }

  private onFailure(slot: Slot, error: Error): void {
    if (slot.dead) return;
    if (!slot.ready) {
      this.startFailed(slot, error.message);
      return;
    }
    this.stats.crashed++;
    this.remove(slot, new SqlWorkerError(`SQL worker crashed: ${error.message}`));
  }

  private startFailed(slot: Slot, message: string): void {
    if (slot.dead) return;
    this.startFailures++;
    this.remove(slot, new SqlWorkerError(`SQL worker failed to start: ${message}`));
    // Two starts in a row failing means the environment is broken: fail fast instead of looping.
    if (this.startFailures >= 2) this.failQueue(new SqlWorkerError(`SQL worker failed to start: ${message}`));
  }

  private failQueue(error: Error): void {
    for (const t of this.queue.splice(0)) t.reject(error);
  }

  private kill(slot: Slot, error: Error | undefined): void {
    if (slot.dead) return;
    slot.dead = true;
    clearTimeout(slot.timer);
    try {
      slot.port.terminate();
    } catch {
      // Already gone.
    }
    if (slot.task && error) slot.task.reject(error);
    slot.task = null;
  }

  private remove(slot: Slot, error: Error | undefined): void {
    this.kill(slot, error);
    this.slots = this.slots.filter((s) => s !== slot);
    this.pump();
  }
}
