/**
 * Histogram of the advantages of the latest step's completions (from its group records): how much
 * signal the step had. All zeros means every group's rewards were equal, and nothing was learned.
 */
import { useEffect, useMemo, useRef } from 'react';
import type uPlot from 'uplot';
import { binsFor, histogram } from '../histogram';
import { useAppStore } from '../store-context';
import type { StepGroups } from '../training-state';
import { barChartOptions } from './chart-options';
import { UPlot } from './UPlot';

function advantagesOf(step: StepGroups | undefined): number[] {
  return step ? step.groups.flatMap((g) => g.completions.map((c) => c.advantage)) : [];
}

function barData(values: readonly number[]): uPlot.AlignedData {
  const h = histogram(values, binsFor(values.length));
  const centres = h.counts.map((_, i) => (h.edges[i]! + h.edges[i + 1]!) / 2);
  return [centres, h.counts];
}

export function AdvantageHistogram() {
  const latest = useAppStore((s) => s.run.groupSteps[s.run.groupSteps.length - 1]);
  const values = useMemo(() => advantagesOf(latest), [latest]);
  const chart = useRef<uPlot | null>(null);

  // One small array per step: replaced whole, no need to append.
  useEffect(() => {
    chart.current?.setData(barData(values));
  }, [values]);

  if (!latest) return <p className="muted chart__empty">No group records yet.</p>;
  const zeros = values.every((v) => v === 0);
  return (
    <>
      <UPlot
        label={`Histogram of the advantages of step ${latest.step}`}
        makeOptions={(width) => barChartOptions(width, 'advantage', 'completions')}
        initialData={() => barData(values)}
        onChart={(c) => {
          chart.current = c;
        }}
      />
      <p className="chart__caption">
        Step {latest.step}: {values.length} completions
        {zeros && values.length > 0 && ' — all advantages are 0 (equal rewards within every group: no learning signal)'}
      </p>
    </>
  );
}
