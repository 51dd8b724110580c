/**
 * What a screen reader hears about the run: one sentence per state worth knowing (started, each
 * step done, paused, stopped, finished, failed). It changes once per step at most, not on every
 * generate → score → train turn of a step, so a polite live region can read it out without chatter.
 */
import type { TrainingState } from './training-state';
import { currentStep } from './training-state';

export function runAnnouncement(run: TrainingState, maxSteps: number | null): string {
  const step = currentStep(run);
  const of = maxSteps === null ? '' : ` of ${maxSteps}`;
  switch (run.phase) {
    case 'idle':
      return '';
    case 'loading':
      return 'Training started: loading the model and the dataset.';
    case 'warming-up': {
      const w = run.warmupMetrics[run.warmupMetrics.length - 1]?.step ?? 0;
      return w === 0 ? 'Warm-up (supervised) under way.' : `Warm-up (supervised): step ${w} done.`;
    }
    case 'evaluating':
      return step === 0 ? 'Evaluating the model before training.' : `Evaluating after step ${step}${of}.`;
    case 'generating':
    case 'scoring':
    case 'training':
      return step === 0 ? `Training: step 1${of} under way.` : `Training: step ${step}${of} done.`;
    case 'paused':
      return `Training paused after step ${step}${of}.`;
    case 'stopped':
      return `Training stopped after step ${step}${of}.`;
    case 'finished':
      return `Training finished after step ${step}${of}.`;
    case 'failed':
      return `Training failed after step ${step}${of}.`;
  }
}

/** The latest error of the run, for the assertive live region (empty when none). */
export function runErrorAnnouncement(run: TrainingState, startProblems: readonly string[]): string {
  if (startProblems.length > 0) return `Training cannot start: ${startProblems.join('; ')}`;
  const last = run.errors[run.errors.length - 1];
  return last ? `Training error: ${last}` : '';
}
