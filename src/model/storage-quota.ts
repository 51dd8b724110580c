/**
 * The message for a full cache (OPFS QuotaExceededError, or ENOSPC on disk): how much the download
 * still needs, how much the origin has free, and what can be deleted. The bytes already stored
 * stay (a later attempt resumes them).
 */
import { HubError } from './hub-http';

/** navigator.storage.estimate()'s answer (fields may be missing). */
export interface StorageEstimate {
  quota?: number;
  usage?: number;
}

/** The dashboard panel that lists and deletes what the app stores (its title, as the message names it). */
export const STORAGE_PANEL_TITLE = 'Browser storage';
/** The results tab that holds it. */
export const STORAGE_PANEL_TAB = 'System';

export function isStorageFull(e: unknown): boolean {
  return (e instanceof DOMException && e.name === 'QuotaExceededError') || (e as { name?: unknown; code?: unknown } | null)?.code === 'ENOSPC' || (e as { name?: unknown } | null)?.name === 'QuotaExceededError';
}

/** The browser's estimate, where there is one. */
function defaultEstimate(): Promise<StorageEstimate> | null {
  const storage = (globalThis.navigator as (Navigator & { storage?: { estimate?: () => Promise<StorageEstimate> } }) | undefined)?.storage;
  return typeof storage?.estimate === 'function' ? storage.estimate() : null;
}

export function formatBytes(n: number): string {
  if (n < 2 ** 20) return `${(n / 1024).toFixed(0)} KiB`;
  if (n < 2 ** 30) return `${(n / 2 ** 20).toFixed(0)} MiB`;
  return `${(n / 2 ** 30).toFixed(2)} GiB`;
}

export async function storageFullError(o: {
  path: string;
  url: string;
  needed: number | null;
  error: unknown;
  estimate?: () => Promise<StorageEstimate>;
  /** What needs the space (default: the file, quoted). */
  subject?: string;
  /** What happens to what is stored (default: a download's bytes are kept and resumed). */
  kept?: string;
}): Promise<HubError> {
  let free: number | null = null;
  try {
    const est = await (o.estimate ? o.estimate() : defaultEstimate());
    if (est && typeof est.quota === 'number' && typeof est.usage === 'number') free = Math.max(0, est.quota - est.usage);
  } catch {
    // no estimate: the message says less
  }
  const needed = o.needed === null ? 'more space' : `${formatBytes(o.needed)} more`;
  const left = free === null ? '' : ` and ${formatBytes(free)} is free`;
  const reason = o.error instanceof Error ? o.error.message : String(o.error);
  return new HubError(
    `storage is full: ${o.subject ?? `"${o.path}"`} needs ${needed}${left} (${reason}). Delete cached models or checkpoints you no longer need in the "${STORAGE_PANEL_TITLE}" panel (${STORAGE_PANEL_TAB} tab), or free disk space, then retry: ${o.kept ?? 'the bytes already stored are kept and the download resumes'}`,
    o.url,
    undefined,
    'StorageFull',
  );
}
