/**
 * The browser's place for a merged model.safetensors: one OPFS file (the previous export's is
 * dropped first), checked against the origin's free storage before a byte is written. A
 * FileSystemWritableFileStream lands only on close(), so a failure or a closed tab leaves no half
 * file; the finished file is handed out as a disk-backed File for the page to download.
 */
import { MergeError, storageShortfall, type MergedWeightsSink } from './merge';

/** The merged model's folder at the top of the origin's OPFS. */
export const OPFS_MERGED_DIR = 'merged-model';
const DIR = OPFS_MERGED_DIR;

export async function opfsMergedWeightsSink(byteLength: number, storage: StorageManager = navigator.storage): Promise<MergedWeightsSink> {
  const root = await storage.getDirectory();
  await root.removeEntry(DIR, { recursive: true }).catch(() => undefined); // absent: nothing to drop
  const shortfall = storageShortfall(byteLength, await storage.estimate());
  if (shortfall) throw new MergeError(shortfall);
  const dir = await root.getDirectoryHandle(DIR, { create: true });
  return opfsFileSink(await dir.getFileHandle('model.safetensors', { create: true }), () => root.removeEntry(DIR, { recursive: true }));
}

/** A sink writing one OPFS file; on abort the stream is dropped and `remove` cleans up after it. */
export async function opfsFileSink(handle: FileSystemFileHandle, remove: () => Promise<void>): Promise<MergedWeightsSink> {
  const stream = await handle.createWritable();
  return {
    write: (bytes) => stream.write(bytes as Uint8Array<ArrayBuffer>),
    async finish() {
      await stream.close();
      return handle.getFile();
    },
    async abort() {
      await stream.abort().catch(() => undefined);
      await remove().catch(() => undefined);
    },
  };
}
