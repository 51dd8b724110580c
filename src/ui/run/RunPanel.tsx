/**
 * Train / Pause / Resume / Stop, where the run is (phase, step, progress), and anything that went
 * wrong, said plainly (and read out by RunAnnouncer).
 */
import type { TrainingPhase } from '../../worker/training-api';
import { ProgressList } from '../ProgressList';
import { useAppStore } from '../store-context';
import { currentStep, isActive } from '../training-state';

const PHASE_TEXT: Record<TrainingPhase, { label: string; tone: 'ok' | 'warn' | 'bad' | 'neutral' | 'busy' }> = {
  idle: { label: 'Ready', tone: 'neutral' },
  loading: { label: 'Loading', tone: 'busy' },
  'warming-up': { label: 'Warm-up (SFT)', tone: 'busy' },
  evaluating: { label: 'Evaluating', tone: 'busy' },
  generating: { label: 'Generating', tone: 'busy' },
  scoring: { label: 'Scoring', tone: 'busy' },
  training: { label: 'Training', tone: 'busy' },
  paused: { label: 'Paused', tone: 'warn' },
  stopped: { label: 'Stopped', tone: 'neutral' },
  finished: { label: 'Finished', tone: 'ok' },
  failed: { label: 'Failed', tone: 'bad' },
};

export function PhaseBadge() {
  const phase = useAppStore((s) => s.run.phase);
  const { label, tone } = PHASE_TEXT[phase];
  return (
    <span className={`badge badge--${tone}`} data-testid="phase" data-phase={phase}>
      {tone === 'busy' && <span className="spinner" aria-hidden="true" />}
      {label}
    </span>
  );
}

/** A compact bar at the top of the page: it stays in view beside the live results. */
export function RunPanel() {
  return (
    <section className="run-bar" aria-labelledby="run-title" data-testid="run-panel">
      <div className="run-bar__main">
        <h2 id="run-title" className="run-bar__title">
          Run
        </h2>
        <RunControls />
        <StepProgress />
      </div>
      <RunProgress />
      <RunMessages />
    </section>
  );
}

/**
 * Generation, evaluation and compile work under way, while the run is (a finished run's last bar
 * says nothing); downloads and dataset reading too while the setup panels that show them are
 * folded. Only unfinished bars: the bar stays short, so the live results keep their room.
 */
function RunProgress() {
  const active = useAppStore((s) => isActive(s.run.phase));
  const setupOpen = useAppStore((s) => s.setupOpen);
  if (!active) return null;
  return (
    <div className="run-bar__progress">
      {!setupOpen && <ProgressList area="model" unfinishedOnly />}
      {!setupOpen && <ProgressList area="dataset" unfinishedOnly />}
      <ProgressList area="run" unfinishedOnly />
    </div>
  );
}

function RunControls() {
  const phase = useAppStore((s) => s.run.phase);
  const pending = useAppStore((s) => s.pending);
  const start = useAppStore((s) => s.startTraining);
  const pause = useAppStore((s) => s.pauseTraining);
  const resume = useAppStore((s) => s.resumeTraining);
  const stop = useAppStore((s) => s.stopTraining);
  const active = isActive(phase);
  const running = active && phase !== 'paused';
  return (
    <div className="run-controls">
      <button type="button" onClick={() => void start()} disabled={active} data-testid="train">
        Train
      </button>
      <button type="button" className="secondary" onClick={() => void pause()} disabled={!running || pending !== null} data-testid="pause">
        {pending === 'pause' ? 'Pausing…' : 'Pause'}
      </button>
      <button type="button" className="secondary" onClick={() => void resume()} disabled={phase !== 'paused' || pending !== null} data-testid="resume">
        {pending === 'resume' ? 'Resuming…' : 'Resume'}
      </button>
      <button type="button" className="danger" onClick={() => void stop()} disabled={!active || pending !== null} data-testid="stop">
        {pending === 'stop' ? 'Stopping…' : 'Stop'}
      </button>
      <PhaseBadge />
      <PhaseMessage />
    </div>
  );
}

function PhaseMessage() {
  const message = useAppStore((s) => s.run.phaseMessage ?? (s.run.phase === 'idle' ? 'Set up the run below, then press Train.' : null));
  return message ? (
    <span className="muted" data-testid="phase-message">
      {message}
    </span>
  ) : null;
}

function StepProgress() {
  const step = useAppStore((s) => currentStep(s.run));
  const maxSteps = useAppStore((s) => s.runMaxSteps);
  if (maxSteps === null) return null;
  return (
    <div className="step-progress">
      <label htmlFor="step-progress">
        Step <strong data-testid="current-step">{step}</strong> of {maxSteps}
      </label>
      <progress id="step-progress" max={maxSteps} value={Math.min(step, maxSteps)} />
    </div>
  );
}

function RunMessages() {
  const problems = useAppStore((s) => s.startProblems);
  const errors = useAppStore((s) => s.run.errors);
  const warnings = useAppStore((s) => s.run.warnings);
  return (
    <>
      {problems.length > 0 && (
        // Read out by RunAnnouncer's live region, so no role="alert" here (it would be heard twice).
        <div className="error" data-testid="start-problems">
          <p>Training cannot start:</p>
          <ul>
            {problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        </div>
      )}
      {errors.map((e, i) => (
        <p key={i} className="error" data-testid="run-error">
          {e}
        </p>
      ))}
      {warnings.length > 0 && (
        <details className="note warnings" data-testid="run-warnings">
          <summary>
            {warnings.length} warning{warnings.length === 1 ? '' : 's'}; latest at step {warnings[warnings.length - 1]!.step}: {warnings[warnings.length - 1]!.message}
          </summary>
          <ul>
            {warnings.map((w, i) => (
              <li key={i}>
                Step {w.step}: {w.message}
              </li>
            ))}
          </ul>
        </details>
      )}
    </>
  );
}
