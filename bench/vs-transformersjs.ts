/**
 * Our generator against transformers.js `generate` on the same model, in one invocation: the model
 * is exported for transformers.js (model/onnx-export.ts, fp32), and both run on the same backend
 * (onnxruntime-web's wasm, one module instance: transformers.js is handed it through its
 * `Symbol.for('onnxruntime')` hook, so threads and flags are shared), greedy, the same prompts
 * (rendered SQL prompts of the synthetic corpus), batch 1 and 8, the same number of new tokens
 * (no stop tokens: every row generates --new-tokens). Prints tokens/s for each, the ratio, and
 * whether the tokens agree.
 *
 *   npx tsx --conditions=onnxruntime-web-use-extern-wasm bench/vs-transformersjs.ts
 *     [--model DIR] [--batches 1,8] [--new-tokens 64] [--runs 3] [--threads 1] [--json FILE]
 */
import './lib/transformersjs-on-ort-web';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generateSyntheticCorpus } from '../src/dataset';
import { Generator } from '../src/generate/generator';
import { renderPrompt } from '../src/grpo/trainer-prompts';
import { Rng } from '../src/common/rng';
import { Gemma3Runner } from '../src/model/gemma3-runner';
import { openModelFolder } from '../src/model/merge-node';
import { exportOnnxFolder } from '../src/model/onnx-export-node';
import { Gemma3Tokenizer } from '../src/model/tokenizer';
import { promptInputOf } from '../src/prompt';
import { TensorStore } from '../src/runtime/device';
import { ort } from '../src/runtime/ort';
import { median, writeJson } from './lib/bench-util';

function flags(argv: string[]): Record<string, string> {
  const known = ['model', 'batches', 'new-tokens', 'runs', 'threads', 'json'];
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i]!.replace(/^--/, '');
    if (!argv[i]!.startsWith('--') || !known.includes(name)) throw new Error(`unknown flag ${argv[i]} (known: ${known.map((k) => `--${k}`).join(', ')})`);
    if (argv[i + 1] === undefined) throw new Error(`${argv[i]} needs a value`);
    out[name] = argv[i + 1]!;
  }
  return out;
}

async function main() {
  const f = flags(process.argv.slice(2));
  const modelDir = f['model'] ?? 'public/models/demo-sql';
  const batches = (f['batches'] ?? '1,8').split(',').map(Number);
  const newTokens = Number(f['new-tokens'] ?? 64);
  const runs = Number(f['runs'] ?? 3);
  ort.env.wasm.numThreads = Number(f['threads'] ?? 1);
  const { AutoModelForCausalLM, env, Tensor } = await import('@huggingface/transformers');
  // Its import points onnxruntime-web at a CDN for the wasm files; ours sit next to onnxruntime-web.
  ort.env.wasm.wasmPaths = undefined;

  const tmp = await mkdtemp(path.join(os.tmpdir(), 'vs-tjs-'));
  const exportDir = path.join(tmp, 'model');
  await exportOnnxFolder({ modelDir, outDir: exportDir, dtype: 'fp32' });
  const tokenizer = Gemma3Tokenizer.fromJson(JSON.parse(await readFile(path.join(modelDir, 'tokenizer.json'), 'utf8')), JSON.parse(await readFile(path.join(modelDir, 'tokenizer_config.json'), 'utf8')));
  const { rows } = generateSyntheticCorpus({ size: 64, seed: 3 });
  const prompts: number[][] = [];
  for (const r of rows) {
    const rendered = renderPrompt(promptInputOf(r), tokenizer, 512);
    if (rendered.ok) prompts.push(rendered.prompt.ids);
    if (prompts.length === Math.max(...batches)) break;
  }

  const stop = [...tokenizer.stopTokenIds];
  const { config, weights } = await openModelFolder(modelDir);
  const runner = await Gemma3Runner.load(config, weights, await TensorStore.create('wasm'), { lora: { modules: {} } });
  const generator = new Generator(runner);
  env.allowRemoteModels = false;
  env.localModelPath = tmp + '/';
  // device 'auto': with an onnxruntime of the caller's, transformers.js knows no device names; the EP is set here.
  const theirs = await AutoModelForCausalLM.from_pretrained('model', { dtype: 'fp32', device: 'auto', session_options: { executionProviders: ['wasm'] } });

  // Our split of each timed call: prefill (first tokens on the host) and decode.
  let split = { prefill: [] as number[], decode: [] as number[] };
  const ours = async (batch: number[][]) => {
    const r = await generator.generate(batch, { maxNewTokens: newTokens, temperature: 0, topK: 0, topP: 1, stopTokenIds: [] }, Rng.fromSeed(1, 'bench'));
    split.prefill.push(r.prefillMs);
    split.decode.push(r.decodeMs);
    return r.completions;
  };
  const tjs = async (batch: number[][]) => {
    const width = Math.max(...batch.map((p) => p.length));
    const ids = batch.flatMap((p) => [...new Array<number>(width - p.length).fill(0), ...p]);
    const mask = batch.flatMap((p) => [...new Array<number>(width - p.length).fill(0), ...p.map(() => 1)]);
    const out = (await theirs.generate({
      input_ids: new Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [batch.length, width]),
      attention_mask: new Tensor('int64', BigInt64Array.from(mask.map(BigInt)), [batch.length, width]),
      max_new_tokens: newTokens,
      min_new_tokens: newTokens,
      do_sample: false,
    })) as InstanceType<typeof Tensor>;
    return (out.tolist() as bigint[][]).map((r) => r.slice(width).map(Number));
  };
  const time = async (fn: () => Promise<number[][]>) => {
    const t0 = performance.now();
    const out = await fn();
    return { ms: performance.now() - t0, out };
  };

  console.log(`model ${modelDir} (${config.numLayers} layers, hidden ${config.hiddenSize}, vocab ${config.vocabSize}); wasm, ${ort.env.wasm.numThreads} thread(s); greedy, ${newTokens} new tokens per row; median of ${runs} runs after a warm-up`);
  const results = [];
  for (const b of batches) {
    const batch = prompts.slice(0, b);
    await ours(batch); // warm-up: sessions compile
    await tjs(batch);
    split = { prefill: [], decode: [] };
    const o: number[] = [];
    const t: number[] = [];
    let agree = true;
    for (let r = 0; r < runs; r++) {
      const a = await time(() => ours(batch));
      const c = await time(() => tjs(batch));
      o.push(a.ms);
      t.push(c.ms);
      // min_new_tokens makes transformers.js mask the stop tokens while ours may emit one and go on:
      // the rows are compared up to our first stop token.
      agree &&= a.out.every((row, i) => {
        const at = row.findIndex((id) => stop.includes(id));
        const n = at < 0 ? row.length : at;
        return JSON.stringify(row.slice(0, n)) === JSON.stringify(c.out[i]!.slice(0, n));
      });
    }
    const tokens = b * newTokens;
    const oursTps = tokens / (median(o) / 1000);
    const theirsTps = tokens / (median(t) / 1000);
    const row = { batch: b, promptTokens: batch.map((p) => p.length), oursMs: median(o), oursPrefillMs: median(split.prefill), oursDecodeMs: median(split.decode), theirsMs: median(t), oursTokensPerS: oursTps, theirsTokensPerS: theirsTps, ratio: oursTps / theirsTps, tokensAgree: agree };
    results.push(row);
    console.log(
      `batch ${b} (prompts ${Math.min(...row.promptTokens)}-${Math.max(...row.promptTokens)} tokens): ours ${oursTps.toFixed(1)} tok/s (${median(o).toFixed(0)} ms: prefill ${row.oursPrefillMs.toFixed(0)}, decode ${row.oursDecodeMs.toFixed(0)}), transformers.js ${theirsTps.toFixed(1)} tok/s (${median(t).toFixed(0)} ms), ratio ${row.ratio.toFixed(2)}x; tokens equal (up to a stop token): ${agree ? 'yes' : 'NO'}`,
    );
  }
  await runner.release();
  await weights.close();
  await theirs.dispose();
  await rm(tmp, { recursive: true, force: true });
  if (f['json']) await writeJson(f['json'], { model: modelDir, newTokens, runs, threads: ort.env.wasm.numThreads, results });
}

main().catch((e) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exit(1);
});
