/**
 * The export folders of the Node environment (a merged model's folder, a transformers.js export's):
 * the same listing and deletion as the browser's OPFS folders.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ExportFolders, ExportKind, StoredExport } from './export-folders';

async function folderSize(dir: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  let items;
  try {
    items = await readdir(dir, { withFileTypes: true });
  } catch {
    return { files, bytes };
  }
  for (const item of items) {
    const p = path.join(dir, item.name);
    if (item.isDirectory()) {
      const sub = await folderSize(p);
      files += sub.files;
      bytes += sub.bytes;
    } else {
      files++;
      bytes += (await stat(p)).size;
    }
  }
  return { files, bytes };
}

export function nodeExportFolders(dirs: Record<ExportKind, string>): ExportFolders {
  return {
    async list() {
      const out: StoredExport[] = [];
      for (const which of Object.keys(dirs) as ExportKind[]) {
        const size = await folderSize(dirs[which]);
        if (size.files > 0) out.push({ which, ...size });
      }
      return out;
    },
    async delete(which) {
      await rm(dirs[which], { recursive: true, force: true });
    },
  };
}
