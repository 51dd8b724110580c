/**
 * Types of the domain catalogue: what a domain's tables may contain and how questions speak of
 * them. A schema instance (schema.ts) picks some tables, columns and name variants from one domain.
 */
import type { PoolName } from './values';

/**
 * What a column is for, which decides the questions it can take part in:
 *  label: text naming a row (a person's name, a title): selected, filtered by equality;
 *  category: text shared by many rows (city, genre): also grouped and listed as distinct values;
 *  amount: an additive number (salary, stock): compared, summed, averaged, ordered;
 *  level: a non-additive number (age, rating): compared, averaged, ordered, never summed;
 *  year: an integer year: compared (also as before/after), ordered, min/max;
 *  date: an ISO 'YYYY-MM-DD' string in a TEXT column: compared as before/after, ordered, earliest/latest.
 */
export type ColumnRole = 'label' | 'category' | 'amount' | 'level' | 'year' | 'date';

export interface ColumnSpec {
  /** SQL name variants; a schema instance uses one. */
  names: readonly string[];
  role: ColumnRole;
  /** Text columns: the values. */
  pool?: PoolName;
  /** Numbers: the range of values; dates: the range of years. */
  range?: readonly [number, number];
  /** Numbers: the granularity of literals in questions (default 1). */
  step?: number;
  /** A REAL column (numbers). */
  real?: boolean;
  /** Numbers: equality questions make sense (small integer ranges). */
  discrete?: boolean;
  /** More ways to say the column in a question, besides its names with spaces. */
  phrases?: readonly string[];
  /** Relative clauses for "= {v}" after a plural noun ("from {v}"). */
  eq?: readonly string[];
  /** Relative clauses for "> {v}" / "< {v}" ("older than {v}", "hired after {v}"). */
  gt?: readonly string[];
  lt?: readonly string[];
  /** Adjectives for the rows with the largest values ("oldest" for age) and the smallest. */
  most?: readonly string[];
  least?: readonly string[];
  /** Always in an instance (a table's label, when the table has one). */
  required?: boolean;
}

/** A foreign key from a table to a parent, with how questions walk it in each direction. */
export interface ParentLink {
  /** The parent table's id. */
  table: string;
  /** "{children} {c2p} {parent}": "employees working in the Sales department". */
  c2p: readonly string[];
  /** "{parents} {p2c} {a child}": "departments employing an employee ...". */
  p2c: readonly string[];
}

export interface TableSpec {
  id: string;
  /** SQL name variants, each a name or [name, stem] (the stem names keys: "employees" → employee_id). */
  names: readonly (string | readonly [string, string])[];
  /** Nouns for questions: [singular, plural]. */
  nouns: readonly (readonly [string, string])[];
  /**
   * How a label value names a row in a question: 'alone' ("written by Alice Martin"), 'before'
   * ("the Sales department"); absent: only "a department whose name is Sales".
   */
  label?: 'alone' | 'before';
  /** Non-key columns. */
  columns: readonly ColumnSpec[];
  parents?: readonly ParentLink[];
  /** A table linking its two parents (many-to-many), with phrases from parents[0] to parents[1] and back. */
  bridge?: { ab: readonly string[]; ba: readonly string[] };
}

export interface DomainSpec {
  name: string;
  tables: readonly TableSpec[];
}
