import { describe, expect, it } from 'vitest';
import { applyEvent, applyEvents, currentStep, INITIAL_TRAINING_STATE, isActive, stateForNewRun, type TrainingState } from '../../../src/ui/training-state';
import type { DashboardEvent } from '../../../src/worker/dashboard-api';
import type { GroupRecord } from '../../../src/worker/training-api';

function group(step: number, promptIndex: number): GroupRecord {
  return { step, promptIndex, question: `q${promptIndex}`, context: 'CREATE TABLE t (a INT)', goldSql: 'SELECT a FROM t', completions: [], rewardMean: 0, rewardStd: 0 };
}

const metrics = (step: number, reward = step / 10): DashboardEvent => ({ type: 'metrics', row: { step, reward, loss: 1 / step } });

describe('applyEvent', () => {
  it('never mutates the state it is given', () => {
    const before = structuredClone(INITIAL_TRAINING_STATE);
    const frozen = Object.freeze({ ...INITIAL_TRAINING_STATE, metrics: Object.freeze([]) as unknown as TrainingState['metrics'] });
    const after = applyEvents(frozen, [metrics(1), { type: 'phase', phase: 'training' }, { type: 'warning', step: 1, message: 'NaN loss' }]);
    expect(INITIAL_TRAINING_STATE).toEqual(before);
    expect(frozen.metrics).toEqual([]);
    expect(after.metrics).toHaveLength(1);
  });

  it('appends metrics rows in step order', () => {
    const s = applyEvents(INITIAL_TRAINING_STATE, [metrics(1), metrics(2), metrics(3)]);
    expect(s.metrics.map((r) => r.step)).toEqual([1, 2, 3]);
    expect(s.metricsEpoch).toBe(0);
    expect(currentStep(s)).toBe(3);
  });

  it('a resumed run that replays earlier steps replaces them and bumps the epoch (plots rebuild)', () => {
    const s = applyEvents(INITIAL_TRAINING_STATE, [metrics(1), metrics(2), metrics(3), metrics(4), metrics(3, 9)]);
    expect(s.metrics.map((r) => [r.step, r.reward])).toEqual([
      [1, 0.1],
      [2, 0.2],
      [3, 9],
    ]);
    expect(s.metricsEpoch).toBe(1);
  });

  it('keeps group records of the last N steps only, ascending, replacing a repeated step', () => {
    const limits = { groupSteps: 2, warnings: 10 };
    let s = INITIAL_TRAINING_STATE;
    for (const step of [1, 2, 3]) s = applyEvent(s, { type: 'groups', step, groups: [group(step, 0)] }, limits);
    expect(s.groupSteps.map((g) => g.step)).toEqual([2, 3]);
    s = applyEvent(s, { type: 'groups', step: 3, groups: [group(3, 0), group(3, 1)] }, limits);
    expect(s.groupSteps.map((g) => [g.step, g.groups.length])).toEqual([
      [2, 1],
      [3, 2],
    ]);
  });

  it('records eval results by step, hints with their step, checkpoints once per id', () => {
    const s = applyEvents(INITIAL_TRAINING_STATE, [
      { type: 'eval', record: { step: 10, execution_accuracy: 0.2, format_compliance: 0.5, examples: 20, prompts_pruned: 0, prompts_refused: 0 } },
      { type: 'eval', record: { step: 0, execution_accuracy: 0.1, format_compliance: 0.3, examples: 20, prompts_pruned: 0, prompts_refused: 0 } },
      { type: 'eval', record: { step: 10, execution_accuracy: 0.25, format_compliance: 0.5, examples: 20, prompts_pruned: 0, prompts_refused: 0 } },
      { type: 'hints', step: 4, hints: [{ id: 'h1', hint_type: 'prefer', pattern: 'agg:COUNT', description: 'COUNT', weight: 0.3, tables: [], evidence_count: 2, pinned: false }] },
      { type: 'checkpoint', id: 'ck-10', step: 10 },
      { type: 'checkpoint', id: 'ck-10', step: 10 },
    ]);
    expect(s.evals.map((e) => [e.step, e.execution_accuracy])).toEqual([
      [0, 0.1],
      [10, 0.25],
    ]);
    expect(s.hintsStep).toBe(4);
    expect(s.hints.map((h) => h.id)).toEqual(['h1']);
    expect(s.checkpoints).toEqual([{ id: 'ck-10', step: 10 }]);
  });

  it('tracks phases with their message; an error fails the run and is kept', () => {
    let s = applyEvent(INITIAL_TRAINING_STATE, { type: 'phase', phase: 'generating', message: 'step 1' });
    expect([s.phase, s.phaseMessage]).toEqual(['generating', 'step 1']);
    expect(isActive(s.phase)).toBe(true);
    s = applyEvent(s, { type: 'phase', phase: 'training' });
    expect(s.phaseMessage).toBeNull();
    s = applyEvent(s, { type: 'error', message: 'GPU device lost' });
    expect(s.phase).toBe('failed');
    expect(s.errors).toEqual(['GPU device lost']);
    expect(isActive(s.phase)).toBe(false);
  });

  it('keeps the newest warnings up to the limit', () => {
    const events: DashboardEvent[] = [1, 2, 3, 4].map((step) => ({ type: 'warning', step, message: `skipped ${step}` }));
    const s = applyEvents(INITIAL_TRAINING_STATE, events, { groupSteps: 5, warnings: 3 });
    expect(s.warnings.map((w) => w.step)).toEqual([2, 3, 4]);
  });

  it('keeps the latest progress per label in first-seen order', () => {
    const s = applyEvents(INITIAL_TRAINING_STATE, [
      { type: 'progress', label: 'model.safetensors', done: 10, total: 100, unit: 'bytes' },
      { type: 'progress', label: 'tokenizer.json', done: 5, total: 5, unit: 'bytes' },
      { type: 'progress', label: 'model.safetensors', done: 60, total: 100, unit: 'bytes' },
    ]);
    expect(s.progress.map((p) => [p.label, p.done])).toEqual([
      ['model.safetensors', 60],
      ['tokenizer.json', 5],
    ]);
  });

  it('per-step progress labels share one bar; downloads keep one per file', () => {
    const s = applyEvents(INITIAL_TRAINING_STATE, [
      { type: 'progress', label: 'model-00001-of-00002.safetensors', done: 1, total: 2, unit: 'bytes' },
      { type: 'progress', label: 'model-00002-of-00002.safetensors', done: 1, total: 2, unit: 'bytes' },
      { type: 'progress', label: 'generating step 1', done: 16, total: 16, unit: 'tokens' },
      { type: 'progress', label: 'generating step 2', done: 3, total: 16, unit: 'tokens' },
    ]);
    expect(s.progress.map((p) => p.label)).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'generating step 2']);
  });

  it('stores the dataset report and model cache status without their type tags', () => {
    const s = applyEvents(INITIAL_TRAINING_STATE, [
      { type: 'dataset', source: 'sample', total: 224, usable: 220, skipped: 4, byKind: { 'gold-error': 4 }, skippedExamples: [] },
      { type: 'model-cache', model: 'bundled-tiny', cached: true },
    ]);
    expect(s.dataset).toEqual({ source: 'sample', total: 224, usable: 220, skipped: 4, byKind: { 'gold-error': 4 }, skippedExamples: [] });
    expect(s.modelCache).toEqual({ model: 'bundled-tiny', cached: true });
  });

  it('ignores event types it does not know (a newer engine may send more)', () => {
    const s = applyEvent(INITIAL_TRAINING_STATE, { type: 'something-new' } as unknown as DashboardEvent);
    expect(s).toBe(INITIAL_TRAINING_STATE);
  });

  it('a new run starts clean but keeps the setup reports and moves to a new epoch', () => {
    const s = applyEvents(INITIAL_TRAINING_STATE, [metrics(1), { type: 'dataset', source: 'sample', total: 1, usable: 1, skipped: 0, byKind: {}, skippedExamples: [] }, { type: 'error', message: 'x' }]);
    const fresh = stateForNewRun(s);
    expect(fresh.metrics).toEqual([]);
    expect(fresh.errors).toEqual([]);
    expect(fresh.phase).toBe('loading');
    expect(fresh.dataset?.source).toBe('sample');
    expect(fresh.metricsEpoch).toBe(s.metricsEpoch + 1);
  });
});
