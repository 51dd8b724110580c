/**
 * Node-only storage: local files as ByteSources, and a directory cache for hub downloads.
 * Kept apart from the browser modules so bundles for the page never pull in node:fs.
 */
import { open, mkdir, stat, rm, readFile, writeFile, truncate } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { SafetensorsError, checkRange, type ByteSource } from './safetensors';
import type { CacheEntryStatus, HubCache, PartialWriter } from './hub';

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

interface Marker {
  size: number;
  etag: string | null;
  completedAt: string;
}

/**
 * Hub cache in a directory: `<root>/<key>` holds the data (partial while downloading) and
 * `<root>/<key>.complete.json` marks it finished. A data file without marker is a resumable
 * partial download. Keys are made of URI-encoded segments, so they never escape the root.
 */
export class NodeDirectoryCache implements HubCache {
  readonly kind = 'node-directory';
  constructor(readonly root: string) {}

  private dataPath(key: string): string {
    const segments = key.split('/');
    if (segments.some((s) => s === '' || s === '.' || s === '..')) throw new Error(`cache key "${key}" has an empty or relative segment`);
    return path.join(this.root, ...segments);
  }
  private markerPath(key: string): string {
    return `${this.dataPath(key)}.complete.json`;
  }

  private async readMarker(key: string): Promise<Marker | null> {
    try {
      return JSON.parse(await readFile(this.markerPath(key), 'utf8')) as Marker;
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
    const [marker, size] = await Promise.all([this.readMarker(key), this.dataSize(key)]);
    if (marker && size === marker.size) return { state: 'complete', bytes: size, etag: marker.etag };
    if (size !== null) return { state: 'partial', bytes: size, etag: null };
    return { state: 'missing', bytes: 0, etag: null };
  }

  async open(key: string): Promise<ByteSource | null> {
    const s = await this.status(key);
    return s.state === 'complete' ? FileByteSource.open(this.dataPath(key)) : null;
  }

  async openPartial(key: string): Promise<ByteSource | null> {
    return (await this.dataSize(key)) === null ? null : FileByteSource.open(this.dataPath(key));
  }

  async beginWrite(key: string, resumeFrom: number): Promise<PartialWriter> {
    const file = this.dataPath(key);
    await mkdir(path.dirname(file), { recursive: true });
    await rm(this.markerPath(key), { force: true });
    const have = (await this.dataSize(key)) ?? 0;
    if (resumeFrom > have) throw new Error(`cannot resume "${key}" at ${resumeFrom}: only ${have} bytes are cached`);
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

  async commit(key: string, etag: string | null): Promise<void> {
    const size = await this.dataSize(key);
    if (size === null) throw new Error(`cannot commit "${key}": nothing was written`);
    const marker: Marker = { size, etag, completedAt: new Date().toISOString() };
    await writeFile(this.markerPath(key), JSON.stringify(marker));
  }

  async delete(key: string): Promise<void> {
    await rm(this.markerPath(key), { force: true });
    await rm(this.dataPath(key), { force: true });
  }
}
