/**
 * The output format from the GRPO Text-to-SQL recipe (document 000): the model reasons between
 * <start_working_out> and <end_working_out>, then gives the SQL between <SOLUTION> and </SOLUTION>.
 */
export const REASONING_START = '<start_working_out>';
export const REASONING_END = '<end_working_out>';
export const SOLUTION_START = '<SOLUTION>';
export const SOLUTION_END = '</SOLUTION>';

/** The four tags, in the order they must appear. */
export const FORMAT_TAGS = [REASONING_START, REASONING_END, SOLUTION_START, SOLUTION_END] as const;

export const SYSTEM_PROMPT = [
  'You translate questions about a database into SQL.',
  'You are given the CREATE TABLE statements of the database and a question.',
  `Think about the problem and write your working out between ${REASONING_START} and ${REASONING_END}.`,
  `Then write one SQLite SELECT query that answers the question between ${SOLUTION_START} and ${SOLUTION_END}.`,
  'Put nothing else between the solution tags: no explanation, no code fences.',
].join('\n');
