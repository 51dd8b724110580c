/**
 * Small English helpers for question templates: plurals, articles, number and literal formatting,
 * and filling "{name}" slots.
 */
import type { Rng } from '../../common/prng';
import type { ColumnSpec } from './catalogue';
import type { InstanceColumn, InstanceTable } from './schema';
import { POOLS } from './values';

/** Words whose plural is themselves (mass nouns, or already plural). */
const UNCHANGED = new Set(['pay', 'stock', 'experience', 'attendance', 'audience', 'crowd', 'energy', 'kcal', 'km', 'qty', 'aircraft', 'staff', 'gpa', 'GPA', 'sales']);
/** A phrase ending in a participle ("year built", "goals scored") takes its plural on the word before. */
const isParticiple = (w: string) => w.endsWith('ed') || ['sold', 'built', 'paid', 'made'].includes(w);

function pluralWord(w: string): string {
  if (/(ss|us)$/.test(w)) return `${w}es`;
  if (UNCHANGED.has(w) || w.endsWith('s')) return w;
  if (/[^aeiou]y$/.test(w)) return `${w.slice(0, -1)}ies`;
  if (/(x|ch|sh)$/.test(w)) return `${w}es`;
  return `${w}s`;
}

/** Plural of a noun phrase: "birth year" → "birth years", "year of birth" → "years of birth", "number of pages" stays. */
export function pluralize(phrase: string): string {
  if (/\bnumber of /.test(phrase)) return phrase;
  const of = phrase.search(/ (of|per) /);
  const head = of >= 0 ? phrase.slice(0, of) : phrase;
  const tail = of >= 0 ? phrase.slice(of) : '';
  const words = head.split(' ');
  const participle = isParticiple(words[words.length - 1]!);
  if (participle && words.length === 1) return phrase;
  const last = participle ? words.length - 2 : words.length - 1;
  words[last] = pluralWord(words[last]!);
  return words.join(' ') + tail;
}

/** "a" or "an" before a phrase. */
export function withArticle(phrase: string): string {
  return `${/^[aeiou]/i.test(phrase) ? 'an' : 'a'} ${phrase}`;
}

/** Fills "{name}" slots, then tidies the spaces that empty slots leave. */
export function fill(template: string, vars: Record<string, string>): string {
  return template
    .replace(/\{(\w+)\}/g, (_, k: string) => {
      const v = vars[k];
      if (v === undefined) throw new Error(`template slot {${k}} has no value in "${template}"`);
      return v;
    })
    .replace(/\s+/g, ' ')
    .replace(/ ([?.,:])/g, '$1')
    .trim();
}

/** fill(), with the first letter capitalised: a whole question. */
export function sentence(template: string, vars: Record<string, string>): string {
  const out = fill(template, vars);
  return out.charAt(0).toUpperCase() + out.slice(1);
}

/** One of a column's phrases, its own name's phrase more often than the others. */
export function columnPhrase(col: InstanceColumn, rng: Rng): string {
  return rng.chance(0.6) ? col.phrases[0]! : rng.pick(col.phrases);
}

export interface Noun {
  sg: string;
  pl: string;
}

/** A noun for a table, the one matching its SQL name more often. */
export function tableNoun(table: InstanceTable, rng: Rng): Noun {
  const nouns = table.spec.nouns.map(([sg, pl]) => ({ sg, pl }));
  const own = nouns.find((n) => n.sg.replace(/ /g, '_') === table.name || n.pl.replace(/ /g, '_') === table.name);
  return own && rng.chance(0.5) ? own : rng.pick(nouns);
}

/** A literal as it appears in the question and in the SQL. */
export interface Literal {
  nl: string;
  sql: string;
  /** Numbers and dates, for ordering two literals. */
  order: number;
}

function decimalsOf(step: number): number {
  const s = String(step);
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : s.length - dot - 1;
}

function numberLiteral(spec: ColumnSpec, rng: Rng, inner: boolean): Literal {
  const [lo, hi] = spec.range!;
  const step = spec.step ?? 1;
  const kLo = Math.ceil(lo / step);
  const kHi = Math.floor(hi / step);
  // Thresholds keep away from the ends of the range, where a comparison would select nothing.
  const span = kHi - kLo;
  const margin = inner && span >= 4 ? Math.max(1, Math.floor(span * 0.1)) : 0;
  const k = rng.int(kLo + margin, kHi - margin);
  const v = Number((k * step).toFixed(decimalsOf(step)));
  const text = String(v);
  return { nl: text, sql: text, order: v };
}

function dateLiteral(spec: ColumnSpec, rng: Rng, inner: boolean): Literal {
  const [y0, y1] = spec.range!;
  const margin = inner && y1 - y0 >= 4 ? Math.max(1, Math.floor((y1 - y0) * 0.1)) : 0;
  const y = rng.int(y0 + margin, y1 - margin);
  const m = rng.int(1, 12);
  const d = rng.int(1, 28);
  const text = `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
  return { nl: text, sql: `'${text}'`, order: y * 10000 + m * 100 + d };
}

/** A value for a column: from its pool (text), its range (numbers, years) or its years (dates). */
export function literalFor(col: InstanceColumn, rng: Rng, inner = true): Literal {
  const spec = col.spec!;
  if (spec.role === 'date') return dateLiteral(spec, rng, inner);
  if (spec.role === 'label' || spec.role === 'category') {
    const v = rng.pick(POOLS[spec.pool!]);
    return { nl: v, sql: `'${v}'`, order: 0 };
  }
  return numberLiteral(spec, rng, inner);
}

/** Two different values in increasing order (for BETWEEN). */
export function literalRange(col: InstanceColumn, rng: Rng): [Literal, Literal] {
  for (let i = 0; i < 20; i++) {
    const a = literalFor(col, rng, false);
    const b = literalFor(col, rng, false);
    if (a.order !== b.order) return a.order < b.order ? [a, b] : [b, a];
  }
  throw new Error(`no two distinct values for ${col.name}`);
}
