/** One Text-to-SQL row as the dataset stores it. */
export interface SqlRow {
  question: string;
  /** CREATE TABLE statements. */
  context: string;
  /** Gold SQL. */
  answer: string;
}

/** A row that passed validation, with a stable id ("<source>#<index in the source>"). */
export interface DatasetExample extends SqlRow {
  id: string;
}

export type ProblemKind =
  | 'unreadable-record' // a JSONL line or JSON element that is not an object
  | 'missing-field' // question / context / answer absent, empty or not text
  | 'bad-schema' // the context is not usable CREATE TABLE statements
  | 'gold-rejected' // the gold SQL is not one read-only query
  | 'gold-error' // the gold SQL fails on the synthetic databases
  | 'gold-timeout' // the gold SQL (or building the databases) ran too long
  // No prompt can be built for the row within max_prompt_length (src/prompt/build-prompt.ts):
  | 'too-long' // the tables the question links to (and their join tables) do not fit
  | 'no-schema-link' // the whole schema does not fit and the question names nothing of it to prune by
  | 'budget-too-small'; // the system prompt and question alone are over the budget

/** A skipped row and why. */
export interface RowProblem {
  /** Position in the source (0-based record index; for CSV/JSONL the line is in `where`). */
  index: number;
  kind: ProblemKind;
  reason: string;
  /** Human-readable location, e.g. "line 12". */
  where?: string;
}

export class DatasetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetError';
  }
}
