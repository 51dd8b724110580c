/**
 * Checkpoints in the browser, in IndexedDB.
 *
 * Why IndexedDB and not OPFS: a checkpoint is several pieces (info, JSON state, tensors) that must
 * appear together or not at all. An IndexedDB transaction commits all its writes atomically (a tab
 * closed or crashed mid-save aborts it and the store keeps its previous contents), whereas OPFS has
 * no multi-file commit and no portable atomic rename. Listing reads only the small 'info' store, never
 * the tensors. Available in workers, where training runs; sizes are bounded by the origin's quota
 * (a Gemma-3-1B rank-8 LoRA with its AdamW moments is about 80 MB).
 */
import type { CheckpointInfo } from '../common/records';
import { checkCheckpointId, checkpointBytes, CheckpointError, type CheckpointFiles, type CheckpointStorage } from './checkpoint';

const DB_NAME = 'webgrpo-checkpoints';
const DB_VERSION = 1;
const INFO = 'info';
const FILES = 'files';

interface FilesRecord extends CheckpointFiles {
  id: string;
}

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'));
  });
}

/** Resolves when the transaction has committed (not merely when its requests succeeded). */
function committed(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
  });
}

export class IndexedDbCheckpointStorage implements CheckpointStorage {
  readonly kind = 'indexeddb';
  private constructor(private readonly db: IDBDatabase) {}

  static async open(name = DB_NAME): Promise<IndexedDbCheckpointStorage> {
    if (typeof indexedDB === 'undefined') throw new CheckpointError('IndexedDB is not available here');
    const open = indexedDB.open(name, DB_VERSION);
    open.onupgradeneeded = () => {
      const db = open.result;
      if (!db.objectStoreNames.contains(INFO)) db.createObjectStore(INFO, { keyPath: 'id' });
      if (!db.objectStoreNames.contains(FILES)) db.createObjectStore(FILES, { keyPath: 'id' });
    };
    return new IndexedDbCheckpointStorage(await request(open));
  }

  async list(): Promise<CheckpointInfo[]> {
    const tx = this.db.transaction(INFO, 'readonly');
    const all = await request(tx.objectStore(INFO).getAll() as IDBRequest<CheckpointInfo[]>);
    return all.sort((a, b) => a.step - b.step || a.createdAt.localeCompare(b.createdAt));
  }

  async save(info: CheckpointInfo, files: CheckpointFiles): Promise<void> {
    checkCheckpointId(info.id);
    const tx = this.db.transaction([INFO, FILES], 'readwrite');
    const done = committed(tx);
    const record: FilesRecord = { id: info.id, meta: files.meta, tensors: files.tensors };
    try {
      tx.objectStore(FILES).put(record);
      tx.objectStore(INFO).put({ ...info });
    } catch (e) {
      // e.g. a value that cannot be cloned: nothing of this save may commit.
      tx.abort();
      await done.catch(() => undefined);
      throw e;
    }
    await done;
  }

  async load(id: string): Promise<CheckpointFiles> {
    const tx = this.db.transaction(FILES, 'readonly');
    const record = await request(tx.objectStore(FILES).get(checkCheckpointId(id)) as IDBRequest<FilesRecord | undefined>);
    if (!record) throw new CheckpointError(`no checkpoint ${JSON.stringify(id)} in this browser`);
    return { meta: record.meta, tensors: record.tensors };
  }

  /** Reads the checkpoint's record (one at a time: a checkpoint can be tens of MB). */
  async sizeOf(id: string): Promise<number> {
    const tx = this.db.transaction(FILES, 'readonly');
    const record = await request(tx.objectStore(FILES).get(checkCheckpointId(id)) as IDBRequest<FilesRecord | undefined>);
    return record ? checkpointBytes(record) : 0;
  }

  async delete(id: string): Promise<void> {
    const tx = this.db.transaction([INFO, FILES], 'readwrite');
    const done = committed(tx);
    tx.objectStore(INFO).delete(checkCheckpointId(id));
    tx.objectStore(FILES).delete(id);
    await done;
  }

  close(): void {
    this.db.close();
  }
}
