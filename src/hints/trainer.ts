/**
 * The hints-only GRPO step, independent of how completions were generated: for each prompt, its G
 * scored completions in, hint store updated, a summary out. Advantages come from the shared GRPO
 * code when given, else from the rewards (document 003's (r - mean) / std). Replay learns from
 * recorded groups without generating anything (document 003's simulation mode on stored feedback).
 */
import { extractSql } from '../prompt/extract-sql';
import { parseSchema, type Schema } from '../sql/schema';
import { hintGroupAdvantages } from './advantages';
import type { HintsConfig } from './config';
import { extractPatterns } from './patterns';
import type { GroupEvidenceInput, HintStore, StepUpdate } from './store';

export interface HintExample {
  question: string;
  /** CREATE TABLE statements. */
  context: string;
  /** The example's tables; parsed from context when absent. */
  tables?: readonly string[];
}

/** A completion with its reward. Give sql when the query is already extracted, else the raw text. */
export interface ScoredCompletion {
  id?: string;
  sql?: string;
  text?: string;
  reward: number;
}

/** One prompt's completions. Any size >= 2 is accepted (recorded feedback varies); config.group_size is what a sampler draws. */
export interface PromptGroup {
  example: HintExample;
  completions: readonly ScoredCompletion[];
  /** Advantages from the shared GRPO code, one per completion; computed from the rewards when absent. */
  advantages?: readonly number[];
}

export interface CompletionReading {
  id: string;
  sql: string;
  reward: number;
  advantage: number;
  /** |advantage| > min_advantage_threshold: it moves hints. */
  qualifies: boolean;
  patterns: string[];
  tables: string[];
  /** What the pattern reader could not read. */
  issues: string[];
}

export interface GroupReading {
  question: string;
  example_tables: string[];
  advantages_from: 'input' | 'rewards';
  /** Reward mean and std when the advantages were computed here. */
  mean?: number;
  std?: number;
  completions: CompletionReading[];
}

export interface HintsStepSummary extends StepUpdate {
  groups: GroupReading[];
  /** Groups that carried no signal (fewer than 2 completions). */
  skipped_groups: { index: number; question: string; reason: string }[];
  mean_reward: number;
  timings_ms: { read: number; update: number };
}

export class HintsTrainerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HintsTrainerError';
  }
}

function schemaOf(context: string): Schema | undefined {
  try {
    return parseSchema(context);
  } catch {
    return undefined;
  }
}

function checkGroup(group: PromptGroup, index: number) {
  if (typeof group?.example?.question !== 'string' || typeof group.example.context !== 'string') {
    throw new HintsTrainerError(`group ${index}: example needs a question and a context (strings)`);
  }
  if (!Array.isArray(group.completions)) throw new HintsTrainerError(`group ${index}: completions must be an array`);
  group.completions.forEach((c, i) => {
    if (typeof c?.reward !== 'number' || !Number.isFinite(c.reward)) throw new HintsTrainerError(`group ${index}, completion ${i}: reward must be a finite number, got ${String(c?.reward)}`);
    if (typeof c.sql !== 'string' && typeof c.text !== 'string') throw new HintsTrainerError(`group ${index}, completion ${i}: needs sql or text`);
  });
  if (group.advantages !== undefined) {
    if (group.advantages.length !== group.completions.length) {
      throw new HintsTrainerError(`group ${index}: ${group.advantages.length} advantages for ${group.completions.length} completions`);
    }
    group.advantages.forEach((a, i) => {
      if (typeof a !== 'number' || !Number.isFinite(a)) throw new HintsTrainerError(`group ${index}, completion ${i}: advantage must be a finite number, got ${String(a)}`);
    });
  }
}

/** Reads one group: advantages, each completion's SQL, patterns and tables. Pure. */
export function readGroup(group: PromptGroup, config: HintsConfig, idPrefix: string): GroupReading {
  const schema = schemaOf(group.example.context);
  const exampleTables = (group.example.tables ?? schema?.tables.map((t) => t.name) ?? []).map((t) => t.toLowerCase());
  const rewards = group.completions.map((c) => c.reward);
  let advantages: readonly number[];
  let stats: { mean?: number; std?: number } = {};
  if (group.advantages) advantages = group.advantages;
  else {
    const computed = hintGroupAdvantages(rewards, config);
    advantages = computed.advantages;
    stats = { mean: computed.mean, std: computed.std };
  }
  const completions = group.completions.map((c, i): CompletionReading => {
    const sql = typeof c.sql === 'string' ? c.sql : (extractSql(c.text ?? '')?.sql ?? '');
    const read = extractPatterns(sql, schema ? { schema } : {});
    const advantage = advantages[i]!;
    return {
      id: c.id ?? `${idPrefix}c${i}`,
      sql,
      reward: c.reward,
      advantage,
      qualifies: Math.abs(advantage) > config.min_advantage_threshold,
      patterns: [...read.keys],
      tables: read.tables,
      issues: read.issues,
    };
  });
  return { question: group.example.question, example_tables: exampleTables, advantages_from: group.advantages ? 'input' : 'rewards', ...stats, completions };
}

/**
 * One hints-only GRPO step over a batch of prompt groups. Inputs are validated before the store is
 * touched: a bad group throws HintsTrainerError and leaves the store as it was.
 */
export function runHintsStep(store: HintStore, groups: readonly PromptGroup[], config: HintsConfig): HintsStepSummary {
  groups.forEach(checkGroup);
  const t0 = performance.now();
  const step = store.step + 1;
  const readings: GroupReading[] = [];
  const skipped: HintsStepSummary['skipped_groups'] = [];
  groups.forEach((g, index) => {
    if (g.completions.length < 2) skipped.push({ index, question: g.example.question, reason: `${g.completions.length} completion(s): no group to compare with` });
    else readings.push(readGroup(g, config, `s${step}.p${index}.`));
  });
  const t1 = performance.now();
  const evidence: GroupEvidenceInput[] = readings.map((r) => ({
    example_tables: r.example_tables,
    completions: r.completions.map((c) => ({ id: c.id, advantage: c.advantage, patterns: c.patterns, tables: c.tables })),
  }));
  const update = store.applyStep(evidence, config);
  const t2 = performance.now();
  const rewards = readings.flatMap((r) => r.completions.map((c) => c.reward));
  return {
    ...update,
    groups: readings,
    skipped_groups: skipped,
    mean_reward: rewards.length > 0 ? rewards.reduce((a, r) => a + r, 0) / rewards.length : NaN,
    timings_ms: { read: t1 - t0, update: t2 - t1 },
  };
}

// ---------------------------------------------------------------------------------------------
// Replay: learn from recorded groups.

/** One recorded group, one JSONL line: {question, context, completions: [{sql | text, reward}]}. */
export interface ReplayRecord {
  question: string;
  context: string;
  completions: ScoredCompletion[];
  /** 1-based line in the source file (completion ids are derived from it). */
  line?: number;
}

export interface ReplayLineError {
  line: number;
  message: string;
}

export class ReplayError extends Error {
  constructor(readonly errors: ReplayLineError[]) {
    super(`replay input has ${errors.length} bad line(s): ${errors.slice(0, 5).map((e) => `line ${e.line}: ${e.message}`).join('; ')}`);
    this.name = 'ReplayError';
  }
}

function readRecord(value: unknown, line: number): ReplayRecord | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'must be a JSON object';
  const o = value as Record<string, unknown>;
  if (typeof o.question !== 'string') return 'question must be a string';
  if (typeof o.context !== 'string') return 'context must be a string';
  if (!Array.isArray(o.completions)) return 'completions must be an array';
  const completions: ScoredCompletion[] = [];
  for (const [i, c] of o.completions.entries()) {
    if (typeof c !== 'object' || c === null) return `completions[${i}] must be an object`;
    const r = c as Record<string, unknown>;
    if (typeof r.reward !== 'number' || !Number.isFinite(r.reward)) return `completions[${i}].reward must be a finite number`;
    if (typeof r.sql !== 'string' && typeof r.text !== 'string') return `completions[${i}] needs sql or text (a string)`;
    const out: ScoredCompletion = { reward: r.reward };
    if (typeof r.sql === 'string') out.sql = r.sql;
    if (typeof r.text === 'string') out.text = r.text;
    if (typeof r.id === 'string' && r.id !== '') out.id = r.id;
    completions.push(out);
  }
  if (completions.length < 2) return `needs at least 2 completions to compare, got ${completions.length}`;
  return { question: o.question, context: o.context, completions, line };
}

/** Parses recorded groups; bad lines are reported with their line numbers, blank lines ignored. */
export function parseReplayJsonl(text: string): { records: ReplayRecord[]; errors: ReplayLineError[] } {
  const records: ReplayRecord[] = [];
  const errors: ReplayLineError[] = [];
  text.split(/\r?\n/).forEach((raw, k) => {
    const line = k + 1;
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (e) {
      errors.push({ line, message: `not JSON (${e instanceof Error ? e.message : String(e)})` });
      return;
    }
    const record = readRecord(value, line);
    if (typeof record === 'string') errors.push({ line, message: record });
    else records.push(record);
  });
  return { records, errors };
}

export interface ReplayOptions {
  /** Groups per step (a step's batch). Default 1. */
  groupsPerStep?: number;
  /** Throw ReplayError on any bad line before learning anything. Default false: skip and report them. */
  strict?: boolean;
}

export interface ReplaySummary {
  steps: HintsStepSummary[];
  groups_used: number;
  skipped_lines: ReplayLineError[];
  mean_reward: number;
  hints_created: number;
  hints_updated: number;
  hints_removed: number;
  final_hints: number;
}

/** Learns hints from recorded groups (JSONL text or parsed records), in order, without generating. */
export function replayHints(store: HintStore, source: string | readonly ReplayRecord[], config: HintsConfig, options: ReplayOptions = {}): ReplaySummary {
  const per = options.groupsPerStep ?? 1;
  if (!Number.isInteger(per) || per < 1) throw new HintsTrainerError(`groupsPerStep must be an integer >= 1, got ${per}`);
  let records: ReplayRecord[];
  let errors: ReplayLineError[] = [];
  if (typeof source === 'string') ({ records, errors } = parseReplayJsonl(source));
  else {
    records = [];
    source.forEach((r, k) => {
      const checked = readRecord(r, r?.line ?? k + 1);
      if (typeof checked === 'string') errors.push({ line: r?.line ?? k + 1, message: checked });
      else records.push(checked);
    });
  }
  if (options.strict && errors.length > 0) throw new ReplayError(errors);

  const steps: HintsStepSummary[] = [];
  for (let k = 0; k < records.length; k += per) {
    const batch = records.slice(k, k + per).map(
      (r): PromptGroup => ({
        example: { question: r.question, context: r.context },
        completions: r.completions.map((c, i) => ({ ...c, id: c.id ?? `line${r.line}.c${i}` })),
      }),
    );
    steps.push(runHintsStep(store, batch, config));
  }
  const rewards = steps.flatMap((s) => s.groups.flatMap((g) => g.completions.map((c) => c.reward)));
  return {
    steps,
    groups_used: steps.reduce((a, s) => a + s.groups.length, 0),
    skipped_lines: errors,
    mean_reward: rewards.length > 0 ? rewards.reduce((a, r) => a + r, 0) / rewards.length : NaN,
    hints_created: steps.reduce((a, s) => a + s.created.length, 0),
    hints_updated: steps.reduce((a, s) => a + s.updated.length, 0),
    hints_removed: steps.reduce((a, s) => a + s.removed.length, 0),
    final_hints: store.size,
  };
}
