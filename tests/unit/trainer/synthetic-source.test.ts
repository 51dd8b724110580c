/**
 * The synthetic dataset source through the engine's data path: request checks, reading in the Node
 * environment, validation of every gold query in SQL worker threads, the split by schema, and
 * resuming a split by example id from a corpus generated again.
 */
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { goldInspector } from '../../../src/dataset/validate';
import { SqlEvaluator } from '../../../src/sql/evaluator';
import { nodeWorkerFactory } from '../../../src/sql/worker-port-node';
import { datasetFromSplit, datasetSourceProblems, describeSource, prepareDataset, readSyntheticDataset } from '../../../src/worker/trainer-data';
import { nodeTrainerEnvironment } from '../../../src/worker/trainer-env-node';
import { checkRequest, TrainerService } from '../../../src/worker/trainer-service';
import type { TrainingRequest } from '../../../src/worker/training-api';

const source = { kind: 'synthetic' as const, size: 240, seed: 4 };
const evaluator = new SqlEvaluator(nodeWorkerFactory, { size: 1 });
afterAll(() => evaluator.close());

describe('synthetic dataset source', () => {
  it('is named by its options and checked before anything loads', () => {
    expect(describeSource(source)).toBe('synthetic(size=240,seed=4)');
    expect(datasetSourceProblems(source)).toEqual([]);
    expect(datasetSourceProblems({ kind: 'synthetic', size: 0, seed: 1 })).toEqual(['synthetic corpus: size must be a whole number from 1 to 200000, got 0']);
    expect(datasetSourceProblems({ kind: 'synthetic', size: 10, seed: 1.5 })).toEqual(['synthetic corpus: seed must be a whole number (a safe integer), got 1.5']);
    const request: TrainingRequest = { model: { kind: 'bundled-tiny' }, dataset: { kind: 'synthetic', size: -4, seed: 1 }, config: {}, rewards: [{ name: 'execution_equivalence_reward', weight: 1 }], mode: 'lora', backend: 'wasm' };
    expect(checkRequest(request, { hasWebGPU: () => false }).problems).toEqual(['synthetic corpus: size must be a whole number from 1 to 200000, got -4']);
  });

  it('reads in the Node environment and reports every row usable', async () => {
    const service = new TrainerService(nodeTrainerEnvironment({ cacheDir: path.join(os.tmpdir(), 'webgrpo-unused-hub'), checkpointDir: path.join(os.tmpdir(), 'webgrpo-unused-checkpoints'), sqlWorkers: 1 }));
    const report = await service.inspectDataset(source);
    expect(report).toMatchObject({ source: 'synthetic(size=240,seed=4)', total: 240, usable: 240, skipped: 0 });
    expect(report.split!.train + report.split!.eval).toBe(240);
  });

  it('splits by schema and resumes the split by id from the corpus generated again', async () => {
    const loaded = await prepareDataset(source, readSyntheticDataset(source), { seed: 9, inspectGold: goldInspector(evaluator) });
    expect(loaded.train.length + loaded.heldOut.length).toBe(240);
    const held = new Set(loaded.heldOut.map((e) => e.context));
    expect(loaded.train.some((e) => held.has(e.context))).toBe(false);
    const ids = { train: loaded.train.map((e) => e.id), heldOut: loaded.heldOut.map((e) => e.id) };
    expect(ids.train[0]).toMatch(/^synthetic\(size=240,seed=4\)#\d+$/);
    const resumed = datasetFromSplit(source, readSyntheticDataset(source), ids);
    expect(resumed.train).toEqual(loaded.train);
    expect(resumed.heldOut).toEqual(loaded.heldOut);
    // Another seed is another dataset: resuming on it fails, naming the example.
    const other = { ...source, seed: 5 };
    expect(() => datasetFromSplit(other, readSyntheticDataset(other), ids)).toThrow(/is not in synthetic\(size=240,seed=5\) any more/);
  });
});
