/**
 * Turns parsed rows into usable examples. A bad row is counted, kept with its reason, and skipped:
 * missing fields (from parsing), a context that is not CREATE TABLE statements, a gold query that
 * is not one read-only query, (when `checkPrompt` is given) a question no prompt can be built for
 * within the prompt budget, and (when `inspectGold` is given, e.g. SqlEvaluator.inspectGold) a
 * gold query that fails or runs too long on the synthetic databases. Nothing here throws on data.
 */
import { sqlExampleOf, type GoldReport, type SqlExampleInput } from '../sql/example-suite';
import { checkReadOnlyQuery } from '../sql/read-only-guard';
import { parseSchema, SchemaError } from '../sql/schema';
import type { DatasetExample, ProblemKind, RowProblem, SqlRow } from './types';

/** inspectGold for validateRows from an SqlEvaluator (same example view as reward scoring, so its databases are reused). */
export function goldInspector(evaluator: { inspectGold(example: SqlExampleInput): Promise<GoldReport> }): (row: SqlRow) => Promise<GoldReport> {
  return (row) => evaluator.inspectGold(sqlExampleOf(row));
}

/** Whether a row's prompt can be built (the caller builds it from the question and schema only). */
export type PromptCheck = { ok: true; pruned: boolean } | { ok: false; kind: ProblemKind; reason: string };

export interface ValidationOptions {
  /** Id prefix: ids are "<source>#<index>". */
  source: string;
  /** Builds each row's prompt; a row without one is skipped with the check's kind and reason. */
  checkPrompt?: (row: SqlRow) => PromptCheck;
  /** Runs the gold query on synthetic databases; omitted: structural checks only. */
  inspectGold?: (row: SqlRow) => Promise<GoldReport>;
  /** Gold checks in flight at once. Default 4. */
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface ValidationResult {
  examples: DatasetExample[];
  skipped: RowProblem[];
  counts: {
    total: number;
    valid: number;
    skipped: number;
    byKind: Partial<Record<ProblemKind, number>>;
    /** With checkPrompt: prompts built (rows that reached the check), and how many of those had their schema pruned or were refused. */
    prompts?: { checked: number; pruned: number; refused: number };
  };
}

function structuralProblem(row: SqlRow): Omit<RowProblem, 'index'> | undefined {
  try {
    parseSchema(row.context);
  } catch (e) {
    if (e instanceof SchemaError) return { kind: 'bad-schema', reason: e.message };
    throw e;
  }
  const guard = checkReadOnlyQuery(row.answer);
  if (!guard.ok) return { kind: 'gold-rejected', reason: guard.reason };
  return undefined;
}

function goldProblem(report: GoldReport): Omit<RowProblem, 'index'> | undefined {
  if (report.ok) return undefined;
  const kind: ProblemKind = report.kind === 'schema' ? 'bad-schema' : report.kind === 'gold-rejected' ? 'gold-rejected' : report.kind === 'timeout' ? 'gold-timeout' : 'gold-error';
  return { kind, reason: report.message };
}

export async function validateRows(parsed: { rows: readonly (SqlRow | null)[]; problems: readonly RowProblem[] }, options: ValidationOptions): Promise<ValidationResult> {
  const skipped: RowProblem[] = [...parsed.problems];
  const candidates: { index: number; row: SqlRow }[] = [];
  const prompts = { checked: 0, pruned: 0, refused: 0 };
  parsed.rows.forEach((row, index) => {
    if (row === null) return;
    const p = structuralProblem(row);
    if (p) {
      skipped.push({ index, ...p });
      return;
    }
    if (options.checkPrompt) {
      const check = options.checkPrompt(row);
      prompts.checked++;
      if (!check.ok) {
        prompts.refused++;
        skipped.push({ index, kind: check.kind, reason: check.reason });
        return;
      }
      if (check.pruned) prompts.pruned++;
    }
    candidates.push({ index, row });
  });
  const ok = new Set<number>(candidates.map((c) => c.index));
  if (options.inspectGold) {
    const inspect = options.inspectGold;
    let next = 0;
    let done = 0;
    const worker = async () => {
      while (next < candidates.length) {
        const c = candidates[next++]!;
        const p = goldProblem(await inspect(c.row));
        if (p) {
          skipped.push({ index: c.index, ...p });
          ok.delete(c.index);
        }
        options.onProgress?.(++done, candidates.length);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker));
  }
  const examples = candidates.filter((c) => ok.has(c.index)).map((c) => ({ id: `${options.source}#${c.index}`, ...c.row }));
  skipped.sort((a, b) => a.index - b.index);
  const byKind: Partial<Record<ProblemKind, number>> = {};
  for (const s of skipped) byKind[s.kind] = (byKind[s.kind] ?? 0) + 1;
  return { examples, skipped, counts: { total: parsed.rows.length, valid: examples.length, skipped: skipped.length, byKind, ...(options.checkPrompt ? { prompts } : {}) } };
}
