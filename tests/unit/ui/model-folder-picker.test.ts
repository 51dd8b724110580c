/**
 * Getting a folder's files from the browser's three ways in: the directory picker, the folder
 * input, a drop (one folder, or loose files). The browser objects are stood in for by plain ones
 * with the same shape (FileSystemDirectoryHandle.values(), webkitRelativePath, DataTransferItem's
 * webkitGetAsEntry and a directory reader answering in batches, as Chromium does).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { folderFromDrop, folderFromInput, hasDirectoryPicker, pickWithDirectoryPicker } from '../../../src/ui/model-folder-picker';

const file = (name: string, relative = '') => {
  const f = new File(['x'], name);
  if (relative) Object.defineProperty(f, 'webkitRelativePath', { value: relative });
  return f;
};
const g = globalThis as { showDirectoryPicker?: unknown };
afterEach(() => delete g.showDirectoryPicker);

describe('model folder picker', () => {
  it('takes the top-level files of the picked directory; a cancel is no error', async () => {
    expect(hasDirectoryPicker()).toBe(false);
    const handles = [
      { kind: 'file', name: 'config.json', getFile: async () => file('config.json') },
      { kind: 'directory', name: 'onnx' },
      { kind: 'file', name: 'model.safetensors', getFile: async () => file('model.safetensors') },
    ];
    g.showDirectoryPicker = async () => ({ name: 'gemma-3-1b-it', values: async function* () { yield* handles; } });
    expect(hasDirectoryPicker()).toBe(true);
    const picked = await pickWithDirectoryPicker();
    expect(picked && { name: picked.name, files: picked.files.map((f) => f.name) }).toEqual({ name: 'gemma-3-1b-it', files: ['config.json', 'model.safetensors'] });
    g.showDirectoryPicker = async () => Promise.reject(new DOMException('The user aborted a request.', 'AbortError'));
    expect(await pickWithDirectoryPicker()).toBeNull();
    g.showDirectoryPicker = async () => Promise.reject(new DOMException('denied', 'SecurityError'));
    await expect(pickWithDirectoryPicker()).rejects.toThrow('denied');
  });

  it('names the folder of a folder input after the first segment of the relative paths', () => {
    expect(folderFromInput([file('config.json', 'gemma/config.json'), file('a.json', 'gemma/sub/a.json')])?.name).toBe('gemma');
    expect(folderFromInput([])).toBeNull();
  });

  it('reads a dropped folder in every batch of its reader, and loose dropped files as they are', async () => {
    const batches = [[{ isFile: true, isDirectory: false, name: 'config.json', file: (ok: (f: File) => void) => ok(file('config.json')) }], [{ isFile: false, isDirectory: true, name: 'sub' }, { isFile: true, isDirectory: false, name: 'tokenizer.json', file: (ok: (f: File) => void) => ok(file('tokenizer.json')) }], []];
    const dir = { isFile: false, isDirectory: true, name: 'gemma', createReader: () => ({ readEntries: (ok: (e: unknown[]) => void) => ok(batches.shift()!) }) };
    const folderDrop = { items: [{ kind: 'file', webkitGetAsEntry: () => dir }], files: [file('gemma')] } as unknown as DataTransfer;
    const folder = await folderFromDrop(folderDrop);
    expect(folder && { name: folder.name, files: folder.files.map((f) => f.name) }).toEqual({ name: 'gemma', files: ['config.json', 'tokenizer.json'] });

    const loose = [file('config.json'), file('sub'), file('model.safetensors')];
    const entries = [{ isFile: true, isDirectory: false }, { isFile: false, isDirectory: true }, { isFile: true, isDirectory: false }];
    const looseDrop = { items: entries.map((e) => ({ kind: 'file', webkitGetAsEntry: () => e })), files: loose } as unknown as DataTransfer;
    expect((await folderFromDrop(looseDrop))?.files.map((f) => f.name)).toEqual(['config.json', 'model.safetensors']);
    expect(await folderFromDrop({ items: [], files: [] } as unknown as DataTransfer)).toBeNull();
  });
});
