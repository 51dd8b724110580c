/**
 * Which tables a prompt keeps when the whole schema does not fit: the tables the question links to
 * (schema-link.ts) are kept, tables that join two of them come next, then tables joined to one of
 * them, then the rest. Tables are dropped from the end of that order until the prompt fits.
 */
import type { TableDef } from '../sql/schema';
import { joinNeighbours, schemaJoins } from './schema-joins';
import { linkQuestion } from './schema-link';

/** Scores at or above this mean the question names the table or its columns. */
export const LINK_THRESHOLD = 0.5;
/**
 * ... and only if its score is at least this share of the best-linked table's: one word of a
 * column in passing (a pilot mentioned in a question about flights' origins, dates and prices)
 * makes a table worth keeping when it fits, not worth refusing the prompt for.
 */
export const RELATIVE_LINK_THRESHOLD = 0.3;

/**
 * - 'linked': the question names the table or its columns (LINK_THRESHOLD,
 *   RELATIVE_LINK_THRESHOLD); never dropped.
 * - 'bridge': the table through which two linked tables that do not join each other join (the
 *   join table a question about both implies); never dropped.
 * - 'neighbour': joins a linked table; kept when it fits.
 * - 'unlinked': nothing (or little) points at it; dropped first.
 */
export type TableRole = 'linked' | 'bridge' | 'neighbour' | 'unlinked';

/** Roles a prompt keeps whatever the budget: without them the question cannot be answered. */
export const KEPT_ROLES: ReadonlySet<TableRole> = new Set(['linked', 'bridge']);

export interface RankedTable {
  table: TableDef;
  role: TableRole;
  /** Link score (schema-link.ts). */
  score: number;
  /** What of the question matched it, and through which joins it was reached. */
  why: string[];
}

const ROLE_RANK: Record<TableRole, number> = { linked: 0, bridge: 1, neighbour: 2, unlinked: 3 };

/**
 * The tables in keep order (most needed first). Within a role, higher scores first, then smaller
 * tables (dropping a large table frees more), then schema order.
 */
export function rankTables(question: string, tables: readonly TableDef[], size: (t: TableDef) => number): RankedTable[] {
  const links = linkQuestion(question, tables);
  const neighbours = joinNeighbours(tables, schemaJoins(tables));
  const keys = tables.map((t) => t.name.toLowerCase());
  const info = tables.map((table, i) => ({ table, key: keys[i]!, score: links[i]!.score, why: [...links[i]!.matches], order: i, size: size(table) }));
  // Linked: a score over the absolute threshold and not far below the best-linked table's.
  const cut = Math.max(LINK_THRESHOLD, RELATIVE_LINK_THRESHOLD * Math.max(...info.map((x) => x.score)));
  const linked = new Set(info.filter((x) => x.score >= cut).map((x) => x.key));
  const byBest = (a: (typeof info)[number], b: (typeof info)[number]) => b.score - a.score || a.size - b.size || a.order - b.order;
  // One bridge per pair of linked tables that do not join directly: the best-linked, then smallest.
  const bridges = new Map<string, string[]>();
  const linkedList = [...linked];
  for (let i = 0; i < linkedList.length; i++) {
    for (let j = i + 1; j < linkedList.length; j++) {
      const a = linkedList[i]!;
      const b = linkedList[j]!;
      if (neighbours.get(a)?.has(b)) continue;
      const via = info.filter((x) => !linked.has(x.key) && neighbours.get(x.key)?.has(a) && neighbours.get(x.key)?.has(b)).sort(byBest)[0];
      if (via) bridges.set(via.key, [...(bridges.get(via.key) ?? []), `${tables[keys.indexOf(a)]!.name}-${tables[keys.indexOf(b)]!.name}`]);
    }
  }
  const ranked = info.map((x): RankedTable & { order: number; size: number } => {
    const joinedLinked = [...(neighbours.get(x.key) ?? [])].filter((n) => linked.has(n)).map((n) => tables[keys.indexOf(n)]!.name);
    const role: TableRole = linked.has(x.key) ? 'linked' : bridges.has(x.key) ? 'bridge' : joinedLinked.length > 0 ? 'neighbour' : 'unlinked';
    if (role === 'bridge') x.why.push(`joins ${bridges.get(x.key)!.join(', ')}`);
    else if (role === 'neighbour') x.why.push(`joins ${joinedLinked.join(', ')}`);
    return { table: x.table, role, score: x.score, why: x.why, order: x.order, size: x.size };
  });
  ranked.sort((a, b) => ROLE_RANK[a.role] - ROLE_RANK[b.role] || b.score - a.score || a.size - b.size || a.order - b.order);
  return ranked.map(({ table, role, score, why }) => ({ table, role, score, why }));
}
