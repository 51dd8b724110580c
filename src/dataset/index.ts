/** Public API of the dataset side. */
export { fetchHubDataset, hubDatasetUrl, DEFAULT_DATASET_ID, DEFAULT_DATASET_FILE, type DownloadProgress, type HubDataset, type HubDatasetOptions } from './hub';
export { parseDatasetText, detectFormat, resolveMapping, type ColumnMapping, type DatasetFormat, type ParseOptions, type ParsedRows } from './parse-rows';
export { parseCsv, type CsvOptions, type CsvRecord } from './csv';
export { splitExamples, type Split, type SplitOptions } from './split';
export { validateRows, goldInspector, type PromptCheck, type ValidationOptions, type ValidationResult } from './validate';
export { loadSampleDataset, SAMPLE_DATASET_PATH } from './sample';
export {
  generateSyntheticCorpus,
  resolveSyntheticOptions,
  syntheticVocabularyTexts,
  DEFAULT_TYPE_WEIGHTS,
  MAX_SYNTHETIC_SIZE,
  QUESTION_TYPES,
  SYNTHETIC_DOMAINS,
  type QuestionType,
  type SyntheticCorpus,
  type SyntheticCorpusOptions,
  type SyntheticMeta,
} from './synthetic';
export { DatasetError, type DatasetExample, type ProblemKind, type RowProblem, type SqlRow } from './types';
