import { describe, expect, it } from 'vitest';
import { runAnnouncement, runErrorAnnouncement } from '../../../src/ui/run-announcement';
import { applyEvents, INITIAL_TRAINING_STATE, stateForNewRun, type TrainingState } from '../../../src/ui/training-state';
import type { DashboardEvent } from '../../../src/worker/dashboard-api';

const after = (events: DashboardEvent[], from: TrainingState = stateForNewRun(INITIAL_TRAINING_STATE)) => applyEvents(from, events);

describe('what the live regions say about the run', () => {
  it('says nothing before a run, then the start, each finished step and the end', () => {
    expect(runAnnouncement(INITIAL_TRAINING_STATE, null)).toBe('');
    const started = after([]);
    expect(runAnnouncement(started, 3)).toBe('Training started: loading the model and the dataset.');
    expect(runAnnouncement(after([{ type: 'phase', phase: 'evaluating' }]), 3)).toBe('Evaluating the model before training.');
    expect(runAnnouncement(after([{ type: 'phase', phase: 'generating' }]), 3)).toBe('Training: step 1 of 3 under way.');
    const oneStep = after([{ type: 'phase', phase: 'generating' }, { type: 'metrics', row: { step: 1, reward: 0.5 } }]);
    expect(runAnnouncement(oneStep, 3)).toBe('Training: step 1 of 3 done.');
    expect(runAnnouncement(after([{ type: 'phase', phase: 'paused' }], oneStep), 3)).toBe('Training paused after step 1 of 3.');
    expect(runAnnouncement(after([{ type: 'phase', phase: 'finished' }], oneStep), null)).toBe('Training finished after step 1.');
  });

  it('stays the same through one step\'s generate, score and train turns (no chatter)', () => {
    const oneStep = after([{ type: 'phase', phase: 'generating' }, { type: 'metrics', row: { step: 1 } }]);
    const said = (['generating', 'scoring', 'training'] as const).map((phase) => runAnnouncement(after([{ type: 'phase', phase }], oneStep), 3));
    expect(new Set(said).size).toBe(1);
  });

  it('reads out the latest error, or why Train was refused', () => {
    const failed = after([{ type: 'error', message: 'out of GPU memory' }]);
    expect(runAnnouncement(failed, 3)).toBe('Training failed after step 0 of 3.');
    expect(runErrorAnnouncement(failed, [])).toBe('Training error: out of GPU memory');
    expect(runErrorAnnouncement(INITIAL_TRAINING_STATE, ['Settings: top_p must be in (0, 1], got 1.5', 'Rewards: choose at least one reward function'])).toBe(
      'Training cannot start: Settings: top_p must be in (0, 1], got 1.5; Rewards: choose at least one reward function',
    );
    expect(runErrorAnnouncement(INITIAL_TRAINING_STATE, [])).toBe('');
  });
});
