/**
 * Checkpoints in a directory (Node: CLI, tests): `<root>/<id>/` holds info.json, checkpoint.json and
 * state.safetensors. A save writes a hidden `.partial-*` directory and renames it into place: a
 * directory rename is atomic, so a crash leaves either the old state or the new one, and list()
 * never sees a partial directory (left-overs are removed by the next save).
 */
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CheckpointInfo } from '../common/records';
import { checkCheckpointId, CheckpointError, type CheckpointFiles, type CheckpointStorage } from './checkpoint';

const FILES = { info: 'info.json', meta: 'checkpoint.json', tensors: 'state.safetensors' } as const;

export class NodeCheckpointStorage implements CheckpointStorage {
  readonly kind = 'node-directory';
  constructor(readonly root: string) {}

  async list(): Promise<CheckpointInfo[]> {
    let names: string[];
    try {
      names = await readdir(this.root);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const out: CheckpointInfo[] = [];
    for (const name of names) {
      if (name.startsWith('.')) continue;
      try {
        const info = JSON.parse(await readFile(path.join(this.root, name, FILES.info), 'utf8')) as CheckpointInfo;
        if (info.id === name) out.push(info);
      } catch {
        // Not a checkpoint directory.
      }
    }
    return out.sort((a, b) => a.step - b.step || a.createdAt.localeCompare(b.createdAt));
  }

  async save(info: CheckpointInfo, files: CheckpointFiles): Promise<void> {
    const id = checkCheckpointId(info.id);
    await mkdir(this.root, { recursive: true });
    await this.removeLeftovers();
    const partial = path.join(this.root, `.partial-${id}-${process.pid}-${Date.now()}`);
    await mkdir(partial);
    try {
      await writeFile(path.join(partial, FILES.tensors), files.tensors);
      await writeFile(path.join(partial, FILES.meta), files.meta);
      await writeFile(path.join(partial, FILES.info), JSON.stringify(info));
      const target = path.join(this.root, id);
      // Re-saving an id: move the old one aside first (rename cannot replace a non-empty directory).
      const old = path.join(this.root, `.replaced-${id}-${process.pid}-${Date.now()}`);
      const hadOld = await rename(target, old).then(() => true, (e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') return false;
        throw e;
      });
      await rename(partial, target);
      if (hadOld) await rm(old, { recursive: true, force: true });
    } catch (e) {
      await rm(partial, { recursive: true, force: true });
      throw e;
    }
  }

  async load(id: string): Promise<CheckpointFiles> {
    const dir = path.join(this.root, checkCheckpointId(id));
    try {
      return { meta: await readFile(path.join(dir, FILES.meta), 'utf8'), tensors: new Uint8Array(await readFile(path.join(dir, FILES.tensors))) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new CheckpointError(`no checkpoint ${JSON.stringify(id)} in ${this.root}`);
      throw e;
    }
  }

  async delete(id: string): Promise<void> {
    await rm(path.join(this.root, checkCheckpointId(id)), { recursive: true, force: true });
  }

  /** Bytes of checkpoint.json and state.safetensors (0 when there is no such checkpoint). */
  async sizeOf(id: string): Promise<number> {
    const dir = path.join(this.root, checkCheckpointId(id));
    let bytes = 0;
    for (const f of [FILES.meta, FILES.tensors]) bytes += await stat(path.join(dir, f)).then((s) => s.size, () => 0);
    return bytes;
  }

  private async removeLeftovers(): Promise<void> {
    for (const name of await readdir(this.root)) {
      if (name.startsWith('.partial-') || name.startsWith('.replaced-')) await rm(path.join(this.root, name), { recursive: true, force: true });
    }
  }
}
