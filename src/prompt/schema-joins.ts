/**
 * Which tables of a schema join which: declared foreign keys, and, since most Text-to-SQL contexts
 * (sql-create-context, Spider rendered as CREATE TABLE) declare none, joins inferred from names:
 *  - a column named after another table, optionally with a key suffix: concert.Stadium_ID ->
 *    stadium, countries.Continent -> continents, students.permanent_address_id -> addresses;
 *  - a key-like column (…id, …_code, …_key, …_no) of the same name in two tables.
 * Inferred joins may be wrong; they only decide which extra tables are worth keeping in a prompt.
 */
import type { TableDef } from '../sql/schema';
import { identifierStems } from './schema-words';

export interface TableJoin {
  /** Table names as written in the schema. */
  from: string;
  to: string;
  /** Why: 'foreign key a.x -> b', 'a.x names table b', 'same key column x'. */
  via: string;
}

const KEY_SUFFIX = new Set(['id', 'code', 'key', 'no', 'num', 'number', 'ref']);

function isKeyLike(column: string): boolean {
  const stems = identifierStems(column);
  return stems.length > 0 && (KEY_SUFFIX.has(stems[stems.length - 1]!) || /id$/i.test(column));
}

const sameStems = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((w, i) => w === b[i]);
const endsWithStems = (a: readonly string[], b: readonly string[]) => b.length > 0 && a.length >= b.length && sameStems(a.slice(a.length - b.length), b);

/**
 * The other table a column names, if any: its words are the table's name (countries.Continent ->
 * continents), or they end with it followed by a key word (concert.Stadium_ID -> stadium,
 * students.permanent_address_id -> addresses).
 */
export function referencedTable(column: string, own: TableDef, tables: readonly TableDef[]): TableDef | undefined {
  const stems = identifierStems(column);
  const keyed = stems.length > 1 && KEY_SUFFIX.has(stems[stems.length - 1]!);
  const base = keyed ? stems.slice(0, -1) : stems;
  for (const t of tables) {
    if (t === own) continue;
    const name = identifierStems(t.name);
    if (sameStems(stems, name) || sameStems(base, name) || (keyed && endsWithStems(base, name))) return t;
  }
  return undefined;
}

/** Undirected joins between distinct tables (each pair once, first reason found). */
export function schemaJoins(tables: readonly TableDef[]): TableJoin[] {
  const byLower = new Map(tables.map((t) => [t.name.toLowerCase(), t]));
  const joins = new Map<string, TableJoin>();
  const add = (a: TableDef, b: TableDef, via: string) => {
    if (a === b) return;
    const key = [a.name.toLowerCase(), b.name.toLowerCase()].sort().join('\u0000');
    if (!joins.has(key)) joins.set(key, { from: a.name, to: b.name, via });
  };
  for (const t of tables) {
    for (const fk of t.foreignKeys) {
      const ref = byLower.get(fk.refTable.toLowerCase());
      if (ref) add(t, ref, `foreign key ${t.name}.${fk.columns.join(',')} -> ${ref.name}`);
    }
  }
  for (const t of tables) {
    for (const c of t.columns) {
      const other = referencedTable(c.name, t, tables);
      if (other) add(t, other, `${t.name}.${c.name} names table ${other.name}`);
    }
  }
  const keyColumns = new Map<string, TableDef[]>();
  for (const t of tables) {
    for (const c of t.columns) {
      // A bare "id" is each table's own key, not a join.
      if (!isKeyLike(c.name) || sameStems(identifierStems(c.name), ['id'])) continue;
      const k = c.name.toLowerCase();
      keyColumns.set(k, [...(keyColumns.get(k) ?? []), t]);
    }
  }
  for (const [column, ts] of keyColumns) {
    for (let i = 0; i < ts.length; i++) for (let j = i + 1; j < ts.length; j++) add(ts[i]!, ts[j]!, `same key column ${column}`);
  }
  return [...joins.values()];
}

/** Neighbours of each table (lower-cased names) by the joins above. */
export function joinNeighbours(tables: readonly TableDef[], joins: readonly TableJoin[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>(tables.map((t) => [t.name.toLowerCase(), new Set<string>()]));
  for (const j of joins) {
    out.get(j.from.toLowerCase())?.add(j.to.toLowerCase());
    out.get(j.to.toLowerCase())?.add(j.from.toLowerCase());
  }
  return out;
}
