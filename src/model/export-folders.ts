/**
 * The folders the browser's exports are written into (the merged model, the transformers.js
 * export): what each holds and deleting one. Each export replaces its own folder, so at most one of
 * each kind is kept; its files were handed to the page for download and are not needed afterwards.
 */
import { OPFS_MERGED_DIR } from './merge-opfs';
import { OPFS_ONNX_EXPORT_DIR } from './onnx-export-opfs';
import { opfsChildren } from './storage-opfs';

export type ExportKind = 'merged' | 'transformersjs';

export interface StoredExport {
  which: ExportKind;
  files: number;
  bytes: number;
}

export interface ExportFolders {
  /** The exports present (an absent or empty folder is not listed). */
  list(): Promise<StoredExport[]>;
  delete(which: ExportKind): Promise<void>;
}

export const OPFS_EXPORT_DIRS: Record<ExportKind, string> = { merged: OPFS_MERGED_DIR, transformersjs: OPFS_ONNX_EXPORT_DIR };

/** Files and bytes under an OPFS folder, every level. */
export async function opfsFolderSize(dir: FileSystemDirectoryHandle): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  for await (const handle of opfsChildren(dir)) {
    if (handle.kind === 'directory') {
      const sub = await opfsFolderSize(handle as FileSystemDirectoryHandle);
      files += sub.files;
      bytes += sub.bytes;
    } else {
      files++;
      bytes += (await (handle as FileSystemFileHandle).getFile()).size;
    }
  }
  return { files, bytes };
}

/** The export folders at the top of the origin's OPFS. */
export function opfsExportFolders(storage: StorageManager = navigator.storage): ExportFolders {
  return {
    async list() {
      const root = await storage.getDirectory();
      const out: StoredExport[] = [];
      for (const which of Object.keys(OPFS_EXPORT_DIRS) as ExportKind[]) {
        const dir = await root.getDirectoryHandle(OPFS_EXPORT_DIRS[which]).catch(() => null);
        if (!dir) continue;
        const size = await opfsFolderSize(dir);
        if (size.files > 0) out.push({ which, ...size });
      }
      return out;
    },
    async delete(which) {
      const root = await storage.getDirectory();
      await root.removeEntry(OPFS_EXPORT_DIRS[which], { recursive: true }).catch((e: unknown) => {
        if (!(e instanceof DOMException && e.name === 'NotFoundError')) throw e;
      });
    },
  };
}

/** Top-level OPFS entries other than `known` (listed with their sizes so usage adds up; never deleted here). */
export async function opfsOtherEntries(known: readonly string[], storage: StorageManager = navigator.storage): Promise<{ name: string; bytes: number }[]> {
  const root = await storage.getDirectory();
  const out: { name: string; bytes: number }[] = [];
  for await (const handle of opfsChildren(root)) {
    if (known.includes(handle.name)) continue;
    const bytes = handle.kind === 'directory' ? (await opfsFolderSize(handle as FileSystemDirectoryHandle)).bytes : (await (handle as FileSystemFileHandle).getFile()).size;
    out.push({ name: handle.name, bytes });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : 1));
}
