/**
 * The adapter the playground answers with: the run's current LoRA, a saved checkpoint's, or adapter
 * files (PEFT/Unsloth) the person picks. A checkpoint or files get a runner of their own over the
 * run's device weights (no second copy of the model, the run's LoRA untouched), kept while the same
 * source is asked for again.
 */
import { decodeCheckpoint, type CheckpointStorage } from '../grpo/checkpoint';
import { applyAdapter, readAdapterFiles } from '../grpo/export';
import { restoreLora } from '../grpo/trainer';
import type { GRPOConfig } from '../grpo/config';
import type { Gemma3Config } from '../model/config';
import type { LoraSpec } from '../model/gemma3-layer';
import type { Gemma3Runner } from '../model/gemma3-runner';
import { loraSpecOf } from '../model/parity';
import { createLoraAdapter } from '../model/peft';
import { sha256Hex } from '../model/sha256';
import { isSftCheckpoint } from '../sft/checkpoint';
import type { PlaygroundAdapterSource } from './training-api';

/** What a source resolves to: a runner with that adapter's LoRA, and how to name it. */
export interface PlaygroundAdapter {
  key: string;
  /** Shown with the outputs, e.g. "checkpoint at step 40". */
  label: string;
  runner: Gemma3Runner;
}

export interface PlaygroundAdapterContext {
  /** The run's runner, whose weights the adapter's runner shares. */
  runner: Gemma3Runner;
  modelId: string;
  config: Gemma3Config;
  checkpoints: () => Promise<CheckpointStorage>;
}

/** Why a source cannot be used, or null (shape only: a checkpoint's existence is checked on load). */
export function adapterSourceProblem(source: unknown): string | null {
  if (source === undefined) return null;
  const s = source as Partial<Record<string, unknown>> | null;
  if (!s || typeof s !== 'object') return 'the adapter source must be an object';
  if (s.kind === 'run') return null;
  if (s.kind === 'checkpoint') return typeof s.id === 'string' && s.id !== '' ? null : 'choose a checkpoint';
  if (s.kind === 'files') {
    const a = s.adapter as { configJson?: unknown; safetensors?: unknown } | undefined;
    if (!a || typeof a.configJson !== 'string' || !(a.safetensors instanceof Uint8Array)) return 'pick both adapter files (adapter_config.json and adapter_model.safetensors)';
    return null;
  }
  return `the adapter source must be 'run', 'checkpoint' or 'files', got ${JSON.stringify(s.kind)}`;
}

/** Identifies a source: the same key means the same LoRA tensors. */
export function adapterSourceKey(source: PlaygroundAdapterSource): string {
  if (source.kind === 'run') return 'run';
  if (source.kind === 'checkpoint') return `checkpoint:${source.id}`;
  const config = new TextEncoder().encode(source.adapter.configJson);
  return `files:${sha256Hex(config)}:${sha256Hex(source.adapter.safetensors)}`;
}

/** The LoRA setup a GRPO config trains (as the run that wrote the checkpoint built it). */
function loraSpecOfConfig(model: Gemma3Config, config: Pick<GRPOConfig, 'lora_r' | 'lora_alpha' | 'lora_target_modules'>): LoraSpec {
  return loraSpecOf(createLoraAdapter(model, { r: config.lora_r, alpha: config.lora_alpha, targetModules: config.lora_target_modules, random: () => 0.5 }));
}

/**
 * A runner carrying the source's adapter (checkpoint or files; 'run' is the run's own runner and
 * is not loaded here). Throws a specific error for a checkpoint of another model, a warm-up
 * checkpoint, or files that do not fit the model; nothing is kept then.
 */
export async function loadPlaygroundAdapter(ctx: PlaygroundAdapterContext, source: Exclude<PlaygroundAdapterSource, { kind: 'run' }>): Promise<PlaygroundAdapter> {
  const key = adapterSourceKey(source);
  if (source.kind === 'checkpoint') {
    const files = await (await ctx.checkpoints()).load(source.id);
    if (isSftCheckpoint(files.meta)) throw new Error(`checkpoint ${source.id} is a warm-up (SFT) checkpoint: choose a GRPO checkpoint`);
    const state = await decodeCheckpoint(files);
    if (state.modelId !== ctx.modelId) throw new Error(`checkpoint ${source.id} was trained on ${state.modelId}; the loaded model is ${ctx.modelId}`);
    const runner = ctx.runner.withSharedWeights(loraSpecOfConfig(ctx.config, state.config));
    try {
      restoreLora(runner, state);
    } catch (e) {
      await runner.release();
      throw e;
    }
    return { key, label: `checkpoint at step ${state.step}`, runner };
  }
  const adapter = await readAdapterFiles(source.adapter, ctx.config);
  const runner = ctx.runner.withSharedWeights(loraSpecOf(adapter));
  try {
    applyAdapter(runner, adapter);
  } catch (e) {
    await runner.release();
    throw e;
  }
  return { key, label: source.name ? `adapter ${source.name}` : 'imported adapter', runner };
}
