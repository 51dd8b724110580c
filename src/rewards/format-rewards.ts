/** Document 000's two format rewards. */
import { FORMAT_TAGS, REASONING_END, REASONING_START, SOLUTION_END, SOLUTION_START } from '../prompt/format';
import type { RewardFunction } from './types';

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The full structure: optional leading whitespace, reasoning (non-empty) between its tags, anything,
 * then a non-empty solution between its tags, then only whitespace to the end.
 */
export const FULL_FORMAT = new RegExp(
  `^\\s*${esc(REASONING_START)}[\\s\\S]+?${esc(REASONING_END)}[\\s\\S]*?${esc(SOLUTION_START)}([\\s\\S]+?)${esc(SOLUTION_END)}\\s*$`,
);

function count(haystack: string, needle: string): number {
  let n = 0;
  for (let i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + needle.length)) n++;
  return n;
}

/** +3.0 when the completion follows the full structure exactly, else 0. */
export const matchFormatExactly: RewardFunction = {
  name: 'match_format_exactly',
  description: 'Full structure: <start_working_out>…<end_working_out> then <SOLUTION>…</SOLUTION> and nothing after (+3.0)',
  range: [0, 3],
  needsExecution: false,
  score({ completion }) {
    const matched = FULL_FORMAT.test(completion);
    return { score: matched ? 3 : 0, details: { matched } };
  },
};

/** +0.5 for each of the four tags present exactly once, −0.5 for each missing or repeated one. */
export const matchFormatApproximately: RewardFunction = {
  name: 'match_format_approximately',
  description: '+0.5 per required tag present exactly once, −0.5 per tag missing or repeated',
  range: [-2, 2],
  needsExecution: false,
  score({ completion }) {
    const counts = FORMAT_TAGS.map((t) => count(completion, t));
    const score = counts.reduce((s, n) => s + (n === 1 ? 0.5 : -0.5), 0);
    return { score, details: { tags: [...FORMAT_TAGS], counts } };
  },
};
