/**
 * Held-out evaluation over the run: execution accuracy and format compliance, plotted by step, with
 * how many prompts had their schema pruned to fit max_prompt_length and how many could not be built.
 */
import type { MetricsRow } from '../../grpo/metrics';
import { Panel } from '../Panel';
import { LinePlot, type RowSource } from '../plots/LinePlot';
import type { SeriesSpec } from '../metric-series';
import type { AppState } from '../store';
import { useAppStore } from '../store-context';

const SERIES: SeriesSpec[] = [
  { key: 'execution_accuracy', label: 'execution accuracy' },
  { key: 'format_compliance', label: 'format compliance' },
];

// EvalRecords are rows of numbers keyed by step: the plot reads them as metric rows.
const selectEvals = (s: AppState): RowSource => ({ rows: s.run.evals as unknown as MetricsRow[], epoch: s.run.metricsEpoch });

function percent(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

export function EvalPanel() {
  const evals = useAppStore((s) => s.run.evals);
  const latest = evals[evals.length - 1];
  return (
    <Panel title="Evaluation" subtitle="On the held-out split, every eval_steps steps" double testId="eval-panel">
      {latest ? (
        <>
          <div className="stats">
            <div className="stat">
              <span className="stat__value" data-testid="eval-accuracy">
                {percent(latest.execution_accuracy)}
              </span>
              <span className="stat__label">execution accuracy</span>
            </div>
            <div className="stat">
              <span className="stat__value">{percent(latest.format_compliance)}</span>
              <span className="stat__label">format compliance</span>
            </div>
            <p className="muted stat__note" data-testid="eval-prompts">
              Step {latest.step}, {latest.examples} examples
              {/* Records from checkpoints made before these counts existed lack them. */}
              {typeof latest.prompts_pruned === 'number' && (
                <>
                  ; prompts: {latest.prompts_pruned} with the schema pruned to fit, {latest.prompts_refused} refused (left out)
                </>
              )}
            </p>
          </div>
          <LinePlot series={SERIES} select={selectEvals} label="Execution accuracy and format compliance by step" yRange={[0, 1]} appendOnly={false} />
        </>
      ) : (
        <p className="muted">No evaluation yet. It runs before training and then every eval_steps steps (0 turns it off).</p>
      )}
    </Panel>
  );
}
