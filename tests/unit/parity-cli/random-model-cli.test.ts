/**
 * The parity CLI on a checkpoint it has never seen: 3 layers (two of them full attention), 8 query
 * heads over 2 KV heads of dim 8, hidden 48, vocab 200, sliding window 4, the older config style,
 * weights sharded into two files, an adapter on q/v/down only with r=2, rows with left and right
 * padding. No HF output exists for it, so its outputs are checked against the float64 reference
 * forward (tests/reference/gemma3-ref.ts) and central finite differences of the reference loss.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Gemma3Config } from '../../../src/model/config';
import { LORA_MODULES } from '../../../src/model/peft';
import { SafetensorsReader } from '../../../src/model/safetensors';
import { openFileSource } from '../../../src/model/storage-node';
import { openAdapterDir, openModelDir } from '../../../scripts/lib/checkpoint-dir';
import { DEFAULT_SPEC, writeRandomGemma3 } from '../../../scripts/make-random-gemma3';
import {
  caseLoss,
  completionMask,
  finiteDifferenceGrad,
  gemma3Forward,
  loadRefWeights,
  refLoraFromAdapter,
  relL2,
  tokenLogprobs,
  type LossCase,
  type RefLora,
  type RefWeights,
} from '../../reference/gemma3-ref';
import { runParityCli } from './run-cli';

let cfg: Gemma3Config;
let weights: RefWeights;
let lora: RefLora;
let lossCase: LossCase;
let out: SafetensorsReader;
let cli: { code: number; stdout: string; stderr: string };

beforeAll(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'parity-random-'));
  const files = writeRandomGemma3(dir);
  const outFile = path.join(dir, 'ours.safetensors');
  cli = await runParityCli(['--model', files.model, '--adapter', files.adapter, '--cases', files.cases, '--out', outFile]);
  if (cli.code !== 0) throw new Error(`parity CLI failed (${cli.code}): ${cli.stderr}`);
  const model = await openModelDir(files.model);
  cfg = model.cfg;
  weights = await loadRefWeights(model.reader);
  await model.reader.close();
  lora = refLoraFromAdapter(await openAdapterDir(files.adapter, cfg));
  const cases = JSON.parse(await (await import('node:fs/promises')).readFile(files.cases, 'utf8'));
  lossCase = { inputIds: cases.input_ids, attentionMask: cases.attention_mask, promptLen: cases.prompt_len, advantages: cases.advantages };
  out = await SafetensorsReader.open(await openFileSource(outFile));
}, 300_000);

/** Values at the (row, position) pairs where `keep` holds, from a [B, T, width] tensor. */
function rowsWhere(values: ArrayLike<number>, b: number, t: number, width: number, keep: (r: number, i: number) => boolean): number[] {
  const picked: number[] = [];
  for (let r = 0; r < b; r++) for (let i = 0; i < t; i++) if (keep(r, i)) for (let k = 0; k < width; k++) picked.push(values[(r * t + i) * width + k]);
  return picked;
}

describe('parity CLI on an unseen random Gemma-3 (sharded, GQA 4:1, head dim 8, two full-attention layers)', () => {
  it('read the checkpoint as intended', () => {
    expect(cli.stdout).toContain('3 layers (2 full attention), hidden 48, 8/2 heads of 8, vocab 200, 2 weight file(s)');
    expect(cfg.layerTypes).toEqual(['full_attention', 'sliding_attention', 'full_attention']);
    expect(cfg.rope.full_attention.theta).toBe(DEFAULT_SPEC.ropeTheta);
    expect(cfg.rope.sliding_attention.theta).toBe(DEFAULT_SPEC.ropeLocalBaseFreq);
    expect(cfg.slidingWindow).toBe(4);
    // Only the targeted modules have adapters, and only their gradients are written.
    expect(lora.every((l) => Object.keys(l).sort().join() === 'down_proj,q_proj,v_proj')).toBe(true);
    expect(out.tensors.filter((t) => t.name.startsWith('grad.'))).toHaveLength(3 * 3 * 2);
  });

  it('base and LoRA logits equal the float64 reference at every real token (rel L2 < 1e-4)', async () => {
    const [b, t] = [lossCase.inputIds.length, lossCase.inputIds[0].length];
    // Padded query positions see no key at all; what they hold is arbitrary (HF: uniform attention,
    // the reference: zeros) and never scored, so only real positions are compared.
    const real = (r: number, i: number) => lossCase.attentionMask[r][i] === 1;
    for (const [name, adapter] of [['base_logits', null], ['lora_logits', lora]] as const) {
      const ref = gemma3Forward(cfg, weights, lossCase, { lora: adapter });
      const ours = await out.readFloat32(name);
      expect(out.info(name).shape).toEqual([b, t, cfg.vocabSize]);
      const err = relL2(rowsWhere(ours, b, t, cfg.vocabSize, real), rowsWhere(ref, b, t, cfg.vocabSize, real));
      expect(err, name).toBeLessThan(1e-4);
    }
    // The adapter matters: LoRA and base logits differ by far more than the tolerance.
    expect(relL2(await out.readFloat32('lora_logits'), await out.readFloat32('base_logits'))).toBeGreaterThan(1e-2);
  });

  it('token log-probs where they are scored, and the loss, equal the reference', async () => {
    const logits = gemma3Forward(cfg, weights, lossCase, { lora });
    const ref = tokenLogprobs(logits, lossCase.inputIds, cfg.vocabSize);
    const cmask = completionMask(lossCase.attentionMask, lossCase.promptLen);
    const ours = await out.readFloat32('token_logprobs');
    const scored = [...cmask.keys()].filter((i) => cmask[i] === 1);
    expect(scored.length).toBeGreaterThan(10);
    expect(relL2(scored.map((i) => ours[i]), scored.map((i) => ref[i]))).toBeLessThan(1e-4);
    const [loss] = await out.readFloat32('loss');
    const refLoss = caseLoss(cfg, weights, lossCase, lora);
    expect(Math.abs(loss - refLoss) / Math.abs(refLoss)).toBeLessThan(1e-4);
  });

  it('every LoRA gradient matches central finite differences of the reference loss on sampled entries (rel L2 < 1e-3)', async () => {
    let seed = 99;
    const next = () => (seed = (seed * 16807) % 2147483647);
    for (let layer = 0; layer < cfg.numLayers; layer++) {
      for (const module of LORA_MODULES) {
        if (!lora[layer][module]) continue;
        for (const which of ['A', 'B'] as const) {
          const parent = ['gate_proj', 'up_proj', 'down_proj'].includes(module) ? 'mlp' : 'self_attn';
          const name = `grad.model.layers.${layer}.${parent}.${module}.lora_${which}.weight`;
          const grad = await out.readFloat32(name);
          const indices = new Set<number>();
          while (indices.size < 8) indices.add(next() % grad.length);
          const fd = finiteDifferenceGrad(cfg, weights, lossCase, lora, layer, module, which, [...indices]);
          const ours = [...indices].map((i) => grad[i]);
          expect(relL2(ours, fd), name).toBeLessThan(1e-3);
        }
      }
    }
  }, 300_000);
});
