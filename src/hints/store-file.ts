/**
 * The hint store's JSON file: versioned, and validated on import field by field, so a hand-edited
 * or foreign file is rejected with the path of every problem rather than half-loaded.
 */
import { isPatternKey } from './pattern-keys';
import type { HintEvent, HintEventKind, HintEvidence, HintStoreState, PatternCandidate, PolicyHint, RemovedHint } from './types';

export const HINT_STORE_FORMAT = 'webgrpo.policy-hints';
export const HINT_STORE_VERSION = 1;

export interface HintStoreFile extends HintStoreState {
  format: typeof HINT_STORE_FORMAT;
  version: number;
}

export class HintStoreImportError extends Error {
  constructor(readonly problems: string[]) {
    super(`cannot import hints: ${problems.slice(0, 10).join('; ')}${problems.length > 10 ? `; and ${problems.length - 10} more` : ''}`);
    this.name = 'HintStoreImportError';
  }
}

/** An event with its keys in one fixed order, so export -> import -> export gives the same text. */
function canonicalEvent(e: HintEvent): HintEvent {
  const out: HintEvent = { step: e.step, kind: e.kind, old_weight: e.old_weight, new_weight: e.new_weight };
  if (e.from_step !== undefined) out.from_step = e.from_step;
  if (e.gradient !== undefined) out.gradient = e.gradient;
  if (e.kl_pull !== undefined) out.kl_pull = e.kl_pull;
  if (e.evidence !== undefined) out.evidence = e.evidence;
  if (e.note !== undefined) out.note = e.note;
  return out;
}

function canonicalHint(h: PolicyHint): PolicyHint {
  return { ...h, history: h.history.map(canonicalEvent) };
}

export function serializeHintStore(state: HintStoreState): string {
  const file: HintStoreFile = {
    format: HINT_STORE_FORMAT,
    version: HINT_STORE_VERSION,
    step: state.step,
    next_id: state.next_id,
    hints: state.hints.map(canonicalHint),
    candidates: state.candidates,
    removed: state.removed.map((r) => ({ step: r.step, reason: r.reason, hint: canonicalHint(r.hint) })),
  };
  return JSON.stringify(file, null, 2);
}

const EVENT_KINDS: readonly HintEventKind[] = ['created', 'learned', 'decayed', 'edited', 'pinned', 'unpinned'];
const REMOVAL_REASONS = ['weak', 'capacity', 'deleted'];

/** Collects problems with their paths instead of stopping at the first. */
class Checker {
  readonly problems: string[] = [];

  fail(path: string, message: string): undefined {
    this.problems.push(`${path} ${message}`);
    return undefined;
  }
  object(v: unknown, path: string): Record<string, unknown> | undefined {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return this.fail(path, `must be an object, got ${describe(v)}`);
    return v as Record<string, unknown>;
  }
  array(v: unknown, path: string): unknown[] | undefined {
    if (!Array.isArray(v)) return this.fail(path, `must be an array, got ${describe(v)}`);
    return v;
  }
  int(v: unknown, path: string, min = 0): number | undefined {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) return this.fail(path, `must be an integer >= ${min}, got ${describe(v)}`);
    return v;
  }
  num(v: unknown, path: string, min = -Infinity, max = Infinity): number | undefined {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
      return this.fail(path, `must be a number${min > -Infinity ? ` in [${min}, ${max}]` : ''}, got ${describe(v)}`);
    }
    return v;
  }
  str(v: unknown, path: string, nonEmpty = true): string | undefined {
    if (typeof v !== 'string' || (nonEmpty && v.trim() === '')) return this.fail(path, `must be a ${nonEmpty ? 'non-empty ' : ''}string, got ${describe(v)}`);
    return v;
  }
  bool(v: unknown, path: string): boolean | undefined {
    if (typeof v !== 'boolean') return this.fail(path, `must be true or false, got ${describe(v)}`);
    return v;
  }
  tables(v: unknown, path: string): string[] | undefined {
    const arr = this.array(v, path);
    if (!arr) return undefined;
    if (arr.some((t) => typeof t !== 'string' || t === '' || t !== t.toLowerCase())) return this.fail(path, 'must hold non-empty lower-case table names');
    return arr as string[];
  }
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'an array';
  const s = JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 40)}...` : s;
}

function readEvidence(c: Checker, v: unknown, path: string): HintEvidence | undefined {
  const o = c.object(v, path);
  if (!o) return undefined;
  const completion_id = c.str(o.completion_id, `${path}.completion_id`);
  const advantage = c.num(o.advantage, `${path}.advantage`);
  const contains = c.bool(o.contains, `${path}.contains`);
  const credit = c.num(o.credit, `${path}.credit`);
  if (completion_id === undefined || advantage === undefined || contains === undefined || credit === undefined) return undefined;
  return { completion_id, advantage, contains, credit };
}

function readEvidenceList(c: Checker, v: unknown, path: string): HintEvidence[] | undefined {
  const arr = c.array(v, path);
  if (!arr) return undefined;
  const out = arr.map((e, i) => readEvidence(c, e, `${path}[${i}]`));
  return out.every((e) => e !== undefined) ? (out as HintEvidence[]) : undefined;
}

function readEvent(c: Checker, v: unknown, path: string): HintEvent | undefined {
  const o = c.object(v, path);
  if (!o) return undefined;
  const before = c.problems.length;
  const event: HintEvent = {
    step: c.int(o.step, `${path}.step`) ?? 0,
    kind: (EVENT_KINDS as readonly unknown[]).includes(o.kind) ? (o.kind as HintEventKind) : (c.fail(`${path}.kind`, `must be one of ${EVENT_KINDS.join(', ')}, got ${describe(o.kind)}`), 'edited'),
    old_weight: c.num(o.old_weight, `${path}.old_weight`, -1, 1) ?? 0,
    new_weight: c.num(o.new_weight, `${path}.new_weight`, -1, 1) ?? 0,
  };
  if (o.evidence !== undefined) event.evidence = readEvidenceList(c, o.evidence, `${path}.evidence`);
  if (o.gradient !== undefined) event.gradient = c.num(o.gradient, `${path}.gradient`);
  if (o.kl_pull !== undefined) event.kl_pull = c.num(o.kl_pull, `${path}.kl_pull`);
  if (o.from_step !== undefined) event.from_step = c.int(o.from_step, `${path}.from_step`);
  if (o.note !== undefined) event.note = c.str(o.note, `${path}.note`, false);
  return c.problems.length === before ? canonicalEvent(event) : undefined;
}

function readHint(c: Checker, v: unknown, path: string, step: number): PolicyHint | undefined {
  const o = c.object(v, path);
  if (!o) return undefined;
  const before = c.problems.length;
  const id = c.str(o.id, `${path}.id`);
  if (id !== undefined && !/^h[1-9]\d*$/.test(id)) c.fail(`${path}.id`, `must look like "h1", got ${describe(id)}`);
  const pattern = c.str(o.pattern, `${path}.pattern`);
  if (pattern !== undefined && !isPatternKey(pattern)) c.fail(`${path}.pattern`, `is not a known pattern key: ${describe(pattern)}`);
  const weight = c.num(o.weight, `${path}.weight`, -1, 1);
  const hint_type = o.hint_type === 'prefer' || o.hint_type === 'avoid' ? o.hint_type : c.fail(`${path}.hint_type`, `must be "prefer" or "avoid", got ${describe(o.hint_type)}`);
  if (weight !== undefined && hint_type !== undefined && ((weight > 0 && hint_type !== 'prefer') || (weight < 0 && hint_type !== 'avoid'))) {
    c.fail(`${path}.hint_type`, `"${hint_type}" contradicts weight ${weight} (prefer is positive, avoid negative)`);
  }
  const description = c.str(o.description, `${path}.description`);
  if (description !== undefined && (description.length > 300 || /[\r\n]/.test(description))) c.fail(`${path}.description`, 'must be one line of at most 300 characters');
  const tables = c.tables(o.tables, `${path}.tables`);
  const evidence_count = c.int(o.evidence_count, `${path}.evidence_count`);
  const pinned = c.bool(o.pinned, `${path}.pinned`);
  if (weight === 0 && pinned === false) c.fail(`${path}.weight`, 'is 0 on an unpinned hint (it would have been pruned)');
  const created_step = c.int(o.created_step, `${path}.created_step`);
  const updated_step = c.int(o.updated_step, `${path}.updated_step`);
  if (created_step !== undefined && updated_step !== undefined && (created_step > updated_step || updated_step > step)) {
    c.fail(path, `needs created_step <= updated_step <= step (${created_step}, ${updated_step}, ${step})`);
  }
  const historyArr = c.array(o.history, `${path}.history`);
  const history = historyArr?.map((e, i) => readEvent(c, e, `${path}.history[${i}]`));
  const history_dropped = c.int(o.history_dropped, `${path}.history_dropped`);
  if (c.problems.length !== before) return undefined;
  return {
    id: id!, hint_type: hint_type!, pattern: pattern!, description: description!, weight: weight!, tables: tables!, evidence_count: evidence_count!,
    pinned: pinned!, created_step: created_step!, updated_step: updated_step!, history: history as HintEvent[], history_dropped: history_dropped!,
  };
}

function readCandidate(c: Checker, v: unknown, path: string): PatternCandidate | undefined {
  const o = c.object(v, path);
  if (!o) return undefined;
  const before = c.problems.length;
  const pattern = c.str(o.pattern, `${path}.pattern`);
  if (pattern !== undefined && !isPatternKey(pattern)) c.fail(`${path}.pattern`, `is not a known pattern key: ${describe(pattern)}`);
  const cand = {
    pattern: pattern!,
    net_credit: c.num(o.net_credit, `${path}.net_credit`)!,
    occurrences: c.int(o.occurrences, `${path}.occurrences`)!,
    tables: c.tables(o.tables, `${path}.tables`)!,
    first_step: c.int(o.first_step, `${path}.first_step`)!,
    last_step: c.int(o.last_step, `${path}.last_step`)!,
    evidence: readEvidenceList(c, o.evidence, `${path}.evidence`)!,
  };
  return c.problems.length === before ? cand : undefined;
}

/** Validates an exported file (JSON text or parsed value) into store state. Throws HintStoreImportError. */
export function parseHintStoreFile(input: unknown): HintStoreState {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (e) {
      throw new HintStoreImportError([`not JSON: ${e instanceof Error ? e.message : String(e)}`]);
    }
  }
  const c = new Checker();
  const o = c.object(value, 'file');
  if (!o) throw new HintStoreImportError(c.problems);
  if (o.format !== HINT_STORE_FORMAT) throw new HintStoreImportError([`not a hint store file (format is ${describe(o.format)}, expected ${JSON.stringify(HINT_STORE_FORMAT)})`]);
  if (typeof o.version !== 'number' || !Number.isInteger(o.version)) throw new HintStoreImportError([`version must be an integer, got ${describe(o.version)}`]);
  if (o.version > HINT_STORE_VERSION) throw new HintStoreImportError([`file version ${o.version} was written by a newer WebGRPO (this one reads version ${HINT_STORE_VERSION})`]);
  if (o.version < 1) throw new HintStoreImportError([`unknown file version ${o.version}`]);

  const step = c.int(o.step, 'step') ?? 0;
  const next_id = c.int(o.next_id, 'next_id', 1) ?? 1;
  const hints = (c.array(o.hints, 'hints') ?? []).map((h, i) => readHint(c, h, `hints[${i}]`, step));
  const candidates = (c.array(o.candidates, 'candidates') ?? []).map((x, i) => readCandidate(c, x, `candidates[${i}]`));
  const removed = (c.array(o.removed, 'removed') ?? []).map((x, i): RemovedHint | undefined => {
    const r = c.object(x, `removed[${i}]`);
    if (!r) return undefined;
    const before = c.problems.length;
    const rStep = c.int(r.step, `removed[${i}].step`);
    if (!REMOVAL_REASONS.includes(r.reason as string)) c.fail(`removed[${i}].reason`, `must be one of ${REMOVAL_REASONS.join(', ')}, got ${describe(r.reason)}`);
    const hint = readHint(c, r.hint, `removed[${i}].hint`, Math.max(step, rStep ?? 0));
    return c.problems.length === before ? { step: rStep!, reason: r.reason as RemovedHint['reason'], hint: hint! } : undefined;
  });

  const ids = new Set<string>();
  const patterns = new Set<string>();
  hints.forEach((h, i) => {
    if (!h) return;
    if (ids.has(h.id)) c.fail(`hints[${i}].id`, `${JSON.stringify(h.id)} is used twice`);
    if (patterns.has(h.pattern)) c.fail(`hints[${i}].pattern`, `${JSON.stringify(h.pattern)} has two hints`);
    if (Number(h.id.slice(1)) >= next_id) c.fail(`hints[${i}].id`, `${JSON.stringify(h.id)} is not below next_id ${next_id}`);
    ids.add(h.id);
    patterns.add(h.pattern);
  });
  candidates.forEach((x, i) => {
    if (x && patterns.has(x.pattern)) c.fail(`candidates[${i}].pattern`, `${JSON.stringify(x.pattern)} already has a hint`);
  });
  if (c.problems.length > 0) throw new HintStoreImportError(c.problems);
  return { step, next_id, hints: hints as PolicyHint[], candidates: candidates as PatternCandidate[], removed: removed as RemovedHint[] };
}
