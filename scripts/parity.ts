/**
 * Parity CLI: runs our Gemma-3 step graphs on a model + PEFT adapter + cases file (the format of
 * ../shared/fixtures/*), writes what transformers + PEFT would compute (base_logits, lora_logits,
 * token_logprobs, loss, grad.<param>) to a safetensors file and, given --expected, prints the
 * relative L2 error of every tensor and fails when one is over the cases file's tolerance.
 *
 *   npm run parity -- --model DIR --adapter DIR --cases FILE --out FILE [--expected FILE] [--backend wasm|webgpu] [--weight-dtype float32|int8]
 *
 * --weight-dtype int8 runs the model with 8-bit frozen weights; compare it with a reference computed on
 * the same dequantized weights (tests/reference/hf_int8_reference.py writes one for a fixture).
 *
 * Exit status: 0 all within tolerance (or no --expected), 1 some tensor over tolerance or missing,
 * 2 bad arguments, unreadable or inconsistent input files, or a failed computation (PARITY_DEBUG=1
 * prints the stack).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { computeParityTensors, parseCases, type ParityCases, type ParityTensor } from '../src/model/parity';
import { checkWeightDtype, type WeightDtype } from '../src/model/weight-dtype';
import { SafetensorsReader, serializeSafetensors } from '../src/model/safetensors';
import { openFileSource } from '../src/model/storage-node';
import type { Backend } from '../src/runtime/ort';
import { InputError, openAdapterDir, openModelDir, readJsonFile } from './lib/checkpoint-dir';
import { requireNodeWebGPU } from './lib/node-gpu';
import { compareWithExpected, formatReport } from './lib/parity-compare';

const USAGE = 'usage: npm run parity -- --model DIR --adapter DIR --cases FILE --out FILE [--expected FILE] [--backend wasm|webgpu] [--weight-dtype float32|int8]';

interface Args {
  model: string;
  adapter: string;
  cases: string;
  out: string;
  expected?: string;
  backend: Backend;
  weightDtype: WeightDtype;
}

function parseCli(argv: string[]): Args {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        model: { type: 'string' },
        adapter: { type: 'string' },
        cases: { type: 'string' },
        out: { type: 'string' },
        expected: { type: 'string' },
        backend: { type: 'string', default: 'wasm' },
        'weight-dtype': { type: 'string', default: 'float32' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new InputError(`${(e as Error).message}\n${USAGE}`);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  for (const k of ['model', 'adapter', 'cases', 'out']) {
    if (typeof values[k] !== 'string' || !values[k]) throw new InputError(`--${k} is required\n${USAGE}`);
  }
  const backend = values.backend;
  if (backend !== 'wasm' && backend !== 'webgpu') throw new InputError(`--backend must be wasm or webgpu, got ${JSON.stringify(backend)}`);
  let weightDtype: WeightDtype;
  try {
    weightDtype = checkWeightDtype(values['weight-dtype']);
  } catch (e) {
    throw new InputError(`--weight-dtype: ${(e as Error).message}`);
  }
  return { model: values.model as string, adapter: values.adapter as string, cases: values.cases as string, out: values.out as string, expected: values.expected as string | undefined, backend, weightDtype };
}

/** parseCases checks structure; this adds the value checks a hand-written cases file needs. */
function checkCaseValues(c: ParityCases, file: string): void {
  c.inputIds.forEach((row, r) => row.forEach((id, t) => {
    if (!Number.isInteger(id) || id < 0) throw new InputError(`${file}: input_ids[${r}][${t}] = ${JSON.stringify(id)} is not a token id`);
  }));
  c.attentionMask.forEach((row, r) => row.forEach((m, t) => {
    if (m !== 0 && m !== 1) throw new InputError(`${file}: attention_mask[${r}][${t}] = ${JSON.stringify(m)} must be 0 or 1`);
  }));
  c.advantages.forEach((a, r) => {
    if (typeof a !== 'number' || !Number.isFinite(a)) throw new InputError(`${file}: advantages[${r}] = ${JSON.stringify(a)} is not a finite number`);
  });
  for (const [k, v] of Object.entries(c.tolerances)) {
    if (typeof v !== 'number' || !(v > 0)) throw new InputError(`${file}: tolerances.${k} = ${JSON.stringify(v)} must be a positive number`);
  }
}

async function main(): Promise<number> {
  const args = parseCli(process.argv.slice(2));
  if (args.backend === 'webgpu') {
    const adapter = await requireNodeWebGPU();
    console.log(`WebGPU adapter: ${adapter.vendor} ${adapter.architecture} ${adapter.description}`.trim());
  }
  const casesJson = await readJsonFile(args.cases, 'cases file');
  let cases: ParityCases;
  try {
    cases = parseCases(casesJson);
  } catch (e) {
    throw new InputError(`${args.cases}: ${(e as Error).message}`);
  }
  checkCaseValues(cases, args.cases);
  const { cfg, reader, files } = await openModelDir(args.model);
  const adapter = await openAdapterDir(args.adapter, cfg);
  let expected: SafetensorsReader | undefined;
  if (args.expected) {
    try {
      expected = await SafetensorsReader.open(await openFileSource(args.expected));
    } catch (e) {
      throw new InputError(`expected file ${args.expected}: ${(e as Error).message}`);
    }
  }
  const b = cases.inputIds.length;
  const t = cases.inputIds[0].length;
  console.log(`model ${args.model}: ${cfg.numLayers} layers (${cfg.layerTypes.filter((x) => x === 'full_attention').length} full attention), hidden ${cfg.hiddenSize}, ${cfg.numHeads}/${cfg.numKvHeads} heads of ${cfg.headDim}, vocab ${cfg.vocabSize}, ${files.length} weight file(s)`);
  console.log(`cases ${args.cases}: batch ${b} x ${t} tokens, prompt_len ${cases.promptLen}; backend ${args.backend}; weights ${args.weightDtype}`);

  const t0 = performance.now();
  let ours: Map<string, ParityTensor>;
  try {
    ours = await computeParityTensors(cfg, reader, adapter, cases, args.backend, { weightDtype: args.weightDtype });
  } finally {
    await reader.close();
  }
  console.log(`computed ${ours.size} tensors in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const bytes = serializeSafetensors(
    [...ours].map(([name, tensor]) => ({ name, shape: tensor.shape, data: tensor.values })),
    { format: 'pt', generated_by: `webgrpo scripts/parity.ts (${args.backend})` },
  );
  writeFileSync(args.out, bytes);
  console.log(`wrote ${path.resolve(args.out)} (${bytes.byteLength} bytes)`);
  if (!expected) return 0;

  const rows = await compareWithExpected(ours, expected, cases.tolerances);
  await expected.close();
  const { text, failed } = formatReport(rows);
  console.log(text);
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    // Whatever stopped the computation (bad input, a shape the checkpoint does not have, a runtime
    // failure) is status 2, so 1 always means "computed, and out of tolerance".
    const err = e instanceof Error ? e : new Error(String(e));
    console.error(`parity: ${process.env.PARITY_DEBUG ? (err.stack ?? err.message) : err.message}`);
    process.exit(2);
  },
);
