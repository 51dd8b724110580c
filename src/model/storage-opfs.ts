/**
 * Hub cache in the Origin Private File System (browser, window or worker).
 *
 * Why OPFS and not the Cache API: the Cache API stores whole Responses, so an interrupted 2 GB
 * download cannot be continued, only restarted; an OPFS file can be written at an offset, so a
 * download resumes (HTTP Range) from the bytes already stored, also after a page reload. Reads are
 * File.slice() ranges, served from disk without loading the file into the JS heap, and OPFS is
 * available in the worker that runs training.
 *
 * Layout: one directory per key segment; `<name>` holds the data, `<name>.complete.json` marks a
 * verified download. Data without marker is a resumable partial download.
 */
import { BlobByteSource, type ByteSource } from './safetensors';
import type { CacheEntryStatus, HubCache, PartialWriter } from './hub';

const ROOT_DIR = 'webgrpo-hub-cache';

interface Marker {
  size: number;
  etag: string | null;
}

export class OpfsHubCache implements HubCache {
  readonly kind = 'opfs';
  private constructor(private readonly root: FileSystemDirectoryHandle) {}

  static async open(): Promise<OpfsHubCache> {
    const top = await navigator.storage.getDirectory();
    return new OpfsHubCache(await top.getDirectoryHandle(ROOT_DIR, { create: true }));
  }

  private async locate(key: string, create: boolean): Promise<{ dir: FileSystemDirectoryHandle; name: string } | null> {
    const segments = key.split('/');
    if (segments.some((s) => s === '' || s === '.' || s === '..')) throw new Error(`cache key "${key}" has an empty or relative segment`);
    let dir = this.root;
    for (const seg of segments.slice(0, -1)) {
      try {
        dir = await dir.getDirectoryHandle(seg, { create });
      } catch (e) {
        if (isNotFound(e)) return null;
        throw e;
      }
    }
    return { dir, name: segments[segments.length - 1]! };
  }

  private async file(key: string, suffix = ''): Promise<File | null> {
    const loc = await this.locate(key, false);
    if (!loc) return null;
    try {
      return await (await loc.dir.getFileHandle(loc.name + suffix)).getFile();
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }

  private async marker(key: string): Promise<Marker | null> {
    const f = await this.file(key, '.complete.json');
    if (!f) return null;
    try {
      return JSON.parse(await f.text()) as Marker;
    } catch {
      return null;
    }
  }

  async status(key: string): Promise<CacheEntryStatus> {
    const [data, marker] = await Promise.all([this.file(key), this.marker(key)]);
    if (data && marker && marker.size === data.size) return { state: 'complete', bytes: data.size, etag: marker.etag };
    if (data) return { state: 'partial', bytes: data.size, etag: null };
    return { state: 'missing', bytes: 0, etag: null };
  }

  async open(key: string): Promise<ByteSource | null> {
    const [data, marker] = await Promise.all([this.file(key), this.marker(key)]);
    return data && marker && marker.size === data.size ? new BlobByteSource(data, `opfs:${key}`) : null;
  }

  async openPartial(key: string): Promise<ByteSource | null> {
    const data = await this.file(key);
    return data ? new BlobByteSource(data, `opfs:${key}`) : null;
  }

  async beginWrite(key: string, resumeFrom: number): Promise<PartialWriter> {
    const loc = (await this.locate(key, true))!;
    await removeEntry(loc.dir, `${loc.name}.complete.json`);
    const handle = await loc.dir.getFileHandle(loc.name, { create: true });
    const have = (await handle.getFile()).size;
    if (resumeFrom > have) throw new Error(`cannot resume "${key}" at ${resumeFrom}: only ${have} bytes are cached`);
    // keepExistingData: the writable starts as a copy of the stored bytes, written from resumeFrom.
    const writable = await handle.createWritable({ keepExistingData: true });
    await writable.truncate(resumeFrom);
    await writable.seek(resumeFrom);
    return {
      async write(chunk: Uint8Array): Promise<void> {
        await writable.write(chunk as Uint8Array<ArrayBuffer>);
      },
      // Closing publishes the written bytes; an interrupted transfer closes too, keeping them for resume.
      async close(): Promise<void> {
        await writable.close();
      },
    };
  }

  async commit(key: string, etag: string | null): Promise<void> {
    const data = await this.file(key);
    if (!data) throw new Error(`cannot commit "${key}": nothing was written`);
    const loc = (await this.locate(key, true))!;
    const w = await (await loc.dir.getFileHandle(`${loc.name}.complete.json`, { create: true })).createWritable();
    await w.write(JSON.stringify({ size: data.size, etag } satisfies Marker));
    await w.close();
  }

  async delete(key: string): Promise<void> {
    const loc = await this.locate(key, false);
    if (!loc) return;
    await removeEntry(loc.dir, `${loc.name}.complete.json`);
    await removeEntry(loc.dir, loc.name);
  }
}

async function removeEntry(dir: FileSystemDirectoryHandle, name: string): Promise<void> {
  try {
    await dir.removeEntry(name);
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}

function isNotFound(e: unknown): boolean {
  return e instanceof DOMException && (e.name === 'NotFoundError' || e.name === 'TypeMismatchError');
}
