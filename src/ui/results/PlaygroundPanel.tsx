/**
 * "Use what you trained": a question and a schema (typed, or a row the run has seen) answered by
 * the model the run loaded, with the trained adapter and the base model side by side, the text as
 * it streams, and the extracted SQL run on a synthetic database built from the schema.
 */
import { useEffect, useMemo, useState } from 'react';
import type { PlaygroundOutput } from '../../worker/training-api';
import { Panel } from '../Panel';
import { adapterFilePair, playgroundCheckpoints, playgroundRows, type PlaygroundColumn, type PlaygroundForm } from '../playground-form';
import { useAppStore } from '../store-context';
import { ResultTable } from '../groups/ResultTable';

const MODEL_LABEL = { base: 'Base model (LoRA off)', adapter: 'Trained adapter' } as const;

export function PlaygroundPanel() {
  const pg = useAppStore((s) => s.playground);
  const phase = useAppStore((s) => s.run.phase);
  const refresh = useAppStore((s) => s.refreshPlayground);
  const generate = useAppStore((s) => s.generatePlayground);
  // Whether a model is loaded and free changes with the run's phase.
  useEffect(() => void refresh(), [phase, refresh]);
  const status = pg.status;

  return (
    <Panel title="Playground" subtitle="Use what you trained: ask the loaded model a question about a schema" wide testId="playground-panel">
      {status === 'unsupported' ? (
        <p className="muted">This engine has no playground.</p>
      ) : status === null ? (
        <p className="muted">Checking for a loaded model…</p>
      ) : status.model === null ? (
        <p className="muted" data-testid="playground-no-model">
          Train or load a model first: the playground uses the model a training run loaded (it stays loaded when the run is paused, stopped or finished).
        </p>
      ) : (
        <>
          <p className="muted" data-testid="playground-model">
            Model {status.model}
            {status.adapter ? ' with the run’s LoRA adapter' : ' (no adapter)'}; prompts as in training (max_prompt_length {status.maxPromptLength}).
          </p>
          <AdapterSourcePicker runAdapter={status.adapter} modelId={status.model} />
          <PlaygroundInputs adapter={status.adapter || pg.form.adapterSource !== 'run'} />
          {status.blocked && !pg.running && (
            <p className="notice notice--info" data-testid="playground-blocked">
              {status.blocked}
            </p>
          )}
          <div className="actions">
            <button type="button" onClick={() => void generate()} disabled={pg.running || status.blocked !== null} data-testid="playground-generate">
              {pg.running ? 'Generating…' : 'Generate'}
            </button>
            {pg.promptTokens !== null && <span className="muted">prompt: {pg.promptTokens} tokens</span>}
          </div>
        </>
      )}
      {pg.problems.length > 0 && (
        <ul className="problems" data-testid="playground-problems">
          {pg.problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
      {pg.columns.length > 0 && (
        <div className="playground-columns" data-testid="playground-outputs">
          {pg.columns.map((c) => (
            <OutputColumn key={c.model} column={c} running={pg.running} />
          ))}
        </div>
      )}
    </Panel>
  );
}

/** Whose LoRA the adapter output uses: the run's current one, a saved checkpoint's, or adapter files. */
function AdapterSourcePicker({ runAdapter, modelId }: { runAdapter: boolean; modelId: string }) {
  const form = useAppStore((s) => s.playground.form);
  const all = useAppStore((s) => s.playground.checkpoints);
  const files = useAppStore((s) => s.playground.adapterFiles);
  const setForm = useAppStore((s) => s.setPlaygroundForm);
  const setFiles = useAppStore((s) => s.setPlaygroundAdapterFiles);
  const checkpoints = useMemo(() => playgroundCheckpoints(all, modelId), [all, modelId]);
  const [fileProblem, setFileProblem] = useState<string | null>(null);
  const value = form.adapterSource === 'checkpoint' ? `checkpoint:${form.checkpointId}` : form.adapterSource;
  const onSource = (v: string) => {
    if (v.startsWith('checkpoint:')) setForm({ adapterSource: 'checkpoint', checkpointId: v.slice('checkpoint:'.length) });
    else setForm({ adapterSource: v as 'run' | 'files' });
  };
  const onFiles = async (list: FileList | null) => {
    const pair = adapterFilePair([...(list ?? [])]);
    if (!pair.ok) return setFileProblem(pair.problem);
    setFileProblem(null);
    const folder = pair.weights.webkitRelativePath?.split('/')[0] || pair.weights.name;
    setFiles({ name: folder, adapter: { configJson: await pair.config.text(), safetensors: new Uint8Array(await pair.weights.arrayBuffer()) } });
  };
  return (
    <div className="playground-form">
      <label className="field">
        <span className="field__label">Adapter</span>
        <select value={value} onChange={(e) => onSource(e.target.value)} data-testid="playground-adapter-source">
          <option value="run">{runAdapter ? 'The run’s current LoRA' : 'The run’s current LoRA (none: base only)'}</option>
          {checkpoints.map((c) => (
            <option key={c.id} value={`checkpoint:${c.id}`}>
              Checkpoint at step {c.step} ({new Date(c.createdAt).toLocaleString()})
            </option>
          ))}
          <option value="files">Adapter files (PEFT / Unsloth)…</option>
        </select>
      </label>
      {form.adapterSource === 'files' && (
        <label className="field">
          <span className="field__label">adapter_config.json and adapter_model.safetensors (pick both)</span>
          <input type="file" multiple accept=".json,.safetensors" onChange={(e) => void onFiles(e.target.files)} data-testid="playground-adapter-files" />
          {files && <span className="field__help">Loaded: {files.name}</span>}
          {fileProblem && <span className="notice notice--error">{fileProblem}</span>}
        </label>
      )}
    </div>
  );
}

function PlaygroundInputs({ adapter }: { adapter: boolean }) {
  const form = useAppStore((s) => s.playground.form);
  const setForm = useAppStore((s) => s.setPlaygroundForm);
  const pick = useAppStore((s) => s.pickPlaygroundRow);
  const groupSteps = useAppStore((s) => s.run.groupSteps);
  const rows = useMemo(() => playgroundRows(groupSteps), [groupSteps]);
  const text = (name: keyof PlaygroundForm) => ({
    value: form[name] as string,
    onChange: (e: { target: { value: string } }) => setForm({ [name]: e.target.value }),
  });
  return (
    <div className="playground-form">
      {rows.length > 0 && (
        <label className="field">
          <span className="field__label">A question the run has seen</span>
          <select value="" onChange={(e) => e.target.value !== '' && pick(rows[Number(e.target.value)]!)} data-testid="playground-row">
            <option value="">Pick a row…</option>
            {rows.map((r, i) => (
              <option key={i} value={i}>
                {r.question}
              </option>
            ))}
          </select>
        </label>
      )}
      <label className="field">
        <span className="field__label">Question</span>
        <input type="text" {...text('question')} data-testid="playground-question" />
      </label>
      <label className="field">
        <span className="field__label">Schema (CREATE TABLE statements)</span>
        <textarea rows={4} spellCheck={false} {...text('context')} data-testid="playground-schema" />
      </label>
      <label className="field">
        <span className="field__label">Reference SQL (optional: the answer is judged against it)</span>
        <input type="text" spellCheck={false} {...text('gold')} data-testid="playground-gold" />
      </label>
      <div className="playground-controls">
        <label className="field">
          <span className="field__label">Temperature (0 = greedy)</span>
          <input type="number" min={0} step={0.1} {...text('temperature')} data-testid="playground-temperature" />
        </label>
        <label className="field">
          <span className="field__label">Top-p</span>
          <input type="number" min={0} max={1} step={0.05} {...text('topP')} />
        </label>
        <label className="field">
          <span className="field__label">Max new tokens</span>
          <input type="number" min={1} max={1024} step={1} {...text('maxNewTokens')} data-testid="playground-max-tokens" />
        </label>
        <label className="field">
          <span className="field__label">Seed</span>
          <input type="number" step={1} {...text('seed')} />
        </label>
        {adapter && (
          <label className="field field--inline">
            <input type="checkbox" checked={form.compareBase} onChange={(e) => setForm({ compareBase: e.target.checked })} data-testid="playground-compare" /> Base model beside the adapter
          </label>
        )}
      </div>
    </div>
  );
}

function OutputColumn({ column, running }: { column: PlaygroundColumn; running: boolean }) {
  const { output } = column;
  return (
    <section className="playground-output" data-testid={`playground-output-${column.model}`}>
      <h3>
        {MODEL_LABEL[column.model]}
        {output?.adapterLabel && `: ${output.adapterLabel}`}
      </h3>
      <pre className="playground-text" data-testid={`playground-text-${column.model}`}>
        {column.text || (running ? '…' : '')}
      </pre>
      <p className="muted">
        {column.tokens} tokens
        {output && `, ${output.finished ? 'ended by a stop token' : 'cut at max new tokens'}, ${(output.ms / 1000).toFixed(1)} s`}
      </p>
      {output && <SqlResult output={output} />}
    </section>
  );
}

function SqlResult({ output }: { output: PlaygroundOutput }) {
  if (output.sql === null) return <p className="muted">No SQL found in the answer.</p>;
  const ex = output.execution;
  return (
    <div data-testid={`playground-sql-${output.model}`}>
      <pre className="playground-sql">{output.sql}</pre>
      {ex?.error ? (
        <p className="notice notice--error">The query failed: {ex.error}</p>
      ) : ex ? (
        <>
          {ex.equivalent !== undefined && <p>{ex.equivalent ? 'Same results as the reference SQL on every synthetic database.' : 'Results differ from the reference SQL.'}</p>}
          <div className="table-scroll" data-testid={`playground-rows-${output.model}`}>
            <ResultTable result={ex} caption="First rows on a synthetic database built from the schema" />
          </div>
        </>
      ) : null}
    </div>
  );
}
