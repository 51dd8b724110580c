/**
 * Which Text-to-SQL rows to train on: a hub dataset, the shipped sample, the seeded synthetic
 * corpus, or an uploaded file (with a column mapping when its names differ), and the engine's count
 * of usable and skipped rows.
 */
import type { ProblemKind } from '../../dataset/types';
import type { DatasetReport } from '../../worker/dashboard-api';
import { Panel } from '../Panel';
import { ProgressList } from '../ProgressList';
import { DEFAULT_DATASET_ID, DEFAULT_SYNTHETIC_CHOICE, isDatasetId, syntheticSourceOf, type FieldName, type UploadedDataset } from '../run-request';
import { useAppStore } from '../store-context';
import { HubEndpointField } from './HubEndpointField';
import { isActive } from '../training-state';

const FIELD_LABELS: Record<FieldName, string> = {
  question: 'Question',
  context: 'Schema',
  answer: 'Gold SQL',
};

const PROBLEM_LABELS: Record<ProblemKind, string> = {
  'unreadable-record': 'unreadable record',
  'missing-field': 'missing field',
  'bad-schema': 'schema is not CREATE TABLE statements',
  'gold-rejected': 'gold SQL is not one read-only query',
  'gold-error': 'gold SQL fails on the test databases',
  'gold-timeout': 'gold SQL runs too long',
  'too-long': 'prompt too long even with the schema pruned',
  'no-schema-link': 'prompt too long, and the question names nothing of the schema',
  'budget-too-small': 'max_prompt_length below the system prompt and question',
};

export function DatasetPanel() {
  const dataset = useAppStore((s) => s.setup.dataset);
  const setDataset = useAppStore((s) => s.setDataset);
  const uploadDataset = useAppStore((s) => s.uploadDataset);
  const uploadError = useAppStore((s) => s.uploadError);
  const locked = useAppStore((s) => isActive(s.run.phase));

  const onFile = async (file: File | undefined) => {
    if (file) uploadDataset(file.name, await file.text());
  };

  return (
    <Panel title="2 · Dataset" subtitle="Questions, their schema and the gold SQL" testId="dataset-panel">
      <fieldset className="choices" disabled={locked}>
        <legend className="sr-only">Dataset source</legend>
        <label className="choice">
          <input type="radio" name="dataset-kind" checked={dataset.kind === 'hub'} onChange={() => setDataset({ kind: 'hub', id: DEFAULT_DATASET_ID })} data-testid="dataset-hub" />
          <span>
            <strong>Hugging Face dataset</strong>
            <span className="choice__note">Rows with question, context and answer.</span>
          </span>
        </label>
        {dataset.kind === 'hub' && (
          <div className="choice__body">
            <label className="field">
              <span className="field__label">Dataset id</span>
              <input type="text" value={dataset.id} spellCheck={false} onChange={(e) => setDataset({ kind: 'hub', id: e.target.value })} aria-invalid={!isDatasetId(dataset.id)} data-testid="dataset-id" />
              <span className="field__help">owner/name, or owner/name/file.jsonl (.json, .csv) for a dataset other than the default.</span>
              {!isDatasetId(dataset.id) && <span className="field__error">Enter owner/name, e.g. {DEFAULT_DATASET_ID}.</span>}
            </label>
            <HubEndpointField testId="dataset-endpoint" />
          </div>
        )}
        <label className="choice">
          <input type="radio" name="dataset-kind" checked={dataset.kind === 'sample'} onChange={() => setDataset({ kind: 'sample' })} data-testid="dataset-sample" />
          <span>
            <strong>Sample (ships with the app)</strong>
            <span className="choice__note">224 hand-written rows in the same layout; works offline.</span>
          </span>
        </label>
        <label className="choice">
          <input type="radio" name="dataset-kind" checked={dataset.kind === 'synthetic'} onChange={() => setDataset(DEFAULT_SYNTHETIC_CHOICE)} data-testid="dataset-synthetic" />
          <span>
            <strong>Synthetic (generated)</strong>
            <span className="choice__note">Seeded questions with gold SQL over ten everyday schemas; works offline.</span>
          </span>
        </label>
        {dataset.kind === 'synthetic' && <SyntheticOptions size={dataset.size} seed={dataset.seed} onChange={(size, seed) => setDataset({ kind: 'synthetic', size, seed })} />}
        <label className="choice">
          <input type="radio" name="dataset-kind" checked={dataset.kind === 'upload'} onChange={() => setDataset({ kind: 'upload', file: null })} data-testid="dataset-upload" />
          <span>
            <strong>Upload a file</strong>
            <span className="choice__note">JSONL, a JSON array or CSV with a header.</span>
          </span>
        </label>
        {dataset.kind === 'upload' && (
          <div className="choice__body">
            <label className="field">
              <span className="field__label">File</span>
              <input type="file" accept=".jsonl,.ndjson,.json,.csv,.tsv" onChange={(e) => void onFile(e.target.files?.[0])} data-testid="dataset-file" />
            </label>
            {uploadError && (
              <p className="error" role="alert">
                Could not read the file: {uploadError}
              </p>
            )}
            {dataset.file && !uploadError && <ColumnMapping file={dataset.file} />}
          </div>
        )}
      </fieldset>
      <DatasetCheck />
      <ProgressList area="dataset" />
    </Panel>
  );
}

function SyntheticOptions({ size, seed, onChange }: { size: string; seed: string; onChange: (size: string, seed: string) => void }) {
  const checked = syntheticSourceOf(size, seed);
  const problem = 'problem' in checked ? checked.problem : null;
  return (
    <div className="choice__body">
      <label className="field">
        <span className="field__label">Questions</span>
        <input type="text" inputMode="numeric" value={size} onChange={(e) => onChange(e.target.value, seed)} aria-invalid={problem?.includes('size') ?? false} data-testid="synthetic-size" />
      </label>
      <label className="field">
        <span className="field__label">Seed</span>
        <input type="text" inputMode="numeric" value={seed} onChange={(e) => onChange(size, e.target.value)} aria-invalid={problem?.includes('seed') ?? false} data-testid="synthetic-seed" />
        <span className="field__help">The same seed gives the same questions and schemas.</span>
      </label>
      {problem && <span className="field__error">{problem}</span>}
    </div>
  );
}

function ColumnMapping({ file }: { file: UploadedDataset }) {
  const setColumn = useAppStore((s) => s.setColumn);
  return (
    <fieldset className="mapping" data-testid="column-mapping">
      <legend>
        Columns of <code>{file.name}</code>
      </legend>
      {(Object.keys(FIELD_LABELS) as FieldName[]).map((field) => (
        <label key={field} className="mapping__row">
          <span>{FIELD_LABELS[field]}</span>
          <select value={file.mapping[field]} onChange={(e) => setColumn(field, e.target.value)} aria-invalid={!file.mapping[field]}>
            <option value="">— choose —</option>
            {file.columns.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </label>
      ))}
    </fieldset>
  );
}

function DatasetCheck() {
  const check = useAppStore((s) => s.datasetCheck);
  const report = useAppStore((s) => s.run.dataset);
  const inspect = useAppStore((s) => s.inspectDataset);
  return (
    <div className="dataset-check">
      <div className="actions">
        <button type="button" className="secondary" onClick={() => void inspect()} disabled={check.phase === 'checking'} data-testid="dataset-check">
          {check.phase === 'checking' ? 'Checking rows…' : 'Check rows'}
        </button>
        {check.phase === 'unsupported' && <span className="muted">The engine reports the counts when training starts.</span>}
      </div>
      {check.phase === 'failed' && (
        <p className="error" role="alert">
          {check.error}
        </p>
      )}
      {report && <DatasetReportView report={report} />}
    </div>
  );
}

function DatasetReportView({ report }: { report: DatasetReport }) {
  const kinds = Object.entries(report.byKind) as [ProblemKind, number][];
  return (
    <div className="dataset-report" data-testid="dataset-report">
      <p>
        <strong data-testid="dataset-usable">{report.usable.toLocaleString('en-US')}</strong> usable of {report.total.toLocaleString('en-US')} rows in {report.source}
        {report.skipped > 0 && <>, {report.skipped.toLocaleString('en-US')} skipped</>}.
      </p>
      {report.split && (
        <p className="muted">
          Split: {report.split.train.toLocaleString('en-US')} for training, {report.split.eval.toLocaleString('en-US')} held out for evaluation.
        </p>
      )}
      {report.prompts && (
        <p className="muted" data-testid="dataset-prompts">
          Prompts at max_prompt_length {report.prompts.maxPromptLength}: {report.prompts.pruned.toLocaleString('en-US')} of {report.prompts.checked.toLocaleString('en-US')} with the schema pruned to
          fit, {report.prompts.refused.toLocaleString('en-US')} refused.
        </p>
      )}
      {kinds.length > 0 && (
        <ul className="reasons">
          {kinds.map(([kind, n]) => (
            <li key={kind}>
              <span className="reasons__count">{n.toLocaleString('en-US')}</span> {PROBLEM_LABELS[kind] ?? kind}
            </li>
          ))}
        </ul>
      )}
      {report.skippedExamples.length > 0 && (
        <details>
          <summary>Skipped rows and why</summary>
          <ul className="skipped">
            {report.skippedExamples.map((p) => (
              <li key={`${p.index}-${p.kind}`}>
                <span className="muted">{p.where ?? `row ${p.index}`}:</span> {p.reason}
              </li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}
