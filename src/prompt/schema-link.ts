/**
 * Schema linking: how strongly a question points at each table of its schema, from the question
 * alone (never from a gold query). Words are compared after normalisation (schema-words.ts):
 *  - a word of the table's name counts twice a column word, and naming the whole table (every
 *    content word of its name) adds a bonus;
 *  - a column whose words are in the question counts for its table, once (by its best-matching
 *    word), so a table with more of the question's columns links more strongly; a column matched
 *    whole counts more than one matched in part ("age" fully matches Age, half matches Loser_Age);
 *    a column that names another table (Dogs.owner_id) counts for neither;
 *  - a schema word that is an abbreviation of a question word ("cont" / "continent") counts half;
 *  - every word is weighted by how few tables contain it (a word in every table says nothing about
 *    which to keep);
 *  - quoted values and years link to columns that could hold them: a year-like number to
 *    year/date columns, quoted text to the text columns of tables already linked. They only break
 *    ties, as any table may hold such a value (the words inside quotes are matched as words too).
 */
import type { ColumnDef, TableDef } from '../sql/schema';
import { referencedTable } from './schema-joins';
import { identifierStems, isStopword, questionTerms, type QuestionTerms } from './schema-words';

export interface TableLink {
  /** As written in the schema. */
  table: string;
  /** 0 when nothing in the question points at the table. */
  score: number;
  /** What matched, for reports: 'name "singer"', 'column Age', 'year 2014 -> Year'. */
  matches: string[];
}

const NAME_WEIGHT = 2;
const WHOLE_NAME_BONUS = 1;
const PREFIX_FACTOR = 0.5;
const VALUE_WEIGHT = 0.25;

interface WordMatch {
  /** 1 for the same stem, PREFIX_FACTOR for an abbreviation. */
  strength: number;
  /** The question's stem that matched. */
  via: string;
}

/** How a schema word matches the question: exactly, as a compound, or as an abbreviation (a prefix of ≥ 3 letters: "cont" for "continent"). */
function matchWord(word: string, q: QuestionTerms): WordMatch | undefined {
  if (q.stems.has(word) || q.compounds.has(word)) return { strength: 1, via: word };
  if (word.length < 3) return undefined;
  for (const s of q.stems) {
    if (s.length < 3 || s === word) continue;
    if (s.startsWith(word)) return { strength: PREFIX_FACTOR, via: s };
  }
  return undefined;
}

const contentStems = (name: string) => identifierStems(name).filter((w) => !isStopword(w));

const YEAR_WORDS = new Set(['year', 'date', 'time', 'yr']);

/** Columns that name another table (concert.Stadium_ID): they say "joins that table", not "this one". */
function referenceColumns(tables: readonly TableDef[]): Set<ColumnDef> {
  return new Set(tables.flatMap((t) => t.columns.filter((c) => referencedTable(c.name, t, tables) !== undefined)));
}

export function linkQuestion(question: string, tables: readonly TableDef[]): TableLink[] {
  const q = questionTerms(question);
  const references = referenceColumns(tables);
  const docs = tables.map((t) => ({
    t,
    name: contentStems(t.name),
    columns: t.columns.filter((c) => !references.has(c)).map((c) => ({ c, stems: contentStems(c.name) })),
  }));
  const df = new Map<string, number>();
  for (const d of docs) {
    for (const w of new Set([...d.name, ...d.columns.flatMap((c) => c.stems)])) df.set(w, (df.get(w) ?? 0) + 1);
  }
  const n = tables.length;
  const idf = (w: string) => Math.log((n + 1) / (df.get(w) ?? 1));

  // Table names: each matched word by its weight, scaled by the share of the name matched. A word
  // that is the whole name of one table does not also count for names it is only part of
  // ("treatments" names Treatments, not Treatment_Types).
  const wholeNames = new Set(docs.filter((d) => d.name.length === 1).map((d) => d.name[0]!));
  const named = docs.map(({ t, name }) => {
    const hits = name.map((w) => (name.length > 1 && wholeNames.has(w) ? undefined : matchWord(w, q)));
    const share = name.length === 0 ? 0 : hits.filter(Boolean).length / name.length;
    let score = 0;
    const byStem = new Map<string, number>();
    hits.forEach((m, i) => {
      if (m) byStem.set(m.via, Math.max(byStem.get(m.via) ?? 0, NAME_WEIGHT * m.strength * share * idf(name[i]!)));
    });
    for (const v of byStem.values()) score += v;
    if (name.length > 0 && hits.every((m) => m?.strength === 1)) score += WHOLE_NAME_BONUS;
    return { score, byStem, matches: score > 0 ? [`name "${t.name}"`] : [] };
  });

  // Column words, credited per column (its best-matching word). A word that columns of several
  // tables share is credited to the tables the question also names, when it names any of them
  // ("the last name of the professionals": Professionals.last_name, not Owners.last_name); a word
  // that is itself (part of) a table's name only to named tables.
  const columnCredit = docs.map(() => new Map<string, { value: number; label: string }>());
  const candidates = new Map<string, { table: number; value: number; label: string }[]>();
  docs.forEach(({ columns }, ti) => {
    for (const { c, stems } of columns) {
      if (stems.length === 0) continue;
      const hits = stems.map((w) => (/^\d+$/.test(w) ? undefined : matchWord(w, q)));
      const share = hits.filter(Boolean).length / stems.length;
      hits.forEach((m, i) => {
        if (!m || named[ti]!.byStem.has(m.via)) return;
        const list = candidates.get(m.via) ?? [];
        list.push({ table: ti, value: m.strength * share * idf(stems[i]!), label: `column ${c.name}` });
        candidates.set(m.via, list);
      });
    }
  });
  const namingStems = new Set(named.flatMap((x) => [...x.byStem.keys()]));
  for (const [stem, list] of candidates) {
    // A word that names a table is about that table: other tables' columns with it get nothing.
    const toNamed = list.filter((x) => named[x.table]!.score > 0);
    for (const x of toNamed.length > 0 || namingStems.has(stem) ? toNamed : list) {
      const credit = columnCredit[x.table]!;
      const cur = credit.get(x.label);
      if (!cur || x.value > cur.value) credit.set(x.label, x);
    }
  }

  return docs.map(({ t, columns }, ti) => {
    let score = named[ti]!.score;
    const labels = new Set<string>(named[ti]!.matches);
    for (const { value, label } of columnCredit[ti]!.values()) {
      score += value;
      labels.add(label);
    }
    // Values: weak evidence, only a tie-breaker.
    for (const v of q.numbers) {
      const yearLike = Number.isInteger(v) && v >= 1000 && v <= 2100;
      if (!yearLike) continue;
      const col = columns.find(({ stems }) => stems.some((w) => YEAR_WORDS.has(w)));
      if (col) {
        score += VALUE_WEIGHT / n;
        labels.add(`year ${v} -> ${col.c.name}`);
      }
    }
    if (q.quoted.length > 0 && score > 0) {
      const text = t.columns.find((c) => c.affinity === 'TEXT');
      if (text) {
        score += VALUE_WEIGHT / n;
        labels.add(`quoted value -> ${text.name}`);
      }
    }
    return { table: t.name, score, matches: [...labels] };
  });
}
