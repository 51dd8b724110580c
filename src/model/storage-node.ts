/**
 * Node-only storage: local files as ByteSources, and a directory cache for hub downloads.
 * Kept apart from the browser modules so bundles for the page never pull in node:fs.
 */
import { open, mkdir, stat, rm, readFile, writeFile, truncate, readdir, rmdir } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { SafetensorsError, checkRange, type ByteSource } from './safetensors';
import { keySegments, missingEntry, type CacheEntryStatus, type CacheListing, type CacheListingEntry, type FileIdentity, type InventoryCache, type PartialWriter } from './hub-cache';

/** A local file read by ranges (never loaded whole). */
export class FileByteSource implements ByteSource {
  private constructor(
    private handle: FileHandle | null,
    readonly size: number,
    readonly description: string,
  ) {}

  static async open(filePath: string): Promise<FileByteSource> {
    const handle = await open(filePath, 'r');
    try {
      const { size } = await handle.stat();
      return new FileByteSource(handle, size, filePath);
    } catch (e) {
      await handle.close();
      throw e;
    }
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this, offset, length);
    if (!this.handle) throw new SafetensorsError(this.description, 'file is closed');
    const out = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await this.handle.read(out, filled, length - filled, offset + filled);
      if (bytesRead === 0) throw new SafetensorsError(this.description, `short read at ${offset + filled}: file shrank while reading?`);
      filled += bytesRead;
    }
    return out;
  }

  async close(): Promise<void> {
    const h = this.handle;
    this.handle = null;
    await h?.close();
  }
}

export function openFileSource(filePath: string): Promise<FileByteSource> {
  return FileByteSource.open(filePath);
}

/** `<key>.complete.json`: the entry is a verified file of this identity. */
interface Marker extends FileIdentity {
  completedAt: string;
}

/**
 * Hub cache in a directory: `<root>/<key>` holds the data, `<key>.partial.json` the identity of an
 * interrupted download's bytes, `<key>.complete.json` marks a finished, verified file. Keys are made
 * of URI-encoded segments, so they never escape the root. Refs live under `<root>/.refs/`.
 */
export class NodeDirectoryCache implements InventoryCache {
  readonly kind = 'node-directory';
  constructor(readonly root: string) {}

  private dataPath(key: string): string {
    return path.join(this.root, ...keySegments(key));
  }

  private async readJson<T>(file: string): Promise<T | null> {
    try {
      return JSON.parse(await readFile(file, 'utf8')) as T;
    } catch {
      return null;
    }
  }

  private async dataSize(key: string): Promise<number | null> {
    try {
      return (await stat(this.dataPath(key))).size;
    } catch {
      return null;
    }
  }

  async status(key: string): Promise<CacheEntryStatus> {
    const file = this.dataPath(key);
    const [marker, partial, size] = await Promise.all([this.readJson<Marker>(`${file}.complete.json`), this.readJson<FileIdentity>(`${file}.partial.json`), this.dataSize(key)]);
    if (marker && size !== null && size === marker.size) return { state: 'complete', bytes: size, commit: marker.commit ?? null, etag: marker.etag ?? null, size: marker.size };
    if (size !== null) return { state: 'partial', bytes: size, commit: partial?.commit ?? null, etag: partial?.etag ?? null, size: partial?.size ?? null };
    return missingEntry();
  }

  async open(key: string): Promise<ByteSource | null> {
    const s = await this.status(key);
    return s.state === 'complete' ? FileByteSource.open(this.dataPath(key)) : null;
  }

  async openPartial(key: string): Promise<ByteSource | null> {
    return (await this.dataSize(key)) === null ? null : FileByteSource.open(this.dataPath(key));
  }

  async beginWrite(key: string, resumeFrom: number, identity: FileIdentity): Promise<PartialWriter> {
    const file = this.dataPath(key);
    await mkdir(path.dirname(file), { recursive: true });
    await rm(`${file}.complete.json`, { force: true });
    const have = (await this.dataSize(key)) ?? 0;
    if (resumeFrom > have) throw new Error(`cannot resume "${key}" at ${resumeFrom}: only ${have} bytes are cached`);
    await writeFile(`${file}.partial.json`, JSON.stringify({ commit: identity.commit, etag: identity.etag, size: identity.size } satisfies FileIdentity));
    if (have === 0) await writeFile(file, new Uint8Array(0));
    else await truncate(file, resumeFrom);
    const handle = await open(file, 'r+');
    let position = resumeFrom;
    return {
      async write(chunk: Uint8Array): Promise<void> {
        let done = 0;
        while (done < chunk.byteLength) {
          const { bytesWritten } = await handle.write(chunk, done, chunk.byteLength - done, position);
          done += bytesWritten;
          position += bytesWritten;
        }
      },
      async close(): Promise<void> {
        await handle.close();
      },
    };
  }

  async commit(key: string, identity: FileIdentity): Promise<void> {
    const size = await this.dataSize(key);
    if (size === null) throw new Error(`cannot commit "${key}": nothing was written`);
    const file = this.dataPath(key);
    const marker: Marker = { commit: identity.commit, etag: identity.etag, size, completedAt: new Date().toISOString() };
    await writeFile(`${file}.complete.json`, JSON.stringify(marker));
    await rm(`${file}.partial.json`, { force: true });
  }

  async delete(key: string): Promise<void> {
    const file = this.dataPath(key);
    await rm(`${file}.complete.json`, { force: true });
    await rm(`${file}.partial.json`, { force: true });
    await rm(file, { force: true });
  }

  private refPath(key: string): string {
    return path.join(this.root, '.refs', ...keySegments(key));
  }

  async getRef(key: string): Promise<string | null> {
    try {
      return (await readFile(this.refPath(key), 'utf8')).trim() || null;
    } catch {
      return null;
    }
  }

  async setRef(key: string, value: string): Promise<void> {
    const file = this.refPath(key);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, value);
  }

  async deleteRef(key: string): Promise<void> {
    await rm(this.refPath(key), { force: true });
    await this.removeEmptyDirs(['.refs', ...keySegments(key).slice(0, -1)]);
  }

  async removeEmptyParents(key: string): Promise<void> {
    await this.removeEmptyDirs(keySegments(key).slice(0, -1));
  }

  /** Removes the folders of `dirs` under the root, deepest first, while they are empty. */
  private async removeEmptyDirs(dirs: string[]): Promise<void> {
    for (let n = dirs.length; n > 0; n--) {
      try {
        await rmdir(path.join(this.root, ...dirs.slice(0, n)));
      } catch {
        return; // not empty, or gone
      }
    }
  }

  /** Every entry (a data file, complete or partial) and every ref under the root. */
  async list(): Promise<CacheListing> {
    const entries: CacheListingEntry[] = [];
    const refs: { key: string; value: string }[] = [];
    const walk = async (dir: string, at: string[], visit: (name: string, at: string[]) => Promise<void>): Promise<void> => {
      let items;
      try {
        items = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const item of items) {
        if (item.isDirectory()) {
          if (!(at.length === 0 && item.name === '.refs' && dir === this.root)) await walk(path.join(dir, item.name), [...at, item.name], visit);
        } else await visit(item.name, at);
      }
    };
    await walk(this.root, [], async (name, at) => {
      if (name.endsWith('.complete.json') || name.endsWith('.partial.json')) return;
      const key = [...at, name].join('/');
      const s = await this.status(key);
      if (s.state !== 'missing') entries.push({ key, state: s.state, bytes: s.bytes, commit: s.commit });
    });
    await walk(path.join(this.root, '.refs'), [], async (name, at) => {
      const key = [...at, name].join('/');
      const value = await this.getRef(key);
      if (value) refs.push({ key, value });
    });
    const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
    return { entries: entries.sort(byKey), refs: refs.sort(byKey) };
  }
}
