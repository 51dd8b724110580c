/** The shared tiny Gemma-3 fixture loaded into a runner, plus the float64 reference of it. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseGemma3Config } from '../../src/model/config';
import type { Trainable } from '../../src/model/gemma3-graphs';
import { Gemma3Runner } from '../../src/model/gemma3-runner';
import { loraSpecOf } from '../../src/model/parity';
import { LORA_MODULES, readLoraAdapter } from '../../src/model/peft';
import { SafetensorsReader } from '../../src/model/safetensors';
import { openFileSource } from '../../src/model/storage-node';
import { TensorStore } from '../../src/runtime/device';
import type { Backend } from '../../src/runtime/ort';
import { loadRefWeights, refLoraFromAdapter } from '../reference/gemma3-ref';
import { FIXTURE } from './fixture-parity';

export async function loadFixture(backend: Backend, options: { trainable?: Trainable; chunkRows?: number } = {}) {
  const cfg = parseGemma3Config(JSON.parse(await readFile(path.join(FIXTURE, 'config.json'), 'utf8')));
  const model = await SafetensorsReader.open(await openFileSource(path.join(FIXTURE, 'model.safetensors')));
  const adapterReader = await SafetensorsReader.open(await openFileSource(path.join(FIXTURE, 'adapter/adapter_model.safetensors')));
  const adapter = await readLoraAdapter(JSON.parse(await readFile(path.join(FIXTURE, 'adapter/adapter_config.json'), 'utf8')), adapterReader, cfg);
  const store = await TensorStore.create(backend);
  const runner = await Gemma3Runner.load(cfg, model, store, { lora: loraSpecOf(adapter), trainable: options.trainable, chunkRows: options.chunkRows });
  adapter.tensors.forEach((mods, l) => {
    for (const m of LORA_MODULES) {
      if (!mods[m]) continue;
      runner.setLora(l, m, 'A', mods[m]!.A);
      runner.setLora(l, m, 'B', mods[m]!.B);
    }
  });
  const refWeights = await loadRefWeights(model);
  return { cfg, runner, adapter, refWeights, refLora: refLoraFromAdapter(adapter) };
}
