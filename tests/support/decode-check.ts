/**
 * Decode parity: at every step, the KV-cache decode logits of each row must equal the float64
 * reference forward over that row's whole sequence so far (prompt + tokens generated); and greedy
 * decoding must return the host argmax of each step's logits.
 */
import { Generator } from '../../src/generate/generator';
import { argmax } from '../../src/generate/sampling';
import { Rng } from '../../src/common/rng';
import type { Backend } from '../../src/runtime/ort';
import { gemma3Forward } from '../reference/gemma3-ref';
import { loadFixture } from './fixture-model';
import { relL2 } from './random';

export async function decodeParity(backend: Backend, maxNewTokens: number) {
  const { cfg, runner, refWeights, refLora } = await loadFixture(backend);
  const gen = new Generator(runner);
  const rng = Rng.fromSeed(11, 'test');
  // Different prompt lengths (left padding), and enough steps to pass the sliding window (8).
  const prompts = [
    [2, 105, 17, 200, 45, 300],
    [2, 105, 64, 65, 66, 67, 250, 251, 252, 11, 106, 107, 105],
  ];
  const res = await gen.generate(prompts, { temperature: 0.8, topK: 0, topP: 1, maxNewTokens, stopTokenIds: [], keepLogits: true }, rng);
  const errors: number[] = [];
  for (let step = 0; step < res.stepLogits!.length; step++) {
    for (let b = 0; b < prompts.length; b++) {
      const seq = [...prompts[b], ...res.completions[b].slice(0, step)];
      const ref = gemma3Forward(cfg, refWeights, { inputIds: [seq] }, { lora: refLora });
      const last = ref.subarray((seq.length - 1) * cfg.vocabSize, seq.length * cfg.vocabSize);
      errors.push(relL2(res.stepLogits![step].subarray(b * cfg.vocabSize, (b + 1) * cfg.vocabSize), last));
    }
  }
  // Greedy through the same generator: every token is the host argmax of that step's logits.
  const greedy = await gen.generate(prompts, { temperature: 0, topK: 0, topP: 1, maxNewTokens: 5, stopTokenIds: [], keepLogits: true }, rng);
  const greedyMismatches: string[] = [];
  greedy.stepLogits!.forEach((logits, step) => {
    prompts.forEach((_, b) => {
      const want = argmax(logits.subarray(b * cfg.vocabSize, (b + 1) * cfg.vocabSize));
      if (greedy.completions[b][step] !== want) greedyMismatches.push(`step ${step} row ${b}: ${greedy.completions[b][step]} vs argmax ${want}`);
    });
  });
  // Stop tokens: this model repeats each row's last token, so a stop id equal to row 0's ends row 0
  // at its first token while row 1 runs to the limit; with both rows' ids, generation ends at once.
  const stops = { temperature: 0.8, topK: 0, topP: 1, maxNewTokens: 12 };
  const oneStops = await gen.generate(prompts, { ...stops, stopTokenIds: [prompts[0].at(-1)!] }, rng);
  const allStop = await gen.generate(prompts, { ...stops, stopTokenIds: prompts.map((p) => p.at(-1)!) }, rng);
  await gen.release();
  await runner.release();
  return { errors, res, greedy, greedyMismatches, oneStops, allStop, stepsPerRun: gen.stepsPerRun };
}
