/**
 * Builds the chat messages for one question, within a prompt-length budget, from the question and
 * its schema alone: the gold answer is never an input (PromptInput cannot carry one), so training,
 * held-out evaluation and a user's own question get the same prompt for the same question.
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
 *  3. 'prune-table': the schema is pruned by linking the question to it (prune-schema.ts): tables
 *     the question names (by table or column names, after normalising case, plurals, underscores
 *     and camelCase) are kept; tables joining them (declared or inferred foreign keys) are kept
 *     when they fit; the rest go first. Each dropped table is reported with its role and link
 *     score. Tables that stay are never shortened: no column is ever cut.
 * A prompt that still cannot fit is refused with a reason the caller counts: 'budget-too-small'
 * (the system prompt and question alone exceed the budget), 'no-schema-link' (over budget, and the
 * question names nothing of the schema to prune by), 'too-long' (the linked tables alone do not
 * fit). 'bad-schema' when the context does not parse. The system prompt and question are never cut.
 */
import { tokenize, type Token } from '../sql/lexer';
import { parseSchema, SchemaError, type TableDef } from '../sql/schema';
import { SYSTEM_PROMPT } from './format';
import { KEPT_ROLES, rankTables, type TableRole } from './prune-schema';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** What a prompt is built from: the question and its schema, never the gold answer. */
export interface PromptInput {
  question: string;
  /** CREATE TABLE statements. */
  context: string;
  /** Absent by construction: a row with its gold SQL must go through promptInputOf first. */
  answer?: never;
}

/** The prompt input of a dataset row: its question and schema, the answer left behind. */
export function promptInputOf(row: { question: string; context: string }): PromptInput {
  return { question: row.question, context: row.context };
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
  /** A table left out of the schema: its role for the question, link score, and what linked it. */
  | { kind: 'prune-table'; table: string; role: TableRole; score: number; why: string[]; tokensSaved: number };

/** Why a prompt cannot be built (see the module comment). */
export type PromptRefusal = 'bad-schema' | 'budget-too-small' | 'no-schema-link' | 'too-long';

export type PromptResult =
  | {
      ok: true;
      messages: ChatMessage[];
      tokens: number;
      steps: TruncationStep[];
      /** Tables pruned from the schema, in the order they were dropped. */
      droppedTables: string[];
      /** Tables in the prompt, in schema order. */
      tables: string[];
    }
  | { ok: false; reason: Exclude<PromptRefusal, 'bad-schema'>; message: string; tokens: number; budget: number; steps: TruncationStep[] }
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


export function buildPrompt(input: PromptInput, options: PromptOptions): PromptResult {
  // Only these two fields are ever read: whatever else the object carries cannot reach the prompt.
  const { question: rawQuestion, context } = input;
  const system = options.systemPrompt ?? SYSTEM_PROMPT;
  const overhead = options.templateOverheadTokens ?? 16;
  const budget = options.maxPromptTokens;
  const steps: TruncationStep[] = [];
  let allTables: TableDef[];
  try {
    allTables = parseSchema(context).tables;
  } catch (e) {
    if (e instanceof SchemaError) return { ok: false, reason: 'bad-schema', message: e.message, steps };
    throw e;
  }
  let question = rawQuestion.trim();
  let hint = options.hint;
  let compact = false;
  const systemTokens = options.countTokens(system);
  const tableText = (t: TableDef) => `${compact ? compactSql(t.source) : t.source};`;
  const measure = (ts: readonly TableDef[]) => {
    const user = userMessage(ts.map(tableText).join('\n'), question, hint);
    return { user, tokens: systemTokens + options.countTokens(user) + overhead };
  };
  const refuse = (reason: Exclude<PromptRefusal, 'bad-schema'>, tokens: number, message: string): PromptResult => ({ ok: false, reason, message, tokens, budget, steps });

  let tables = allTables;
  let cur = measure(tables);
  if (cur.tokens > budget) {
    compact = true;
    question = question.replace(/\s+/g, ' ');
    const next = measure(tables);
    if (next.tokens < cur.tokens) steps.push({ kind: 'compact-whitespace', tokensSaved: cur.tokens - next.tokens });
    cur = next;
  }
  if (cur.tokens > budget && hint !== undefined && hint.trim() !== '') {
    hint = undefined;
    const next = measure(tables);
    steps.push({ kind: 'drop-hint', tokensSaved: cur.tokens - next.tokens });
    cur = next;
  }
  const dropped: string[] = [];
  if (cur.tokens > budget) {
    const floor = measure([]).tokens;
    if (floor > budget) {
      return refuse('budget-too-small', floor, `the system prompt and question alone take ${floor} tokens, over the budget of ${budget}: no schema can fit (raise max_prompt_length)`);
    }
    if (allTables.length === 1) {
      return refuse('too-long', cur.tokens, `prompt needs ${cur.tokens} tokens, budget is ${budget}, and its schema is one table (${allTables[0]!.name}): nothing to prune, and a table is never cut`);
    }
    const ranked = rankTables(question, allTables, (t) => options.countTokens(tableText(t)));
    const linked = ranked.filter((r) => r.role === 'linked');
    const core = ranked.filter((r) => KEPT_ROLES.has(r.role));
    if (linked.length === 0) {
      return refuse('no-schema-link', cur.tokens, `prompt needs ${cur.tokens} tokens, budget is ${budget}, and the question names no table or column of the schema to decide which tables to keep`);
    }
    // Drop from the least needed up, never a linked table; then put back what fits, most needed first.
    const kept = new Set(allTables);
    const droppedInOrder: typeof ranked = [];
    for (let i = ranked.length - 1; i >= 0 && cur.tokens > budget; i--) {
      const r = ranked[i]!;
      if (KEPT_ROLES.has(r.role)) break;
      kept.delete(r.table);
      droppedInOrder.push(r);
      cur = measure(allTables.filter((t) => kept.has(t)));
    }
    if (cur.tokens > budget) {
      const names = core.map((r) => r.table.name).join(', ');
      return refuse('too-long', cur.tokens, `prompt needs ${cur.tokens} tokens with only the tables the question links to and the join tables between them (${names}), budget is ${budget}; those are never dropped and no table is cut`);
    }
    for (const r of [...droppedInOrder].reverse()) {
      kept.add(r.table);
      const next = measure(allTables.filter((t) => kept.has(t)));
      if (next.tokens <= budget) cur = next;
      else kept.delete(r.table);
    }
    tables = allTables.filter((t) => kept.has(t));
    for (const r of droppedInOrder) {
      if (kept.has(r.table)) continue;
      const withIt = measure(allTables.filter((t) => kept.has(t) || t === r.table)).tokens;
      steps.push({ kind: 'prune-table', table: r.table.name, role: r.role, score: r.score, why: r.why, tokensSaved: withIt - cur.tokens });
      dropped.push(r.table.name);
    }
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
    tables: tables.map((t) => t.name),
  };
}
