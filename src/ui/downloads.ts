/**
 * Files the dashboard offers for download, as data (name, type, contents), so what goes into each
 * is testable; `saveFile` hands one to the browser.
 */
import { metricsToCSV, metricsToJSONL, type MetricsRow } from '../grpo/metrics';
import type { ExportedAdapter, ExportedModel } from '../worker/training-api';

export interface DownloadFile {
  name: string;
  type: string;
  /** A Blob stays on disk (e.g. an OPFS file) until the browser saves it. */
  data: string | Uint8Array | Blob;
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

/** The merged model's files under their Hugging Face names, weights first. */
export function mergedModelFiles(model: ExportedModel): DownloadFile[] {
  return model.files.map((f) => ({ name: f.name, type: f.name.endsWith('.json') ? 'application/json' : 'application/octet-stream', data: f.data }));
}

/**
 * A transformers.js export's files: a download cannot make folders, so onnx/<file> is saved as
 * <file> (the notice says to put it back under onnx/).
 */
export function onnxModelFiles(model: ExportedModel): DownloadFile[] {
  return model.files.map((f) => ({ name: f.name.split('/').pop()!, type: f.name.endsWith('.json') ? 'application/json' : 'application/octet-stream', data: f.data }));
}

export function hintsFile(json: string): DownloadFile {
  return { name: 'hints.json', type: 'application/json', data: json };
}

/** Browser download through a temporary object URL. */
export function saveFile(file: DownloadFile): void {
  // Copy into a fresh ArrayBuffer-backed view: a Blob part must not be a view of a SharedArrayBuffer.
  const blob = file.data instanceof Blob ? file.data : new Blob([typeof file.data === 'string' ? file.data : new Uint8Array(file.data)], { type: file.type });
  const url = URL.createObjectURL(blob);
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
