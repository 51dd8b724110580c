/**
 * Every piece of text the synthetic corpus can emit, so that a tokenizer vocabulary can be pruned
 * to what the corpus can use, held-out schemas included.
 *
 * Gemma-3's tokenizer never merges across a space (no token has "▁" inside it, bar one HTML
 * fragment), so a text's tokens are the tokens of its space-separated chunks, each tokenized on its
 * own. The texts returned here are those chunks: every word, name and value in every punctuation
 * it can carry ("(name", "T1.name,", "'Paris'", "Paris?"), each written twice ("x x") so that both
 * the form after a space and the form at the start of a line are covered. Numbers and dates are
 * covered digit by digit (the tokenizer splits digits).
 */
import type { ColumnSpec } from './catalogue';
import { DOMAINS } from './domains';
import { pluralize } from './phrases';
import { QUESTION_TEXTS } from './questions';
import { phraseOfName, tableNameOf } from './schema';
import { POOLS } from './values';

const SQL_WORDS = ['SELECT', 'DISTINCT', 'FROM', 'WHERE', 'AND', 'JOIN', 'AS', 'ON', 'GROUP', 'BY', 'ORDER', 'HAVING', 'LIMIT', 'DESC', 'ASC', 'BETWEEN', 'CREATE', 'TABLE', 'PRIMARY', 'KEY', 'REFERENCES', '=', '>', '>=', '<', '<=', 'COUNT(*)', 'COUNT(*);', 'COUNT(DISTINCT', 'T1', 'T2', 'T3'];
const TYPES = ['INTEGER', 'INT', 'REAL', 'FLOAT', 'TEXT', 'VARCHAR', 'KEY'];
const AGGREGATES = ['SUM', 'AVG', 'MIN', 'MAX'];
const ALIASES = ['', 'T1.', 'T2.', 'T3.'];
const DIGITS = '0123456789'.split('');
/** What can follow a word of a question: the end of a clause or sentence. */
const NL_ENDS = ['', '?', '.', ',', ':'];

const capitalised = (w: string) => w.charAt(0).toUpperCase() + w.slice(1);

/**
 * Chunks of a column or key name: first in a column list "(x", in a select list or condition
 * "T1.x," / "x", closing COUNT(DISTINCT x), and, for numbers and dates, inside an aggregate "AVG(T1.x),".
 */
function columnForms(x: string, aggregated: boolean): string[] {
  const out = [`(${x}`];
  for (const a of ALIASES) {
    for (const end of ['', ',', ')', '),']) out.push(`${a}${x}${end}`);
    if (aggregated) for (const f of AGGREGATES) for (const end of [')', '),']) out.push(`${f}(${a}${x}${end}`);
  }
  return out;
}

/** Chunks of one word of a stored value, in SQL quotes or in a question. */
function valueWordForms(w: string): string[] {
  return [...NL_ENDS.map((e) => `${w}${e}`), `'${w}`, `${w}'`, `'${w}'`, `${w}';`, `'${w}';`];
}

function words(text: string): string[] {
  return text.replace(/\{\w+\}/g, ' ').split(/\s+/).filter((w) => w !== '');
}

function columnTexts(spec: ColumnSpec): string[] {
  const phrases = [...spec.names.map(phraseOfName), ...(spec.phrases ?? [])];
  return [...phrases, ...phrases.map(pluralize), ...(spec.eq ?? []), ...(spec.gt ?? []), ...(spec.lt ?? []), ...(spec.most ?? []), ...(spec.least ?? [])];
}

/** Texts whose tokens cover every token of every context, question and gold query the generator can emit. */
export function syntheticVocabularyTexts(): string[] {
  const tables = new Set<string>();
  const keys = new Set<string>(['id']);
  const columns = new Map<string, boolean>(); // name → aggregated somewhere
  const nl = new Set<string>(['a', 'an']);
  for (const domain of DOMAINS) {
    for (const table of domain.tables) {
      for (const entry of table.names) {
        const { name, stem } = tableNameOf(entry);
        tables.add(name);
        keys.add(`${stem}_id`);
      }
      for (const [sg, pl] of table.nouns) for (const w of words(`${sg} ${pl}`)) nl.add(w);
      for (const c of table.columns) {
        const aggregated = c.role !== 'label' && c.role !== 'category';
        for (const n of c.names) columns.set(n, (columns.get(n) ?? false) || aggregated);
        for (const t of columnTexts(c)) for (const w of words(t)) nl.add(w);
      }
      for (const p of table.parents ?? []) for (const t of [...p.c2p, ...p.p2c]) for (const w of words(t)) nl.add(w);
      for (const t of [...(table.bridge?.ab ?? []), ...(table.bridge?.ba ?? [])]) for (const w of words(t)) nl.add(w);
    }
  }
  for (const t of QUESTION_TEXTS) for (const w of words(t)) nl.add(w);
  const valueWords = new Set<string>(Object.values(POOLS).flatMap((pool) => pool.flatMap(words)));

  const forms = new Set<string>();
  for (const w of SQL_WORDS) forms.add(w);
  for (const t of TYPES) for (const end of ['', ',', ')', ');']) forms.add(`${t}${end}`);
  for (const x of tables) forms.add(x);
  for (const x of keys) for (const f of columnForms(x, false)) forms.add(f);
  for (const [x, aggregated] of columns) for (const f of columnForms(x, aggregated)) forms.add(f);
  // REFERENCES parent(key): every table name with either key style.
  for (const domain of DOMAINS) {
    for (const table of domain.tables) {
      for (const entry of table.names) {
        const { name, stem } = tableNameOf(entry);
        for (const key of ['id', `${stem}_id`]) for (const end of ['', ',', ')', ');']) forms.add(`${name}(${key})${end}`);
      }
    }
  }
  for (const w of nl) for (const v of [w, capitalised(w)]) for (const e of NL_ENDS) forms.add(`${v}${e}`);
  for (const w of valueWords) for (const f of valueWordForms(w)) forms.add(f);
  // Numbers and ISO dates: digits, the date dash, the decimal point, and what may close them.
  for (const d of [...DIGITS, '-', '.']) for (const f of valueWordForms(d)) forms.add(f);
  for (const d of DIGITS) for (const end of [')', '),', ');']) forms.add(`${d}${end}`);
  return [...forms].map((f) => `${f} ${f}`);
}
