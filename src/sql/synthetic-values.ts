/**
 * Building blocks of synthetic values, shared by the random rows (synthetic-data.ts) and the rows
 * planted at a query's boundaries (boundary-rows.ts): what kind of value a column holds, a
 * plausible range from its name, fresh values of a kind, and values matching LIKE / GLOB patterns.
 */
import type { Rng } from '../common/prng';
import type { Literal } from './query-analysis';
import type { ColumnDef, TableDef } from './schema';

export type ValueKind = 'integer' | 'real' | 'numeric-text' | 'date' | 'text';

export const WORDS = [
  'amber', 'birch', 'cedar', 'delta', 'ember', 'falcon', 'granite', 'harbor', 'iris', 'juniper', 'kestrel', 'linden', 'maple',
  'nova', 'oak', 'pine', 'quartz', 'raven', 'sierra', 'tundra', 'umber', 'violet', 'willow', 'yarrow', 'zephyr', 'aspen',
  'brook', 'coral', 'dune', 'elm', 'fern', 'glen', 'hazel', 'ivy', 'jade', 'kelp', 'lark', 'moss', 'north', 'opal',
];

/** Numeric ranges suggested by column names (lower-cased substrings), first match wins. */
const NAME_RANGES: [RegExp, [number, number]][] = [
  [/year|season|founded|elected|established/, [1950, 2024]],
  [/age/, [16, 80]],
  [/month/, [1, 12]],
  [/day/, [1, 28]],
  [/week/, [1, 17]],
  [/round|heat|lane/, [1, 10]],
  [/rank|position|place|pos\b|seed/, [1, 20]],
  [/pick|overall|number|no\b|num/, [1, 60]],
  [/attendance|crowd|population|capacity|enrollment|seats/, [1000, 90000]],
  [/price|cost|salary|budget|amount|revenue|sales|income|pay/, [10, 100000]],
  [/height/, [150, 210]],
  [/weight/, [50, 120]],
  [/score|points|pts|goals|wins|losses|draws|games|apps|total|votes|gold|silver|bronze/, [0, 120]],
];
const NUMERIC_NAME = /year|season|founded|elected|age|month|week|round|rank|position|place|pick|overall|number|\bno\b|attendance|crowd|population|capacity|price|cost|salary|budget|amount|height|weight|score|points|pts|goals|wins|losses|draws|games|total|votes|gold|silver|bronze|count|area|km|mi|length|lap|grid/;
const DATE_NAME = /date|time|dob|birthday|when/;
const KEY_NAME = /(^|_)(id|code|key)$|id$/;

export function isKeyName(col: string): boolean {
  return KEY_NAME.test(col.toLowerCase());
}

export function isOwnKey(table: TableDef, col: ColumnDef): boolean {
  if (table.primaryKey.length === 1 && table.primaryKey[0]!.toLowerCase() === col.name.toLowerCase()) return true;
  const c = col.name.toLowerCase().replace(/_/g, '');
  const t = table.name.toLowerCase().replace(/_/g, '');
  // The table's name, singular where it looks plural: countries -> country, matches -> match.
  const names = [t, t.replace(/ies$/, 'y'), t.replace(/es$/, ''), t.replace(/s$/, '')];
  return c === 'id' || names.some((n) => c === `${n}id`);
}

export class UnionFind {
  private parent = new Map<string, string>();
  find(x: string): string {
    let p = this.parent.get(x) ?? x;
    if (p !== x) {
      p = this.find(p);
      this.parent.set(x, p);
    }
    return p;
  }
  union(a: string, b: string): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent.set(ra, rb);
  }
}

export function nameRange(col: string): [number, number] | undefined {
  const n = col.toLowerCase();
  for (const [re, range] of NAME_RANGES) if (re.test(n)) return range;
  return undefined;
}

export function columnKind(col: ColumnDef, numericUse: boolean): ValueKind {
  const name = col.name.toLowerCase();
  const type = col.declaredType.toUpperCase();
  if (type.includes('DATE') || type.includes('TIME')) return 'date';
  if (col.affinity === 'INTEGER') return 'integer';
  if (col.affinity === 'REAL') return 'real';
  if (col.affinity === 'NUMERIC') return type.includes('DEC') || type.includes('NUM') ? 'real' : 'integer';
  if (numericUse || NUMERIC_NAME.test(name)) return 'numeric-text';
  if (DATE_NAME.test(name)) return 'date';
  return 'text';
}

/** Ranks kinds so a domain mixing kinds takes the most numeric one (joins compare by affinity). */
export const KIND_RANK: Record<ValueKind, number> = { integer: 4, real: 3, 'numeric-text': 2, date: 1, text: 0 };

function formatDate(rng: Rng): string {
  const y = rng.int(1990, 2024);
  const m = rng.int(1, 12);
  const d = rng.int(1, 28);
  return `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

export function freshValue(kind: ValueKind, range: [number, number], rng: Rng): Literal {
  switch (kind) {
    case 'integer':
      return rng.int(range[0], range[1]);
    case 'real':
      return Math.round((range[0] + rng.next() * (range[1] - range[0])) * 100) / 100;
    case 'numeric-text':
      // WikiSQL-style: numbers stored as text, mostly integers, sometimes with a decimal part.
      return rng.chance(0.85) ? String(rng.int(range[0], range[1])) : (range[0] + rng.next() * (range[1] - range[0])).toFixed(1);
    case 'date':
      return formatDate(rng);
    case 'text':
      return rng.chance(0.5) ? rng.pick(WORDS) : `${rng.pick(WORDS)} ${rng.pick(WORDS)}`;
  }
}

/** A concrete value matching a LIKE / GLOB pattern: wildcards become short random text. */
export function instantiatePattern(pattern: string, op: 'LIKE' | 'GLOB', rng: Rng): string {
  const many = op === 'LIKE' ? '%' : '*';
  const one = op === 'LIKE' ? '_' : '?';
  let out = '';
  for (const ch of pattern) {
    if (ch === many) out += rng.chance(0.5) ? '' : rng.pick(WORDS);
    else if (ch === one) out += rng.pick(['a', 'e', 'o', 'x']);
    else out += ch;
  }
  return out;
}

/** Whether `value` matches a LIKE (ASCII case-insensitive) or GLOB pattern, as SQLite decides it. */
export function matchesPattern(value: string, pattern: string, op: 'LIKE' | 'GLOB'): boolean {
  const many = op === 'LIKE' ? '%' : '*';
  const one = op === 'LIKE' ? '_' : '?';
  let re = '';
  for (const ch of pattern) re += ch === many ? '[\\s\\S]*' : ch === one ? '[\\s\\S]' : ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${re}$`, op === 'LIKE' ? 'i' : '').test(value);
}

export function numericOf(v: Literal): number | undefined {
  if (typeof v === 'number') return v;
  const n = Number(v.trim());
  return v.trim() !== '' && Number.isFinite(n) ? n : undefined;
}

/** A question literal stored in a column of a given kind (numbers stay numbers only where numeric). */
export function coerce(v: Literal, kind: ValueKind): Literal {
  if (kind === 'integer' || kind === 'real') return typeof v === 'number' ? v : numericOf(v) ?? v;
  return String(v);
}
