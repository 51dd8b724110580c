/** The hand-written sample shipped in public/data (offline use and tests). */
import { parseDatasetText, type ParsedRows } from './parse-rows';
import { DatasetError } from './types';

/** Path under the app's base URL (and under public/ in the repository). */
export const SAMPLE_DATASET_PATH = 'data/sql-create-context-sample.json';

/** Fetches the sample from the app's own origin. */
export async function loadSampleDataset(baseUrl: string = import.meta.env?.BASE_URL ?? '/', fetchImpl: typeof fetch = globalThis.fetch): Promise<ParsedRows> {
  const url = `${baseUrl.replace(/\/?$/, '/')}${SAMPLE_DATASET_PATH}`;
  const response = await fetchImpl(url);
  if (!response.ok) throw new DatasetError(`HTTP ${response.status} ${response.statusText} for the sample dataset at ${url}`);
  return parseDatasetText(await response.text(), { format: 'json' });
}
