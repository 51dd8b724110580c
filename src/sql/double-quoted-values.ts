/**
 * The dataset's WikiSQL-derived rows quote values with double quotes: WHERE school = "redwood school".
 * SQLite reads "x" as the column x when one exists and falls back to the string 'x' only otherwise,
 * so the same query means different things depending on the schema (WHERE venue = "away" compares
 * two columns when the table has a column named away). We decide deliberately, for gold and
 * generated SQL alike: a double-quoted token in a value position is a string literal. Value
 * positions are the right operand of a comparison (= == != <> < > <= >=), of IS / LIKE / GLOB /
 * REGEXP / MATCH, the bounds of BETWEEN, the items of an IN (...) list, the operand of THEN / ELSE,
 * and a lone operand between WHEN and THEN (CASE x WHEN "a" THEN ...). A token followed by "." or "(" (a qualified name or a function) is never a
 * value. Every other double-quoted token is left as it is, i.e. to SQLite's usual rule.
 */
import { significant, tokenize, quoteString, type Token } from './lexer';

const COMPARISON_OPS = new Set(['=', '==', '!=', '<>', '<', '>', '<=', '>=']);
const VALUE_AFTER_WORDS = new Set(['IS', 'LIKE', 'GLOB', 'REGEXP', 'MATCH', 'BETWEEN', 'THEN', 'ELSE']);

export interface DoubleQuotedRewrite {
  /** The SQL with value-position double-quoted tokens rewritten as 'single-quoted' strings. */
  sql: string;
  /** The values that were rewritten, in order. */
  rewritten: string[];
}

/** Indices (into `sig`) of double-quoted tokens that sit in a value position. */
export function valuePositionDoubleQuotes(sig: readonly Token[]): Set<number> {
  const out = new Set<number>();
  // One frame per open parenthesis: is it an IN (...) list, and is a BETWEEN waiting for its AND?
  const frames: { inList: boolean; betweenPending: boolean }[] = [{ inList: false, betweenPending: false }];
  // Indices of the AND words that close a BETWEEN (not boolean ANDs).
  const betweenAnds = new Set<number>();
  for (let i = 0; i < sig.length; i++) {
    const t = sig[i]!;
    const prev = sig[i - 1];
    const frame = frames[frames.length - 1]!;
    if (t.text === '(') {
      const inList = prev?.kind === 'word' && prev.value === 'IN' && !(sig[i + 1]?.kind === 'word' && ['SELECT', 'WITH', 'VALUES'].includes(sig[i + 1]!.value));
      frames.push({ inList, betweenPending: false });
      continue;
    }
    if (t.text === ')') {
      if (frames.length > 1) frames.pop();
      continue;
    }
    if (t.kind === 'word' && t.value === 'BETWEEN') frame.betweenPending = true;
    if (t.kind === 'word' && t.value === 'AND' && frame.betweenPending) {
      frame.betweenPending = false;
      betweenAnds.add(i);
    }
    if (t.kind !== 'dquoted') continue;
    const next = sig[i + 1];
    if (next?.text === '.' || next?.text === '(') continue;
    if (prev?.text === '.') continue;
    let isValue = false;
    if (prev?.kind === 'op' && COMPARISON_OPS.has(prev.text)) isValue = true;
    else if (prev?.kind === 'word' && VALUE_AFTER_WORDS.has(prev.value)) isValue = true;
    else if (prev?.kind === 'word' && prev.value === 'NOT' && sig[i - 2]?.kind === 'word' && sig[i - 2]!.value === 'IS') isValue = true;
    else if (betweenAnds.has(i - 1)) isValue = true;
    // CASE x WHEN "a" THEN: a value. CASE WHEN "flag" = 1: the start of a condition, left alone.
    else if (prev?.kind === 'word' && prev.value === 'WHEN' && next?.kind === 'word' && next.value === 'THEN') isValue = true;
    else if (frame.inList && (prev?.text === '(' || prev?.text === ',')) isValue = true;
    if (isValue) out.add(i);
  }
  return out;
}

export function normalizeDoubleQuotedValues(sql: string): DoubleQuotedRewrite {
  const tokens = tokenize(sql);
  const sig = significant(tokens);
  const positions = valuePositionDoubleQuotes(sig);
  if (positions.size === 0) return { sql, rewritten: [] };
  const targets = new Set([...positions].map((i) => sig[i]!));
  const rewritten: string[] = [];
  const text = tokens
    .map((t) => {
      if (!targets.has(t)) return t.text;
      rewritten.push(t.value);
      return quoteString(t.value);
    })
    .join('');
  return { sql: text, rewritten };
}
