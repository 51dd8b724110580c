/**
 * Where hub downloads land: the interface the hub client writes through, and a cache in memory.
 * Persistent ones: storage-opfs.ts (browser), storage-node.ts (a directory).
 *
 * Entries are keyed by '/'-separated URI-encoded segments, `<repo>/<commit>/<path>`, so files of two
 * commits never share an entry. An entry is complete (verified) or partial (an interrupted download,
 * with the identity of the bytes it holds, so a resume can check that it continues the same file).
 */
import { MemoryByteSource, type ByteSource } from './safetensors';

/** What a file's stored bytes are: checked before resuming and recorded on completion. */
export interface FileIdentity {
  /** The commit the bytes belong to; null when the server names none. */
  commit: string | null;
  /** ETag of the response the bytes came from (null when the server sends none or hides it). */
  etag: string | null;
  /** The file's full size, when the server announced it exactly. */
  size: number | null;
}

export interface CacheEntryStatus extends FileIdentity {
  /** complete: verified and usable; partial: an interrupted download that may be resumed. */
  state: 'complete' | 'partial' | 'missing';
  /** Bytes stored. */
  bytes: number;
}

export interface PartialWriter {
  write(chunk: Uint8Array): Promise<void>;
  /** Publishes what was written; called after a failed transfer too, keeping the bytes for a resume. */
  close(): Promise<void>;
}

export interface HubCache {
  readonly kind: string;
  status(key: string): Promise<CacheEntryStatus>;
  /** A complete entry's bytes, or null. */
  open(key: string): Promise<ByteSource | null>;
  /** Whatever bytes are stored, complete or not (to verify before committing). */
  openPartial(key: string): Promise<ByteSource | null>;
  /**
   * Starts (resumeFrom 0) or continues writing bytes of `identity`: drops any completion mark and
   * every byte past resumeFrom.
   */
  beginWrite(key: string, resumeFrom: number, identity: FileIdentity): Promise<PartialWriter>;
  /** Marks the stored bytes as a complete, verified file. */
  commit(key: string, identity: FileIdentity): Promise<void>;
  delete(key: string): Promise<void>;
  /** A small named value (which commit a branch pointed at), or null. */
  getRef(key: string): Promise<string | null>;
  setRef(key: string, value: string): Promise<void>;
}

/** One stored entry as a listing reports it (a key with data, complete or partial). */
export interface CacheListingEntry {
  key: string;
  state: 'complete' | 'partial';
  bytes: number;
  commit: string | null;
}

/** Everything a cache holds: its entries and its refs. */
export interface CacheListing {
  entries: CacheListingEntry[];
  refs: { key: string; value: string }[];
}

/**
 * A cache that can say what it holds and forget parts of it (the storage inventory: what the app
 * keeps in the browser, and deleting it). Every persistent cache here is one.
 */
export interface InventoryCache extends HubCache {
  list(): Promise<CacheListing>;
  deleteRef(key: string): Promise<void>;
  /** Removes the now-empty folders above `key` (after its entry was deleted); folders still holding anything stay. */
  removeEmptyParents(key: string): Promise<void>;
}

export function isInventoryCache(cache: HubCache): cache is InventoryCache {
  const c = cache as Partial<InventoryCache>;
  return typeof c.list === 'function' && typeof c.deleteRef === 'function' && typeof c.removeEmptyParents === 'function';
}

const NO_IDENTITY: FileIdentity = { commit: null, etag: null, size: null };

export function missingEntry(): CacheEntryStatus {
  return { state: 'missing', bytes: 0, ...NO_IDENTITY };
}

/** Splits a cache key, refusing empty and relative segments (keys must never escape the cache root). */
export function keySegments(key: string): string[] {
  const segments = key.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) throw new Error(`cache key "${key}" has an empty or relative segment`);
  return segments;
}

/** Cache in memory: for tests, the bundled model, and environments without persistent storage. */
export class MemoryHubCache implements InventoryCache {
  readonly kind = 'memory';
  private readonly entries = new Map<string, { chunks: Uint8Array[]; size: number; complete: boolean; identity: FileIdentity }>();
  private readonly refs = new Map<string, string>();

  async status(key: string): Promise<CacheEntryStatus> {
    const e = this.entries.get(key);
    if (!e) return missingEntry();
    return { state: e.complete ? 'complete' : 'partial', bytes: e.size, ...e.identity };
  }
  private bytes(key: string): Uint8Array | null {
    const e = this.entries.get(key);
    if (!e) return null;
    if (e.chunks.length !== 1) {
      const all = new Uint8Array(e.size);
      let at = 0;
      for (const c of e.chunks) {
        all.set(c, at);
        at += c.byteLength;
      }
      e.chunks = [all];
    }
    return e.chunks[0]!;
  }
  async open(key: string): Promise<ByteSource | null> {
    return this.entries.get(key)?.complete ? new MemoryByteSource(this.bytes(key)!, `memory:${key}`) : null;
  }
  async openPartial(key: string): Promise<ByteSource | null> {
    const b = this.bytes(key);
    return b ? new MemoryByteSource(b, `memory:${key}`) : null;
  }
  async beginWrite(key: string, resumeFrom: number, identity: FileIdentity): Promise<PartialWriter> {
    keySegments(key);
    const have = this.bytes(key) ?? new Uint8Array(0);
    if (resumeFrom > have.byteLength) throw new Error(`cannot resume "${key}" at ${resumeFrom}: only ${have.byteLength} bytes are cached`);
    const entry = { chunks: [have.slice(0, resumeFrom)], size: resumeFrom, complete: false, identity: { ...identity } };
    this.entries.set(key, entry);
    return {
      async write(chunk: Uint8Array) {
        entry.chunks.push(chunk.slice());
        entry.size += chunk.byteLength;
      },
      async close() {},
    };
  }
  async commit(key: string, identity: FileIdentity): Promise<void> {
    const e = this.entries.get(key);
    if (!e) throw new Error(`cannot commit "${key}": nothing was written`);
    e.complete = true;
    e.identity = { ...identity };
  }
  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }
  async getRef(key: string): Promise<string | null> {
    return this.refs.get(key) ?? null;
  }
  async setRef(key: string, value: string): Promise<void> {
    keySegments(key);
    this.refs.set(key, value);
  }
  async list(): Promise<CacheListing> {
    const entries = [...this.entries].map(([key, e]) => ({ key, state: e.complete ? ('complete' as const) : ('partial' as const), bytes: e.size, commit: e.identity.commit }));
    return { entries, refs: [...this.refs].map(([key, value]) => ({ key, value })) };
  }
  async deleteRef(key: string): Promise<void> {
    this.refs.delete(key);
  }
  async removeEmptyParents(): Promise<void> {
    // no folders in memory
  }
}
