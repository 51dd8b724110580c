/**
 * Document 003's four rewards and their weighted combination (20% validity, 30% execution,
 * 35% result quality, 15% format quality). The document gives names, ranges and weights but not
 * the scoring rules; the rules below are ours and are listed in each reward's description.
 */
import { significant, tokenize, type Token } from '../sql/lexer';
import { analyzeQuery } from '../sql/query-analysis';
import { checkReadOnlyQuery } from '../sql/read-only-guard';
import { findColumn, findTable, parseSchema, type Schema } from '../sql/schema';
import { judgedCandidate, type RewardDetails, type RewardFunction, type RewardInput, type RewardResult } from './types';

/** The document's weights, by reward name. */
export const DOC003_WEIGHTS = {
  sql_validity_reward: 0.2,
  execution_reward: 0.3,
  result_quality_reward: 0.35,
  format_quality_reward: 0.15,
} as const;

export interface Doc003Components {
  validity: number;
  execution: number;
  quality: number;
  format: number;
}

/** compute_total_reward: the weighted sum of the four components (weights configurable). */
export function combineDoc003(c: Doc003Components, weights: Record<keyof typeof DOC003_WEIGHTS, number> = DOC003_WEIGHTS): number {
  return (
    weights.sql_validity_reward * c.validity +
    weights.execution_reward * c.execution +
    weights.result_quality_reward * c.quality +
    weights.format_quality_reward * c.format
  );
}

const SQL_VERBS = new Set(['INSERT', 'UPDATE', 'DELETE', 'REPLACE', 'DROP', 'CREATE', 'ALTER', 'ATTACH', 'DETACH', 'PRAGMA', 'VACUUM', 'BEGIN', 'COMMIT', 'ROLLBACK', 'REINDEX', 'ANALYZE', 'SAVEPOINT', 'RELEASE', 'EXPLAIN']);

function firstWord(sql: string): string {
  return /^\s*([A-Za-z]+)/.exec(sql)?.[1]?.toUpperCase() ?? '';
}

export const sqlValidityReward: RewardFunction = {
  name: 'sql_validity_reward',
  description: 'Syntax: +1.0 if SQLite parses it (even with unknown tables), −0.5 valid SQL that is not one read-only query, −1.0 not SQL / syntax error / none',
  range: [-1, 1],
  needsExecution: true,
  score(input): RewardResult {
    const judged = judgedCandidate(input, -1);
    if ('result' in judged) return judged.result;
    const c = judged.candidate;
    if (c.status === 'rejected') {
      const validButForbidden = c.errorKind === 'multiple-statements' || c.errorKind === 'write-statement' || (c.errorKind === 'not-a-query' && SQL_VERBS.has(firstWord(judged.sql)));
      return { score: validButForbidden ? -0.5 : -1, details: { verdict: validButForbidden ? 'valid SQL but not a single read-only query' : 'not SQL', reason: c.error ?? '' } };
    }
    if (c.status === 'error' && c.errorKind === 'syntax') return { score: -1, details: { verdict: 'syntax error', reason: c.error ?? '' } };
    return { score: 1, details: { verdict: 'parses', ...(c.status === 'error' ? { note: c.error ?? '' } : {}) } };
  },
};

export const executionReward: RewardFunction = {
  name: 'execution_reward',
  description: 'Runs on every synthetic database: +1.0 with rows on at least one, +0.5 always empty, −1.0 error / timeout / rejected / no SQL',
  range: [-1, 1],
  needsExecution: true,
  score(input): RewardResult {
    const judged = judgedCandidate(input, -1);
    if ('result' in judged) return judged.result;
    const c = judged.candidate;
    if (c.status !== 'ok') return { score: -1, details: { verdict: c.status, reason: c.error ?? '' } };
    const rows = c.verdicts.map((v) => v.rows);
    const any = rows.some((n) => n > 0);
    return { score: any ? 1 : 0.5, details: { verdict: any ? 'ran, returned rows' : 'ran, always empty', rows } };
  },
};

/** Question cues and the SQL features that answer them. */
const CUES: { name: string; question: RegExp; sql: RegExp }[] = [
  { name: 'count', question: /\b(how many|number of|count)\b/i, sql: /\bcount\s*\(/i },
  { name: 'average', question: /\b(average|mean)\b/i, sql: /\bavg\s*\(/i },
  { name: 'sum', question: /\b(sum|total)\b(?!\s+number)/i, sql: /\b(sum|total)\s*\(/i },
  { name: 'superlative', question: /\b(highest|lowest|maximum|minimum|most|least|largest|smallest|biggest|greatest|fewest|top|best|worst|oldest|youngest|earliest|latest|max|min)\b/i, sql: /\b(max|min)\s*\(|\border\s+by\b/i },
  { name: 'grouping', question: /\b(each|per|for every|by each)\b/i, sql: /\bgroup\s+by\b/i },
  { name: 'distinct', question: /\b(distinct|different|unique)\b/i, sql: /\b(distinct|group\s+by)\b/i },
  { name: 'ordering', question: /\b(sort|sorted|order|ordered|ascending|descending|alphabetical(ly)?)\b/i, sql: /\border\s+by\b/i },
  { name: 'comparison', question: /\b(more than|greater than|less than|fewer than|at least|at most|over|under|above|below|after|before|between|larger than|smaller than|higher than|lower than)\b/i, sql: /(<|>|\bbetween\b)/i },
  { name: 'negation', question: /\b(not|never|without|except|no)\b/i, sql: /(\bnot\b|!=|<>|\bexcept\b)/i },
];

function schemaOf(context: string): Schema | undefined {
  try {
    return parseSchema(context);
  } catch {
    return undefined;
  }
}

function words(s: string): Set<string> {
  return new Set(s.toLowerCase().split(/[^a-z0-9]+/).filter((w) => w.length > 0));
}

/** Table names after FROM / JOIN that the schema does not have. */
function unknownTables(sig: readonly Token[], schema: Schema): string[] {
  const out: string[] = [];
  const ctes = new Set<string>();
  sig.forEach((t, i) => {
    if (t.kind === 'word' && (sig[i + 1]?.kind === 'word' && sig[i + 1]!.value === 'AS') && sig[i + 2]?.text === '(') ctes.add(t.value.toLowerCase());
  });
  sig.forEach((t, i) => {
    const prev = sig[i - 1];
    if (prev?.kind !== 'word' || (prev.value !== 'FROM' && prev.value !== 'JOIN')) return;
    if (t.kind !== 'word' && t.kind !== 'dquoted' && t.kind !== 'bquoted') return;
    const name = t.kind === 'word' ? t.text : t.value;
    if (!findTable(schema, name) && !ctes.has(name.toLowerCase())) out.push(name);
  });
  return out;
}

export const resultQualityReward: RewardFunction = {
  name: 'result_quality_reward',
  description:
    'Relevance to the question: 2q − 1 with q = 0.4 · question cues answered (count/avg/sum/superlative/grouping/…) + 0.3 · question-named columns used + 0.3 · only existing tables and columns',
  range: [-1, 1],
  needsExecution: true,
  score({ example, extracted, execution }): RewardResult {
    if (!extracted) return { score: -1, details: { verdict: 'no SQL found' } };
    const sql = extracted.sql;
    const cues = CUES.filter((c) => c.question.test(example.question));
    const answered = cues.filter((c) => c.sql.test(sql));
    const intent = cues.length === 0 ? 1 : answered.length / cues.length;
    const schema = schemaOf(example.context);
    let sig: Token[] = [];
    try {
      sig = significant(tokenize(sql));
    } catch {
      // Untokenizable SQL: no names used, and grounding fails below.
    }
    const used = new Set(sig.filter((t) => t.kind === 'word' || t.kind === 'dquoted' || t.kind === 'bquoted').map((t) => (t.kind === 'word' ? t.text : t.value).toLowerCase()));
    const qWords = words(example.question);
    const mentioned: string[] = [];
    for (const t of schema?.tables ?? []) {
      for (const c of t.columns) {
        // Key columns (singer_id) are named after their table, not asked for by the question.
        if (/(^|_)id$/i.test(c.name)) continue;
        const parts = c.name.toLowerCase().split(/[^a-z0-9]+/).filter((p) => p.length > 2);
        if (parts.length > 0 && parts.every((p) => qWords.has(p) || qWords.has(`${p}s`))) mentioned.push(c.name);
      }
    }
    const mentionedUsed = mentioned.filter((m) => used.has(m.toLowerCase()));
    const coverage = mentioned.length === 0 ? 1 : mentionedUsed.length / mentioned.length;
    const unknown = schema && sig.length > 0 ? unknownTables(sig, schema) : [];
    const schemaError = execution?.candidate?.status === 'error' && execution.candidate.errorKind === 'schema';
    const grounded = sig.length > 0 && unknown.length === 0 && !schemaError;
    const q = 0.4 * intent + 0.3 * coverage + 0.3 * (grounded ? 1 : 0);
    const details: RewardDetails = {
      cues: cues.map((c) => c.name),
      cuesAnswered: answered.map((c) => c.name),
      columnsNamedInQuestion: mentioned,
      columnsUsed: mentionedUsed,
      unknownTables: unknown,
      grounded,
    };
    return { score: 2 * q - 1, details };
  },
};

const KEYWORDS = new Set([
  'SELECT', 'FROM', 'WHERE', 'GROUP', 'BY', 'ORDER', 'HAVING', 'JOIN', 'ON', 'AS', 'AND', 'OR', 'NOT', 'IN', 'LIKE', 'LIMIT', 'DISTINCT',
  'UNION', 'INTERSECT', 'EXCEPT', 'BETWEEN', 'IS', 'NULL', 'DESC', 'ASC', 'INNER', 'LEFT', 'OUTER', 'CASE', 'WHEN', 'THEN', 'ELSE', 'END',
  'COUNT', 'SUM', 'AVG', 'MIN', 'MAX', 'CAST', 'WITH', 'EXISTS', 'OFFSET',
]);

/** The top-level select list of the first SELECT, split at top-level commas. */
function selectItems(sig: readonly Token[]): Token[][] {
  const start = sig.findIndex((t) => t.kind === 'word' && t.value === 'SELECT');
  if (start < 0) return [];
  const items: Token[][] = [[]];
  let depth = 0;
  for (let i = start + 1; i < sig.length; i++) {
    const t = sig[i]!;
    if (t.text === '(') depth++;
    if (t.text === ')') depth--;
    if (depth === 0 && t.kind === 'word' && ['FROM', 'UNION', 'INTERSECT', 'EXCEPT', 'WHERE', 'ORDER', 'GROUP', 'LIMIT'].includes(t.value)) break;
    if (depth === 0 && t.text === ',') items.push([]);
    else if (!(t.kind === 'word' && (t.value === 'DISTINCT' || t.value === 'ALL') && items.length === 1 && items[0]!.length === 0)) items[items.length - 1]!.push(t);
  }
  return items.filter((it) => it.length > 0);
}

export const formatQualityReward: RewardFunction = {
  name: 'format_quality_reward',
  description:
    'Best practices, 0..1: explicit columns (no SELECT *) 0.3, aliasing (tables aliased in joins; computed columns named with AS) 0.3, upper-case keywords 0.2, CAST when text columns are used as numbers 0.1, a clean answer (one statement, inside the solution tags) 0.1',
  range: [0, 1],
  needsExecution: false,
  score({ example, extracted }: RewardInput): RewardResult {
    if (!extracted) return { score: 0, details: { verdict: 'no SQL found' } };
    let sig: Token[];
    try {
      sig = significant(tokenize(extracted.sql));
    } catch {
      return { score: 0, details: { verdict: 'does not tokenize' } };
    }
    const items = selectItems(sig);
    const explicitColumns = items.length > 0 && !items.some((it) => it[it.length - 1]!.text === '*' && (it.length === 1 || it[it.length - 2]!.text === '.'));
    const tableRefs = sig.flatMap((t, i) => (i > 0 && sig[i - 1]!.kind === 'word' && ['FROM', 'JOIN'].includes(sig[i - 1]!.value) && t.text !== '(' ? [i] : []));
    let aliasing: boolean;
    if (tableRefs.length >= 2) {
      aliasing = tableRefs.every((i) => {
        const next = sig[i + 1];
        return next !== undefined && ((next.kind === 'word' && next.value === 'AS') || (next.kind === 'word' && !KEYWORDS.has(next.value) && !['WHERE', 'GROUP', 'ORDER', 'LIMIT', 'NATURAL', 'CROSS'].includes(next.value)));
      });
    } else {
      const computed = items.filter((it) => it.length > 1 && !(it.length === 3 && it[1]!.text === '.'));
      aliasing = computed.every((it) => it.some((t, k) => t.kind === 'word' && t.value === 'AS' && k === it.length - 2));
    }
    const keywordTokens = sig.filter((t) => t.kind === 'word' && KEYWORDS.has(t.value));
    const upperKeywords = keywordTokens.length > 0 && keywordTokens.every((t) => t.text === t.value);
    let casting = true;
    const schema = schemaOf(example.context);
    if (schema) {
      try {
        const facts = analyzeQuery(extracted.sql, schema);
        const textAsNumber = facts.numericColumns.some((r) => {
          const t = findTable(schema, r.table);
          return t !== undefined && findColumn(t, r.column)?.affinity === 'TEXT';
        });
        if (textAsNumber) casting = sig.some((t) => t.kind === 'word' && t.value === 'CAST');
      } catch {
        // Unanalysable SQL: no casting judgement.
      }
    }
    const clean = extracted.source === 'solution-tags' && checkReadOnlyQuery(extracted.sql).ok;
    // Tenths, so that 0.3 + 0.3 + 0.2 + 0.1 + 0.1 is exactly 1.
    const score = (3 * +explicitColumns + 3 * +aliasing + 2 * +upperKeywords + +casting + +clean) / 10;
    return { score, details: { explicitColumns, aliasing, upperKeywords, casting, clean } };
  },
};
