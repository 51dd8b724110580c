/**
 * What the hub cache holds, grouped the way a person thinks of it: hub repos (models, datasets) with
 * their snapshots, and the copies of model folders kept in the browser; and deleting one group.
 *
 * Keys are `<repo>/<snapshot>/<path>` (datasets under `datasets/`), refs `models|datasets/<repo>/<revision>`
 * (hub.ts), folder copies `local-folders/<folder>/<file>`. A repo id may have one segment or two, so
 * where the repo ends is read from the refs first (every snapshot resolved from a branch has one),
 * then from a commit-shaped segment (a pinned commit writes no ref). A group lists its exact keys, and
 * deleting it deletes those keys and refs only: repo "a" never takes "a/b" with it.
 */
import type { CacheListing, InventoryCache } from './hub-cache';

/** The folder of kept model-folder copies inside the cache. */
export const LOCAL_FOLDERS_DIR = 'local-folders';

const COMMIT = /^[0-9a-f]{40}$/;

export interface CachedSnapshot {
  /** The key segment: a commit, or the encoded revision on servers without commits. */
  id: string;
  /** Branches or tags whose ref points here (none for a pinned commit or one a branch left). */
  revisions: string[];
  files: number;
  bytes: number;
  partialFiles: number;
}

export interface CachedRepo {
  repoType: 'model' | 'dataset';
  repo: string;
  snapshots: CachedSnapshot[];
  files: number;
  bytes: number;
  partialFiles: number;
  /** The entry keys and ref keys a deletion removes. */
  keys: string[];
  refKeys: string[];
}

export interface FolderCopy {
  name: string;
  files: number;
  bytes: number;
  partialFiles: number;
  keys: string[];
}

export interface CacheGroups {
  repos: CachedRepo[];
  folders: FolderCopy[];
}

const decode = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

const startsWith = (a: readonly string[], prefix: readonly string[]) => prefix.length <= a.length && prefix.every((p, i) => a[i] === p);

/** Groups a cache listing into repos and folder copies. */
export function groupCacheListing(listing: CacheListing): CacheGroups {
  const repos = new Map<string, CachedRepo>();
  const repoOf = (repoType: 'model' | 'dataset', segs: string[]): CachedRepo => {
    const repo = segs.map(decode).join('/');
    const id = `${repoType}:${segs.join('/')}`;
    let r = repos.get(id);
    if (!r) repos.set(id, (r = { repoType, repo, snapshots: [], files: 0, bytes: 0, partialFiles: 0, keys: [], refKeys: [] }));
    return r;
  };
  const snapshotOf = (r: CachedRepo, id: string): CachedSnapshot => {
    let s = r.snapshots.find((x) => x.id === id);
    if (!s) r.snapshots.push((s = { id, revisions: [], files: 0, bytes: 0, partialFiles: 0 }));
    return s;
  };

  // Refs: `models/<repo...>/<revision>` → snapshot id. The revision is one (encoded) segment.
  const known: { repoType: 'model' | 'dataset'; repoSegs: string[]; snapshot: string }[] = [];
  for (const ref of listing.refs) {
    const segs = ref.key.split('/');
    const repoType = segs[0] === 'models' ? 'model' : segs[0] === 'datasets' ? 'dataset' : null;
    if (!repoType || segs.length < 3) continue;
    const repoSegs = segs.slice(1, -1);
    const r = repoOf(repoType, repoSegs);
    r.refKeys.push(ref.key);
    snapshotOf(r, ref.value).revisions.push(decode(segs[segs.length - 1]!));
    known.push({ repoType, repoSegs, snapshot: ref.value });
  }
  // Longest repo first, so "a/b" wins over "a" for keys under a/b/.
  known.sort((x, y) => y.repoSegs.length - x.repoSegs.length);

  const folders = new Map<string, FolderCopy>();
  for (const e of listing.entries) {
    const segs = e.key.split('/');
    const partial = e.state === 'partial' ? 1 : 0;
    if (segs[0] === LOCAL_FOLDERS_DIR && segs.length >= 3) {
      const name = decode(segs[1]!);
      let f = folders.get(name);
      if (!f) folders.set(name, (f = { name, files: 0, bytes: 0, partialFiles: 0, keys: [] }));
      f.files++;
      f.bytes += e.bytes;
      f.partialFiles += partial;
      f.keys.push(e.key);
      continue;
    }
    const repoType = segs[0] === 'datasets' && segs.length >= 4 ? 'dataset' : 'model';
    const rest = repoType === 'dataset' ? segs.slice(1) : segs;
    let repoSegs: string[];
    const ref = known.find((k) => k.repoType === repoType && startsWith(rest, [...k.repoSegs, k.snapshot]) && rest.length > k.repoSegs.length + 1);
    if (ref) repoSegs = ref.repoSegs;
    else {
      const at = [1, 2].find((i) => rest.length > i + 1 && COMMIT.test(rest[i]!));
      // Neither a ref nor a commit: the usual owner/name/snapshot layout when the key is deep enough.
      repoSegs = rest.slice(0, at ?? Math.max(1, Math.min(2, rest.length - 2)));
    }
    const r = repoOf(repoType, repoSegs);
    const s = snapshotOf(r, rest[repoSegs.length] ?? '');
    for (const g of [r, s]) {
      g.files++;
      g.bytes += e.bytes;
      g.partialFiles += partial;
    }
    r.keys.push(e.key);
  }
  const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return {
    repos: [...repos.values()].sort((a, b) => byName(a.repoType, b.repoType) || byName(a.repo, b.repo)),
    folders: [...folders.values()].sort((a, b) => byName(a.name, b.name)),
  };
}

/** Deletes exactly the given entries and refs, then the folders they leave empty. */
export async function deleteCacheKeys(cache: InventoryCache, keys: readonly string[], refKeys: readonly string[] = []): Promise<void> {
  for (const key of keys) {
    await cache.delete(key);
    await cache.removeEmptyParents(key);
  }
  for (const ref of refKeys) await cache.deleteRef(ref);
}
