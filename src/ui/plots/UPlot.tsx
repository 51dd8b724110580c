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
  const latest = useRef({ makeOptions, initialData, onChart });
  latest.current = { makeOptions, initialData, onChart };

  useEffect(() => {
    const el = container.current;
    if (!el) return;
    const width = Math.max(200, el.clientWidth);
    const chart = new uPlot(latest.current.makeOptions(width), latest.current.initialData(), el);
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

  return <div ref={container} className="uplot-host" role="img" aria-label={label} />;
}
