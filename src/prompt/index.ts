/** Public API of prompt building and SQL extraction. */
export { buildPrompt, compactSql, type ChatMessage, type PromptExample, type PromptOptions, type PromptResult, type TruncationStep } from './build-prompt';
export { extractSql, type ExtractedSql, type SqlSource } from './extract-sql';
export { SYSTEM_PROMPT, REASONING_START, REASONING_END, SOLUTION_START, SOLUTION_END, FORMAT_TAGS } from './format';
export { completionTarget, tablesUsed, workingOut } from './target';
