/**
 * 8-bit weights against Hugging Face: transformers + PEFT run the fixture model with its projections
 * and embedding replaced by their int8 round trip (tests/reference/hf_int8_reference.py, its own numpy
 * quantizer), and our runner with weightDtype 'int8' must give the same logits, log-probs, loss and
 * LoRA gradients within the fixture's tolerances (wasm). Needs a Python with torch, transformers and
 * peft (PEFT_PYTHON, default /work/venv/bin/python); skipped with the reason printed otherwise.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { computeParityTensors } from '../../../src/model/parity';
import { SafetensorsReader } from '../../../src/model/safetensors';
import { openFileSource } from '../../../src/model/storage-node';
import { FIXTURE } from '../../support/fixture-parity';
import { openFixture } from '../../support/quantized-check';
import { relL2 } from '../../support/random';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const PYTHON = process.env['PEFT_PYTHON'] ?? '/work/venv/bin/python';

function pythonMissing(): string | null {
  if (!existsSync(PYTHON)) return `${PYTHON} does not exist (set PEFT_PYTHON to a Python with torch, transformers and peft)`;
  const probe = spawnSync(PYTHON, ['-c', 'import torch, transformers, peft, safetensors'], { encoding: 'utf8' });
  return probe.status === 0 ? null : `${PYTHON} cannot import torch, transformers, peft and safetensors: ${probe.stderr.trim().split('\n').pop()}`;
}
const noPython = pythonMissing();
if (noPython) console.log(`skipping the int8 comparison with Hugging Face: ${noPython}`);

async function readAll(file: string): Promise<Map<string, Float32Array>> {
  const r = await SafetensorsReader.open(await openFileSource(file));
  const out = new Map<string, Float32Array>();
  for (const t of r.tensors) out.set(t.name, await r.readFloat32(t.name));
  await r.close();
  return out;
}

describe.skipIf(noPython !== null)('int8 weights match Hugging Face on the same dequantized weights (wasm)', () => {
  it('logits, token log-probs, loss and every LoRA gradient', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'int8-hf-'));
    try {
      const file = path.join(dir, 'expected-int8.safetensors');
      const run = spawnSync(PYTHON, [path.join(repoRoot, 'tests/reference/hf_int8_reference.py'), FIXTURE, file], { encoding: 'utf8' });
      if (run.status !== 0) throw new Error(`hf_int8_reference.py failed:\n${run.stderr}`);
      const expected = await readAll(file);
      const unquantized = await readAll(path.join(FIXTURE, 'expected.safetensors'));
      const { cfg, model, adapter, cases } = await openFixture();
      const ours = await computeParityTensors(cfg, model, adapter, cases, 'wasm', { weightDtype: 'int8' });
      await model.close();
      expect(expected.size).toBe(88);
      const report: string[] = [];
      let worstGrad = 0;
      for (const [name, want] of expected) {
        const mine = ours.get(name);
        expect(mine, name).toBeDefined();
        const err = relL2(mine!.values, want);
        const limit = name.endsWith('logits') ? cases.tolerances.logits_rel_l2 : cases.tolerances.grad_rel_l2;
        if (name.endsWith('logits') || name === 'loss') report.push(`${name} ${err.toExponential(2)} (vs the float32 model's HF output ${relL2(mine!.values, unquantized.get(name)!).toExponential(2)})`);
        if (name.startsWith('grad.')) worstGrad = Math.max(worstGrad, err);
        expect(err, name).toBeLessThan(limit);
      }
      console.log(`int8 runner vs HF on the dequantized weights: ${report.join('; ')}; LoRA gradients at most ${worstGrad.toExponential(2)}`);
      // The reference is the quantized model, not the original: the logits differ from those by far more.
      expect(relL2(ours.get('lora_logits')!.values, unquantized.get('lora_logits')!)).toBeGreaterThan(10 * cases.tolerances.logits_rel_l2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});
