/**
 * A line plot of logged rows that grows by appending: store changes mark it dirty, and once per
 * animation frame the new rows are appended to its columns and handed to uPlot. React renders it
 * once; thousands of steps cost one append per frame, not a re-render per step.
 */
import { useCallback, useEffect, useRef } from 'react';
import type uPlot from 'uplot';
import type { MetricsRow } from '../../grpo/metrics';
import { SeriesBuffer, type SeriesSpec } from '../metric-series';
import type { AppState } from '../store';
import { useAppStoreApi } from '../store-context';
import { lineChartOptions } from './chart-options';
import { UPlot } from './UPlot';

export interface RowSource {
  rows: readonly MetricsRow[];
  epoch: number;
}

interface LinePlotProps {
  series: readonly SeriesSpec[];
  /** Where the rows come from: a stable function returning the same arrays while nothing changed. */
  select: (state: AppState) => RowSource;
  label: string;
  yRange?: [number, number];
  /** False for sources whose rows can change in place (evals replaced per step): rebuild on each change. */
  appendOnly?: boolean;
  height?: number;
  compact?: boolean;
}

export function LinePlot({ series, select, label, yRange, appendOnly = true, height, compact }: LinePlotProps) {
  const store = useAppStoreApi();
  const chart = useRef<uPlot | null>(null);
  const keys = series.map((s) => s.key);
  const buffer = useRef<SeriesBuffer | null>(null);

  /** Appends what arrived since the last frame (or rebuilds after a reset) and redraws. */
  const refresh = useCallback(() => {
    const { rows, epoch } = select(store.getState());
    let b = (appendOnly && buffer.current) || new SeriesBuffer(keys, epoch);
    let outcome = b.sync(rows, epoch);
    if (outcome === 'reset') {
      b = new SeriesBuffer(keys, epoch);
      outcome = b.sync(rows, epoch);
    }
    buffer.current = b;
    if (outcome !== 'unchanged') chart.current?.setData(b.data());
    // keys are fixed for this plot's lifetime: the parent remounts it when its series change.
  }, [store, select, appendOnly]);

  useEffect(() => {
    let frame = 0;
    let last = select(store.getState());
    const unsubscribe = store.subscribe((state) => {
      const now = select(state);
      if (now.rows === last.rows && now.epoch === last.epoch) return;
      last = now;
      if (!frame) {
        frame = requestAnimationFrame(() => {
          frame = 0;
          refresh();
        });
      }
    });
    return () => {
      unsubscribe();
      if (frame) cancelAnimationFrame(frame);
    };
  }, [store, select, refresh]);

  return (
    <UPlot
      label={label}
      makeOptions={(width) => lineChartOptions({ width, series, yRange, height, compact })}
      initialData={() => {
        const { rows, epoch } = select(store.getState());
        buffer.current = new SeriesBuffer(keys, epoch);
        buffer.current.sync(rows, epoch);
        return buffer.current.data();
      }}
      onChart={(c) => {
        chart.current = c;
      }}
    />
  );
}
