/**
 * The data of the hint store, shared by the store, its JSON file format and the UI. Field names
 * follow document 003's PolicyHint (hint_type, weight, tables, pattern) so an exported file reads
 * like the document; everything here is plain JSON data.
 */
import type { HintRecord } from '../common/records';

export type HintType = HintRecord['hint_type'];

/** One completion's part in moving a hint. */
export interface HintEvidence {
  completion_id: string;
  advantage: number;
  /** Whether the completion used the pattern (with centred credit, one that did not can count too). */
  contains: boolean;
  /** advantage * (contains - share of the group containing the pattern); advantage * contains uncentred. */
  credit: number;
}

export type HintEventKind = 'created' | 'learned' | 'decayed' | 'edited' | 'pinned' | 'unpinned';

/** One logged change of a hint, so its weight can be traced back to the completions that set it. */
export interface HintEvent {
  /** Step of the event; for merged decay events, the last step. Edits between steps carry the last finished step. */
  step: number;
  kind: HintEventKind;
  old_weight: number;
  new_weight: number;
  /** created / learned: the completions whose advantages moved the weight (at most 32 kept per event). */
  evidence?: HintEvidence[];
  /** learned: learning_rate * summed credit; new_weight = clip(old_weight + gradient + kl_pull, -1, 1). */
  gradient?: number;
  /** learned: -learning_rate * kl_coef * old_weight, the pull toward the un-hinted policy (0 when pinned). */
  kl_pull?: number;
  /** decayed: consecutive decay steps merged into this entry, from from_step to step. */
  from_step?: number;
  /** edited: what changed, in words. */
  note?: string;
}

/**
 * A learned (or hand-written) guidance for SQL generation.
 *
 * weight is signed, in [-1, 1]: positive means prefer the pattern, negative avoid it, and |weight|
 * is the strength (the injection order). hint_type always equals the sign of weight (a weight of
 * exactly 0 keeps the previous type); it is stored so exports and the UI read plainly, and an
 * import whose hint_type contradicts its weight is rejected.
 */
export interface PolicyHint extends HintRecord {
  created_step: number;
  /** Last step (or edit) that changed the weight other than by decay. */
  updated_step: number;
  history: HintEvent[];
  /** Oldest history entries dropped to keep the log bounded (the first, creating, entry is kept). */
  history_dropped: number;
}

/** A pattern gathering evidence before it becomes a hint (config.min_evidence_to_create). */
export interface PatternCandidate {
  pattern: string;
  /** Summed credit so far (decays like a hint's weight on steps without evidence). */
  net_credit: number;
  /** Qualifying completions that used it so far. */
  occurrences: number;
  tables: string[];
  first_step: number;
  last_step: number;
  /** The most recent evidence (at most 32), carried into the hint's creating event. */
  evidence: HintEvidence[];
}

export type RemovalReason = 'weak' | 'capacity' | 'deleted';

/** A hint that left the store, kept (with its history) for audit. */
export interface RemovedHint {
  step: number;
  reason: RemovalReason;
  hint: PolicyHint;
}

export interface HintStoreState {
  /** Steps finished so far. */
  step: number;
  next_id: number;
  hints: PolicyHint[];
  candidates: PatternCandidate[];
  removed: RemovedHint[];
}
