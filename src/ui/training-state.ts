/**
 * What the dashboard knows about a training run, built only from the engine's events by one pure
 * reducer (applyEvent). Components read it; nothing else writes it.
 */
import type { DashboardEvent, DatasetReport, HintRecordWithHistory, ModelCacheStatus } from '../worker/dashboard-api';
import type { EvalRecord, GroupRecord, MetricsRow, ProgressEvent, TrainingPhase } from '../worker/training-api';

export interface StepGroups {
  step: number;
  groups: GroupRecord[];
}

export interface TrainingState {
  phase: TrainingPhase;
  /** The engine's words with the last phase change ("compiling step graphs", ...). */
  phaseMessage: string | null;
  /** One row per logged step, ascending by step. */
  metrics: MetricsRow[];
  /**
   * Bumped whenever metrics stop being an extension of what was there (reset, or a resumed run
   * that rewinds to its checkpoint), so plots that append know to rebuild instead.
   */
  metricsEpoch: number;
  /** The supervised warm-up's rows (loss, grad_norm, learning_rate, epoch), ascending by warm-up step. */
  warmupMetrics: MetricsRow[];
  /** Held-out evaluations during the warm-up (step = warm-up step). */
  warmupEvals: EvalRecord[];
  /** Group records of the most recent steps, ascending by step. */
  groupSteps: StepGroups[];
  evals: EvalRecord[];
  hints: HintRecordWithHistory[];
  /** Step of the last hints event (null before any). */
  hintsStep: number | null;
  checkpoints: { id: string; step: number }[];
  warnings: { step: number; message: string }[];
  errors: string[];
  /** Latest progress per kind of work (see progressKey), in first-seen order. */
  progress: ProgressEvent[];
  dataset: DatasetReport | null;
  modelCache: ModelCacheStatus | null;
}

export interface ReducerLimits {
  /** Steps whose group records are kept (each holds every completion's text). */
  groupSteps: number;
  /** Warnings kept (the newest). */
  warnings: number;
}

export const DEFAULT_LIMITS: ReducerLimits = { groupSteps: 50, warnings: 200 };

export const INITIAL_TRAINING_STATE: TrainingState = {
  phase: 'idle',
  phaseMessage: null,
  metrics: [],
  metricsEpoch: 0,
  warmupMetrics: [],
  warmupEvals: [],
  groupSteps: [],
  evals: [],
  hints: [],
  hintsStep: null,
  checkpoints: [],
  warnings: [],
  errors: [],
  progress: [],
  dataset: null,
  modelCache: null,
};

/** Phases in which a run is under way (Train is disabled, Pause/Stop are enabled). */
export const ACTIVE_PHASES: readonly TrainingPhase[] = ['loading', 'warming-up', 'evaluating', 'generating', 'scoring', 'training', 'paused'];

export function isActive(phase: TrainingPhase): boolean {
  return ACTIVE_PHASES.includes(phase);
}

/** A fresh run's state; the dataset and cache reports survive (they describe the setup, not the run). */
export function stateForNewRun(previous: TrainingState): TrainingState {
  return { ...INITIAL_TRAINING_STATE, metricsEpoch: previous.metricsEpoch + 1, dataset: previous.dataset, modelCache: previous.modelCache, phase: 'loading' };
}

/** Replaces the entry with the same key or inserts it keeping ascending order. */
function upsertByStep<T extends { step: number }>(list: readonly T[], item: T): T[] {
  const at = list.findIndex((x) => x.step >= item.step);
  if (at === -1) return [...list, item];
  if (list[at]!.step === item.step) return [...list.slice(0, at), item, ...list.slice(at + 1)];
  return [...list.slice(0, at), item, ...list.slice(at)];
}

function applyMetrics(state: TrainingState, row: MetricsRow): TrainingState {
  const last = state.metrics[state.metrics.length - 1];
  if (!last || row.step > last.step) return { ...state, metrics: [...state.metrics, row] };
  // A step at or before the last one: a resumed run replays from its checkpoint; its rows replace ours.
  return { ...state, metrics: [...state.metrics.filter((r) => r.step < row.step), row], metricsEpoch: state.metricsEpoch + 1 };
}

/**
 * Which progress bar an event updates. Per-step labels ("generating step 12") share one bar, so a
 * long run does not grow a bar per step; downloads keep one bar per file (names hold digits too).
 */
export function progressKey(p: ProgressEvent): string {
  return p.unit === 'bytes' ? p.label : p.label.replace(/\d+/g, '#');
}

/** The reducer: a new state for one event, never mutating the old one. Unknown events change nothing. */
export function applyEvent(state: TrainingState, event: DashboardEvent, limits: ReducerLimits = DEFAULT_LIMITS): TrainingState {
  switch (event.type) {
    case 'progress': {
      const key = progressKey(event);
      const at = state.progress.findIndex((p) => progressKey(p) === key);
      const progress = at === -1 ? [...state.progress, event] : state.progress.map((p, i) => (i === at ? event : p));
      return { ...state, progress };
    }
    case 'phase':
      return { ...state, phase: event.phase, phaseMessage: event.message ?? null };
    case 'metrics':
      return applyMetrics(state, event.row);
    case 'warmup-metrics':
      return { ...state, warmupMetrics: upsertByStep(state.warmupMetrics, event.row) };
    case 'warmup-eval':
      return { ...state, warmupEvals: upsertByStep(state.warmupEvals, event.record) };
    case 'groups': {
      const groupSteps = upsertByStep(state.groupSteps, { step: event.step, groups: event.groups });
      return { ...state, groupSteps: groupSteps.slice(Math.max(0, groupSteps.length - limits.groupSteps)) };
    }
    case 'eval':
      return { ...state, evals: upsertByStep(state.evals, event.record) };
    case 'hints':
      return { ...state, hints: event.hints, hintsStep: event.step };
    case 'checkpoint':
      if (state.checkpoints.some((c) => c.id === event.id)) return state;
      return { ...state, checkpoints: [...state.checkpoints, { id: event.id, step: event.step }] };
    case 'warning': {
      const warnings = [...state.warnings, { step: event.step, message: event.message }];
      return { ...state, warnings: warnings.slice(Math.max(0, warnings.length - limits.warnings)) };
    }
    case 'error':
      return { ...state, errors: [...state.errors, event.message], phase: 'failed' };
    case 'dataset': {
      const { type: _type, ...report } = event;
      return { ...state, dataset: report };
    }
    case 'model-cache': {
      const { type: _type, ...status } = event;
      return { ...state, modelCache: status };
    }
    default:
      return state;
  }
}

export function applyEvents(state: TrainingState, events: readonly DashboardEvent[], limits: ReducerLimits = DEFAULT_LIMITS): TrainingState {
  return events.reduce((s, e) => applyEvent(s, e, limits), state);
}

/** The last step with metrics (0 before any). */
export function currentStep(state: TrainingState): number {
  return state.metrics[state.metrics.length - 1]?.step ?? 0;
}
