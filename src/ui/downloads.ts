/**
 * Files the dashboard offers for download, as data (name, type, contents), so what goes into each
 * is testable; `saveFile` hands one to the browser.
 */
import { metricsToCSV, metricsToJSONL, type MetricsRow } from '../grpo/metrics';
import type { ExportedAdapter } from '../worker/training-api';

export interface DownloadFile {
  name: string;
  type: string;
  data: string | Uint8Array;
}

export type MetricsFormat = 'csv' | 'jsonl';

export function metricsFile(rows: readonly MetricsRow[], format: MetricsFormat): DownloadFile {
  return format === 'csv'
    ? { name: 'metrics.csv', type: 'text/csv', data: metricsToCSV(rows) }
    : { name: 'metrics.jsonl', type: 'application/x-ndjson', data: metricsToJSONL(rows) };
}

/** PEFT's file names, so the pair loads with PeftModel.from_pretrained from one folder. */
export function adapterFiles(adapter: ExportedAdapter): DownloadFile[] {
  return [
    { name: 'adapter_model.safetensors', type: 'application/octet-stream', data: adapter.safetensors },
    { name: 'adapter_config.json', type: 'application/json', data: adapter.configJson },
  ];
}

export function hintsFile(json: string): DownloadFile {
  return { name: 'hints.json', type: 'application/json', data: json };
}

/** Browser download through a temporary object URL. */
export function saveFile(file: DownloadFile): void {
  // Copy into a fresh ArrayBuffer-backed view: a Blob part must not be a view of a SharedArrayBuffer.
  const part = typeof file.data === 'string' ? file.data : new Uint8Array(file.data);
  const url = URL.createObjectURL(new Blob([part], { type: file.type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = file.name;
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  // Revoke later: some browsers start reading the URL only after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
