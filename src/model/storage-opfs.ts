/**
 * Hub cache in the Origin Private File System (browser, window or worker).
 *
 * Why OPFS and not the Cache API: the Cache API stores whole Responses, so an interrupted 2 GB
 * download cannot be continued, only restarted; OPFS files can be appended to, so a download resumes
 * (HTTP Range) from the bytes already stored, also after a page reload. Reads are File.slice()
 * ranges, served from disk without loading the file into the JS heap, and OPFS is available in the
 * worker that runs training.
 *
 * Why segments: a FileSystemWritableFileStream writes to a swap file that only replaces the real one
 * on close(); a reload or crash mid-write discards everything since the stream was opened, and
 * reopening a 2 GB file with keepExistingData copies it whole. So a download is written as a run of
 * segment files of at most `segmentBytes`, each closed (published) when full: a reload loses at most
 * the segment in progress. A complete file is read as one Blob over its segments.
 *
 * Layout: one directory per key segment; for the file `<name>`: `<name>.parts/<000000...>` (the data),
 * `<name>.partial.json` (identity of an interrupted download), `<name>.complete.json` (verified).
 * Refs live under `.refs/`.
 */
import { BlobByteSource, type ByteSource } from './safetensors';
import { keySegments, MemoryHubCache, missingEntry, type CacheEntryStatus, type CacheListing, type CacheListingEntry, type FileIdentity, type HubCache, type InventoryCache, type PartialWriter } from './hub-cache';

/** The hub cache's folder at the top of the origin's OPFS. */
export const OPFS_CACHE_DIR = 'webgrpo-hub-cache';
const REFS_DIR = '.refs';
const ENTRY_SUFFIXES = ['.parts', '.complete.json', '.partial.json'];
/** Default segment size: what a reload mid-download can lose at most. */
export const DEFAULT_SEGMENT_BYTES = 32 * 2 ** 20;

interface Marker extends FileIdentity {
  parts: number;
}

export interface OpfsHubCacheOptions {
  segmentBytes?: number;
  /** Root directory name inside the origin's OPFS (tests use their own). */
  rootDir?: string;
}

export class OpfsHubCache implements InventoryCache {
  readonly kind = 'opfs';
  private constructor(
    private readonly root: FileSystemDirectoryHandle,
    readonly segmentBytes: number,
  ) {}

  static async open(options: OpfsHubCacheOptions = {}): Promise<OpfsHubCache> {
    const segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    if (!Number.isSafeInteger(segmentBytes) || segmentBytes <= 0) throw new Error(`OPFS cache: invalid segment size ${segmentBytes}`);
    const top = await navigator.storage.getDirectory();
    return new OpfsHubCache(await top.getDirectoryHandle(options.rootDir ?? OPFS_CACHE_DIR, { create: true }), segmentBytes);
  }

  private async dirOf(segments: string[], create: boolean): Promise<FileSystemDirectoryHandle | null> {
    let dir = this.root;
    for (const seg of segments) {
      try {
        dir = await dir.getDirectoryHandle(seg, { create });
      } catch (e) {
        if (isNotFound(e)) return null;
        throw e;
      }
    }
    return dir;
  }

  private async locate(key: string, create: boolean): Promise<{ dir: FileSystemDirectoryHandle; name: string } | null> {
    const segments = keySegments(key);
    const dir = await this.dirOf(segments.slice(0, -1), create);
    return dir ? { dir, name: segments[segments.length - 1]! } : null;
  }

  private async readJson<T>(dir: FileSystemDirectoryHandle, name: string): Promise<T | null> {
    try {
      return JSON.parse(await (await (await dir.getFileHandle(name)).getFile()).text()) as T;
    } catch {
      return null;
    }
  }

  private async writeJson(dir: FileSystemDirectoryHandle, name: string, value: unknown): Promise<void> {
    const w = await (await dir.getFileHandle(name, { create: true })).createWritable();
    await w.write(JSON.stringify(value));
    await w.close();
  }

  /** The entry's segments in order: the contiguous run from 000000 (a gap ends it). */
  private async segments(loc: { dir: FileSystemDirectoryHandle; name: string }): Promise<{ parts: FileSystemDirectoryHandle; files: File[] } | null> {
    let parts: FileSystemDirectoryHandle;
    try {
      parts = await loc.dir.getDirectoryHandle(`${loc.name}.parts`);
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
    const files: File[] = [];
    for (let i = 0; ; i++) {
      try {
        files.push(await (await parts.getFileHandle(segmentName(i))).getFile());
      } catch (e) {
        if (isNotFound(e)) break;
        throw e;
      }
    }
    return { parts, files };
  }

  private async read(key: string): Promise<{ files: File[]; bytes: number; marker: Marker | null; partial: FileIdentity | null } | null> {
    const loc = await this.locate(key, false);
    if (!loc) return null;
    const seg = await this.segments(loc);
    if (!seg) return null;
    const [marker, partial] = await Promise.all([this.readJson<Marker>(loc.dir, `${loc.name}.complete.json`), this.readJson<FileIdentity>(loc.dir, `${loc.name}.partial.json`)]);
    return { files: seg.files, bytes: seg.files.reduce((a, f) => a + f.size, 0), marker, partial };
  }

  async status(key: string): Promise<CacheEntryStatus> {
    const e = await this.read(key);
    if (!e) return missingEntry();
    const m = e.marker;
    if (m && m.size === e.bytes && m.parts === e.files.length) return { state: 'complete', bytes: e.bytes, commit: m.commit ?? null, etag: m.etag ?? null, size: m.size };
    return { state: 'partial', bytes: e.bytes, commit: e.partial?.commit ?? null, etag: e.partial?.etag ?? null, size: e.partial?.size ?? null };
  }

  async open(key: string): Promise<ByteSource | null> {
    const e = await this.read(key);
    const m = e?.marker;
    if (!e || !m || m.size !== e.bytes || m.parts !== e.files.length) return null;
    return new BlobByteSource(new Blob(e.files), `opfs:${key}`);
  }

  async openPartial(key: string): Promise<ByteSource | null> {
    const e = await this.read(key);
    return e ? new BlobByteSource(new Blob(e.files), `opfs:${key}`) : null;
  }

  async beginWrite(key: string, resumeFrom: number, identity: FileIdentity): Promise<PartialWriter> {
    const loc = (await this.locate(key, true))!;
    await removeEntry(loc.dir, `${loc.name}.complete.json`);
    await this.writeJson(loc.dir, `${loc.name}.partial.json`, { commit: identity.commit, etag: identity.etag, size: identity.size } satisfies FileIdentity);
    const parts = await loc.dir.getDirectoryHandle(`${loc.name}.parts`, { create: true });
    const { files } = (await this.segments(loc))!;
    const have = files.reduce((a, f) => a + f.size, 0);
    if (resumeFrom > have) throw new Error(`cannot resume "${key}" at ${resumeFrom}: only ${have} bytes are cached`);

    // Keep the segments before resumeFrom, cut the one it falls in, drop the rest.
    let next = 0;
    let at = 0;
    for (; next < files.length && at + files[next]!.size <= resumeFrom; next++) at += files[next]!.size;
    if (next < files.length && at < resumeFrom) {
      const w = await (await parts.getFileHandle(segmentName(next))).createWritable({ keepExistingData: true });
      await w.truncate(resumeFrom - at);
      await w.close();
      next++;
    }
    for (let i = next; i < files.length; i++) await removeEntry(parts, segmentName(i));

    const segmentBytes = this.segmentBytes;
    let current: { stream: FileSystemWritableFileStream; written: number } | null = null;
    const openSegment = async () => {
      const handle = await parts.getFileHandle(segmentName(next++), { create: true });
      current = { stream: await handle.createWritable(), written: 0 };
      return current;
    };
    return {
      async write(chunk: Uint8Array): Promise<void> {
        let done = 0;
        while (done < chunk.byteLength) {
          const seg = current ?? (await openSegment());
          const take = Math.min(chunk.byteLength - done, segmentBytes - seg.written);
          await seg.stream.write(chunk.subarray(done, done + take) as Uint8Array<ArrayBuffer>);
          seg.written += take;
          done += take;
          if (seg.written >= segmentBytes) {
            current = null;
            await seg.stream.close(); // published: a reload from here on keeps this segment
          }
        }
      },
      async close(): Promise<void> {
        const seg = current;
        current = null;
        await seg?.stream.close();
      },
    };
  }

  async commit(key: string, identity: FileIdentity): Promise<void> {
    const loc = await this.locate(key, false);
    const seg = loc && (await this.segments(loc));
    if (!loc || !seg) throw new Error(`cannot commit "${key}": nothing was written`);
    const size = seg.files.reduce((a, f) => a + f.size, 0);
    await this.writeJson(loc.dir, `${loc.name}.complete.json`, { commit: identity.commit, etag: identity.etag, size, parts: seg.files.length } satisfies Marker);
    await removeEntry(loc.dir, `${loc.name}.partial.json`);
  }

  async delete(key: string): Promise<void> {
    const loc = await this.locate(key, false);
    if (!loc) return;
    await removeEntry(loc.dir, `${loc.name}.complete.json`);
    await removeEntry(loc.dir, `${loc.name}.partial.json`);
    await removeEntry(loc.dir, `${loc.name}.parts`);
  }

  async getRef(key: string): Promise<string | null> {
    const segments = keySegments(key);
    const dir = await this.dirOf(['.refs', ...segments.slice(0, -1)], false);
    if (!dir) return null;
    try {
      return (await (await (await dir.getFileHandle(segments[segments.length - 1]!)).getFile()).text()).trim() || null;
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }

  async setRef(key: string, value: string): Promise<void> {
    const segments = keySegments(key);
    const dir = (await this.dirOf(['.refs', ...segments.slice(0, -1)], true))!;
    const w = await (await dir.getFileHandle(segments[segments.length - 1]!, { create: true })).createWritable();
    await w.write(value);
    await w.close();
  }

  async deleteRef(key: string): Promise<void> {
    const segments = keySegments(key);
    const dir = await this.dirOf([REFS_DIR, ...segments.slice(0, -1)], false);
    if (!dir) return;
    await removeEntry(dir, segments[segments.length - 1]!);
    await this.removeEmptyDirs([REFS_DIR, ...segments.slice(0, -1)]);
  }

  async removeEmptyParents(key: string): Promise<void> {
    await this.removeEmptyDirs(keySegments(key).slice(0, -1));
  }

  /** Removes the folders of `path`, deepest first, while they are empty (a non-recursive remove refuses a folder that is not). */
  private async removeEmptyDirs(path: string[]): Promise<void> {
    for (let n = path.length; n > 0; n--) {
      const parent = await this.dirOf(path.slice(0, n - 1), false);
      if (!parent) return;
      try {
        await parent.removeEntry(path[n - 1]!);
      } catch {
        return; // not empty (or already gone): its ancestors are not empty either
      }
    }
  }

  /** Every entry (by its data or markers) and every ref, walking the cache's folders. */
  async list(): Promise<CacheListing> {
    const entries: CacheListingEntry[] = [];
    const refs: { key: string; value: string }[] = [];
    const walk = async (dir: FileSystemDirectoryHandle, path: string[]): Promise<void> => {
      const names = new Set<string>();
      const subdirs: FileSystemDirectoryHandle[] = [];
      for await (const handle of opfsChildren(dir)) {
        const name = handle.name;
        const suffix = ENTRY_SUFFIXES.find((x) => name.endsWith(x) && name.length > x.length);
        if (suffix) names.add(name.slice(0, -suffix.length));
        else if (handle.kind === 'directory' && !(path.length === 0 && name === REFS_DIR)) subdirs.push(handle as FileSystemDirectoryHandle);
      }
      for (const name of names) {
        const key = [...path, name].join('/');
        const s = await this.status(key);
        if (s.state !== 'missing') entries.push({ key, state: s.state, bytes: s.bytes, commit: s.commit });
      }
      for (const sub of subdirs) await walk(sub, [...path, sub.name]);
    };
    const walkRefs = async (dir: FileSystemDirectoryHandle, path: string[]): Promise<void> => {
      for await (const handle of opfsChildren(dir)) {
        if (handle.kind === 'directory') await walkRefs(handle as FileSystemDirectoryHandle, [...path, handle.name]);
        else {
          const value = (await (await (handle as FileSystemFileHandle).getFile()).text()).trim();
          if (value) refs.push({ key: [...path, handle.name].join('/'), value });
        }
      }
    };
    await walk(this.root, []);
    const refsDir = await this.dirOf([REFS_DIR], false);
    if (refsDir) await walkRefs(refsDir, []);
    entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    refs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { entries, refs };
  }
}

/**
 * The browser's persistent hub cache: OPFS when the page has it, else memory.
 */
export async function defaultBrowserCache(): Promise<HubCache> {
  const storage = (globalThis as { navigator?: { storage?: { getDirectory?: unknown } } }).navigator?.storage;
  if (typeof storage?.getDirectory === 'function') return OpfsHubCache.open();
  return new MemoryHubCache();
}

/** A folder's children (the async iterator TypeScript's DOM lib here does not declare). */
export function opfsChildren(dir: FileSystemDirectoryHandle): AsyncIterable<FileSystemHandle> {
  return (dir as unknown as { values(): AsyncIterable<FileSystemHandle> }).values();
}

function segmentName(i: number): string {
  return String(i).padStart(6, '0');
}

async function removeEntry(dir: FileSystemDirectoryHandle, name: string): Promise<void> {
  try {
    await dir.removeEntry(name, { recursive: true });
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}

function isNotFound(e: unknown): boolean {
  return e instanceof DOMException && (e.name === 'NotFoundError' || e.name === 'TypeMismatchError');
}
