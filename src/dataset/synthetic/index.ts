/**
 * A seeded synthetic Text-to-SQL corpus: schema instances drawn from a catalogue of everyday
 * domains, several questions per instance with their gold SQL (SQLite), in the dataset's row shape
 * ({question, context, answer}) with per-row metadata for evaluation by question type.
 *
 *   const { rows, meta } = generateSyntheticCorpus({ size: 2000, seed: 1 });
 *
 * Deterministic: the same options give the same corpus on every machine. Each schema instance has
 * its own random stream (from the seed and its position), so a larger corpus with the same seed
 * starts with the smaller one.
 */
import { createRng, mixSeeds, type Rng } from '../../common/prng';
import { DatasetError, type SqlRow } from '../types';
import { DOMAINS } from './domains';
import { GENERATORS, QUESTION_TYPES, supportsType, type QuestionType } from './questions';
import { drawSchema, type SchemaInstance } from './schema';

export { QUESTION_TYPES, type QuestionType } from './questions';
export { syntheticVocabularyTexts } from './vocabulary';
export const SYNTHETIC_DOMAINS: readonly string[] = DOMAINS.map((d) => d.name);

/** Largest corpus generateSyntheticCorpus makes (a few seconds, tens of MB). */
export const MAX_SYNTHETIC_SIZE = 200_000;

export interface SyntheticCorpusOptions {
  /** Number of rows (questions). A positive integer up to MAX_SYNTHETIC_SIZE. */
  size: number;
  /** Any safe integer. */
  seed: number;
  /** Domains to draw schemas from (default: all of SYNTHETIC_DOMAINS). */
  domains?: readonly string[];
  /** Questions per schema instance, [min, max] (default [3, 8]); the last instance may have fewer. */
  questionsPerSchema?: readonly [number, number];
  /** Largest number of tables in a schema instance, 1–4 (default 4). */
  maxTables?: number;
  /** Relative frequency of each question type (default DEFAULT_TYPE_WEIGHTS); 0 leaves a type out. */
  typeWeights?: Partial<Record<QuestionType, number>>;
}

export interface SyntheticMeta {
  type: QuestionType;
  /** A finer label within the type (operator, aggregate, join shape). */
  detail: string;
  domain: string;
  /** Equal for every question of one schema instance (and for instances with the same context). */
  schemaId: string;
  /** Tables in the schema instance. */
  tables: number;
}

export interface SyntheticCorpus {
  rows: SqlRow[];
  /** meta[i] describes rows[i]. */
  meta: SyntheticMeta[];
}

/** Join questions weigh more: only instances with several tables can take them. */
export const DEFAULT_TYPE_WEIGHTS: Readonly<Record<QuestionType, number>> = {
  list: 0.5,
  'filter-eq': 1.2,
  compare: 1.3,
  aggregate: 1.2,
  'order-limit': 1,
  'group-by': 0.7,
  'group-having': 0.6,
  distinct: 0.6,
  join1: 1.8,
  join2: 2,
};

interface Resolved {
  size: number;
  seed: number;
  domains: typeof DOMAINS;
  perSchema: readonly [number, number];
  maxTables: number;
  weights: [QuestionType, number][];
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/** Checks options and fills defaults; throws DatasetError saying what is wrong. */
export function resolveSyntheticOptions(options: SyntheticCorpusOptions): Resolved {
  const o = options as Partial<SyntheticCorpusOptions> | undefined;
  if (!o || typeof o !== 'object') throw new DatasetError('synthetic corpus: options must be an object with size and seed');
  if (!isInt(o.size) || o.size < 1 || o.size > MAX_SYNTHETIC_SIZE) throw new DatasetError(`synthetic corpus: size must be a whole number from 1 to ${MAX_SYNTHETIC_SIZE}, got ${JSON.stringify(o.size)}`);
  if (!isInt(o.seed)) throw new DatasetError(`synthetic corpus: seed must be a whole number (a safe integer), got ${JSON.stringify(o.seed)}`);
  let domains = DOMAINS;
  if (o.domains !== undefined) {
    if (!Array.isArray(o.domains) || o.domains.length === 0) throw new DatasetError(`synthetic corpus: domains must be a non-empty list of names from ${SYNTHETIC_DOMAINS.join(', ')}`);
    const unknown = o.domains.filter((d) => !SYNTHETIC_DOMAINS.includes(d));
    if (unknown.length > 0) throw new DatasetError(`synthetic corpus: unknown domain(s) ${unknown.map((d) => JSON.stringify(d)).join(', ')}; known: ${SYNTHETIC_DOMAINS.join(', ')}`);
    domains = DOMAINS.filter((d) => o.domains!.includes(d.name));
  }
  const perSchema = o.questionsPerSchema ?? [3, 8];
  if (!Array.isArray(perSchema) || perSchema.length !== 2 || !perSchema.every(isInt) || perSchema[0] < 1 || perSchema[1] < perSchema[0] || perSchema[1] > 50) {
    throw new DatasetError(`synthetic corpus: questionsPerSchema must be [min, max] with 1 <= min <= max <= 50, got ${JSON.stringify(perSchema)}`);
  }
  const maxTables = o.maxTables ?? 4;
  if (!isInt(maxTables) || maxTables < 1 || maxTables > 4) throw new DatasetError(`synthetic corpus: maxTables must be 1, 2, 3 or 4, got ${JSON.stringify(maxTables)}`);
  const weights = { ...DEFAULT_TYPE_WEIGHTS, ...(o.typeWeights ?? {}) };
  for (const [k, w] of Object.entries(weights)) {
    if (!(QUESTION_TYPES as readonly string[]).includes(k)) throw new DatasetError(`synthetic corpus: unknown question type ${JSON.stringify(k)}; known: ${QUESTION_TYPES.join(', ')}`);
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) throw new DatasetError(`synthetic corpus: weight of ${k} must be a number >= 0, got ${JSON.stringify(w)}`);
  }
  const active = QUESTION_TYPES.map((t): [QuestionType, number] => [t, weights[t]]).filter(([, w]) => w > 0);
  if (active.length === 0) throw new DatasetError('synthetic corpus: every question type has weight 0');
  if (maxTables < 2 && active.every(([t]) => t === 'join1' || t === 'join2')) throw new DatasetError('synthetic corpus: join questions need maxTables >= 2');
  if (maxTables < 3 && active.every(([t]) => t === 'join2')) throw new DatasetError('synthetic corpus: two-join questions need maxTables >= 3');
  return { size: o.size, seed: o.seed, domains, perSchema: [perSchema[0], perSchema[1]], maxTables, weights: active };
}

function pickType(weights: readonly [QuestionType, number][], rng: Rng): QuestionType {
  const total = weights.reduce((a, [, w]) => a + w, 0);
  let u = rng.next() * total;
  for (const [t, w] of weights) {
    u -= w;
    if (u < 0) return t;
  }
  return weights[weights.length - 1]![0];
}

/** Up to `count` questions with distinct gold queries for one instance. */
function questionsFor(schema: SchemaInstance, count: number, weights: readonly [QuestionType, number][], rng: Rng, out: SyntheticCorpus): void {
  const usable = weights.filter(([t]) => supportsType(schema, t));
  if (usable.length === 0) return;
  const seen = new Set<string>();
  let made = 0;
  for (let attempt = 0; made < count && attempt < count * 8; attempt++) {
    const q = GENERATORS[pickType(usable, rng)](schema, rng);
    if (!q || seen.has(q.sql)) continue;
    seen.add(q.sql);
    out.rows.push({ question: q.question, context: schema.context, answer: q.sql });
    out.meta.push({ type: q.type, detail: q.detail, domain: schema.domain.name, schemaId: schema.id, tables: schema.tables.length });
    made++;
  }
}

export function generateSyntheticCorpus(options: SyntheticCorpusOptions): SyntheticCorpus {
  const o = resolveSyntheticOptions(options);
  const out: SyntheticCorpus = { rows: [], meta: [] };
  for (let i = 0; out.rows.length < o.size; i++) {
    if (i > o.size * 4) throw new Error('synthetic corpus: schema instances keep yielding no questions (a generator bug)');
    const rng = createRng(mixSeeds('synthetic-corpus', o.seed, i));
    const domain = rng.pick(o.domains);
    const schema = drawSchema(domain, rng, { maxTables: o.maxTables });
    const count = Math.min(rng.int(o.perSchema[0], o.perSchema[1]), o.size - out.rows.length);
    questionsFor(schema, count, o.weights, rng, out);
  }
  return out;
}
