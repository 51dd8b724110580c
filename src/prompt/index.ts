/** Public API of prompt building and SQL extraction. */
export {
  buildPrompt,
  compactSql,
  promptInputOf,
  type ChatMessage,
  type PromptInput,
  type PromptOptions,
  type PromptRefusal,
  type PromptResult,
  type TruncationStep,
} from './build-prompt';
export { LINK_THRESHOLD, rankTables, type RankedTable, type TableRole } from './prune-schema';
export { linkQuestion, type TableLink } from './schema-link';
export { schemaJoins, type TableJoin } from './schema-joins';
export { extractSql, type ExtractedSql, type SqlSource } from './extract-sql';
export { SYSTEM_PROMPT, REASONING_START, REASONING_END, SOLUTION_START, SOLUTION_END, FORMAT_TAGS } from './format';
export { completionTarget, tablesUsed, workingOut } from './target';
