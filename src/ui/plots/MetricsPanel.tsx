/**
 * Live training plots (TRL's metric names) and the metrics export.
 */
import { Panel } from '../Panel';
import { CHARTS, metricKeySignature, type ChartSpec } from '../metric-series';
import type { AppState } from '../store';
import { useAppStore } from '../store-context';
import { AdvantageHistogram } from './AdvantageHistogram';
import { LinePlot, type RowSource } from './LinePlot';

const selectMetrics = (s: AppState): RowSource => ({ rows: s.run.metrics, epoch: s.run.metricsEpoch });

/** Every metric name logged so far (re-renders only when that set changes, not per step). */
export function useMetricKeys(): ReadonlySet<string> {
  const signature = useAppStore((s) => metricKeySignature(s.run.metrics));
  return new Set(signature ? signature.split('|') : []);
}

export function MetricsPanel() {
  const rows = useAppStore((s) => s.run.metrics.length);
  const exportMetrics = useAppStore((s) => s.exportMetrics);
  const keys = useMetricKeys();

  return (
    <Panel title="Training metrics" subtitle="Per optimizer step, under TRL's names" wide testId="metrics-panel">
      <div className="actions">
        <button type="button" className="secondary" onClick={() => exportMetrics('csv')} disabled={rows === 0} data-testid="export-csv">
          Export CSV
        </button>
        <button type="button" className="secondary" onClick={() => exportMetrics('jsonl')} disabled={rows === 0} data-testid="export-jsonl">
          Export JSONL
        </button>
        <span className="muted" data-testid="metrics-steps">
          {rows === 0 ? 'No steps logged yet' : `${rows} step${rows === 1 ? '' : 's'} logged`}
        </span>
      </div>
      <div className="charts">
        {CHARTS.map((spec) => (
          <MetricChart key={spec.id} spec={spec} keys={keys} />
        ))}
        <figure className="chart" data-testid="chart-advantages">
          <figcaption className="chart__title">Advantages (latest step)</figcaption>
          <AdvantageHistogram />
        </figure>
      </div>
    </Panel>
  );
}

/** One plot of CHARTS; `height` and `compact` make it small (see lineChartOptions). */
export function MetricChart({ spec, keys, height, compact }: { spec: ChartSpec; keys: ReadonlySet<string>; height?: number; compact?: boolean }) {
  const series = spec.series(keys);
  return (
    <figure className="chart" data-testid={`chart-${spec.id}`}>
      <figcaption className="chart__title">{spec.title}</figcaption>
      {series.length === 0 ? (
        <p className="muted chart__empty">{spec.emptyNote}</p>
      ) : (
        // Remount when the series change (a reward appears): uPlot's series are fixed at creation.
        <LinePlot key={series.map((s) => s.key).join('|')} series={series} select={selectMetrics} label={`${spec.title} by step`} height={height} compact={compact} />
      )}
    </figure>
  );
}
