/**
 * Reads Text-to-SQL rows from uploaded text: JSONL, a JSON array (the hub file's layout), or CSV
 * with a header. Columns are found by name (question / context / answer, case-insensitive, plus
 * common synonyms) or by an explicit mapping when the names differ. A file that cannot be read at
 * all is an error; a single bad record is a RowProblem, and the rest are kept.
 */
import { parseCsv } from './csv';
import { DatasetError, type RowProblem, type SqlRow } from './types';

export type DatasetFormat = 'json' | 'jsonl' | 'csv';

/** Which source column holds each field. */
export interface ColumnMapping {
  question?: string;
  context?: string;
  answer?: string;
}

export interface ParseOptions {
  /** Default: from the file name's extension, else sniffed from the content. */
  format?: DatasetFormat;
  fileName?: string;
  columns?: ColumnMapping;
  csvDelimiter?: string;
}

export interface ParsedRows {
  /** One entry per source record, aligned with the source: null where the record was unusable. */
  rows: (SqlRow | null)[];
  problems: RowProblem[];
  format: DatasetFormat;
  /** The source column used for each field. */
  mapping: Required<ColumnMapping>;
}

const SYNONYMS: Record<keyof SqlRow, string[]> = {
  question: ['question', 'nl', 'utterance', 'text', 'prompt', 'input'],
  context: ['context', 'schema', 'create_table', 'create_tables', 'sql_context', 'ddl'],
  answer: ['answer', 'sql', 'query', 'gold', 'gold_sql', 'target', 'output'],
};
const FIELDS = ['question', 'context', 'answer'] as const;

export function detectFormat(text: string, fileName?: string): DatasetFormat {
  const ext = fileName?.toLowerCase().match(/\.(jsonl|ndjson|json|csv|tsv)$/)?.[1];
  if (ext === 'jsonl' || ext === 'ndjson') return 'jsonl';
  if (ext === 'json') return 'json';
  if (ext === 'csv' || ext === 'tsv') return 'csv';
  const start = text.trimStart();
  if (start.startsWith('[')) return 'json';
  if (start.startsWith('{')) return 'jsonl';
  return 'csv';
}

/** Resolves each field to a source column name, or throws naming the columns that exist. */
export function resolveMapping(available: readonly string[], explicit: ColumnMapping = {}): Required<ColumnMapping> {
  const lower = new Map(available.map((c) => [c.toLowerCase(), c]));
  const out = {} as Required<ColumnMapping>;
  for (const f of FIELDS) {
    const wanted = explicit[f];
    if (wanted !== undefined) {
      const hit = lower.get(wanted.toLowerCase());
      if (!hit) throw new DatasetError(`column ${JSON.stringify(wanted)} (mapped to ${f}) not found; columns are: ${available.join(', ')}`);
      out[f] = hit;
      continue;
    }
    const hit = SYNONYMS[f].map((s) => lower.get(s)).find((c) => c !== undefined);
    if (!hit) throw new DatasetError(`no column for ${f} (looked for ${SYNONYMS[f].join(', ')}); columns are: ${available.join(', ')}. Pass a column mapping.`);
    out[f] = hit;
  }
  return out;
}

function rowFrom(record: Record<string, unknown>, mapping: Required<ColumnMapping>, index: number, where: string, problems: RowProblem[]): SqlRow | null {
  const missing: string[] = [];
  const row = {} as SqlRow;
  for (const f of FIELDS) {
    const v = record[mapping[f]];
    if (typeof v !== 'string' || v.trim() === '') missing.push(`${f} (${v === undefined ? 'absent' : typeof v !== 'string' ? `a ${v === null ? 'null' : typeof v}` : 'empty'})`);
    else row[f] = v;
  }
  if (missing.length > 0) {
    problems.push({ index, kind: 'missing-field', reason: `missing or empty: ${missing.join(', ')}`, where });
    return null;
  }
  return row;
}

function fromObjects(records: unknown[], wheres: string[], options: ParseOptions, format: DatasetFormat, problems: RowProblem[], badIndices: Set<number>): ParsedRows {
  const keys = new Set<string>();
  for (const r of records) if (r !== null && typeof r === 'object' && !Array.isArray(r)) for (const k of Object.keys(r)) keys.add(k);
  if (keys.size === 0) throw new DatasetError('no records with named fields found');
  const mapping = resolveMapping([...keys], options.columns);
  const rows = records.map((r, i) => {
    if (badIndices.has(i)) return null;
    if (r === null || typeof r !== 'object' || Array.isArray(r)) {
      problems.push({ index: i, kind: 'unreadable-record', reason: `record is ${Array.isArray(r) ? 'an array' : r === null ? 'null' : `a ${typeof r}`}, not an object`, where: wheres[i]! });
      return null;
    }
    return rowFrom(r as Record<string, unknown>, mapping, i, wheres[i]!, problems);
  });
  return { rows, problems, format, mapping };
}

export function parseDatasetText(text: string, options: ParseOptions = {}): ParsedRows {
  const format = options.format ?? detectFormat(text, options.fileName);
  const problems: RowProblem[] = [];
  if (format === 'json') {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (e) {
      throw new DatasetError(`not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (!Array.isArray(data)) throw new DatasetError('expected a JSON array of {question, context, answer} objects');
    return fromObjects(data, data.map((_, i) => `element ${i}`), options, format, problems, new Set());
  }
  if (format === 'jsonl') {
    const records: unknown[] = [];
    const wheres: string[] = [];
    const bad = new Set<number>();
    text.split(/\r?\n/).forEach((line, n) => {
      if (line.trim() === '') return;
      const where = `line ${n + 1}`;
      try {
        records.push(JSON.parse(line));
      } catch (e) {
        bad.add(records.length);
        problems.push({ index: records.length, kind: 'unreadable-record', reason: `not valid JSON: ${e instanceof Error ? e.message : String(e)}`, where });
        records.push(undefined);
      }
      wheres.push(where);
    });
    return fromObjects(records, wheres, options, format, problems, bad);
  }
  const delimiter = options.csvDelimiter ?? (options.fileName?.toLowerCase().endsWith('.tsv') ? '\t' : ',');
  const records = parseCsv(text, { delimiter });
  if (records.length === 0) throw new DatasetError('CSV is empty');
  const header = records[0]!.fields.map((h) => h.trim());
  const mapping = resolveMapping(header, options.columns);
  const rows = records.slice(1).map((rec, i) => {
    const where = `line ${rec.line}`;
    if (rec.fields.length !== header.length) {
      problems.push({ index: i, kind: 'unreadable-record', reason: `${rec.fields.length} fields, header has ${header.length}`, where });
      return null;
    }
    return rowFrom(Object.fromEntries(header.map((h, k) => [h, rec.fields[k]])), mapping, i, where, problems);
  });
  return { rows, problems, format: 'csv', mapping };
}
