/** The policy-layer (hints) GRPO mode: learns prompt guidance from scored groups, changes no weights. */
export * from './config';
export * from './types';
export * from './pattern-keys';
export { extractPatterns, matches, tokenizeLeniently, MAX_SQL_CHARS, type SqlPattern, type PatternExtraction, type ExtractOptions } from './patterns';
export { hintGroupAdvantages, type AdvantageSettings, type GroupAdvantageResult } from './advantages';
export * from './store';
export { HINT_STORE_FORMAT, HINT_STORE_VERSION, HintStoreImportError, parseHintStoreFile, serializeHintStore, type HintStoreFile } from './store-file';
export * from './inject';
export * from './trainer';
