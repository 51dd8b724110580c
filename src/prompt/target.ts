/**
 * What a supervised warm-up teaches the model to write for a gold query: document 000's format,
 * with a one-line working out that names the tables the query reads (a small plan the model can
 * learn to make before it writes the SQL), then the query between the solution tags.
 */
import { isNameToken, nameOf, tokenize } from '../sql/lexer';
import { parseSchema } from '../sql/schema';
import { REASONING_END, REASONING_START, SOLUTION_END, SOLUTION_START } from './format';

/** Tables of `context` that `sql` names, in order of first mention (empty when either does not parse). */
export function tablesUsed(sql: string, context: string): string[] {
  try {
    const tables = new Map(parseSchema(context).tables.map((t) => [t.name.toLowerCase(), t.name]));
    const out: string[] = [];
    for (const t of tokenize(sql)) {
      if (!isNameToken(t)) continue;
      const name = tables.get(nameOf(t).toLowerCase());
      if (name && !out.includes(name)) out.push(name);
    }
    return out;
  } catch {
    return [];
  }
}

export function workingOut(sql: string, context: string): string {
  const tables = tablesUsed(sql, context);
  if (tables.length === 0) return 'Write one query.';
  return tables.length === 1 ? `Use table ${tables[0]}.` : `Use tables ${tables.join(', ')}.`;
}

/** The completion text for a gold query (without the end-of-turn token, which the trainer appends). */
export function completionTarget(example: { context: string; answer: string }): string {
  const sql = example.answer.trim().replace(/;\s*$/, '');
  return `${REASONING_START}${workingOut(sql, example.context)}${REASONING_END}${SOLUTION_START}${sql}${SOLUTION_END}`;
}
