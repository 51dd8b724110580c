/**
 * PEFT LoRA adapters (adapter_config.json + adapter_model.safetensors), read and written in the
 * layout the Python `peft` library uses, so adapters trained here load with
 * PeftModel.from_pretrained and adapters trained elsewhere (PEFT, Unsloth) load here.
 *
 * A adapted projection computes y = x W^T + scale * (x A^T) B^T with A [r, in], B [out, r] and
 * scale = alpha / r (alpha / sqrt(r) with use_rslora).
 */
import type { Gemma3Config } from './config';
import { float32ToBf16Bytes, serializeSafetensors, type TensorReader, type TensorToWrite } from './safetensors';

export const LORA_MODULES = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;
export type LoraModuleName = (typeof LORA_MODULES)[number];

/** The submodule (self_attn or mlp) holding each projection in a Gemma-3 decoder layer. */
export const MODULE_PARENT: Readonly<Record<LoraModuleName, 'self_attn' | 'mlp'>> = {
  q_proj: 'self_attn', k_proj: 'self_attn', v_proj: 'self_attn', o_proj: 'self_attn',
  gate_proj: 'mlp', up_proj: 'mlp', down_proj: 'mlp',
};

export class PeftError extends Error {
  constructor(message: string) {
    super(`PEFT adapter: ${message}`);
    this.name = 'PeftError';
  }
}

export interface LoraConfig {
  r: number;
  loraAlpha: number;
  useRslora: boolean;
  /** A list of module-name suffixes, or one regex matched against the full module name (fullmatch). */
  targetModules: string[] | string;
  /** Module-name pattern → rank / alpha overrides (PEFT matches `(.*\.)?(pattern)$`). */
  rankPattern: Record<string, number>;
  alphaPattern: Record<string, number>;
  excludeModules: string[] | string | null;
  layersToTransform: number[] | null;
  loraDropout: number;
  baseModelNameOrPath: string | null;
  taskType: string | null;
  /** Every field as read (unknown ones included), so writing back loses nothing. */
  raw: Record<string, unknown>;
}

export interface LoraModuleWeights {
  /** [rank, inFeatures], row-major. */
  A: Float32Array;
  /** [outFeatures, rank], row-major. */
  B: Float32Array;
  rank: number;
  alpha: number;
  inFeatures: number;
  outFeatures: number;
  /** Multiplier of the low-rank update: alpha / rank, or alpha / sqrt(rank) with rsLoRA. */
  scale: number;
}

export interface LoraAdapter {
  config: LoraConfig;
  /** tensors[layer][module], absent where the module is not adapted. */
  tensors: Array<Partial<Record<LoraModuleName, LoraModuleWeights>>>;
  /** Module-name prefix before `layers.{i}`: 'model.' for Gemma3ForCausalLM. */
  modulePrefix: string;
}

/** The module's full name as PEFT sees it, e.g. 'model.layers.3.self_attn.q_proj'. */
export function moduleName(modulePrefix: string, layer: number, module: LoraModuleName): string {
  return `${modulePrefix}layers.${layer}.${MODULE_PARENT[module]}.${module}`;
}

/** PEFT's key in adapter_model.safetensors (PEFT drops the adapter name, e.g. '.default', on save). */
export function loraKey(modulePrefix: string, layer: number, module: LoraModuleName, which: 'A' | 'B'): string {
  return `base_model.model.${moduleName(modulePrefix, layer, module)}.lora_${which}.weight`;
}

// ---------------------------------------------------------------------------------------------
// Config

type Json = Record<string, unknown>;

function pythonRegex(pattern: string, field: string): RegExp {
  // Python named groups (?P<x>...) / (?P=x) are the only common syntax JS lacks.
  const js = pattern.replace(/\(\?P</g, '(?<').replace(/\(\?P=(\w+)\)/g, '\\k<$1>');
  try {
    return new RegExp(`^(?:${js})$`);
  } catch (e) {
    throw new PeftError(`"${field}" regex ${JSON.stringify(pattern)} is not usable here: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function stringListOrRegex(v: unknown, field: string): string[] | string {
  if (typeof v === 'string') {
    pythonRegex(v, field);
    return v;
  }
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return [...(v as string[])];
  throw new PeftError(`"${field}" must be a list of module names or a regex string, got ${JSON.stringify(v)}`);
}

function numberRecord(v: unknown, field: string): Record<string, number> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new PeftError(`"${field}" must be an object, got ${JSON.stringify(v)}`);
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'number' || !(x > 0)) throw new PeftError(`"${field}.${k}" must be a positive number, got ${JSON.stringify(x)}`);
    pythonRegex(k, `${field} key`);
  }
  return { ...(v as Record<string, number>) };
}

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || v === false || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && Object.keys(v as object).length === 0);
}

/** Parses adapter_config.json; rejects LoRA variants this project does not implement. */
export function parseLoraConfig(json: unknown): LoraConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new PeftError('adapter_config.json must be a JSON object');
  const c = json as Json;
  if (c['peft_type'] !== undefined && c['peft_type'] !== 'LORA') throw new PeftError(`"peft_type" must be "LORA", got ${JSON.stringify(c['peft_type'])}`);
  const r = c['r'];
  if (typeof r !== 'number' || !Number.isInteger(r) || r <= 0) throw new PeftError(`"r" must be a positive integer, got ${JSON.stringify(r)}`);
  const alpha = c['lora_alpha'] ?? 8; // PEFT's default
  if (typeof alpha !== 'number' || !(alpha > 0)) throw new PeftError(`"lora_alpha" must be a positive number, got ${JSON.stringify(alpha)}`);
  if (!('target_modules' in c) || c['target_modules'] === null) throw new PeftError('missing field "target_modules"');

  // fan_in_fan_out is not refused: every Gemma-3 projection is a torch.nn.Linear, for which PEFT
  // resets it to False (with a warning) and stores lora_A/B as [r, in] / [out, r] all the same.
  const unsupported: Array<[string, boolean]> = [
    ['use_dora', c['use_dora'] === true],
    ['use_qalora', c['use_qalora'] === true],
    ['lora_bias', c['lora_bias'] === true],
    ['bias', c['bias'] !== undefined && c['bias'] !== 'none'],
    ['modules_to_save', !isEmpty(c['modules_to_save'])],
    ['layer_replication', !isEmpty(c['layer_replication'])],
    ['target_parameters', !isEmpty(c['target_parameters'])],
    ['trainable_token_indices', !isEmpty(c['trainable_token_indices'])],
    ['alora_invocation_tokens', !isEmpty(c['alora_invocation_tokens'])],
  ];
  for (const [name, bad] of unsupported) {
    if (bad) throw new PeftError(`"${name}": ${JSON.stringify(c[name])} is not supported (plain LoRA on linear projections only)`);
  }

  let layersToTransform: number[] | null = null;
  const ltt = c['layers_to_transform'];
  if (ltt !== undefined && ltt !== null) {
    const list = Array.isArray(ltt) ? ltt : [ltt];
    if (!list.every((x) => Number.isInteger(x) && (x as number) >= 0)) throw new PeftError(`"layers_to_transform" must be layer indices, got ${JSON.stringify(ltt)}`);
    layersToTransform = list as number[];
  }
  const dropout = c['lora_dropout'] ?? 0;
  if (typeof dropout !== 'number' || dropout < 0 || dropout >= 1) throw new PeftError(`"lora_dropout" must be in [0, 1), got ${JSON.stringify(dropout)}`);
  const rslora = c['use_rslora'] ?? false;
  if (typeof rslora !== 'boolean') throw new PeftError(`"use_rslora" must be a boolean, got ${JSON.stringify(rslora)}`);
  const base = c['base_model_name_or_path'] ?? null;
  const task = c['task_type'] ?? null;
  return {
    r,
    loraAlpha: alpha,
    useRslora: rslora,
    targetModules: stringListOrRegex(c['target_modules'], 'target_modules'),
    rankPattern: numberRecord(c['rank_pattern'], 'rank_pattern'),
    alphaPattern: numberRecord(c['alpha_pattern'], 'alpha_pattern'),
    excludeModules: c['exclude_modules'] === undefined || c['exclude_modules'] === null ? null : stringListOrRegex(c['exclude_modules'], 'exclude_modules'),
    layersToTransform,
    loraDropout: dropout,
    baseModelNameOrPath: typeof base === 'string' ? base : null,
    taskType: typeof task === 'string' ? task : null,
    raw: { ...c },
  };
}

function matchesModuleList(spec: string[] | string, name: string, field: string): boolean {
  if (typeof spec === 'string') {
    if (spec === 'all-linear') return true; // every projection of a decoder layer is linear
    return pythonRegex(spec, field).test(name);
  }
  return spec.some((t) => name === t || name.endsWith(`.${t}`));
}

/** Whether PEFT would wrap this module (target_modules, exclude_modules, layers_to_transform). */
export function isTargeted(config: LoraConfig, modulePrefix: string, layer: number, module: LoraModuleName): boolean {
  const name = moduleName(modulePrefix, layer, module);
  if (!matchesModuleList(config.targetModules, name, 'target_modules')) return false;
  if (config.excludeModules !== null && matchesModuleList(config.excludeModules, name, 'exclude_modules')) return false;
  return config.layersToTransform === null || config.layersToTransform.includes(layer);
}

function patternValue(patterns: Record<string, number>, name: string): number | undefined {
  for (const [pattern, value] of Object.entries(patterns)) {
    if (new RegExp(`^(?:.*\\.)?(?:${pattern.replace(/\(\?P</g, '(?<')})$`).test(name)) return value;
  }
  return undefined;
}

/** Rank, alpha and scale of one module after rank_pattern / alpha_pattern / rsLoRA. */
export function moduleHyperparameters(config: LoraConfig, modulePrefix: string, layer: number, module: LoraModuleName): { rank: number; alpha: number; scale: number } {
  const name = moduleName(modulePrefix, layer, module);
  const rank = patternValue(config.rankPattern, name) ?? config.r;
  const alpha = patternValue(config.alphaPattern, name) ?? config.loraAlpha;
  return { rank, alpha, scale: config.useRslora ? alpha / Math.sqrt(rank) : alpha / rank };
}

// ---------------------------------------------------------------------------------------------
// Reading

const KEY_PATTERN = /^base_model\.model\.(.*?)layers\.(\d+)\.(self_attn|mlp)\.(\w+)\.lora_([AB])(?:\.[\w-]+)?\.weight$/;

/**
 * Reads an adapter. With `model`, shapes are checked against the base model's projections and the
 * layer count is taken from it; otherwise from the highest layer index present.
 */
export async function readLoraAdapter(configJson: unknown, weights: TensorReader, model?: Gemma3Config): Promise<LoraAdapter> {
  const config = parseLoraConfig(configJson);
  const found = new Map<string, { layer: number; module: LoraModuleName; A?: string; B?: string }>();
  let prefix: string | null = null;
  for (const t of weights.tensors) {
    const m = KEY_PATTERN.exec(t.name);
    if (!m) throw new PeftError(`unexpected tensor "${t.name}" (expected base_model.model.…layers.{i}.{self_attn|mlp}.{proj}.lora_{A|B}.weight)`);
    const [, pre, layerText, parent, mod, which] = m;
    if (!(LORA_MODULES as readonly string[]).includes(mod!) || MODULE_PARENT[mod as LoraModuleName] !== parent) {
      throw new PeftError(`tensor "${t.name}": ${parent}.${mod} is not a Gemma-3 projection`);
    }
    if (prefix !== null && prefix !== pre) throw new PeftError(`tensor "${t.name}" uses module prefix "${pre}" but others use "${prefix}"`);
    prefix = pre!;
    const layer = Number(layerText);
    const id = `${layer}.${mod}`;
    const entry = found.get(id) ?? { layer, module: mod as LoraModuleName };
    entry[which as 'A' | 'B'] = t.name;
    found.set(id, entry);
  }
  const modulePrefix = prefix ?? 'model.';
  const maxLayer = Math.max(-1, ...[...found.values()].map((e) => e.layer));
  const numLayers = model?.numLayers ?? maxLayer + 1;
  if (maxLayer >= numLayers) throw new PeftError(`adapter has weights for layer ${maxLayer} but the model has ${numLayers} layers`);

  const tensors: LoraAdapter['tensors'] = Array.from({ length: numLayers }, () => ({}));
  for (let layer = 0; layer < numLayers; layer++) {
    for (const module of LORA_MODULES) {
      const entry = found.get(`${layer}.${module}`);
      const targeted = isTargeted(config, modulePrefix, layer, module);
      if (!entry) {
        if (targeted) throw new PeftError(`missing ${loraKey(modulePrefix, layer, module, 'A')} (the config targets this module)`);
        continue;
      }
      if (!targeted) throw new PeftError(`${entry.A ?? entry.B} is present but target_modules does not select ${moduleName(modulePrefix, layer, module)}`);
      if (!entry.A || !entry.B) throw new PeftError(`${moduleName(modulePrefix, layer, module)} has lora_${entry.A ? 'A' : 'B'} but no lora_${entry.A ? 'B' : 'A'}`);
      tensors[layer]![module] = await readModule(config, modulePrefix, layer, module, weights, entry.A, entry.B, model);
    }
  }
  return { config, tensors, modulePrefix };
}

async function readModule(
  config: LoraConfig, modulePrefix: string, layer: number, module: LoraModuleName,
  weights: TensorReader, keyA: string, keyB: string, model?: Gemma3Config,
): Promise<LoraModuleWeights> {
  const a = weights.info(keyA);
  const b = weights.info(keyB);
  const { rank, alpha, scale } = moduleHyperparameters(config, modulePrefix, layer, module);
  if (a.shape.length !== 2 || b.shape.length !== 2) throw new PeftError(`${keyA} / ${keyB} must be 2-D, got ${JSON.stringify(a.shape)} and ${JSON.stringify(b.shape)}`);
  const [rA, inFeatures] = a.shape as [number, number];
  const [outFeatures, rB] = b.shape as [number, number];
  if (rA !== rank || rB !== rank) {
    throw new PeftError(`${moduleName(modulePrefix, layer, module)}: lora_A ${JSON.stringify(a.shape)} / lora_B ${JSON.stringify(b.shape)} do not have the configured rank ${rank}`);
  }
  if (model) {
    const [wantIn, wantOut] = projectionShape(model, module);
    if (inFeatures !== wantIn || outFeatures !== wantOut) {
      throw new PeftError(`${moduleName(modulePrefix, layer, module)}: adapter maps ${inFeatures} → ${outFeatures} but the model's ${module} maps ${wantIn} → ${wantOut}`);
    }
  }
  return { A: await weights.readFloat32(keyA), B: await weights.readFloat32(keyB), rank, alpha, inFeatures, outFeatures, scale };
}

/** [inFeatures, outFeatures] of a Gemma-3 projection. */
export function projectionShape(model: Gemma3Config, module: LoraModuleName): [number, number] {
  const q = model.numHeads * model.headDim;
  const kv = model.numKvHeads * model.headDim;
  switch (module) {
    case 'q_proj': return [model.hiddenSize, q];
    case 'k_proj':
    case 'v_proj': return [model.hiddenSize, kv];
    case 'o_proj': return [q, model.hiddenSize];
    case 'gate_proj':
    case 'up_proj': return [model.hiddenSize, model.intermediateSize];
    case 'down_proj': return [model.intermediateSize, model.hiddenSize];
  }
}

// ---------------------------------------------------------------------------------------------
// Creating and writing

export interface NewAdapterOptions {
  r: number;
  alpha: number;
  targetModules?: LoraModuleName[];
  useRslora?: boolean;
  loraDropout?: number;
  baseModelNameOrPath?: string | null;
  /** Uniform [0, 1) source for A's init; default Math.random. */
  random?: () => number;
}

/**
 * A fresh adapter initialized as PEFT does (init_lora_weights=True): A ~ kaiming_uniform(a=√5),
 * i.e. U(-1/√in, 1/√in); B = 0, so the adapted model starts equal to the base model.
 */
export function createLoraAdapter(model: Gemma3Config, options: NewAdapterOptions): LoraAdapter {
  const targets = options.targetModules ?? [...LORA_MODULES];
  const rand = options.random ?? Math.random;
  const config = parseLoraConfig(
    defaultPeftConfig({
      r: options.r,
      lora_alpha: options.alpha,
      target_modules: targets,
      use_rslora: options.useRslora ?? false,
      lora_dropout: options.loraDropout ?? 0,
      base_model_name_or_path: options.baseModelNameOrPath ?? null,
    }),
  );
  const tensors: LoraAdapter['tensors'] = Array.from({ length: model.numLayers }, () => ({}));
  for (let layer = 0; layer < model.numLayers; layer++) {
    for (const module of targets) {
      const [inFeatures, outFeatures] = projectionShape(model, module);
      const { rank, alpha, scale } = moduleHyperparameters(config, 'model.', layer, module);
      const bound = 1 / Math.sqrt(inFeatures);
      const A = new Float32Array(rank * inFeatures);
      for (let i = 0; i < A.length; i++) A[i] = (2 * rand() - 1) * bound;
      tensors[layer]![module] = { A, B: new Float32Array(outFeatures * rank), rank, alpha, inFeatures, outFeatures, scale };
    }
  }
  return { config, tensors, modulePrefix: 'model.' };
}

/** adapter_config.json fields as PEFT 0.21 writes them for a plain LoRA adapter. */
function defaultPeftConfig(overrides: Json): Json {
  return {
    alpha_pattern: {}, auto_mapping: null, base_model_name_or_path: null, bias: 'none', corda_config: null,
    eva_config: null, exclude_modules: null, fan_in_fan_out: false, inference_mode: true, init_lora_weights: true,
    layer_replication: null, layers_pattern: null, layers_to_transform: null, loftq_config: {}, lora_alpha: 8,
    lora_bias: false, lora_dropout: 0.0, megatron_config: null, megatron_core: 'megatron.core', modules_to_save: null,
    peft_type: 'LORA', r: 8, rank_pattern: {}, revision: null, target_modules: [], task_type: 'CAUSAL_LM',
    trainable_token_indices: null, use_dora: false, use_rslora: false,
    ...overrides,
  };
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (typeof v === 'object' && v !== null) {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Json)[k])]));
  }
  return v;
}

export interface SerializedAdapter {
  /** adapter_config.json text (sorted keys, 2-space indent, as PEFT writes it). */
  configJson: string;
  /** adapter_model.safetensors bytes. */
  safetensors: Uint8Array;
}

/** Writes an adapter in PEFT's format; dtype BF16 halves the file (PEFT loads either). */
export function serializeLoraAdapter(
  adapter: LoraAdapter,
  options: { baseModelNameOrPath?: string | null; dtype?: 'F32' | 'BF16' } = {},
): SerializedAdapter {
  const c = adapter.config;
  const targets = typeof c.targetModules === 'string' ? c.targetModules : [...c.targetModules];
  const config = defaultPeftConfig({
    ...c.raw,
    r: c.r,
    lora_alpha: c.loraAlpha,
    use_rslora: c.useRslora,
    target_modules: targets,
    rank_pattern: c.rankPattern,
    alpha_pattern: c.alphaPattern,
    lora_dropout: c.loraDropout,
    base_model_name_or_path: options.baseModelNameOrPath !== undefined ? options.baseModelNameOrPath : c.baseModelNameOrPath,
    task_type: c.taskType ?? 'CAUSAL_LM',
    peft_type: 'LORA',
    fan_in_fan_out: false, // what PEFT itself saves for nn.Linear targets
  });
  const dtype = options.dtype ?? 'F32';
  const out: TensorToWrite[] = [];
  adapter.tensors.forEach((modules, layer) => {
    for (const module of LORA_MODULES) {
      const w = modules[module];
      if (!w) continue;
      if (w.A.length !== w.rank * w.inFeatures || w.B.length !== w.outFeatures * w.rank) {
        throw new PeftError(`layer ${layer} ${module}: A/B lengths ${w.A.length}/${w.B.length} do not match rank ${w.rank}, ${w.inFeatures} → ${w.outFeatures}`);
      }
      for (const [which, values, shape] of [['A', w.A, [w.rank, w.inFeatures]], ['B', w.B, [w.outFeatures, w.rank]]] as const) {
        const name = loraKey(adapter.modulePrefix, layer, module, which);
        out.push(dtype === 'F32' ? { name, shape: [...shape], data: values } : { name, shape: [...shape], dtype: 'BF16', bytes: float32ToBf16Bytes(values) });
      }
    }
  });
  return { configJson: JSON.stringify(sortKeys(config), null, 2), safetensors: serializeSafetensors(out, { format: 'pt' }) };
}
