/**
 * For the upload column-mapping form: the column names in an uploaded file and the best guess of
 * which holds each field. Reading rows and judging them stays with the engine; this only looks at
 * names, so it is cheap on the UI thread.
 */
import { parseCsv } from '../dataset/csv';
import { detectFormat, resolveMapping } from '../dataset/parse-rows';
import type { ColumnChoice, FieldName, UploadedDataset } from './run-request';

const FIELDS: readonly FieldName[] = ['question', 'context', 'answer'];
/** Records looked at for JSON keys: enough to see every column of a regular file. */
const SAMPLE_RECORDS = 50;

function keysOf(records: readonly unknown[]): string[] {
  const keys = new Set<string>();
  for (const r of records) if (r !== null && typeof r === 'object' && !Array.isArray(r)) for (const k of Object.keys(r)) keys.add(k);
  return [...keys];
}

/** Column names of a JSON array, JSONL or CSV/TSV file; throws with a readable message if unreadable. */
export function listColumns(text: string, fileName: string): string[] {
  const format = detectFormat(text, fileName);
  if (format === 'json') {
    const data: unknown = JSON.parse(text);
    if (!Array.isArray(data)) throw new Error('expected a JSON array of objects');
    return keysOf(data.slice(0, SAMPLE_RECORDS));
  }
  if (format === 'jsonl') {
    const records: unknown[] = [];
    for (const line of text.split(/\r?\n/)) {
      if (records.length >= SAMPLE_RECORDS) break;
      if (line.trim() === '') continue;
      try {
        records.push(JSON.parse(line));
      } catch {
        // A bad line is the engine's to report (as a skipped row); the others still name the columns.
      }
    }
    return keysOf(records);
  }
  // Only the header matters: parse the first few lines, enough for a header with quoted newlines.
  const head = text.split(/\r?\n/).slice(0, 20).join('\n');
  const delimiter = fileName.toLowerCase().endsWith('.tsv') ? '\t' : ',';
  const first = parseCsv(head, { delimiter })[0];
  return first ? first.fields.map((f) => f.trim()) : [];
}

/** The detected column per field ('' where none matched: the person picks it). */
export function guessMapping(columns: readonly string[]): ColumnChoice {
  const out: ColumnChoice = { question: '', context: '', answer: '' };
  for (const f of FIELDS) {
    try {
      // resolveMapping throws when any field is missing: resolve each field alone by mapping the others away.
      const others = Object.fromEntries(FIELDS.filter((o) => o !== f).map((o) => [o, columns[0]!]));
      out[f] = resolveMapping(columns, others)[f];
    } catch {
      out[f] = '';
    }
  }
  return out;
}

export function readUpload(name: string, text: string): UploadedDataset & { error?: string } {
  try {
    const columns = listColumns(text, name);
    if (columns.length === 0) return { name, text, columns, mapping: { question: '', context: '', answer: '' }, error: 'no columns found' };
    return { name, text, columns, mapping: guessMapping(columns) };
  } catch (e) {
    return { name, text, columns: [], mapping: { question: '', context: '', answer: '' }, error: e instanceof Error ? e.message : String(e) };
  }
}

/** Whether the names differ from the usual ones (the mapping form is then opened for the person). */
export function needsMapping(file: UploadedDataset): boolean {
  return FIELDS.some((f) => !file.mapping[f]);
}
