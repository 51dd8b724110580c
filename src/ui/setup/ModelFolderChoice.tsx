/**
 * "Open a model folder": config.json, tokenizer files and safetensors weights (single or sharded)
 * from this computer, read in place by the engine (nothing is uploaded or copied). By the directory
 * picker, the folder input where there is no picker, or by dropping the folder (or its files) here.
 */
import { useRef, useState, type DragEvent } from 'react';
import { filesByName, missingModelFiles } from '../../worker/model-folder';
import { folderFromDrop, folderFromInput, hasDirectoryPicker, pickWithDirectoryPicker, type PickedFolder } from '../model-folder-picker';
import { useAppStore } from '../store-context';

export function ModelFolderChoice({ name, files, keepCopy }: { name: string; files: File[]; keepCopy: boolean }) {
  const setModel = useAppStore((s) => s.setModel);
  const input = useRef<HTMLInputElement>(null);
  const [error, setError] = useState<string | null>(null);
  const [over, setOver] = useState(false);

  const take = (picked: PickedFolder | null) => {
    setError(null);
    if (picked) setModel({ kind: 'files', name: picked.name, files: picked.files, keepCopy });
  };
  const open = async () => {
    if (!hasDirectoryPicker()) return input.current?.click();
    try {
      take(await pickWithDirectoryPicker());
    } catch (e) {
      setError(`the folder could not be opened: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    folderFromDrop(e.dataTransfer).then(take, (err: unknown) => setError(`the dropped folder could not be read: ${err instanceof Error ? err.message : String(err)}`));
  };

  const byName = filesByName(files);
  const missing = files.length > 0 ? missingModelFiles(byName.keys()) : [];
  const bytes = [...byName.values()].reduce((a, f) => a + f.size, 0);
  return (
    <div
      className={`choice__body dropzone${over ? ' dropzone--over' : ''}`}
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={onDrop}
      data-testid="model-folder"
    >
      <button type="button" className="secondary" onClick={() => void open()} data-testid="model-folder-open">
        Open a model folder…
      </button>
      {/* Fallback where there is no directory picker (Firefox, Safari). */}
      <input ref={input} type="file" hidden multiple {...{ webkitdirectory: '' }} onChange={(e) => take(e.target.files ? folderFromInput(e.target.files) : null)} data-testid="model-folder-input" />
      <span className="field__help">Or drop the folder (or config.json, the tokenizer files and the safetensors) here. Files are read in place, never uploaded.</span>
      {files.length > 0 && (
        <p className={`status-line ${missing.length ? 'status-line--bad' : 'status-line--ok'}`} data-testid="model-folder-status">
          {missing.length ? `"${name}" lacks ${missing.join(', ')}.` : `"${name}": ${byName.size} files, ${(bytes / 2 ** 20).toFixed(0)} MiB, read in place.`}
        </p>
      )}
      <label className="setting setting--toggle">
        <input type="checkbox" checked={keepCopy} onChange={(e) => setModel({ kind: 'files', name, files, keepCopy: e.target.checked })} data-testid="model-folder-keep" />
        <span>Keep a copy in this browser's storage, so that it opens after a reload without the folder (uses as much space as the model).</span>
      </label>
      {files.length === 0 && name && (
        <p className="status-line" data-testid="model-folder-reload">
          {keepCopy ? `Uses the copy of "${name}" kept in this browser; open the folder again to read it in place.` : `Open "${name}" again: a page keeps no access to a folder after a reload.`}
        </p>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
