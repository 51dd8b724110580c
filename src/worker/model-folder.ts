/**
 * What a model folder must hold, by file name, without reading anything: used where the folder is
 * picked (the dashboard names what is missing at once) and where it is opened (the worker).
 */

/** The small files every model source reads. */
export const MODEL_TEXT_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json'] as const;

/** A folder's top-level files by name (a picked folder's subfolders are not part of the model). */
export function filesByName<T extends { name: string; webkitRelativePath?: string }>(files: readonly T[]): Map<string, T> {
  const out = new Map<string, T>();
  for (const f of files) {
    // webkitdirectory gives "folder/name" (deeper for subfolders); a directory handle or a drop gives the name.
    const rel = (f.webkitRelativePath || f.name).split('/');
    const name = rel.length <= 2 ? rel[rel.length - 1]! : null;
    if (name && !out.has(name)) out.set(name, f);
  }
  return out;
}

/** The required files a folder lacks (shards are checked once the index is read). */
export function missingModelFiles(names: Iterable<string>): string[] {
  const have = new Set(names);
  const missing: string[] = MODEL_TEXT_FILES.filter((f) => !have.has(f));
  if (!have.has('model.safetensors') && !have.has('model.safetensors.index.json')) missing.push('model.safetensors (or model.safetensors.index.json and its shards)');
  return missing;
}
