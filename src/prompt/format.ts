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

/**
 * Short on purpose: it is part of every prompt of every step (generation and training pay for its
 * tokens each time), so it states the task and the format and nothing else.
 */
export const SYSTEM_PROMPT = [
  'Write one SQLite SELECT query that answers the question about the database.',
  `Reason between ${REASONING_START} and ${REASONING_END}, then give only the query between ${SOLUTION_START} and ${SOLUTION_END}.`,
].join('\n');
