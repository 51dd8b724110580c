/** Loads the shared HF fixture and compares our computation with its expected tensors. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseGemma3Config } from '../../src/model/config';
import { computeParityTensors, parseCases } from '../../src/model/parity';
import { readLoraAdapter } from '../../src/model/peft';
import { SafetensorsReader } from '../../src/model/safetensors';
import { openFileSource } from '../../src/model/storage-node';
import type { Backend } from '../../src/runtime/ort';
import { relL2 } from './random';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const FIXTURE = path.resolve(repoRoot, '../shared/fixtures/tiny-gemma3-a');

export async function fixtureParity(backend: Backend) {
  const cfg = parseGemma3Config(JSON.parse(await readFile(path.join(FIXTURE, 'config.json'), 'utf8')));
  const model = await SafetensorsReader.open(await openFileSource(path.join(FIXTURE, 'model.safetensors')));
  const adapterReader = await SafetensorsReader.open(await openFileSource(path.join(FIXTURE, 'adapter/adapter_model.safetensors')));
  const adapter = await readLoraAdapter(JSON.parse(await readFile(path.join(FIXTURE, 'adapter/adapter_config.json'), 'utf8')), adapterReader, cfg);
  const cases = parseCases(JSON.parse(await readFile(path.join(FIXTURE, 'cases.json'), 'utf8')));
  const expected = await SafetensorsReader.open(await openFileSource(path.join(FIXTURE, 'expected.safetensors')));
  const ours = await computeParityTensors(cfg, model, adapter, cases, backend);
  const errors = new Map<string, number>();
  for (const t of expected.tensors) {
    const mine = ours.get(t.name);
    if (!mine) throw new Error(`we computed no ${t.name}`);
    errors.set(t.name, relL2(mine.values, await expected.readFloat32(t.name)));
  }
  return { errors, cases, ours };
}

/** Every expected tensor within the cases file's tolerance (logits/log-probs/loss vs gradients). */
export async function expectFixtureParity(backend: Backend, expect: typeof import('vitest').expect) {
  const { errors, cases } = await fixtureParity(backend);
  expect(errors.size).toBe(88);
  for (const [name, err] of errors) {
    const limit = name.endsWith('logits') ? cases.tolerances.logits_rel_l2 : cases.tolerances.grad_rel_l2;
    expect(err, name).toBeLessThan(limit);
  }
}
