/**
 * Where the time and the GPU memory go, per graph kind: wraps GraphSession.run (every session of
 * the runner, the generator and the optimizer) and ort.Tensor.getData (host readbacks).
 *
 * With `sync` on, each run waits for the GPU (queue.onSubmittedWorkDone) so its time is its own;
 * that removes CPU/GPU overlap, so profiled passes are separate from the timed ones. Memory per run
 * is what gpuMemory saw: the peak above the live bytes at the run's start (outputs + onnxruntime's
 * intermediates), and what was still allocated when it returned.
 */
import { gpuMemory } from '../../src/runtime/device';
import { GraphSession } from '../../src/runtime/graph-session';
import { ort } from '../../src/runtime/ort';

export interface KindStats {
  runs: number;
  ms: number;
  /** Largest peak - live-at-start over the runs (bytes). */
  peakAbove: number;
  /** Largest live-after - live-at-start over the runs (bytes). */
  retained: number;
}

export class SessionProfiler {
  sync = false;
  readonly kinds = new Map<string, KindStats>();
  /**
   * Memory of each session's first run, never reset: onnxruntime allocates a session's buffers on
   * its first run and keeps them cached afterwards, so later runs allocate nothing new.
   */
  readonly firstRuns = new Map<string, { peakAbove: number; retained: number; liveBefore: number }>();
  private readonly seen = new WeakSet<GraphSession>();
  readback = { count: 0, ms: 0, bytes: 0 };
  private installed = false;

  /** Without a device (wasm backend) runs are synchronous already and `sync` does nothing. */
  constructor(private readonly device?: GPUDevice) {}

  reset(): void {
    this.kinds.clear();
    this.readback = { count: 0, ms: 0, bytes: 0 };
  }

  install(): void {
    if (this.installed) return;
    this.installed = true;
    const profiler = this;
    const run = GraphSession.prototype.run;
    GraphSession.prototype.run = async function (this: GraphSession, ...args: Parameters<GraphSession['run']>) {
      const liveBefore = gpuMemory.live;
      const peakBefore = gpuMemory.peak;
      gpuMemory.resetPeak();
      const t0 = performance.now();
      const out = await run.apply(this, args);
      if (profiler.sync && profiler.device) await profiler.device.queue.onSubmittedWorkDone();
      const ms = performance.now() - t0;
      const s = profiler.kinds.get(this.graph.name) ?? { runs: 0, ms: 0, peakAbove: 0, retained: 0 };
      s.runs++;
      s.ms += ms;
      s.peakAbove = Math.max(s.peakAbove, gpuMemory.peak - liveBefore);
      s.retained = Math.max(s.retained, gpuMemory.live - liveBefore);
      profiler.kinds.set(this.graph.name, s);
      if (!profiler.seen.has(this)) {
        profiler.seen.add(this);
        const key = profiler.firstRuns.has(this.graph.name) ? `${this.graph.name}#${profiler.firstRuns.size}` : this.graph.name;
        profiler.firstRuns.set(key, { peakAbove: gpuMemory.peak - liveBefore, retained: gpuMemory.live - liveBefore, liveBefore });
      }
      gpuMemory.peak = Math.max(peakBefore, gpuMemory.peak);
      return out;
    };
    const getData = ort.Tensor.prototype.getData;
    ort.Tensor.prototype.getData = async function (this: ort.Tensor, ...args: Parameters<ort.Tensor['getData']>) {
      if (this.location === 'cpu' || this.location === 'cpu-pinned') return getData.apply(this, args);
      const t0 = performance.now();
      const data = await getData.apply(this, args);
      profiler.readback.count++;
      profiler.readback.ms += performance.now() - t0;
      profiler.readback.bytes += (data as ArrayLike<number> & { byteLength: number }).byteLength;
      return data;
    } as ort.Tensor['getData'];
  }

  /** Rows "kind: runs, ms/run, total ms, peak above live" sorted by total time. */
  table(): string[] {
    const rows = [...this.kinds].sort((a, b) => b[1].ms - a[1].ms);
    const lines = rows.map(([k, s]) => `${k.padEnd(24)} ${String(s.runs).padStart(5)} runs  ${(s.ms / s.runs).toFixed(2).padStart(10)} ms/run  ${s.ms.toFixed(1).padStart(10)} ms  peak +${(s.peakAbove / 2 ** 20).toFixed(2)} MiB, kept +${(s.retained / 2 ** 20).toFixed(2)} MiB`);
    if (this.readback.count) lines.push(`${'host readbacks'.padEnd(24)} ${String(this.readback.count).padStart(5)} reads ${(this.readback.ms / this.readback.count).toFixed(2).padStart(10)} ms/read ${this.readback.ms.toFixed(1).padStart(10)} ms  ${(this.readback.bytes / 2 ** 20).toFixed(1)} MiB`);
    return lines;
  }

  totalRunMs(kind: string): number {
    return this.kinds.get(kind)?.ms ?? 0;
  }

  /** First-run memory per session: what onnxruntime allocated for it, and what stayed allocated. */
  firstRunTable(): string[] {
    return [...this.firstRuns].map(([k, s]) => `${k.padEnd(26)} live before ${(s.liveBefore / 2 ** 20).toFixed(2).padStart(10)} MiB  peak +${(s.peakAbove / 2 ** 20).toFixed(2).padStart(9)} MiB  kept +${(s.retained / 2 ** 20).toFixed(2).padStart(9)} MiB`);
  }

  toJson(): Record<string, unknown> {
    return { kinds: Object.fromEntries(this.kinds), readback: this.readback, first_runs: Object.fromEntries(this.firstRuns) };
  }
}
