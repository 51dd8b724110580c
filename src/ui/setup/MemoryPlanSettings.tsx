/**
 * The GPU memory budget and the plan a run with these settings would take within it: the
 * micro-batch split (TRL's names) and loss-head chunk, and each term of the plan; or why no plan
 * fits. The plan is computed by the engine from the model's config.json. How the frozen weights are
 * stored (float32 or int8) is chosen here too, since it changes the plan.
 */
import { useMemo } from 'react';
import { formatBytes, parseBudgetGiB, planRows, planSummary } from '../memory-view';
import { useAppStore } from '../store-context';
import { isActive } from '../training-state';

export function MemoryPlanSettings() {
  const text = useAppStore((s) => s.setup.gpuMemoryBudget ?? '');
  const setBudget = useAppStore((s) => s.setGpuMemoryBudget);
  const weightDtype = useAppStore((s) => s.setup.weightDtype ?? 'float32');
  const setWeightDtype = useAppStore((s) => s.setWeightDtype);
  const check = useAppStore((s) => s.memoryPlan);
  const checkPlan = useAppStore((s) => s.checkMemoryPlan);
  const locked = useAppStore((s) => isActive(s.run.phase));
  const parsed = useMemo(() => parseBudgetGiB(text), [text]);
  const problem = 'problem' in parsed ? parsed.problem : null;
  return (
    <fieldset className="settings__group" data-testid="memory-plan" disabled={locked}>
      <legend className="group-title">GPU memory</legend>
      <div className={`setting${problem ? ' has-error' : ''}`}>
        <label htmlFor="gpu-memory-budget" className="setting__name">
          GPU memory budget (GiB)
        </label>
        <input
          id="gpu-memory-budget"
          type="text"
          inputMode="decimal"
          placeholder="6"
          value={text}
          onChange={(e) => setBudget(e.target.value)}
          aria-invalid={problem ? true : undefined}
          aria-describedby={problem ? 'gpu-memory-budget-help gpu-memory-budget-error' : 'gpu-memory-budget-help'}
          data-testid="gpu-memory-budget"
        />
        <span id="gpu-memory-budget-help" className="setting__help">
          The run picks the micro-batch and loss-head chunk that fit (default 6 GiB, for an 8 GB GPU)
        </span>
        {problem && (
          <span id="gpu-memory-budget-error" className="field__error" role="alert">
            {problem}
          </span>
        )}
      </div>
      <div className="setting">
        <label htmlFor="weight-dtype" className="setting__name">
          Frozen weights
        </label>
        <select id="weight-dtype" value={weightDtype} onChange={(e) => setWeightDtype(e.target.value === 'int8' ? 'int8' : 'float32')} aria-describedby="weight-dtype-help" data-testid="weight-dtype">
          <option value="float32">float32</option>
          <option value="int8">int8 (8 bits per weight)</option>
        </select>
        <span id="weight-dtype-help" className="setting__help">
          int8 keeps the model's projections and embedding in 8 bits on the GPU (a quarter of the memory), dequantized inside each step; LoRA trains as before
        </span>
      </div>
      <div className="actions">
        <button type="button" className="secondary small" onClick={() => void checkPlan()} disabled={check.phase === 'checking' || problem !== null} data-testid="memory-plan-check">
          {check.phase === 'checking' ? 'Planning…' : 'Plan GPU memory'}
        </button>
      </div>
      <PlanResult />
    </fieldset>
  );
}

function PlanResult() {
  const check = useAppStore((s) => s.memoryPlan);
  if (check.phase === 'failed') {
    return (
      <p className="error" role="alert" data-testid="memory-plan-error">
        Could not plan: {check.error}
      </p>
    );
  }
  if (check.phase === 'unsupported') return <p className="muted">This engine cannot plan memory.</p>;
  if (check.phase !== 'known') return null;
  const { report } = check;
  if (!report.plan) {
    return (
      <p className="error" role="alert" data-testid="memory-plan-refusal">
        {report.refusal}
      </p>
    );
  }
  const plan = report.plan;
  return (
    <div data-testid="memory-plan-result">
      <p className="status-line" data-testid="memory-plan-summary">
        {planSummary(plan)}
      </p>
      <table className="limits" data-testid="memory-plan-terms">
        <caption className="sr-only">Planned GPU memory, term by term</caption>
        <tbody>
          {planRows(plan).map((row) => (
            <tr key={row.key} title={row.how}>
              <th scope="row">{row.name}</th>
              <td>{row.size}</td>
              <td>{Math.round(row.share * 100)}%</td>
            </tr>
          ))}
          <tr>
            <th scope="row">Total</th>
            <td>{formatBytes(plan.total)}</td>
            <td />
          </tr>
        </tbody>
      </table>
    </div>
  );
}
