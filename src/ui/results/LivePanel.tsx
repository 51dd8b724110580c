/**
 * What to watch while a run is under way, sized to share one screen with the run controls: the
 * reward and loss plots beside the latest step's group tables.
 */
import { Panel } from '../Panel';
import { StepGroupsView } from '../groups/GroupsPanel';
import { CHARTS } from '../metric-series';
import { MetricChart, useMetricKeys } from '../plots/MetricsPanel';
import { useAppStore } from '../store-context';
import { WarmupLossChart } from './WarmupPanel';

/** The plots of the live view, by CHARTS id. */
const LIVE_CHARTS = ['reward', 'loss'];
/** Short enough that both plots and their legends fit beside the groups on a 720 px high screen. */
const LIVE_CHART_HEIGHT = 120;

export function LivePanel() {
  const keys = useMetricKeys();
  // While the warm-up runs (no GRPO step yet), its loss is what moves.
  const warmingUp = useAppStore((s) => s.run.warmupMetrics.length > 0 && s.run.metrics.length === 0);
  return (
    <div className="live" data-testid="live-panel">
      <section className="panel live__charts" aria-label="Reward and loss" data-testid="live-plots">
        {warmingUp && <WarmupLossChart height={LIVE_CHART_HEIGHT} compact />}
        {CHARTS.filter((c) => LIVE_CHARTS.includes(c.id)).map((spec) => (
          <MetricChart key={spec.id} spec={spec} keys={keys} height={LIVE_CHART_HEIGHT} compact />
        ))}
      </section>
      <LatestGroups />
    </div>
  );
}

function LatestGroups() {
  const latest = useAppStore((s) => s.run.groupSteps[s.run.groupSteps.length - 1]);
  return (
    <Panel title={latest ? `Latest groups · step ${latest.step}` : 'Latest groups'} testId="live-groups">
      {latest ? (
        <StepGroupsView key={latest.step} groups={latest.groups} />
      ) : (
        <p className="muted">Each step's prompts, with every completion's rewards and advantage, appear here once training starts.</p>
      )}
    </Panel>
  );
}
