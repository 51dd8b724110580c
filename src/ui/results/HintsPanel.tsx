/**
 * The hint store (issue 6) as it learns: each hint's type, pattern, weight, tables and evidence,
 * with edit, pin and delete, JSON export/import, and each hint's history when the engine sends it.
 */
import { useState } from 'react';
import type { HintEvent } from '../../hints/types';
import type { HintRecordWithHistory } from '../../worker/dashboard-api';
import { Panel } from '../Panel';
import { useAppStore } from '../store-context';

export function HintsPanel() {
  const hints = useAppStore((s) => s.run.hints);
  const step = useAppStore((s) => s.run.hintsStep);
  const mode = useAppStore((s) => s.setup.mode);
  return (
    <Panel title="Hints" subtitle="Learned prefer / avoid guidance written into prompts (hints and both modes)" wide testId="hints-panel">
      <HintsToolbar />
      {hints.length === 0 ? (
        <p className="muted" data-testid="hints-empty">
          {step === null
            ? mode === 'lora'
              ? 'LoRA mode learns no hints; choose Hints or Both to learn them.'
              : 'Hints appear here as training finds patterns that raise or lower rewards.'
            : `No hints at step ${step}.`}
        </p>
      ) : (
        <>
          <p className="muted">
            {hints.length} hint{hints.length === 1 ? '' : 's'} at step {step}; strongest first in prompts.
          </p>
          <div className="table-scroll">
            <table className="hints-table" data-testid="hints-table">
              <thead>
                <tr>
                  <th scope="col">Type</th>
                  <th scope="col">Pattern</th>
                  <th scope="col">Description</th>
                  <th scope="col" className="num">
                    Weight
                  </th>
                  <th scope="col">Tables</th>
                  <th scope="col" className="num">
                    Evidence
                  </th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {[...hints]
                  .sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight))
                  .map((h) => (
                    <HintRow key={h.id} hint={h} />
                  ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </Panel>
  );
}

function HintsToolbar() {
  const exportHints = useAppStore((s) => s.exportHints);
  const importHints = useAppStore((s) => s.importHints);
  return (
    <div className="actions">
      <button type="button" className="secondary" onClick={() => void exportHints()} data-testid="export-hints">
        Export JSON
      </button>
      <label className="file-button">
        <span>Import JSON</span>
        <input
          type="file"
          accept=".json,application/json"
          onChange={async (e) => {
            const file = e.target.files?.[0];
            e.target.value = '';
            if (file) await importHints(await file.text());
          }}
          data-testid="import-hints"
        />
      </label>
    </div>
  );
}

function WeightBar({ weight }: { weight: number }) {
  const width = `${Math.min(1, Math.abs(weight)) * 50}%`;
  return (
    <span className="weight">
      <span className="weight__track" aria-hidden="true">
        <span className={weight >= 0 ? 'weight__fill weight__fill--prefer' : 'weight__fill weight__fill--avoid'} style={{ width, [weight >= 0 ? 'left' : 'right']: '50%' }} />
      </span>
      <span className="weight__value">
        {weight >= 0 ? '+' : ''}
        {weight.toFixed(3)}
      </span>
    </span>
  );
}

function HintRow({ hint }: { hint: HintRecordWithHistory }) {
  const editHint = useAppStore((s) => s.editHint);
  const [editing, setEditing] = useState(false);
  const [showHistory, setShowHistory] = useState(false);
  const [description, setDescription] = useState(hint.description);
  const [weight, setWeight] = useState(String(hint.weight));
  const weightValue = Number(weight);
  const weightOk = weight.trim() !== '' && Number.isFinite(weightValue) && weightValue >= -1 && weightValue <= 1;

  const save = async () => {
    if (!weightOk) return;
    await editHint(hint.id, { description: description.trim(), weight: weightValue });
    setEditing(false);
  };
  const startEditing = () => {
    setDescription(hint.description);
    setWeight(String(hint.weight));
    setEditing(true);
  };
  const cols = 7;

  return (
    <>
      <tr data-testid="hint-row" className={hint.pinned ? 'is-pinned' : undefined}>
        <td>
          <span className={`chip chip--${hint.hint_type}`}>{hint.hint_type}</span>
          {hint.pinned && (
            <span className="chip chip--pinned" title="Pinned: never decays or gets pruned">
              pinned
            </span>
          )}
        </td>
        <td>
          <code>{hint.pattern}</code>
        </td>
        <td>
          {editing ? (
            <input type="text" value={description} onChange={(e) => setDescription(e.target.value)} aria-label={`Description of ${hint.pattern}`} />
          ) : (
            hint.description
          )}
        </td>
        <td className="num">
          {editing ? (
            <>
              <input type="text" inputMode="decimal" className="narrow" value={weight} onChange={(e) => setWeight(e.target.value)} aria-label={`Weight of ${hint.pattern}`} aria-invalid={!weightOk} />
              {!weightOk && <span className="field__error">between −1 and 1</span>}
            </>
          ) : (
            <WeightBar weight={hint.weight} />
          )}
        </td>
        <td>{hint.tables.length ? hint.tables.join(', ') : <span className="muted">any</span>}</td>
        <td className="num">{hint.evidence_count}</td>
        <td className="row-actions">
          {editing ? (
            <>
              <button type="button" className="small" onClick={() => void save()} disabled={!weightOk}>
                Save
              </button>
              <button type="button" className="secondary small" onClick={() => setEditing(false)}>
                Cancel
              </button>
            </>
          ) : (
            <>
              <button type="button" className="secondary small" onClick={startEditing} aria-label={`Edit ${hint.pattern}`}>
                Edit
              </button>
              <button type="button" className="secondary small" onClick={() => void editHint(hint.id, { pinned: !hint.pinned })} aria-label={`${hint.pinned ? 'Unpin' : 'Pin'} ${hint.pattern}`}>
                {hint.pinned ? 'Unpin' : 'Pin'}
              </button>
              <button type="button" className="danger small" onClick={() => void editHint(hint.id, 'delete')} aria-label={`Delete ${hint.pattern}`}>
                Delete
              </button>
              {hint.history && hint.history.length > 0 && (
                <button type="button" className="link small" onClick={() => setShowHistory(!showHistory)} aria-expanded={showHistory}>
                  History ({hint.history.length})
                </button>
              )}
            </>
          )}
        </td>
      </tr>
      {showHistory && hint.history && (
        <tr className="history-row">
          <td colSpan={cols}>
            <HintHistory events={hint.history} />
          </td>
        </tr>
      )}
    </>
  );
}

function HintHistory({ events }: { events: HintEvent[] }) {
  return (
    <ol className="hint-history">
      {[...events].reverse().map((e, i) => (
        <li key={i}>
          <span className="muted">Step {e.from_step !== undefined ? `${e.from_step}–${e.step}` : e.step}</span> <strong>{e.kind}</strong> {e.old_weight.toFixed(3)} → {e.new_weight.toFixed(3)}
          {e.evidence && <span className="muted"> · {e.evidence.length} completions</span>}
          {e.note && <span className="muted"> · {e.note}</span>}
        </li>
      ))}
    </ol>
  );
}
