/**
 * RFC 4180 CSV: fields separated by a delimiter, optionally in double quotes; inside quotes a
 * doubled quote is a quote and newlines are part of the field. Records end at CRLF or LF.
 * Written here rather than taken from a library because the format is small and the project only
 * needs reading.
 */
import { DatasetError } from './types';

export interface CsvOptions {
  delimiter?: string;
}

export interface CsvRecord {
  fields: string[];
  /** 1-based line on which the record starts. */
  line: number;
}

export function parseCsv(text: string, options: CsvOptions = {}): CsvRecord[] {
  const delimiter = options.delimiter ?? ',';
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    throw new DatasetError(`CSV delimiter must be one character other than a quote or newline, got ${JSON.stringify(delimiter)}`);
  }
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text; // byte-order mark
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let recordLine = 1;
  let i = 0;
  let atFieldStart = true;
  const endField = () => {
    fields.push(field);
    field = '';
    atFieldStart = true;
  };
  const endRecord = () => {
    endField();
    // A blank line is not a record.
    if (!(fields.length === 1 && fields[0] === '')) records.push({ fields, line: recordLine });
    fields = [];
  };
  while (i < src.length) {
    const c = src[i]!;
    if (atFieldStart && c === '"') {
      const openLine = line;
      i++;
      for (;;) {
        if (i >= src.length) throw new DatasetError(`CSV: quoted field starting on line ${openLine} is never closed`);
        const d = src[i]!;
        if (d === '"') {
          if (src[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (d === '\n') line++;
        field += d;
        i++;
      }
      atFieldStart = false;
      const next = src[i];
      if (next !== undefined && next !== delimiter && next !== '\n' && next !== '\r') {
        throw new DatasetError(`CSV line ${line}: unexpected ${JSON.stringify(next)} after a closing quote (quotes inside a field must be doubled)`);
      }
      continue;
    }
    if (c === delimiter) {
      endField();
      i++;
    } else if (c === '\r' || c === '\n') {
      endRecord();
      i += c === '\r' && src[i + 1] === '\n' ? 2 : 1;
      line++;
      recordLine = line;
    } else {
      field += c;
      atFieldStart = false;
      i++;
    }
  }
  if (field !== '' || fields.length > 0 || !atFieldStart) endRecord();
  return records;
}
