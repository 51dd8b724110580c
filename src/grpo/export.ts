/**
 * The trained LoRA as a PEFT adapter (adapter_config.json + adapter_model.safetensors) that
 * PeftModel.from_pretrained loads, and adapters from PEFT or Unsloth loaded back into a runner.
 */
import type { Gemma3Config } from '../model/config';
import { loraKeyOf, type Gemma3Runner } from '../model/gemma3-runner';
import type { LoraSpec } from '../model/gemma3-layer';
import { loraSpecOf } from '../model/parity';
import { LORA_MODULES, parseLoraConfig, PeftError, projectionShape, readLoraAdapter, serializeLoraAdapter, type LoraAdapter, type LoraConfig, type LoraModuleName, type SerializedAdapter } from '../model/peft';
import { MemoryByteSource, SafetensorsReader } from '../model/safetensors';
import { readTensor } from '../runtime/device';

/**
 * Fields PEFT 0.21 writes in adapter_config.json beyond those peft.ts always writes, with the values
 * a plain LoRA has; PEFT ignores none of them, and loaders of that version expect to find them.
 */
const PEFT_0_21_FIELDS: Record<string, unknown> = {
  alora_invocation_tokens: null,
  arrow_config: null,
  ensure_weight_tying: false,
  kasa_config: null,
  lora_ga_config: null,
  monteclora_config: null,
  peft_version: '0.21.0',
  qalora_group_size: 16,
  target_parameters: null,
  use_bdlora: null,
  use_qalora: false,
  velora_config: null,
};

export interface AdapterExportOptions {
  /** base_model_name_or_path: the hub id of the model trained on (null when unknown). */
  baseModelNameOrPath: string | null;
  /** The config of an imported adapter, kept as it was (rsLoRA, patterns, unknown fields). */
  config?: LoraConfig;
  /** F32 (default: exact) or BF16 (half the size). */
  dtype?: 'F32' | 'BF16';
}

/** The config PEFT would write for the runner's LoRA (one rank/alpha, or per-module patterns). */
export function loraConfigOf(spec: LoraSpec, baseModelNameOrPath: string | null): LoraConfig {
  const modules = LORA_MODULES.filter((m) => spec.modules[m]);
  if (modules.length === 0) throw new PeftError('the runner has no LoRA modules');
  const first = spec.modules[modules[0]]!;
  const uniform = modules.every((m) => spec.modules[m]!.rank === first.rank && spec.modules[m]!.scale === first.scale);
  const rankPattern: Record<string, number> = {};
  const alphaPattern: Record<string, number> = {};
  if (!uniform) {
    for (const m of modules) {
      rankPattern[m] = spec.modules[m]!.rank;
      alphaPattern[m] = spec.modules[m]!.scale * spec.modules[m]!.rank;
    }
  }
  return parseLoraConfig({
    ...PEFT_0_21_FIELDS,
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    r: first.rank,
    lora_alpha: first.scale * first.rank,
    target_modules: modules,
    rank_pattern: rankPattern,
    alpha_pattern: alphaPattern,
    use_rslora: false,
    lora_dropout: 0,
    base_model_name_or_path: baseModelNameOrPath,
  });
}

/** The runner's current LoRA tensors as an adapter (read back from the device). */
export async function runnerAdapter(runner: Gemma3Runner, config: LoraConfig): Promise<LoraAdapter> {
  const spec = runner.options.lora;
  const tensors: LoraAdapter['tensors'] = [];
  for (let layer = 0; layer < runner.cfg.numLayers; layer++) {
    const modules: LoraAdapter['tensors'][number] = {};
    for (const m of LORA_MODULES) {
      const s = spec.modules[m];
      if (!s) continue;
      const read = async (which: 'A' | 'B') => {
        const t = runner.lora.get(loraKeyOf(layer, m, which));
        if (!t) throw new PeftError(`LoRA ${m}.${which} of layer ${layer} is not set`);
        return (await readTensor(t)).slice();
      };
      const [inFeatures, outFeatures] = projectionShape(runner.cfg, m);
      modules[m] = { A: await read('A'), B: await read('B'), rank: s.rank, alpha: s.scale * s.rank, scale: s.scale, inFeatures, outFeatures };
    }
    tensors.push(modules);
  }
  return { config, tensors, modulePrefix: 'model.' };
}

/** The config an export writes: an imported adapter's, or the one PEFT would write for the runner's LoRA. */
export function exportConfig(runner: Gemma3Runner, options: Pick<AdapterExportOptions, 'baseModelNameOrPath' | 'config'>): LoraConfig {
  // An imported config is kept unless its target_modules is a regex: that may be written for another
  // module layout (e.g. Unsloth's multimodal names), and we always write Gemma3ForCausalLM's names.
  const keep = options.config && typeof options.config.targetModules !== 'string' ? options.config : undefined;
  return keep ?? loraConfigOf(runner.options.lora, options.baseModelNameOrPath);
}

export async function exportAdapter(runner: Gemma3Runner, options: AdapterExportOptions): Promise<SerializedAdapter> {
  const adapter = await runnerAdapter(runner, exportConfig(runner, options));
  return serializeLoraAdapter(adapter, { baseModelNameOrPath: options.baseModelNameOrPath, dtype: options.dtype ?? 'F32' });
}

/** Reads PEFT/Unsloth adapter files for `model`; the runner's shared layer graphs need every layer adapted alike. */
export async function readAdapterFiles(files: { configJson: string; safetensors: Uint8Array }, model: Gemma3Config): Promise<LoraAdapter> {
  let json: unknown;
  try {
    json = JSON.parse(files.configJson);
  } catch (e) {
    throw new PeftError(`adapter_config.json is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const reader = await SafetensorsReader.open(new MemoryByteSource(files.safetensors, 'adapter_model.safetensors'));
  const adapter = await readLoraAdapter(json, reader, model);
  const spec = loraSpecOf(adapter);
  adapter.tensors.forEach((mods, l) => {
    for (const m of LORA_MODULES) {
      if (Boolean(spec.modules[m]) !== Boolean(mods[m])) throw new PeftError(`${m} is adapted on some layers but not on layer ${l}; only adapters that cover every layer alike are supported`);
    }
  });
  return adapter;
}

/** Why the runner (compiled for `spec`) cannot take `adapter`, or null when it can. */
export function adapterMismatch(adapter: LoraAdapter, spec: LoraSpec): string | null {
  const theirs = loraSpecOf(adapter);
  for (const m of LORA_MODULES) {
    const a = theirs.modules[m];
    const b = spec.modules[m];
    if (!a && !b) continue;
    if (!a || !b) return `${m} is ${a ? '' : 'not '}adapted in the adapter but ${b ? '' : 'not '}in the model's LoRA setup`;
    if (a.rank !== b.rank || Math.abs(a.scale - b.scale) > 1e-12 * Math.abs(b.scale)) return `${m}: adapter rank ${a.rank}, scale ${a.scale}; the model is set up for rank ${b.rank}, scale ${b.scale}`;
  }
  return null;
}

/** Uploads an adapter's matrices into the runner (whose LoRA setup must match). */
export function applyAdapter(runner: Gemma3Runner, adapter: LoraAdapter): void {
  const mismatch = adapterMismatch(adapter, runner.options.lora);
  if (mismatch) throw new PeftError(mismatch);
  adapter.tensors.forEach((mods, layer) => {
    for (const m of Object.keys(mods) as LoraModuleName[]) {
      runner.setLora(layer, m, 'A', mods[m]!.A);
      runner.setLora(layer, m, 'B', mods[m]!.B);
    }
  });
}
