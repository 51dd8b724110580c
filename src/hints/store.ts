/**
 * The hint store and its update rule: document 003's step 4 ("update policy layer"), where patterns
 * of completions that beat their group are reinforced and those of completions that lost are
 * penalised, without touching the model.
 *
 * The update rule, once per step for each pattern p that got credit:
 *
 *   credit_p = sum over groups, over completions i with |A_i| > min_advantage_threshold, of
 *              A_i * (f_p(y_i) - fbar_p)       (center_patterns; A_i * f_p(y_i) otherwise)
 *   w <- clip(w + learning_rate * credit_p - learning_rate * kl_coef * w, -1, 1)
 *
 * where f_p(y_i) is 1 when completion i uses p and fbar_p is the share of its group that does.
 * Read as a log-linear tilt of the model by the hints, lr * credit is the policy-gradient step and
 * -lr * kl_coef * w the gradient of the quadratic KL to the un-hinted policy (config.ts). The clip
 * keeps weights readable as strengths and stops one outlier group from dominating. Additive rather
 * than multiplicative, so each logged change is old + gradient + kl_pull, checkable by hand.
 *
 * A pattern with no hint first collects credit as a candidate; it becomes a hint once
 * min_evidence_to_create qualifying completions used it and lr * |credit| reaches prune_threshold.
 * Hints that got no credit in a step decay by (1 - decay); unpinned hints under prune_threshold are
 * pruned, then the weakest beyond max_hints. Pinned hints skip decay, the KL pull and pruning.
 */
import type { HintsConfig } from './config';
import { describePattern, parsePatternKey, patternTables } from './pattern-keys';
import { parseHintStoreFile, serializeHintStore } from './store-file';
import type { HintEvent, HintEvidence, HintStoreState, HintType, PatternCandidate, PolicyHint, RemovalReason, RemovedHint } from './types';

/** Most history entries kept per hint, most removed hints kept for audit, most evidence per event. */
export const MAX_HISTORY = 100;
export const MAX_REMOVED = 200;
export const MAX_EVIDENCE_PER_EVENT = 32;

/** Families whose hints apply to every example: quoting style and schema hygiene are not about a table. */
const GLOBAL_FAMILIES = new Set(['quote', 'schema']);

export class HintStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HintStoreError';
  }
}

/** One completion, as the update rule sees it. */
export interface CompletionEvidenceInput {
  id: string;
  advantage: number;
  /** Pattern keys the completion uses. */
  patterns: Iterable<string>;
  /** Base tables it reads (lower-case or not). */
  tables: readonly string[];
}

/** One prompt's group. */
export interface GroupEvidenceInput {
  /** The example's schema tables: the scope of hints learned from it about tables it does not have. */
  example_tables: readonly string[];
  completions: readonly CompletionEvidenceInput[];
}

export interface PatternCredit {
  pattern: string;
  credit: number;
  /** Qualifying completions that used the pattern. */
  occurrences: number;
  evidence: HintEvidence[];
  /** Tables the credit came from (the hint's scope). */
  tables: string[];
}

export interface HintChange {
  id: string;
  pattern: string;
  hint_type: HintType;
  old_weight: number;
  new_weight: number;
}

export interface StepUpdate {
  step: number;
  created: HintChange[];
  updated: HintChange[];
  /** Hints that decayed this step (no credit). */
  decayed: number;
  removed: { id: string; pattern: string; weight: number; reason: RemovalReason }[];
  /** Patterns still gathering evidence after the step. */
  candidates: number;
}

export interface NewHintInput {
  pattern: string;
  /** Signed, non-zero, in [-1, 1]: positive prefer, negative avoid. */
  weight: number;
  description?: string;
  tables?: readonly string[];
  pinned?: boolean;
}

export interface HintEdit {
  description?: string;
  /** Signed, in [-1, 1]. */
  weight?: number;
  /** Sets the sign of the weight, keeping its magnitude. */
  hint_type?: HintType;
  tables?: readonly string[];
}

const clip = (w: number) => Math.max(-1, Math.min(1, w));
const typeOf = (w: number, previous: HintType): HintType => (w > 0 ? 'prefer' : w < 0 ? 'avoid' : previous);
const lowerUnique = (tables: Iterable<string>) => [...new Set([...tables].map((t) => t.toLowerCase()))].sort();

/** The tables a hint about `pattern` should apply to, given where its evidence came from. */
export function scopeTables(pattern: string, completionTables: readonly string[], exampleTables: readonly string[]): string[] {
  const parsed = parsePatternKey(pattern);
  if (!parsed || GLOBAL_FAMILIES.has(parsed.family)) return [];
  const example = new Set(exampleTables.map((t) => t.toLowerCase()));
  const own = patternTables(pattern);
  // A hint about a table the example lacks (a hallucinated one) is useful only where it was hallucinated.
  if (own.length > 0) return example.size === 0 || own.every((t) => example.has(t)) ? own : [...example].sort();
  const read = lowerUnique(completionTables).filter((t) => example.size === 0 || example.has(t));
  return read.length > 0 ? read : [...example].sort();
}

/**
 * Credit per pattern over a step's groups (the update rule's credit_p), with the evidence behind it.
 * Pure: exported so the UI can show what a step would do.
 */
export function creditPatterns(groups: readonly GroupEvidenceInput[], config: HintsConfig): Map<string, PatternCredit> {
  const credits = new Map<string, PatternCredit>();
  for (const group of groups) {
    const completions = group.completions.map((c) => ({ ...c, patterns: new Set([...c.patterns].filter((k) => parsePatternKey(k))) }));
    const n = completions.length;
    if (n === 0) continue;
    const share = new Map<string, number>();
    const tablesOf = new Map<string, string[]>();
    for (const c of completions) {
      for (const p of c.patterns) {
        share.set(p, (share.get(p) ?? 0) + 1 / n);
        tablesOf.set(p, [...(tablesOf.get(p) ?? []), ...c.tables]);
      }
    }
    const qualifying = completions.filter((c) => Number.isFinite(c.advantage) && Math.abs(c.advantage) > config.min_advantage_threshold);
    for (const [pattern, fbar] of share) {
      const evidence: HintEvidence[] = [];
      for (const c of qualifying) {
        const contains = c.patterns.has(pattern);
        const credit = c.advantage * ((contains ? 1 : 0) - (config.center_patterns ? fbar : 0));
        // A pattern every completion used cannot explain their differences: no evidence either way.
        if (Math.abs(credit) > 1e-12) evidence.push({ completion_id: c.id, advantage: c.advantage, contains, credit });
      }
      if (evidence.length === 0) continue;
      const entry = credits.get(pattern) ?? { pattern, credit: 0, occurrences: 0, evidence: [], tables: [] };
      entry.credit += evidence.reduce((a, e) => a + e.credit, 0);
      entry.occurrences += evidence.filter((e) => e.contains).length;
      entry.evidence.push(...evidence);
      entry.tables = lowerUnique([...entry.tables, ...scopeTables(pattern, tablesOf.get(pattern) ?? [], group.example_tables)]);
      credits.set(pattern, entry);
    }
  }
  return new Map([...credits.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function cloneHint(h: PolicyHint): PolicyHint {
  return structuredClone(h);
}

function emptyState(): HintStoreState {
  return { step: 0, next_id: 1, hints: [], candidates: [], removed: [] };
}

export class HintStore {
  private state: HintStoreState;

  constructor(state?: HintStoreState) {
    this.state = state ? structuredClone(state) : emptyState();
  }

  /** A store from an exported file (JSON text or parsed object); throws HintStoreImportError on bad input. */
  static fromJson(input: unknown): HintStore {
    return new HintStore(parseHintStoreFile(input));
  }

  /** Steps finished so far. */
  get step(): number {
    return this.state.step;
  }

  /** All hints, in id order (copies: changing them does not change the store). */
  hints(): PolicyHint[] {
    return this.state.hints.map(cloneHint);
  }
  get(id: string): PolicyHint | undefined {
    const h = this.state.hints.find((x) => x.id === id);
    return h && cloneHint(h);
  }
  getByPattern(pattern: string): PolicyHint | undefined {
    const h = this.state.hints.find((x) => x.pattern === pattern);
    return h && cloneHint(h);
  }
  candidates(): PatternCandidate[] {
    return structuredClone(this.state.candidates);
  }
  removed(): RemovedHint[] {
    return structuredClone(this.state.removed);
  }
  get size(): number {
    return this.state.hints.length;
  }

  /** Versioned JSON of the whole store (hints with their history, candidates, removed hints). */
  exportJson(): string {
    return serializeHintStore(this.state);
  }
  /** Replaces the store with an exported file. On bad input throws HintStoreImportError and changes nothing. */
  importJson(input: unknown): void {
    this.state = parseHintStoreFile(input);
  }

  /**
   * One training step over the groups of a batch: credit patterns, update or create hints, decay
   * the rest, prune. Returns what changed; every weight change is also in the hints' histories.
   */
  applyStep(groups: readonly GroupEvidenceInput[], config: HintsConfig): StepUpdate {
    const step = this.state.step + 1;
    const lr = config.learning_rate;
    const result: StepUpdate = { step, created: [], updated: [], decayed: 0, removed: [], candidates: 0 };
    const credited = new Set<PolicyHint>();

    for (const credit of creditPatterns(groups, config).values()) {
      const hint = this.state.hints.find((h) => h.pattern === credit.pattern);
      if (hint) {
        const old = hint.weight;
        const gradient = lr * credit.credit;
        const klPull = hint.pinned ? 0 : -lr * config.kl_coef * old;
        hint.weight = clip(old + gradient + klPull);
        hint.hint_type = typeOf(hint.weight, hint.hint_type);
        hint.evidence_count += credit.occurrences;
        // A hint with no tables applies everywhere; learning does not narrow it.
        if (hint.tables.length > 0) hint.tables = lowerUnique([...hint.tables, ...credit.tables]);
        hint.updated_step = step;
        this.log(hint, { step, kind: 'learned', old_weight: old, new_weight: hint.weight, gradient, kl_pull: klPull, evidence: credit.evidence.slice(-MAX_EVIDENCE_PER_EVENT) });
        credited.add(hint);
        result.updated.push({ id: hint.id, pattern: hint.pattern, hint_type: hint.hint_type, old_weight: old, new_weight: hint.weight });
        continue;
      }
      const cand = this.candidateFor(credit.pattern, step);
      cand.net_credit += credit.credit;
      cand.occurrences += credit.occurrences;
      cand.tables = lowerUnique([...cand.tables, ...credit.tables]);
      cand.last_step = step;
      cand.evidence = [...cand.evidence, ...credit.evidence].slice(-MAX_EVIDENCE_PER_EVENT);
      const weight = clip(lr * cand.net_credit);
      if (cand.occurrences >= config.min_evidence_to_create && Math.abs(weight) >= config.prune_threshold && weight !== 0) {
        const created = this.createHint(cand.pattern, weight, describePattern(cand.pattern), cand.tables, false, step);
        created.evidence_count = cand.occurrences;
        this.log(created, { step, kind: 'created', old_weight: 0, new_weight: weight, evidence: cand.evidence });
        this.state.candidates = this.state.candidates.filter((c) => c !== cand);
        credited.add(created);
        result.created.push({ id: created.id, pattern: created.pattern, hint_type: created.hint_type, old_weight: 0, new_weight: weight });
      }
    }

    if (config.decay > 0) {
      for (const hint of this.state.hints) {
        if (hint.pinned || credited.has(hint) || hint.weight === 0) continue;
        const old = hint.weight;
        hint.weight = old * (1 - config.decay);
        this.logDecay(hint, step, old);
        result.decayed++;
      }
    }
    for (const cand of this.state.candidates) if (cand.last_step !== step) cand.net_credit *= 1 - config.decay;
    this.state.candidates = this.state.candidates.filter((c) => step - c.last_step < config.candidate_ttl_steps);
    // Bound the tally: keep the candidates with the most credit (recent first on ties).
    const maxCandidates = 4 * config.max_hints;
    if (this.state.candidates.length > maxCandidates) {
      this.state.candidates = [...this.state.candidates]
        .sort((a, b) => Math.abs(b.net_credit) - Math.abs(a.net_credit) || b.last_step - a.last_step)
        .slice(0, maxCandidates);
    }

    for (const hint of [...this.state.hints]) {
      if (!hint.pinned && Math.abs(hint.weight) < config.prune_threshold) result.removed.push(this.remove(hint, 'weak', step));
    }
    const excess = this.state.hints.length - config.max_hints;
    if (excess > 0) {
      const weakest = this.state.hints
        .filter((h) => !h.pinned)
        .sort((a, b) => Math.abs(a.weight) - Math.abs(b.weight) || a.updated_step - b.updated_step || idNumber(a.id) - idNumber(b.id))
        .slice(0, excess);
      for (const hint of weakest) result.removed.push(this.remove(hint, 'capacity', step));
    }

    this.state.step = step;
    result.candidates = this.state.candidates.length;
    return result;
  }

  /** Adds a hand-written hint. Throws HintStoreError on a bad pattern, weight, or a pattern that already has a hint. */
  addHint(input: NewHintInput): PolicyHint {
    const pattern = input.pattern;
    if (!parsePatternKey(pattern)) throw new HintStoreError(`not a pattern key: ${JSON.stringify(pattern)}`);
    if (this.state.hints.some((h) => h.pattern === pattern)) throw new HintStoreError(`pattern ${JSON.stringify(pattern)} already has a hint`);
    checkWeight(input.weight, false);
    const description = input.description ?? describePattern(pattern);
    checkDescription(description);
    const tables = input.tables !== undefined ? checkTables(input.tables) : patternTables(pattern);
    const hint = this.createHint(pattern, input.weight, description, tables, input.pinned ?? false, this.state.step);
    this.log(hint, { step: this.state.step, kind: 'created', old_weight: 0, new_weight: hint.weight, note: 'added by hand' });
    this.state.candidates = this.state.candidates.filter((c) => c.pattern !== pattern);
    return cloneHint(hint);
  }

  /** Edits a hint's description, weight, type or tables; the change is logged. */
  editHint(id: string, edit: HintEdit): PolicyHint {
    const hint = this.mustGet(id);
    const notes: string[] = [];
    let weight = hint.weight;
    if (edit.weight !== undefined) {
      checkWeight(edit.weight, hint.pinned);
      weight = edit.weight;
    }
    if (edit.hint_type !== undefined) {
      if (edit.hint_type !== 'prefer' && edit.hint_type !== 'avoid') throw new HintStoreError(`hint_type must be "prefer" or "avoid", got ${JSON.stringify(edit.hint_type)}`);
      if (edit.weight !== undefined && edit.weight !== 0 && typeOf(edit.weight, edit.hint_type) !== edit.hint_type) {
        throw new HintStoreError(`hint_type ${edit.hint_type} contradicts weight ${edit.weight} (prefer is positive, avoid negative)`);
      }
      weight = edit.hint_type === 'prefer' ? Math.abs(weight) : -Math.abs(weight);
    }
    if (edit.description !== undefined) checkDescription(edit.description);
    const tables = edit.tables !== undefined ? checkTables(edit.tables) : undefined;

    const old = hint.weight;
    if (weight !== old) notes.push(`weight ${fmt(old)} -> ${fmt(weight)}`);
    else if (edit.hint_type !== undefined && edit.hint_type !== hint.hint_type) notes.push(`type ${hint.hint_type} -> ${edit.hint_type}`);
    if (edit.description !== undefined && edit.description !== hint.description) {
      notes.push(`description ${JSON.stringify(hint.description)} -> ${JSON.stringify(edit.description)}`);
      hint.description = edit.description;
    }
    if (tables !== undefined && tables.join(',') !== hint.tables.join(',')) {
      notes.push(`tables [${hint.tables.join(', ')}] -> [${tables.join(', ')}]`);
      hint.tables = tables;
    }
    if (notes.length === 0) return cloneHint(hint);
    hint.weight = weight;
    hint.hint_type = edit.hint_type ?? typeOf(weight, hint.hint_type);
    if (weight !== old) hint.updated_step = this.state.step;
    this.log(hint, { step: this.state.step, kind: 'edited', old_weight: old, new_weight: weight, note: notes.join('; ') });
    return cloneHint(hint);
  }

  pin(id: string): PolicyHint {
    return this.setPinned(id, true);
  }
  unpin(id: string): PolicyHint {
    return this.setPinned(id, false);
  }

  /** Removes a hint; it stays in removed() with reason 'deleted'. */
  deleteHint(id: string): void {
    this.remove(this.mustGet(id), 'deleted', this.state.step);
  }

  private setPinned(id: string, pinned: boolean): PolicyHint {
    const hint = this.mustGet(id);
    if (hint.pinned !== pinned) {
      hint.pinned = pinned;
      this.log(hint, { step: this.state.step, kind: pinned ? 'pinned' : 'unpinned', old_weight: hint.weight, new_weight: hint.weight });
    }
    return cloneHint(hint);
  }

  private mustGet(id: string): PolicyHint {
    const hint = this.state.hints.find((h) => h.id === id);
    if (!hint) throw new HintStoreError(`no hint with id ${JSON.stringify(id)}`);
    return hint;
  }

  private candidateFor(pattern: string, step: number): PatternCandidate {
    let cand = this.state.candidates.find((c) => c.pattern === pattern);
    if (!cand) {
      cand = { pattern, net_credit: 0, occurrences: 0, tables: [], first_step: step, last_step: step, evidence: [] };
      this.state.candidates.push(cand);
    }
    return cand;
  }

  private createHint(pattern: string, weight: number, description: string, tables: readonly string[], pinned: boolean, step: number): PolicyHint {
    const hint: PolicyHint = {
      id: `h${this.state.next_id++}`,
      hint_type: weight >= 0 ? 'prefer' : 'avoid',
      pattern,
      description,
      weight,
      tables: lowerUnique(tables),
      evidence_count: 0,
      pinned,
      created_step: step,
      updated_step: step,
      history: [],
      history_dropped: 0,
    };
    this.state.hints.push(hint);
    return hint;
  }

  private remove(hint: PolicyHint, reason: RemovalReason, step: number) {
    this.state.hints = this.state.hints.filter((h) => h !== hint);
    this.state.removed.push({ step, reason, hint });
    if (this.state.removed.length > MAX_REMOVED) this.state.removed.splice(0, this.state.removed.length - MAX_REMOVED);
    return { id: hint.id, pattern: hint.pattern, weight: hint.weight, reason };
  }

  private log(hint: PolicyHint, event: HintEvent) {
    hint.history.push(event);
    if (hint.history.length > MAX_HISTORY) {
      // Keep the creating entry; drop the oldest after it.
      hint.history.splice(1, hint.history.length - MAX_HISTORY);
      hint.history_dropped++;
    }
  }

  /** Consecutive decay steps merge into one entry, so a quiet hint's log does not grow every step. */
  private logDecay(hint: PolicyHint, step: number, old: number) {
    const last = hint.history[hint.history.length - 1];
    if (last?.kind === 'decayed' && last.step === step - 1) {
      last.step = step;
      last.new_weight = hint.weight;
      return;
    }
    this.log(hint, { step, from_step: step, kind: 'decayed', old_weight: old, new_weight: hint.weight });
  }
}

function idNumber(id: string): number {
  return Number(id.slice(1));
}

function fmt(w: number): string {
  return (w >= 0 ? '+' : '') + w.toFixed(3);
}

function checkWeight(w: unknown, allowZero: boolean): asserts w is number {
  if (typeof w !== 'number' || !Number.isFinite(w) || w < -1 || w > 1) throw new HintStoreError(`weight must be a number in [-1, 1], got ${JSON.stringify(w)}`);
  if (w === 0 && !allowZero) throw new HintStoreError('weight must not be 0 (its sign says prefer or avoid); pin a hint to keep it at 0');
}

function checkDescription(d: unknown): asserts d is string {
  if (typeof d !== 'string' || d.trim() === '') throw new HintStoreError('description must be a non-empty string');
  if (d.length > 300 || /[\r\n]/.test(d)) throw new HintStoreError('description must be one line of at most 300 characters (it is injected into prompts)');
}

function checkTables(tables: unknown): string[] {
  if (!Array.isArray(tables) || tables.some((t) => typeof t !== 'string' || t.trim() === '')) {
    throw new HintStoreError('tables must be an array of non-empty table names');
  }
  return lowerUnique(tables as string[]);
}
