/**
 * Getting a model folder's files into the page without uploading them: the directory picker where
 * the browser has one (showDirectoryPicker), else <input type=file webkitdirectory>, or a folder
 * (or its files) dropped on the page. Only top-level files are taken; File objects read from disk
 * on demand, so a 2 GB checkpoint is never loaded whole.
 */

export interface PickedFolder {
  name: string;
  files: File[];
}

interface FileHandleLike {
  kind: 'file' | 'directory';
  name: string;
  getFile?: () => Promise<File>;
}
interface DirectoryHandleLike {
  name: string;
  values(): AsyncIterable<FileHandleLike>;
}
type PickerWindow = { showDirectoryPicker?: (options?: { mode?: 'read'; id?: string }) => Promise<DirectoryHandleLike> };

export function hasDirectoryPicker(): boolean {
  return typeof (globalThis as PickerWindow).showDirectoryPicker === 'function';
}

/** The folder chosen in the browser's directory picker; null when the person cancelled. */
export async function pickWithDirectoryPicker(): Promise<PickedFolder | null> {
  let dir: DirectoryHandleLike;
  try {
    dir = await (globalThis as PickerWindow).showDirectoryPicker!({ mode: 'read', id: 'model-folder' });
  } catch (e) {
    if ((e as { name?: string }).name === 'AbortError') return null;
    throw e;
  }
  const files: File[] = [];
  for await (const h of dir.values()) if (h.kind === 'file' && h.getFile) files.push(await h.getFile());
  return { name: dir.name, files };
}

/** What <input webkitdirectory> chose: the folder is the first segment of each relative path. */
export function folderFromInput(list: ArrayLike<File>): PickedFolder | null {
  const files = Array.from(list);
  if (files.length === 0) return null;
  const name = files[0]!.webkitRelativePath.split('/')[0] || 'model folder';
  return { name, files };
}

interface EntryLike {
  isFile: boolean;
  isDirectory: boolean;
  name: string;
  file?: (ok: (f: File) => void, fail: (e: unknown) => void) => void;
  createReader?: () => { readEntries: (ok: (entries: EntryLike[]) => void, fail: (e: unknown) => void) => void };
}

async function directoryFiles(dir: EntryLike): Promise<File[]> {
  const reader = dir.createReader!();
  const entries: EntryLike[] = [];
  // readEntries answers in batches (100 in Chromium) until an empty one.
  for (;;) {
    const batch = await new Promise<EntryLike[]>((ok, fail) => reader.readEntries(ok, fail));
    if (batch.length === 0) break;
    entries.push(...batch);
  }
  return Promise.all(entries.filter((e) => e.isFile).map((e) => new Promise<File>((ok, fail) => e.file!(ok, fail))));
}

/**
 * A drop: one folder (its top-level files), or loose files (config.json, safetensors, tokenizer
 * files). Must be called in the drop handler itself: a DataTransfer empties once it returns.
 */
export function folderFromDrop(dt: DataTransfer): Promise<PickedFolder | null> {
  const entries = Array.from(dt.items ?? [])
    .filter((item) => item.kind === 'file')
    .map((item) => (item.webkitGetAsEntry?.() ?? null) as unknown as EntryLike | null)
    .filter((e): e is EntryLike => e !== null);
  const loose = Array.from(dt.files);
  if (entries.length === 1 && entries[0]!.isDirectory) {
    const dir = entries[0]!;
    return directoryFiles(dir).then((files) => ({ name: dir.name, files }));
  }
  // Loose files: a folder dropped among them is left out (it shows as a file entry that is a directory).
  const dropped = entries.length === loose.length ? loose.filter((_, i) => entries[i]!.isFile) : loose;
  return Promise.resolve(dropped.length > 0 ? { name: 'dropped files', files: dropped } : null);
}
