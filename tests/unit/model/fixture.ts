/** Location of the shared HF fixture (read at run time, never copied into the repo). */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const FIXTURE_DIR = path.resolve(repoRoot, '../shared/fixtures/tiny-gemma3-a');

export function fixturePath(...parts: string[]): string {
  const p = path.join(FIXTURE_DIR, ...parts);
  if (!existsSync(p)) throw new Error(`fixture file missing: ${p}`);
  return p;
}
