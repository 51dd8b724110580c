import { describe, expect, it } from 'vitest';
import { Generator } from '../../../src/generate/generator';
import { Rng } from '../../../src/common/rng';
import { gemma3Forward } from '../../reference/gemma3-ref';
import { loadFixture } from '../../support/fixture-model';
import { relL2 } from '../../support/random';

// On wasm the generator bakes the model's weights into its sessions; a weight replaced afterwards
// (setWeightTensor) must be what the next generation uses, as the float64 reference forward says.
describe('generator with weights baked in (wasm)', () => {
  it('follows a replaced weight', { timeout: 300_000 }, async () => {
    const { cfg, runner, refWeights, refLora } = await loadFixture('wasm');
    const gen = new Generator(runner);
    const prompt = [2, 105, 64, 65, 66, 67, 250];
    const firstLogits = async () => {
      const r = await gen.generate([prompt], { temperature: 0, topK: 0, topP: 1, maxNewTokens: 2, stopTokenIds: [], keepLogits: true }, Rng.fromSeed(1, 'test'));
      return r.stepLogits![0]!;
    };
    const reference = () => {
      const ref = gemma3Forward(cfg, refWeights, { inputIds: [prompt] }, { lora: refLora });
      return ref.subarray((prompt.length - 1) * cfg.vocabSize, prompt.length * cfg.vocabSize);
    };
    const before = reference().slice();
    expect(relL2(await firstLogits(), before)).toBeLessThan(1e-4);

    const key = 'model.layers.0.mlp.down_proj.weight';
    const old = refWeights.get(key)!;
    const changed = Float64Array.from(old, (v, i) => v * (1.5 + 0.5 * Math.sin(i)));
    refWeights.set(key, changed);
    runner.setWeightTensor(key, runner.store.upload(Float32Array.from(changed), runner.weights.get(key)!.dims));
    const after = reference();
    expect(relL2(after, before)).toBeGreaterThan(1e-2); // the change shows in the logits
    expect(relL2(await firstLogits(), after)).toBeLessThan(1e-4);
    await gen.release();
    await runner.release();
  });
});
