/**
 * Shared uPlot options: palette, axes with short ticks, a height that suits a grid of small plots.
 */
import uPlot from 'uplot';
import { formatTick, paddedRange, STEP_INCREMENTS, type SeriesSpec } from '../metric-series';

export const CHART_HEIGHT = 190;

/** Distinguishable on white and for the common colour-vision deficiencies (Okabe–Ito, darkened). */
export const PALETTE = ['#2f5bea', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#7a5c00', '#333333', '#a0325a'];

const axisFont = '12px system-ui, sans-serif';

/** Legend value: at the cursor, or the latest value while the cursor is off the plot. */
function legendValue(u: uPlot, value: number | null, seriesIdx: number, idx: number | null): string {
  const shown = idx === null ? lastFinite(u.data[seriesIdx] as (number | null | undefined)[]) : value;
  return shown == null ? '—' : formatTick(shown);
}

function lastFinite(values: readonly (number | null | undefined)[]): number | null {
  for (let i = values.length - 1; i >= 0; i--) {
    const v = values[i];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return null;
}

function axes(xLabel: string | null, wholeX: boolean): uPlot.Axis[] {
  const common = { font: axisFont, stroke: '#5d6679', grid: { stroke: '#eef0f5', width: 1 }, ticks: { stroke: '#dde2ec', width: 1 } };
  return [
    { ...common, ...(xLabel === null ? { size: 28 } : { label: xLabel, labelFont: axisFont, labelSize: 18 }), values: (_u, splits) => splits.map(formatTick), ...(wholeX ? { incrs: STEP_INCREMENTS } : {}) },
    { ...common, size: 56, values: (_u, splits) => splits.map(formatTick) },
  ];
}

export interface LineOptions {
  width: number;
  series: readonly SeriesSpec[];
  /** Fixed y range (e.g. [0, 1] for accuracies); default: fit the data. */
  yRange?: [number, number];
  /** Canvas height in CSS pixels (default CHART_HEIGHT; smaller where plots share the screen). */
  height?: number;
  /** Leave out the x axis title ("step"), for small plots whose legend already says it. */
  compact?: boolean;
}

export function lineChartOptions({ width, series, yRange, height = CHART_HEIGHT, compact = false }: LineOptions): uPlot.Options {
  return {
    width,
    height,
    scales: { x: { time: false }, y: yRange ? { range: yRange } : { auto: true, range: (_u, min, max) => paddedRange(min, max) } },
    axes: axes(compact ? null : 'step', true),
    legend: { live: true },
    cursor: { drag: { x: true, y: false } },
    series: [
      { label: 'step', value: legendValue },
      ...series.map((s, i) => ({
        label: s.label,
        stroke: PALETTE[i % PALETTE.length],
        width: i === 0 ? 2 : 1.5,
        // With many steps, markers only hide the line; they show while there are few points.
        points: { show: (u: uPlot) => u.data[0].length < 60 },
        value: legendValue,
      })),
    ],
  };
}

export function barChartOptions(width: number, xLabel: string, label: string): uPlot.Options {
  return {
    width,
    height: CHART_HEIGHT,
    scales: {
      // Bars are centred on their x: widen the range by half a bin each side so the edge bars show whole.
      x: {
        time: false,
        // From the data, not uPlot's min/max: for one bin uPlot widens a lone x of 0 to [0, 100].
        range: (u, min, max) => {
          const xs = u.data[0];
          if (xs.length === 0) return [min, max];
          const half = xs.length > 1 ? (xs[1]! - xs[0]!) / 2 : 0.5;
          return [xs[0]! - half, xs[xs.length - 1]! + half];
        },
      },
      y: { auto: true, range: (_u, _min, max) => [0, Math.max(1, max)] },
    },
    axes: axes(xLabel, false),
    legend: { live: true },
    series: [
      { label: xLabel, value: (_u, v) => (v == null ? '—' : formatTick(v)) },
      { label, stroke: PALETTE[0], fill: 'rgb(47 91 234 / 35%)', width: 1, paths: uPlot.paths.bars!({ size: [0.92, Infinity] }), points: { show: false } },
    ],
  };
}
