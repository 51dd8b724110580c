/**
 * The 1B memory plan from the app's own planner (src/model/memory-plan.ts): GPU bytes of a GRPO
 * step term by term, the plan the app chooses within a budget, and checks of the plan against
 * what gpuMemory measured in a bench/gemma3-1b.ts run.
 *
 *   npx tsx bench/gemma3-memory.ts [shape flags as bench/gemma3-1b.ts] [--budget GIB] [--weight-dtype float32|int8]
 *   npx tsx bench/gemma3-memory.ts --check RESULT.json   # against a bench/gemma3-1b.ts --only train --json run
 *   npx tsx bench/gemma3-memory.ts --calibrate RESULT.json [shape flags]   # plan, layer graphs scaled as measured
 *
 * The workload is bench/gemma3-1b.ts's: `--batch` completions of `--seq` tokens, the second half of
 * each through the loss head, `--micro-batch` per pass and `--chunk-rows` per loss-head run; for
 * generation, `--prompt` tokens and `--new-tokens` new ones. With --budget (GiB, default 6) it also
 * prints the plan the app would choose for that budget (or its refusal).
 *
 * --check takes the model and workload from the result file, plans for them (training only: the
 * run has no decode), and prints each term next to what gpuMemory measured: the live bytes after
 * loading, each session's first-run allocation and the step's peak.
 */
import { readFileSync } from 'node:fs';
import { choosePlan, DEFAULT_GPU_MEMORY_BUDGET, GiB as GIB, loraBytes, MemoryBudgetError, planFor, weightBytes, type MemoryPlan, type MemoryTerm, type StepShape } from '../src/model/memory-plan';
import { LORA_MODULES } from '../src/model/peft';
import { checkWeightDtype } from '../src/model/weight-dtype';
import { GiB, intFlags, MiB } from './lib/bench-util';
import { benchConfig } from './gemma3-config';

const DEFAULTS = { layers: 26, seq: 512, batch: 8, 'new-tokens': 256, vocab: 262_144, prompt: 64, rank: 16, 'chunk-rows': 512 };
/** Session names of the graphs behind each planned graph term. */
const GRAPH_OF: Record<string, string> = { embed: 'gemma3_embed', layer_forward: 'gemma3_layer_forward', loss_chunk: 'gemma3_loss_chunk', layer_backward: 'gemma3_layer_backward', adamw: 'adamw' };

const fmt = (b: number) => (b >= GiB ? `${(b / GiB).toFixed(2)} GiB` : `${(b / MiB).toFixed(1)} MiB`);

function benchShape(o: { batch: number; seq: number; rank: number; prompt?: number; newTokens?: number }): StepShape {
  return {
    completions: o.batch,
    seq: o.seq,
    lossRowsPerSequence: o.seq - (o.seq >> 1),
    lora: { r: o.rank, modules: LORA_MODULES },
    generation: o.prompt && o.newTokens ? { promptLength: o.prompt, newTokens: o.newTokens, stepsPerRun: 8 } : null,
  };
}

function printPlan(title: string, plan: MemoryPlan, scale: Record<string, number> = {}): void {
  console.log(title);
  for (const t of plan.terms) console.log(`  ${t.name.padEnd(40)} ${fmt(t.bytes * (scale[t.key] ?? 1)).padStart(11)}   ${t.how}${scale[t.key] ? ` (x${scale[t.key].toFixed(2)} as measured)` : ''}`);
  const total = plan.terms.reduce((a, t) => a + t.bytes * (scale[t.key] ?? 1), 0);
  console.log(`  ${'planned peak'.padEnd(40)} ${fmt(total).padStart(11)}   (budget ${fmt(plan.budget)}: ${total <= plan.budget ? 'fits' : 'OVER'})`);
}

/** Measured / planned first-run allocation of the layer graphs, from a --only train result file. */
function check(file: string): Record<string, number> {
  const r = JSON.parse(readFileSync(file, 'utf8'));
  const c = r.config;
  if (r.decode) throw new Error(`${file} includes a decode phase; --check needs a run with --only train (decode sessions add their own buffers)`);
  const cfg = benchConfig(c.layers, c.vocab, { hidden: c.hidden, intermediate: c.intermediate, heads: c.heads, 'kv-heads': c.kv_heads, 'head-dim': c.head_dim });
  const shape = { ...benchShape({ batch: r.workload.train_batch ?? r.workload.batch, seq: r.workload.seq, rank: c.rank }), weightDtype: checkWeightDtype(c.weight_dtype ?? 'float32') };
  const plan = planFor(cfg, shape, { microBatch: r.workload.micro_batch, chunkRows: r.workload.chunk_rows }, Infinity);
  const firstRuns = r.first_runs as Record<string, { retained: number }>;
  const term = (k: string) => plan.terms.find((t) => t.key === k) as MemoryTerm;
  const rows: [string, number, number][] = [['weights + LoRA (live after load)', weightBytes(cfg, shape.weightDtype) + loraBytes(cfg, shape.lora), r.load.live_bytes_after_load]];
  // With int8 weights a graph's term includes its dequantized copies (a separate term of the plan).
  const withDequant: Record<string, string> = { layer_forward: 'dequant_forward', layer_backward: 'dequant_backward', loss_chunk: 'dequant_head' };
  const graphBytes = (key: string) => term(key).bytes + (plan.terms.find((t) => t.key === withDequant[key])?.bytes ?? 0);
  for (const [key, session] of Object.entries(GRAPH_OF)) rows.push([`${term(key).name}: first run allocates`, graphBytes(key), firstRuns[session]?.retained ?? NaN]);
  rows.push(['training step peak', plan.total, r.memory.peak_bytes]);
  console.log(`check against ${file}: ${c.layers} layers, hidden ${c.hidden}, intermediate ${c.intermediate}, vocab ${c.vocab}, r=${c.rank}, ${shape.weightDtype} weights; ${shape.completions} x ${shape.seq} (micro-batch ${plan.microBatch}), chunk rows ${plan.chunkRows}`);
  console.log(`  ${'term'.padEnd(50)} ${'planned'.padStart(12)} ${'measured'.padStart(12)}  measured/planned`);
  for (const [name, p, m] of rows) console.log(`  ${name.padEnd(50)} ${fmt(p).padStart(12)} ${fmt(m).padStart(12)}  ${(m / p).toFixed(3)}`);
  const ratios: Record<string, number> = {};
  for (const key of ['layer_forward', 'layer_backward']) {
    const measured = firstRuns[GRAPH_OF[key]]?.retained;
    if (measured) ratios[key] = measured / term(key).bytes;
  }
  return ratios;
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
  let ratios: Record<string, number> | undefined;
  const cal = argv.indexOf('--calibrate');
  if (cal >= 0) {
    const file = argv[cal + 1];
    if (!file) throw new Error('--calibrate needs a result file from bench/gemma3-1b.ts --only train --json FILE');
    argv.splice(cal, 2);
    ratios = check(file);
  }
  const { ints, strings } = intFlags(argv, DEFAULTS, ['hidden', 'intermediate', 'heads', 'kv-heads', 'head-dim', 'micro-batch', 'budget', 'weight-dtype']);
  const widths = Object.fromEntries(Object.entries(strings).filter(([k]) => k !== 'budget' && k !== 'weight-dtype').map(([k, v]) => [k, Number(v)]));
  const weightDtype = checkWeightDtype(strings['weight-dtype'] ?? 'float32');
  const cfg = benchConfig(ints.layers, ints.vocab, widths);
  const budget = strings.budget ? Number(strings.budget) * GIB : DEFAULT_GPU_MEMORY_BUDGET;
  if (!(budget > 0)) throw new Error(`--budget must be a positive number of GiB, got ${strings.budget}`);
  const shape = { ...benchShape({ batch: ints.batch, seq: ints.seq, rank: ints.rank, prompt: ints.prompt, newTokens: ints['new-tokens'] }), weightDtype };
  const micro = widths['micro-batch'] ?? ints.batch;
  console.log(`model: ${cfg.numLayers} layers, hidden ${cfg.hiddenSize}, intermediate ${cfg.intermediateSize}, ${cfg.numHeads}/${cfg.numKvHeads} heads of ${cfg.headDim}, vocab ${cfg.vocabSize}; LoRA r=${ints.rank} on all 7 projections; ${weightDtype} weights`);
  console.log(`step: ${ints.batch} completions x ${ints.seq} tokens (${shape.lossRowsPerSequence} through the loss head), generated from ${ints.prompt}-token prompts with ${ints['new-tokens']} new tokens`);
  const given = planFor(cfg, shape, { microBatch: micro, chunkRows: ints['chunk-rows'] }, budget);
  printPlan(`micro-batch ${micro}, loss-head chunk ${given.chunkRows} rows:`, given, ratios);
  try {
    const chosen = choosePlan(cfg, shape, budget);
    printPlan(`the app's plan for a ${fmt(budget)} budget: micro-batch ${chosen.microBatch} (gradient_accumulation_steps ${chosen.accumulationSteps}), loss-head chunk ${chosen.chunkRows} rows:`, chosen, ratios);
  } catch (e) {
    if (!(e instanceof MemoryBudgetError)) throw e;
    console.log(`the app refuses a ${fmt(budget)} budget: ${e.message}`);
  }
}

try {
  main();
} catch (e) {
  console.error(`gemma3-memory: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(2);
}
