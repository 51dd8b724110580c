/**
 * Pulls the SQL out of a model completion. In order of preference:
 *  1. 'solution-tags': the last complete <SOLUTION> ... </SOLUTION> pair (the format we ask for).
 *  2. 'unclosed-solution-tag': text after the last <SOLUTION> when the closing tag never came
 *     (generation cut at max length, or the model forgot it).
 *  3. 'code-fence': the last ``` fenced block that holds a query (```sql or a bare fence).
 *  4. 'bare-query': from the last line that starts with SELECT or WITH (any case), or from an
 *     upper-case SELECT inside a line ("I think it is SELECT name FROM t"), up to a ';' or a blank line.
 * Fallbacks 3 and 4 look after <end_working_out> first, so drafts in the reasoning lose to the answer.
 * Inside any of them, a code fence around the query and a trailing ';' are removed.
 * The format rewards judge the tags separately; this function is about finding the query at all.
 */
import { REASONING_END } from './format';

export type SqlSource = 'solution-tags' | 'unclosed-solution-tag' | 'code-fence' | 'bare-query';

export interface ExtractedSql {
  sql: string;
  source: SqlSource;
}

const FENCE = /```[ \t]*([A-Za-z0-9_-]*)[ \t]*\r?\n?([\s\S]*?)```/g;
const QUERY_START = /^\s*(SELECT|WITH)\b/i;

function cleanup(text: string): string {
  let s = text.trim();
  const fenced = /^```[ \t]*[A-Za-z0-9_-]*[ \t]*\r?\n?([\s\S]*?)\r?\n?```$/.exec(s);
  if (fenced) s = fenced[1]!.trim();
  else s = s.replace(/^```[ \t]*[A-Za-z0-9_-]*[ \t]*\r?\n?/, '').trim(); // an opening fence that never closed
  return s.replace(/;\s*$/, '').trim();
}

function lastFence(text: string): string | undefined {
  let found: string | undefined;
  for (const m of text.matchAll(FENCE)) {
    const lang = m[1]!.toLowerCase();
    const body = m[2]!;
    if (lang === 'sql' || lang === 'sqlite' || (lang === '' && QUERY_START.test(body))) found = body;
  }
  return found;
}

function lastBareQuery(text: string): string | undefined {
  const lines = text.split(/\r?\n/);
  for (let i = lines.length - 1; i >= 0; i--) {
    const inline = /\bSELECT\b/.exec(lines[i]!);
    if (!QUERY_START.test(lines[i]!)) {
      if (!inline) continue;
      lines[i] = lines[i]!.slice(inline.index);
    }
    const out: string[] = [];
    for (let j = i; j < lines.length; j++) {
      const line = lines[j]!;
      if (j > i && line.trim() === '') break;
      const semi = line.indexOf(';');
      if (semi >= 0) {
        out.push(line.slice(0, semi));
        break;
      }
      out.push(line);
    }
    return out.join('\n');
  }
  return undefined;
}

export function extractSql(completion: string): ExtractedSql | null {
  const closed = [...completion.matchAll(/<SOLUTION>([\s\S]*?)<\/SOLUTION>/gi)];
  for (let i = closed.length - 1; i >= 0; i--) {
    const sql = cleanup(closed[i]![1]!);
    if (sql !== '') return { sql, source: 'solution-tags' };
  }
  const open = completion.search(/<SOLUTION>(?![\s\S]*<SOLUTION>)/i);
  if (open >= 0 && closed.length === 0) {
    const sql = cleanup(completion.slice(open + '<SOLUTION>'.length));
    if (sql !== '') return { sql, source: 'unclosed-solution-tag' };
  }
  const end = completion.lastIndexOf(REASONING_END);
  const regions = end >= 0 ? [completion.slice(end + REASONING_END.length), completion] : [completion];
  for (const region of regions) {
    const fence = lastFence(region);
    if (fence !== undefined && cleanup(fence) !== '') return { sql: cleanup(fence), source: 'code-fence' };
  }
  for (const region of regions) {
    const bare = lastBareQuery(region);
    if (bare !== undefined && cleanup(bare) !== '') return { sql: cleanup(bare), source: 'bare-query' };
  }
  return null;
}
