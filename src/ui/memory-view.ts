/**
 * GPU memory as the dashboard shows it: the budget field, the plan a run would take (term by
 * term) and the memory in use during a run against the budget.
 */
import { DEFAULT_GPU_MEMORY_BUDGET, GiB, type MemoryPlan } from '../model/memory-plan';
import type { GpuMemoryUse } from '../worker/training-api';

export const formatBytes = (bytes: number) => (bytes >= GiB ? `${(bytes / GiB).toFixed(2)} GiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`);

/** The budget field: GiB as typed ('' for the default) -> bytes, or what is wrong with it. */
export function parseBudgetGiB(text: string): { bytes: number } | { problem: string } {
  const t = text.trim();
  if (t === '') return { bytes: DEFAULT_GPU_MEMORY_BUDGET };
  const gib = Number(t);
  if (!/^\d*\.?\d+$/.test(t) || !Number.isFinite(gib) || gib <= 0) return { problem: `GPU memory budget must be a positive number of GiB, got '${text}'` };
  return { bytes: gib * GiB };
}

/** One line: the micro-batch split and chunk the plan takes, and its total against the budget. */
export function planSummary(plan: MemoryPlan): string {
  return `per_device_train_batch_size ${plan.microBatch} × gradient_accumulation_steps ${plan.accumulationSteps}, loss head in chunks of ${plan.chunkRows} rows: ${formatBytes(plan.total)} of the ${formatBytes(plan.budget)} budget`;
}

export interface PlanRow {
  key: string;
  name: string;
  size: string;
  how: string;
  /** Share of the plan's total, 0..1. */
  share: number;
}

/** The plan's terms, largest first. */
export function planRows(plan: MemoryPlan): PlanRow[] {
  return [...plan.terms].sort((a, b) => b.bytes - a.bytes).map((t) => ({ key: t.key, name: t.name, size: formatBytes(t.bytes), how: t.how, share: plan.total > 0 ? t.bytes / plan.total : 0 }));
}

export interface MemoryUseView {
  /** "1.23 GiB of the 6.00 GiB budget", or without a budget "1.23 GiB". */
  text: string;
  peak: string;
  /** Live bytes over the budget, 0..1 (capped); null without a budget. */
  fraction: number | null;
  over: boolean;
}

export function memoryUseView(use: GpuMemoryUse): MemoryUseView {
  const budget = use.budget;
  if (budget === null || !(budget > 0)) return { text: formatBytes(use.live), peak: formatBytes(use.peak), fraction: null, over: false };
  return { text: `${formatBytes(use.live)} of the ${formatBytes(budget)} budget`, peak: formatBytes(use.peak), fraction: Math.min(1, use.live / budget), over: use.live > budget };
}
