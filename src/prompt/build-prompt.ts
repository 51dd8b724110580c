/**
 * Builds the chat messages for one example, within a prompt-length budget.
 *
 * Output: [{role:'system'}, {role:'user'}]; Gemma-3's chat template (applied by the tokenizer
 * module) folds the system message into the first user turn.
 *
 * Budget: tokens(system) + tokens(user) + templateOverheadTokens <= maxPromptTokens, with tokens
 * counted by the caller's countTokens. When over budget, these steps are applied in order, each
 * only if still needed, and every step taken is reported:
 *  1. 'compact-whitespace': runs of whitespace in the schema and question become one space
 *     (string literals in the schema are untouched). Loses nothing.
 *  2. 'drop-hint': the optional hint text is removed.
 *  3. 'drop-table': tables the gold query provably does not need are removed, largest first. A
 *     table is provably unneeded only if its name never appears as a word or quoted name in the
 *     gold query (so the gold query still runs on the tables that remain). Without a gold query
 *     no table is ever dropped. Tables that stay are never shortened: no column is ever cut.
 * If the prompt is still too long, the result is { ok: false, reason: 'too-long' }: the caller
 * counts and skips the example. The system prompt and the question are never cut.
 */
import { isNameToken, nameOf, tokenize, type Token } from '../sql/lexer';
import { parseSchema, SchemaError, type TableDef } from '../sql/schema';
import { SYSTEM_PROMPT } from './format';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface PromptExample {
  question: string;
  /** CREATE TABLE statements. */
  context: string;
  /** The gold SQL; needed only to prove that a table can be dropped. */
  answer?: string;
}

export interface PromptOptions {
  countTokens: (text: string) => number;
  /** Budget for the whole prompt (document 000 trains with max_prompt_length = 256). */
  maxPromptTokens: number;
  /** Tokens the chat template adds around the messages (Gemma-3: <bos>, turn markers). Default 16. */
  templateOverheadTokens?: number;
  /** Optional extra guidance appended to the user message; the first thing dropped. */
  hint?: string;
  systemPrompt?: string;
}

export type TruncationStep =
  | { kind: 'compact-whitespace'; tokensSaved: number }
  | { kind: 'drop-hint'; tokensSaved: number }
  | { kind: 'drop-table'; table: string; tokensSaved: number };

export type PromptResult =
  | { ok: true; messages: ChatMessage[]; tokens: number; steps: TruncationStep[]; droppedTables: string[] }
  | { ok: false; reason: 'too-long'; message: string; tokens: number; budget: number; steps: TruncationStep[] }
  | { ok: false; reason: 'bad-schema'; message: string; steps: TruncationStep[] };

/** Collapses whitespace runs outside string literals (and drops comments). */
export function compactSql(sql: string): string {
  let tokens: Token[];
  try {
    tokens = tokenize(sql);
  } catch {
    return sql.replace(/\s+/g, ' ').trim();
  }
  let out = '';
  for (const t of tokens) {
    if (t.kind === 'space' || t.kind === 'comment') {
      if (!out.endsWith(' ')) out += ' ';
    } else out += t.text;
  }
  return out.trim();
}

function userMessage(schemaText: string, question: string, hint: string | undefined): string {
  const parts = [`Database schema:\n${schemaText}`, `Question: ${question}`];
  if (hint !== undefined && hint.trim() !== '') parts.push(`Hint: ${hint.trim()}`);
  return parts.join('\n\n');
}

/** Names that the gold query mentions (lower-cased); undefined if it does not tokenize. */
function namesIn(sql: string): Set<string> | undefined {
  try {
    return new Set(tokenize(sql).filter(isNameToken).map((t) => nameOf(t).toLowerCase()));
  } catch {
    return undefined;
  }
}

export function buildPrompt(example: PromptExample, options: PromptOptions): PromptResult {
  const system = options.systemPrompt ?? SYSTEM_PROMPT;
  const overhead = options.templateOverheadTokens ?? 16;
  const budget = options.maxPromptTokens;
  const steps: TruncationStep[] = [];
  let tables: TableDef[];
  try {
    tables = parseSchema(example.context).tables;
  } catch (e) {
    if (e instanceof SchemaError) return { ok: false, reason: 'bad-schema', message: e.message, steps };
    throw e;
  }
  let question = example.question.trim();
  let hint = options.hint;
  let compact = false;
  const schemaText = (ts: readonly TableDef[]) => ts.map((t) => `${compact ? compactSql(t.source) : t.source};`).join('\n');
  const measure = () => {
    const user = userMessage(schemaText(tables), question, hint);
    return { user, tokens: options.countTokens(system) + options.countTokens(user) + overhead };
  };

  let cur = measure();
  if (cur.tokens > budget) {
    compact = true;
    question = question.replace(/\s+/g, ' ');
    const next = measure();
    if (next.tokens < cur.tokens) steps.push({ kind: 'compact-whitespace', tokensSaved: cur.tokens - next.tokens });
    cur = next;
  }
  if (cur.tokens > budget && hint !== undefined && hint.trim() !== '') {
    hint = undefined;
    const next = measure();
    steps.push({ kind: 'drop-hint', tokensSaved: cur.tokens - next.tokens });
    cur = next;
  }
  const dropped: string[] = [];
  if (cur.tokens > budget && example.answer !== undefined) {
    const used = namesIn(example.answer);
    if (used) {
      const droppable = tables
        .filter((t) => !used.has(t.name.toLowerCase()))
        .map((t) => ({ t, size: options.countTokens(t.source) }))
        .sort((a, b) => b.size - a.size);
      for (const { t } of droppable) {
        if (cur.tokens <= budget) break;
        tables = tables.filter((x) => x !== t);
        const next = measure();
        steps.push({ kind: 'drop-table', table: t.name, tokensSaved: cur.tokens - next.tokens });
        dropped.push(t.name);
        cur = next;
      }
    }
  }
  if (cur.tokens > budget) {
    return {
      ok: false,
      reason: 'too-long',
      message: `prompt needs ${cur.tokens} tokens after ${steps.length} truncation step(s), budget is ${budget}; the schema is never cut, so this example is skipped`,
      tokens: cur.tokens,
      budget,
      steps,
    };
  }
  return {
    ok: true,
    messages: [
      { role: 'system', content: system },
      { role: 'user', content: cur.user },
    ],
    tokens: cur.tokens,
    steps,
    droppedTables: dropped,
  };
}
