/**
 * For the transformers.js e2e: exports the demo model for transformers.js into argv[2] (fp32) and
 * prints, as JSON, fixed SQL prompts and our engine's greedy tokens for them (Generator, wasm).
 *
 *   npx tsx --conditions=onnxruntime-web-use-extern-wasm tests/e2e/helpers/transformersjs-reference.ts OUT_DIR
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { generateSyntheticCorpus } from '../../../src/dataset';
import { Generator } from '../../../src/generate/generator';
import { renderPrompt } from '../../../src/grpo/trainer-prompts';
import { Rng } from '../../../src/common/rng';
import { Gemma3Runner } from '../../../src/model/gemma3-runner';
import { openModelFolder } from '../../../src/model/merge-node';
import { exportOnnxFolder } from '../../../src/model/onnx-export-node';
import { Gemma3Tokenizer } from '../../../src/model/tokenizer';
import { promptInputOf } from '../../../src/prompt';
import { TensorStore } from '../../../src/runtime/device';

const DEMO = 'public/models/demo-sql';
const out = process.argv[2]!;
await exportOnnxFolder({ modelDir: DEMO, outDir: out, dtype: 'fp32' });
const tokenizer = Gemma3Tokenizer.fromJson(JSON.parse(await readFile(path.join(DEMO, 'tokenizer.json'), 'utf8')), JSON.parse(await readFile(path.join(DEMO, 'tokenizer_config.json'), 'utf8')));
const { rows } = generateSyntheticCorpus({ size: 40, seed: 12 });
const prompts = [rows[0]!, rows[17]!].map((r) => {
  const rendered = renderPrompt(promptInputOf(r), tokenizer, 512);
  if (!rendered.ok) throw new Error(rendered.reason);
  return rendered.prompt.ids;
});
const stop = [...tokenizer.stopTokenIds];
const { config, weights } = await openModelFolder(DEMO);
const runner = await Gemma3Runner.load(config, weights, await TensorStore.create('wasm'), { lora: { modules: {} } });
const gen = new Generator(runner);
const ours: number[][] = [];
for (const p of prompts) ours.push((await gen.generate([p], { maxNewTokens: 24, temperature: 0, topK: 0, topP: 1, stopTokenIds: stop }, Rng.fromSeed(1, 'e2e'))).completions[0]!);
await runner.release();
await weights.close();
console.log(JSON.stringify({ prompts, ours, stop, slidingWindow: config.slidingWindow }));
