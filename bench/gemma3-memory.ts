/**
 * The 1B memory plan: analytic GPU bytes of a LoRA training step (and of decoding) term by term,
 * and the predicted peak against the 12 GiB target.
 *
 *   npx tsx bench/gemma3-memory.ts [same shape flags as bench/gemma3-1b.ts]
 *   npx tsx bench/gemma3-memory.ts --check RESULT.json   # compare with a bench/gemma3-1b.ts --only train run
 *   npx tsx bench/gemma3-memory.ts --calibrate RESULT.json [shape flags]   # plan, graph terms scaled as measured
 *
 * --check takes the model and workload from the result file, predicts for them, and prints the
 * prediction next to what gpuMemory measured: the live bytes after loading, each session's first
 * run (what onnxruntime allocated for it) and the step's peak.
 */
import { readFileSync } from 'node:fs';
import { GiB, intFlags, MiB } from './lib/bench-util';
import { benchConfig } from './gemma3-config';
import { decodePlan, lossHeadAsScheduled, loraBytes, trainPlan, weightBytes, type PlanItem, type Workload } from './lib/gemma3-memory-plan';

const TARGET = 12 * GiB;
const DEFAULTS = { layers: 26, seq: 512, batch: 8, 'new-tokens': 256, vocab: 262_144, prompt: 64, rank: 16, 'chunk-rows': 512 };
// The H100's (and most desktop GPUs') maxStorageBufferBindingSize is at least 2 GiB; the runner caps shards at 512 MiB.
const MAX_BINDING = 2 ** 31;

const fmt = (b: number) => (b >= GiB ? `${(b / GiB).toFixed(2)} GiB` : `${(b / MiB).toFixed(1)} MiB`);

function printPlan(title: string, items: PlanItem[], peak: number): void {
  console.log(title);
  for (const i of items) console.log(`  ${i.name.padEnd(38)} ${fmt(i.bytes).padStart(11)}   ${i.how}`);
  console.log(`  ${'predicted peak'.padEnd(38)} ${fmt(peak).padStart(11)}   (target ${fmt(TARGET)}: ${peak <= TARGET ? 'under' : 'OVER'})`);
}

/** Measured / predicted first-run allocation per graph kind, from a --only train result file. */
function check(file: string): Record<string, number> {
  const r = JSON.parse(readFileSync(file, 'utf8'));
  const c = r.config;
  const cfg = benchConfig(c.layers, c.vocab, { hidden: c.hidden, intermediate: c.intermediate, heads: c.heads, 'kv-heads': c.kv_heads, 'head-dim': c.head_dim });
  if (r.decode) throw new Error(`${file} includes a decode phase; --check needs a run with --only train (decode sessions add their own buffers)`);
  const w: Workload = { batch: r.workload.batch, seq: r.workload.seq, micro: r.workload.micro_batch, rank: c.rank, chunkRows: r.workload.chunk_rows, maxBindingBytes: MAX_BINDING };
  const plan = trainPlan(cfg, w);
  const rows: [string, number, number][] = [];
  rows.push(['weights + LoRA (live after load)', weightBytes(cfg) + loraBytes(cfg, c.rank), r.load.live_bytes_after_load]);
  const firstRuns = r.first_runs as Record<string, { retained: number }>;
  const graphs = plan.graphs as Record<string, { peak: number }>;
  for (const kind of ['embed', 'layer_forward', 'loss_head', 'layer_backward', 'adamw']) {
    const measured = firstRuns[kind === 'adamw' ? 'adamw' : `gemma3_${kind}`]?.retained;
    rows.push([`${kind} graph: first run allocates`, graphs[kind].peak, measured ?? NaN]);
  }
  rows.push(['loss head, onnxruntime schedule: (rows + 2 chunks) x V x 4', lossHeadAsScheduled(cfg, w), firstRuns['gemma3_loss_head']?.retained ?? NaN]);
  rows.push(['training step peak (graph liveness)', plan.peak, r.memory.peak_bytes]);
  rows.push(['training step peak (onnxruntime loss-head schedule)', plan.peakAsScheduled, r.memory.peak_bytes]);
  console.log(`check against ${file}: ${c.layers} layers, hidden ${c.hidden}, intermediate ${c.intermediate}, vocab ${c.vocab}, r=${c.rank}; ${w.batch} x ${w.seq} (micro-batch ${w.micro}), chunk rows ${w.chunkRows}`);
  console.log(`  ${'term'.padEnd(50)} ${'predicted'.padStart(12)} ${'measured'.padStart(12)}  measured/predicted`);
  for (const [name, p, m] of rows) console.log(`  ${name.padEnd(50)} ${fmt(p).padStart(12)} ${fmt(m).padStart(12)}  ${(m / p).toFixed(3)}`);
  const ratios: Record<string, number> = {};
  for (const kind of ['layer_forward', 'layer_backward']) {
    const measured = firstRuns[`gemma3_${kind}`]?.retained;
    if (measured) ratios[kind] = measured / graphs[kind].peak;
  }
  return ratios;
}

/**
 * The plan with onnxruntime's loss-head schedule and the layer graphs scaled by measured/predicted
 * ratios (onnxruntime's own memory planning and fusions).
 */
function calibrated(items: PlanItem[], ratios: Record<string, number>, headAsScheduled: number): number {
  const kindOf: Record<string, string> = {
    'layer forward graph (intermediates)': 'layer_forward',
    'layer backward graph (intermediates)': 'layer_backward',
  };
  return items.reduce((a, i) => a + (i.name.startsWith('loss head') ? headAsScheduled : i.bytes * (ratios[kindOf[i.name]] ?? 1)), 0);
}

function main(): void {
  const argv = process.argv.slice(2);
  const at = argv.indexOf('--check');
  if (at >= 0) {
    const file = argv[at + 1];
    if (!file) throw new Error('--check needs a result file from bench/gemma3-1b.ts --only train --json FILE');
    check(file);
    return;
  }
  // --calibrate FILE: also print the training peak with the graph terms scaled as measured in FILE.
  let ratios: Record<string, number> | undefined;
  const cal = argv.indexOf('--calibrate');
  if (cal >= 0) {
    const file = argv[cal + 1];
    if (!file) throw new Error('--calibrate needs a result file from bench/gemma3-1b.ts --only train --json FILE');
    argv.splice(cal, 2);
    ratios = check(file);
  }
  const { ints, strings } = intFlags(argv, DEFAULTS, ['hidden', 'intermediate', 'heads', 'kv-heads', 'head-dim', 'micro-batch']);
  const widths = Object.fromEntries(Object.entries(strings).map(([k, v]) => [k, Number(v)]));
  const cfg = benchConfig(ints.layers, ints.vocab, widths);
  const micro = widths['micro-batch'] ?? ints.batch;
  const w: Workload = { batch: ints.batch, seq: ints.seq, micro, rank: ints.rank, chunkRows: ints['chunk-rows'], maxBindingBytes: MAX_BINDING };
  console.log(`model: ${cfg.numLayers} layers, hidden ${cfg.hiddenSize}, intermediate ${cfg.intermediateSize}, ${cfg.numHeads}/${cfg.numKvHeads} heads of ${cfg.headDim}, vocab ${cfg.vocabSize}; LoRA r=${ints.rank} on all 7 projections`);
  const train = trainPlan(cfg, w);
  printPlan(`training step, ${w.batch} x ${w.seq} tokens, micro-batch ${micro}, loss head chunk ${w.chunkRows} rows:`, train.items, train.peak);
  console.log(`  ${'loss head as onnxruntime runs it'.padEnd(38)} ${fmt(lossHeadAsScheduled(cfg, w)).padStart(11)}   (rows + 2 x chunkRows) x vocab x 4, fitted on SwiftShader (see gemma3-memory-plan.ts)`);
  console.log(`  ${'predicted peak, onnxruntime schedule'.padEnd(38)} ${fmt(train.peakAsScheduled).padStart(11)}   (target ${fmt(TARGET)}: ${train.peakAsScheduled <= TARGET ? 'under' : 'OVER'})`);
  let trainPeak = train.peakAsScheduled;
  if (ratios) {
    trainPeak = calibrated(train.items, ratios, lossHeadAsScheduled(cfg, w));
    const r = Object.entries(ratios).map(([k, v]) => `${k} x${v.toFixed(2)}`).join(', ');
    console.log(`  ${'calibrated peak'.padEnd(38)} ${fmt(trainPeak).padStart(11)}   that, with the layer graphs scaled as measured (${r})  (target: ${trainPeak <= TARGET ? 'under' : 'OVER'})`);
  }
  const decode = decodePlan(cfg, { batch: ints.batch, prompt: ints.prompt, newTokens: ints['new-tokens'], rank: ints.rank, maxBindingBytes: MAX_BINDING });
  printPlan(`decode, batch ${ints.batch}, prompt ${ints.prompt}, ${ints['new-tokens']} new tokens:`, decode.items, decode.peak);
  const both = trainPeak + decode.peak - decode.items[0].bytes - decode.items[1].bytes;
  console.log(`decode and training in one process (the app): ${fmt(both)} (weights and LoRA counted once; an upper bound, since onnxruntime's buffer cache is shared and a session reuses a cached buffer of the same size)`);
}

try {
  main();
} catch (e) {
  console.error(`gemma3-memory: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(2);
}
