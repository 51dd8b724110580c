/**
 * The device sampler (src/graph/sampling.ts) against the host sampler's exact distribution
 * (src/generate/sampling.ts `candidates`, float64): one graph run draws N tokens from N copies of
 * the same logits row, each with its own seeded uniforms; the counts are compared with N * p by a
 * chi-square test (cells with expected count < 5 pooled), and no draw may fall outside the host's
 * candidate set. Greedy is compared token for token with the host argmax, ties included.
 */
import { argmax, candidates, type SamplingParams } from '../../src/generate/sampling';
import { Graph } from '../../src/graph/graph';
import { sampleTokens, type SamplerSpec } from '../../src/graph/sampling';
import { Rng } from '../../src/common/rng';
import { TensorStore } from '../../src/runtime/device';
import { GraphSession } from '../../src/runtime/graph-session';
import type { Backend } from '../../src/runtime/ort';

export interface DrawResult {
  counts: Map<number, number>;
  draws: number;
}

async function runSampler(backend: Backend, rows: Float32Array[], spec: SamplerSpec, invTemperature: number, seed: number): Promise<Int32Array> {
  const n = rows.length;
  const v = rows[0].length;
  const g = new Graph('sampler_check');
  const logits = g.input('logits', 'float32', [n, v]);
  const uniforms = spec.kind === 'sample' ? g.input('uniforms', 'float32', [n, 2]) : undefined;
  const invT = spec.kind === 'sample' ? g.input('inv_temperature', 'float32', []) : undefined;
  g.output(sampleTokens(logits, spec, { uniforms, invTemperature: invT }), 'tokens');
  const session = await GraphSession.create(g, backend);
  const store = await TensorStore.create(backend);
  const flat = new Float32Array(n * v);
  rows.forEach((r, i) => flat.set(r, i * v));
  const rng = Rng.fromSeed(seed, 'sampler-check');
  const feeds: Record<string, ReturnType<TensorStore['upload']>> = { logits: store.upload(flat, [n, v]) };
  if (uniforms) feeds.uniforms = store.upload(Float32Array.from({ length: n * 2 }, () => rng.next()), [n, 2]);
  if (invT) feeds.inv_temperature = store.upload(Float32Array.of(invTemperature), []);
  const out = await session.run(feeds);
  const tokens = (await store.read(out.tokens)) as Int32Array;
  for (const t of [...Object.values(feeds), out.tokens]) if (t.location === 'gpu-buffer') t.dispose();
  await session.release();
  return tokens;
}

/** N draws from one logits row with the given sampling parameters (temperature > 0). */
export async function drawMany(backend: Backend, row: Float32Array, p: SamplingParams, draws: number, seed = 7): Promise<DrawResult> {
  const rows = Array.from({ length: draws }, () => row);
  const tokens = await runSampler(backend, rows, { kind: 'sample', topK: p.topK, topP: p.topP }, 1 / p.temperature, seed);
  const counts = new Map<number, number>();
  for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
  return { counts, draws };
}

/** Device greedy tokens for each row. */
export async function greedyTokens(backend: Backend, rows: Float32Array[]): Promise<number[]> {
  return Array.from(await runSampler(backend, rows, { kind: 'greedy' }, 1, 0));
}

export interface ChiSquare {
  statistic: number;
  dof: number;
  /** The statistic's 1 - 1e-6 quantile (Wilson-Hilferty), the rejection threshold. */
  critical: number;
  /** Draws outside the host's candidate set. */
  outside: number;
}

/** Chi-square of the draws against the host's exact distribution for `p`. */
export function chiSquare(row: Float32Array, p: SamplingParams, r: DrawResult): ChiSquare {
  const c = candidates(row, p);
  const expected = new Map(c.ids.map((id, i) => [id, c.probs[i] * r.draws]));
  let outside = 0;
  for (const [id, k] of r.counts) if (!expected.has(id)) outside += k;
  // Cells: each token expected >= 5 times, the rest pooled into one cell.
  let statistic = 0;
  let cells = 0;
  let pooledE = 0;
  let pooledO = 0;
  for (const [id, e] of expected) {
    const o = r.counts.get(id) ?? 0;
    if (e >= 5) {
      statistic += (o - e) ** 2 / e;
      cells++;
    } else {
      pooledE += e;
      pooledO += o;
    }
  }
  if (pooledE > 0) {
    statistic += (pooledO - pooledE) ** 2 / pooledE;
    cells++;
  }
  const dof = Math.max(1, cells - 1);
  // Wilson-Hilferty: (X/k)^(1/3) ~ N(1 - 2/(9k), 2/(9k)); z(1 - 1e-6) = 4.753.
  const z = 4.753;
  const critical = dof * (1 - 2 / (9 * dof) + z * Math.sqrt(2 / (9 * dof))) ** 3;
  return { statistic, dof, critical, outside };
}

/** Rows for the greedy check: random, with the maximum repeated at several indices in some rows. */
export function greedyRows(v: number, count: number, seed = 3): { rows: Float32Array[]; expected: number[] } {
  const rng = Rng.fromSeed(seed, 'greedy-rows');
  const rows = Array.from({ length: count }, (_, i) => {
    const r = Float32Array.from({ length: v }, () => (rng.next() - 0.5) * 8);
    if (i % 3 === 0) {
      // Ties: the same maximum at 2-4 random indices; the lowest index must win.
      const top = 10 + rng.next();
      for (let k = 0; k < 2 + (i % 4); k++) r[rng.int(0, v - 1)] = top;
    }
    if (i % 7 === 0) r.fill(1.5); // all tied: index 0
    return r;
  });
  return { rows, expected: rows.map((r) => argmax(r)) };
}

/** A logits row with a realistic spread (a few likely tokens, a long tail). */
export function testRow(v: number, seed = 11): Float32Array {
  const rng = Rng.fromSeed(seed, 'sampler-row');
  return Float32Array.from({ length: v }, (_, i) => (i % 9 === 0 ? 2 : 0) + (rng.next() - 0.5) * 3);
}

/** Sampling settings checked on every backend (V = 37 is not a multiple of the draw's block of 8). */
export const SAMPLER_CASES: { name: string; v: number; draws: number; p: SamplingParams; wrong: SamplingParams }[] = [
  { name: 'temperature 0.7', v: 37, draws: 20_000, p: { temperature: 0.7, topK: 0, topP: 1 }, wrong: { temperature: 0.8, topK: 0, topP: 1 } },
  { name: 'top-k 5 at temperature 1.3', v: 37, draws: 20_000, p: { temperature: 1.3, topK: 5, topP: 1 }, wrong: { temperature: 1.3, topK: 6, topP: 1 } },
  { name: 'top-p 0.6 at temperature 0.9 (threshold bisection)', v: 37, draws: 20_000, p: { temperature: 0.9, topK: 0, topP: 0.6 }, wrong: { temperature: 0.9, topK: 0, topP: 0.7 } },
  { name: 'top-k 10 then top-p 0.8', v: 37, draws: 20_000, p: { temperature: 1, topK: 10, topP: 0.8 }, wrong: { temperature: 1, topK: 10, topP: 1 } },
];

/** One case: the draws fit the host distribution, and are rejected against a slightly different one. */
export async function samplerCase(backend: Backend, c: (typeof SAMPLER_CASES)[number], drawCount = c.draws) {
  const row = testRow(c.v);
  const draws = await drawMany(backend, row, c.p, drawCount);
  return { fit: chiSquare(row, c.p, draws), wrong: chiSquare(row, c.wrong, draws) };
}
