/**
 * The setup in one line (shown in place of the setup panels while they are folded): model, dataset,
 * rewards, mode, backend and batch, and how many problems would stop Train.
 */
import type { TrainingMode } from '../hints/config';
import { buildTrainingRequest, problemLines, type Setup } from './run-request';
import { promptsPerStepOf, validateSettings } from './settings-form';

export interface SummaryItem {
  label: string;
  value: string;
}

export interface SetupSummary {
  items: SummaryItem[];
  /** What stops Train, one line each (empty when the setup can run). */
  problems: string[];
}

const MODE_LABELS: Record<TrainingMode, string> = { lora: 'LoRA', hints: 'hints', both: 'LoRA + hints' };

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function summarizeSetup(setup: Setup): SetupSummary {
  const m = setup.model;
  const model = m.kind === 'bundled-tiny' ? 'tiny (bundled)' : m.kind === 'bundled-demo' ? 'demo (bundled)' : m.kind === 'files' ? `folder ${m.name || '(none opened)'}` : m.repo.trim() || '(no repo id)';
  const dataset =
    setup.dataset.kind === 'sample'
      ? 'sample (bundled)'
      : setup.dataset.kind === 'hub'
        ? setup.dataset.id.trim() || '(no dataset id)'
        : setup.dataset.kind === 'synthetic'
          ? `synthetic (${setup.dataset.size.trim()} questions, seed ${setup.dataset.seed.trim()})`
          : (setup.dataset.file?.name ?? '(no file chosen)');
  const rewards = setup.rewards.filter((r) => r.enabled).map((r) => r.name);
  const { config, errors } = validateSettings(setup.settings);
  const prompts = promptsPerStepOf(config);
  const batch =
    errors.length > 0
      ? plural(errors.length, 'setting') + ' to fix'
      : `${prompts === null ? '?' : plural(prompts, 'prompt')} × ${config.num_generations}, ${plural(config.max_steps, 'step')}`;
  const built = buildTrainingRequest(setup);
  return {
    items: [
      { label: 'Model', value: model },
      { label: 'Dataset', value: dataset },
      { label: 'Rewards', value: rewards.length === 0 ? 'none' : plural(rewards.length, 'function') },
      { label: 'Mode', value: `${MODE_LABELS[setup.mode]} on ${setup.backend === 'webgpu' ? 'WebGPU' : 'the CPU (wasm)'}` },
      { label: 'Batch', value: batch },
    ],
    problems: 'problems' in built ? problemLines(built.problems) : [],
  };
}
