/**
 * Schema instances: one domain, 1–4 of its tables connected by foreign keys, a random subset of
 * each table's columns (keys needed for joins always kept), and one name variant per table and
 * column, rendered as CREATE TABLE statements in sql-create-context's style.
 */
import { hashString, type Rng } from '../../common/prng';
import type { ColumnSpec, DomainSpec, ParentLink, TableSpec } from './catalogue';

export interface InstanceColumn {
  /** null for key columns. */
  spec: ColumnSpec | null;
  name: string;
  /** The declared type as written in the context. */
  sqlType: string;
  /** Phrases a question may use for this column, the one derived from its name first. */
  phrases: string[];
}

export interface InstanceTable {
  spec: TableSpec;
  name: string;
  /** The primary key column (every table has one). */
  key: InstanceColumn;
  /** Foreign keys to parents inside or outside the instance. */
  foreignKeys: { column: InstanceColumn; link: ParentLink; parent: InstanceTable | null }[];
  /** Non-key columns. */
  columns: InstanceColumn[];
  /** All columns in declaration order. */
  declared: InstanceColumn[];
}

/** A foreign key between two tables of the instance. */
export interface InstanceLink {
  child: InstanceTable;
  parent: InstanceTable;
  column: InstanceColumn;
  spec: ParentLink;
}

export interface SchemaInstance {
  domain: DomainSpec;
  tables: InstanceTable[];
  links: InstanceLink[];
  context: string;
  /** "<domain>-<hash of the context>": equal contexts share an id. */
  id: string;
}

export interface SchemaOptions {
  /** Largest number of tables (1–4). */
  maxTables: number;
}

/** Column count limits per table by instance size, so that a prompt stays within ~256 tokens. */
const MAX_COLUMNS: Record<number, number> = { 1: 6, 2: 5, 3: 5, 4: 4 };
/** Weights of instance sizes 1..4. */
const SIZE_WEIGHTS = [0.3, 0.35, 0.22, 0.13];

export function tableNameOf(entry: TableSpec['names'][number]): { name: string; stem: string } {
  return typeof entry === 'string' ? { name: entry, stem: entry } : { name: entry[0], stem: entry[1] };
}

/** "birth_year" → "birth year". */
export function phraseOfName(name: string): string {
  return name.replace(/_/g, ' ');
}

function columnPhrases(spec: ColumnSpec, name: string): string[] {
  const own = phraseOfName(name);
  const others = [...spec.names.map(phraseOfName), ...(spec.phrases ?? [])].filter((p) => p !== own);
  return [own, ...new Set(others)];
}

function weightedIndex(rng: Rng, weights: readonly number[]): number {
  const total = weights.reduce((a, b) => a + b, 0);
  let u = rng.next() * total;
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i]!;
    if (u < 0) return i;
  }
  return weights.length - 1;
}

/** Tables of the domain linked to `id` by a foreign key, in either direction. */
function neighbours(domain: DomainSpec, id: string): string[] {
  const out = new Set<string>();
  for (const t of domain.tables) {
    for (const p of t.parents ?? []) {
      if (t.id === id) out.add(p.table);
      if (p.table === id) out.add(t.id);
    }
  }
  return [...out];
}

/** A connected set of `size` tables (fewer when the domain has fewer). */
function pickTables(domain: DomainSpec, size: number, rng: Rng): TableSpec[] {
  const chosen = [rng.pick(domain.tables).id];
  while (chosen.length < size) {
    const frontier = [...new Set(chosen.flatMap((id) => neighbours(domain, id)))].filter((id) => !chosen.includes(id));
    if (frontier.length === 0) break;
    chosen.push(rng.pick(frontier));
  }
  return chosen.map((id) => domain.tables.find((t) => t.id === id)!);
}

interface TypeStyle {
  int: string;
  real: string;
  text: string;
}

function sqlTypeOf(spec: ColumnSpec, style: TypeStyle): string {
  if (spec.role === 'label' || spec.role === 'category' || spec.role === 'date') return style.text;
  return spec.real ? style.real : style.int;
}

export function drawSchema(domain: DomainSpec, rng: Rng, options: SchemaOptions): SchemaInstance {
  const size = 1 + weightedIndex(rng, SIZE_WEIGHTS.slice(0, options.maxTables));
  const specs = pickTables(domain, size, rng);
  const style: TypeStyle = {
    int: rng.chance(0.8) ? 'INTEGER' : 'INT',
    real: rng.chance(0.8) ? 'REAL' : 'FLOAT',
    text: rng.chance(0.5) ? 'TEXT' : 'VARCHAR',
  };
  // 'id' style: primary keys named id, foreign keys <parent>_id; otherwise every key is <table>_id.
  const idStyle = rng.chance(0.3);
  const declareKeys = rng.chance(0.25);
  const maxColumns = MAX_COLUMNS[specs.length]!;

  const names = new Map<string, { name: string; stem: string }>();
  for (const s of specs) names.set(s.id, tableNameOf(rng.pick(s.names)));
  const stemOf = (id: string, all: readonly TableSpec[]): string => {
    const known = names.get(id);
    if (known) return known.stem;
    const spec = all.find((t) => t.id === id)!;
    return tableNameOf(spec.names[0]!).stem;
  };

  const tables: InstanceTable[] = specs.map((spec) => {
    const { name, stem } = names.get(spec.id)!;
    const key: InstanceColumn = { spec: null, name: idStyle ? 'id' : `${stem}_id`, sqlType: declareKeys ? `${style.int} PRIMARY KEY` : style.int, phrases: ['id'] };
    return { spec, name, key, foreignKeys: [], columns: [], declared: [] };
  });
  const byId = new Map(tables.map((t) => [t.spec.id, t]));

  for (const t of tables) {
    // Foreign keys: every parent in the instance; a parent outside it now and then (a dangling id).
    for (const link of t.spec.parents ?? []) {
      const parent = byId.get(link.table) ?? null;
      if (!parent && !rng.chance(0.25)) continue;
      const name = `${stemOf(link.table, domain.tables)}_id`;
      const ref = parent ? ` REFERENCES ${parent.name}(${parent.key.name})` : '';
      t.foreignKeys.push({ column: { spec: null, name, sqlType: declareKeys ? `${style.int}${ref}` : style.int, phrases: [phraseOfName(name)] }, link, parent });
    }
    const room = Math.max(1, maxColumns - 1 - t.foreignKeys.length);
    const required = t.spec.columns.filter((c) => c.required);
    const optional = rng.shuffle(t.spec.columns.filter((c) => !c.required));
    const count = Math.min(rng.int(Math.min(2, room), room), required.length + optional.length);
    const picked = [...required, ...optional].slice(0, Math.max(count, required.length));
    const taken = new Set([t.key.name, ...t.foreignKeys.map((f) => f.column.name)]);
    for (const spec of picked) {
      const free = spec.names.filter((n) => !taken.has(n));
      if (free.length === 0) continue;
      const name = rng.pick(free);
      taken.add(name);
      t.columns.push({ spec, name, sqlType: sqlTypeOf(spec, style), phrases: columnPhrases(spec, name) });
    }
    // The key first (as people write tables), everything else in random order.
    t.declared = [t.key, ...rng.shuffle([...t.columns, ...t.foreignKeys.map((f) => f.column)])];
  }

  const links: InstanceLink[] = tables.flatMap((child) => child.foreignKeys.filter((f) => f.parent).map((f) => ({ child, parent: f.parent!, column: f.column, spec: f.link })));
  const context = tables.map((t) => `CREATE TABLE ${t.name} (${t.declared.map((c) => `${c.name} ${c.sqlType}`).join(', ')})`).join('; ');
  return { domain, tables, links, context, id: `${domain.name}-${hashString(context).toString(16).padStart(8, '0')}` };
}
