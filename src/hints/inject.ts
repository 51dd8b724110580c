/**
 * Renders the hints that bear on an example into prompt text, within a token budget. This is how
 * the policy layer acts: document 003's "updated PolicyHints are injected into future SQL
 * generation prompts". Strongest hints first, so a tight budget keeps the ones that matter most.
 */
import { parseSchema } from '../sql/schema';
import type { HintType, PolicyHint } from './types';

export const DEFAULT_HINTS_HEADER = 'Guidance learned from earlier attempts (follow it when it fits the question):';

export interface InjectionOptions {
  /** The example's tables, from its CREATE TABLE context (see tablesOfContext). */
  tables: readonly string[];
  /** Tokens of a text, with the model's tokenizer. */
  countTokens: (text: string) => number;
  /** Most tokens the rendered block may take (config.prompt_token_budget). */
  budgetTokens: number;
  header?: string;
}

export interface InjectedHint {
  id: string;
  pattern: string;
  hint_type: HintType;
  weight: number;
  line: string;
}

export type SkipReason = 'not-relevant' | 'zero-weight' | 'over-budget';

export interface SkippedHint {
  id: string;
  pattern: string;
  reason: SkipReason;
}

export interface HintInjection {
  /** The block to add to the system prompt; '' when no hint fits or applies. */
  text: string;
  /** countTokens(text). */
  tokens: number;
  included: InjectedHint[];
  skipped: SkippedHint[];
}

/** Lower-cased table names of a CREATE TABLE context; [] when it does not parse. */
export function tablesOfContext(context: string): string[] {
  try {
    return parseSchema(context).tables.map((t) => t.name.toLowerCase());
  } catch {
    return [];
  }
}

/** A hint applies to an example when it has no tables (global) or shares one with the example. */
export function isHintRelevant(hint: Pick<PolicyHint, 'tables'>, exampleTables: readonly string[]): boolean {
  if (hint.tables.length === 0) return true;
  const example = new Set(exampleTables.map((t) => t.toLowerCase()));
  return hint.tables.some((t) => example.has(t.toLowerCase()));
}

const idNumber = (id: string) => Number(id.slice(1)) || 0;

/** Injection order: |weight| descending; ties: pinned first, more evidence first, older first. Stable. */
export function orderForInjection<T extends Pick<PolicyHint, 'id' | 'weight' | 'pinned' | 'evidence_count'>>(hints: readonly T[]): T[] {
  return [...hints].sort(
    (a, b) =>
      Math.abs(b.weight) - Math.abs(a.weight) ||
      Number(b.pinned) - Number(a.pinned) ||
      b.evidence_count - a.evidence_count ||
      idNumber(a.id) - idNumber(b.id),
  );
}

export function hintLine(hint: Pick<PolicyHint, 'weight' | 'hint_type' | 'description'>): string {
  return `- ${hint.hint_type === 'prefer' ? 'Prefer' : 'Avoid'}: ${hint.description}`;
}

/**
 * The block for one example. Hints are taken in injection order; one whose line would push the
 * block past the budget is skipped and the next (shorter) ones still get their chance. The header
 * only appears with at least one hint. Tokens are counted on the whole block, not summed per line,
 * because a tokenizer's count of joined text is not the sum of its parts.
 */
export function renderHints(hints: readonly PolicyHint[], options: InjectionOptions): HintInjection {
  const header = options.header ?? DEFAULT_HINTS_HEADER;
  const included: InjectedHint[] = [];
  const skipped: SkippedHint[] = [];
  let text = '';
  let tokens = 0;
  for (const hint of orderForInjection(hints)) {
    if (!isHintRelevant(hint, options.tables)) {
      skipped.push({ id: hint.id, pattern: hint.pattern, reason: 'not-relevant' });
      continue;
    }
    if (hint.weight === 0) {
      skipped.push({ id: hint.id, pattern: hint.pattern, reason: 'zero-weight' });
      continue;
    }
    const line = hintLine(hint);
    const candidate = text === '' ? `${header}\n${line}` : `${text}\n${line}`;
    const cost = options.countTokens(candidate);
    if (cost > options.budgetTokens) {
      skipped.push({ id: hint.id, pattern: hint.pattern, reason: 'over-budget' });
      continue;
    }
    text = candidate;
    tokens = cost;
    included.push({ id: hint.id, pattern: hint.pattern, hint_type: hint.hint_type, weight: hint.weight, line });
  }
  return { text, tokens, included, skipped };
}

/** The system prompt with the block appended after a blank line (unchanged when the block is empty). */
export function withHints(systemPrompt: string, injection: Pick<HintInjection, 'text'>): string {
  return injection.text === '' ? systemPrompt : `${systemPrompt}\n\n${injection.text}`;
}
