/**
 * The SQL inside a model completion. The prompt side (src/prompt) decides the answer format; until
 * it exports its own reader, this accepts the forms completions come in: document 000's
 * <SOLUTION>...</SOLUTION> tags, a ```sql fenced block, or prose followed by a query.
 */

const SOLUTION = /<SOLUTION>([\s\S]*?)(?:<\/SOLUTION>|$)/i;
const FENCE = /```[ \t]*(?:sql|sqlite)?[ \t]*\r?\n?([\s\S]*?)(?:```|$)/i;
const QUERY_START = /\b(?:SELECT|WITH)\b/i;

/** Best-effort SQL of a completion's text; '' when there is none. Never throws. */
export function sqlFromCompletionText(text: unknown): string {
  if (typeof text !== 'string') return '';
  const solution = SOLUTION.exec(text);
  if (solution) return solution[1]!.trim();
  const fence = FENCE.exec(text);
  if (fence) return fence[1]!.trim();
  const start = text.search(QUERY_START);
  return start >= 0 ? text.slice(start).trim() : '';
}
