/**
 * The supervised warm-up (SFT before GRPO): its loss by warm-up step, gradient norm and learning
 * rate, and its held-out evaluations. Empty until a run with a warm-up starts.
 */
import type { MetricsRow } from '../../grpo/metrics';
import { Panel } from '../Panel';
import { LinePlot, type RowSource } from '../plots/LinePlot';
import type { AppState } from '../store';
import { useAppStore } from '../store-context';

const selectWarmup = (s: AppState): RowSource => ({ rows: s.run.warmupMetrics, epoch: s.run.metricsEpoch });
const selectWarmupEvals = (s: AppState): RowSource => ({ rows: s.run.warmupEvals as unknown as MetricsRow[], epoch: s.run.metricsEpoch });

/** The warm-up's loss plot alone (also shown in the live view while the warm-up runs). */
export function WarmupLossChart({ height, compact }: { height?: number; compact?: boolean }) {
  return (
    <figure className="chart" data-testid="chart-warmup-loss">
      <figcaption className="chart__title">Warm-up loss (mean token NLL of the target completions)</figcaption>
      <LinePlot series={[{ key: 'loss', label: 'loss' }]} select={selectWarmup} label="Warm-up loss by step" height={height} compact={compact} />
    </figure>
  );
}

export function WarmupPanel() {
  const rows = useAppStore((s) => s.run.warmupMetrics);
  const evals = useAppStore((s) => s.run.warmupEvals);
  const last = rows[rows.length - 1];
  if (!last) {
    return (
      <Panel title="Warm-up (SFT)" subtitle="Supervised fine-tuning of the adapter before GRPO" wide testId="warmup-panel">
        <p className="muted">No warm-up in this run. Turn it on under Settings → Warm-up: the adapter first learns the answer format from the dataset's gold queries, then GRPO starts from it.</p>
      </Panel>
    );
  }
  const lastEval = evals[evals.length - 1];
  return (
    <Panel title="Warm-up (SFT)" subtitle="Supervised fine-tuning of the adapter before GRPO, under TRL SFTTrainer's names" wide testId="warmup-panel">
      <p className="status-line" data-testid="warmup-status">
        Step {last.step}: loss {last.loss.toFixed(4)}, grad_norm {last.grad_norm.toFixed(3)}, epoch {last.epoch.toFixed(2)}
        {lastEval && (
          <>
            ; held-out execution accuracy {(100 * lastEval.execution_accuracy).toFixed(1)}% at step {lastEval.step} ({lastEval.examples} examples)
          </>
        )}
      </p>
      <div className="charts">
        <WarmupLossChart />
        <figure className="chart" data-testid="chart-warmup-grad-norm">
          <figcaption className="chart__title">Warm-up gradient norm and learning rate</figcaption>
          <LinePlot series={[{ key: 'grad_norm', label: 'grad_norm' }]} select={selectWarmup} label="Warm-up gradient norm by step" />
        </figure>
        {evals.length > 0 && (
          <figure className="chart" data-testid="chart-warmup-eval">
            <figcaption className="chart__title">Warm-up held-out evaluation</figcaption>
            <LinePlot
              series={[
                { key: 'execution_accuracy', label: 'execution accuracy' },
                { key: 'format_compliance', label: 'format compliance' },
              ]}
              select={selectWarmupEvals}
              label="Warm-up execution accuracy and format compliance by step"
              yRange={[0, 1]}
              appendOnly={false}
            />
          </figure>
        )}
      </div>
    </Panel>
  );
}
