/**
 * A uPlot canvas that fills its container's width. The chart is made once, on mount; the parent
 * pushes data through the handle `onChart` receives, outside React renders.
 */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

interface UPlotProps {
  /** Options for a given width (called again only to rebuild, never per data update). */
  makeOptions: (width: number) => uPlot.Options;
  initialData: () => uPlot.AlignedData;
  /** Receives the chart (and null on teardown): the parent pushes data into it. */
  onChart: (chart: uPlot | null) => void;
  label: string;
}

export function UPlot({ makeOptions, initialData, onChart, label }: UPlotProps) {
  const container = useRef<HTMLDivElement>(null);
  // Kept in refs so a parent re-render with new closures does not rebuild the chart.
  const latest = useRef({ makeOptions, initialData, onChart, label });
  latest.current = { makeOptions, initialData, onChart, label };

  useEffect(() => {
    const el = container.current;
    if (!el) return;
    const width = Math.max(200, el.clientWidth);
    const chart = new uPlot(latest.current.makeOptions(width), latest.current.initialData(), el);
    // The drawing is one image for screen readers; the legend (latest values, series toggles) stays readable.
    const plot = chart.root.querySelector('.u-wrap');
    plot?.setAttribute('role', 'img');
    plot?.setAttribute('aria-label', latest.current.label);
    keyboardLegend(chart);
    latest.current.onChart(chart);
    // Follow the container's width (window resizes, grid reflow).
    const resize = new ResizeObserver(() => {
      const w = Math.max(200, el.clientWidth);
      if (Math.abs(w - chart.width) > 1) chart.setSize({ width: w, height: chart.height });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      latest.current.onChart(null);
      chart.destroy();
    };
  }, []);

  return <div ref={container} className="uplot-host" />;
}

/**
 * uPlot shows or hides a series when its legend label is clicked, a mouse-only control: make each
 * label a toggle button that the keyboard reaches (Tab) and works (Enter, Space), with its state.
 */
function keyboardLegend(chart: uPlot): void {
  const labels = chart.root.querySelectorAll<HTMLElement>('.u-legend .u-series > th');
  labels.forEach((th, i) => {
    const label = th.querySelector<HTMLElement>('.u-label');
    // Series 0 is the x axis: its legend entry only shows the step under the cursor.
    if (i === 0 || !label) return;
    const sync = () => label.setAttribute('aria-pressed', String(chart.series[i]?.show !== false));
    label.setAttribute('role', 'button');
    label.tabIndex = 0;
    label.title = 'Show or hide this series';
    sync();
    label.addEventListener('keydown', (e) => {
      if (e.key !== 'Enter' && e.key !== ' ') return;
      e.preventDefault();
      chart.setSeries(i, { show: chart.series[i]?.show === false });
      sync();
    });
    // After uPlot's own click handler (registered first) has toggled the series.
    th.addEventListener('click', sync);
  });
}
