/**
 * What a completion is scored on (reward functions with TRL-style weights), which layer training
 * changes (LoRA, hints or both), and where it runs.
 */
import type { TrainingMode } from '../../hints/config';
import { ALL_REWARDS, type PresetName } from '../../rewards/registry';
import { Panel } from '../Panel';
import { useAppStore } from '../store-context';
import { isActive } from '../training-state';

const PRESET_LABELS: Record<PresetName, string> = { default: 'Default', doc000: 'Document 000', doc003: 'Document 003' };

const MODE_TEXT: Record<TrainingMode, { label: string; note: string }> = {
  lora: { label: 'LoRA', note: 'GRPO updates the adapter weights.' },
  hints: { label: 'Hints', note: 'GRPO learns "prefer / avoid" hints written into prompts; weights unchanged.' },
  both: { label: 'Both', note: 'LoRA and hints learn from the same groups.' },
};

/** LoRA first: it is the default and what most runs use. */
const MODES: readonly TrainingMode[] = ['lora', 'hints', 'both'];

const DESCRIPTIONS = new Map(ALL_REWARDS.map((r) => [r.name, r.description]));

export function RewardsPanel() {
  const rewards = useAppStore((s) => s.setup.rewards);
  const setReward = useAppStore((s) => s.setReward);
  const applyPreset = useAppStore((s) => s.applyRewardPreset);
  const mode = useAppStore((s) => s.setup.mode);
  const setMode = useAppStore((s) => s.setMode);
  const backend = useAppStore((s) => s.setup.backend);
  const setBackend = useAppStore((s) => s.setBackend);
  const gpu = useAppStore((s) => s.gpu);
  const locked = useAppStore((s) => isActive(s.run.phase));
  const hasWebGpu = gpu.phase === 'ready' && gpu.status.available;
  const demoModel = useAppStore((s) => s.setup.model.kind === 'bundled-demo');

  return (
    <Panel title="3 · Rewards and mode" subtitle="How completions are scored and what training changes" testId="rewards-panel">
      <fieldset className="plain" disabled={locked}>
        <legend className="group-title">Reward functions</legend>
        <div className="presets">
          <span className="muted">Presets:</span>
          {(Object.keys(PRESET_LABELS) as PresetName[]).map((p) => (
            <button key={p} type="button" className="secondary small" onClick={() => applyPreset(p)}>
              {PRESET_LABELS[p]}
            </button>
          ))}
        </div>
        <ul className="rewards" data-testid="reward-list">
          {rewards.map((r) => {
            const weightInvalid = r.enabled && (r.weight.trim() === '' || !Number.isFinite(Number(r.weight)));
            return (
              <li key={r.name} className={r.enabled ? 'reward is-on' : 'reward'}>
                <label className="reward__name">
                  <input type="checkbox" checked={r.enabled} onChange={(e) => setReward(r.name, { enabled: e.target.checked })} />
                  <code>{r.name}</code>
                </label>
                <label className="reward__weight">
                  <span className="sr-only">Weight of {r.name}</span>
                  <span aria-hidden="true">×</span>
                  <input type="text" inputMode="decimal" value={r.weight} disabled={!r.enabled} onChange={(e) => setReward(r.name, { weight: e.target.value })} aria-invalid={weightInvalid} />
                </label>
                <p className="reward__note">{DESCRIPTIONS.get(r.name)}</p>
              </li>
            );
          })}
        </ul>
      </fieldset>

      <fieldset className="plain" disabled={locked}>
        <legend className="group-title">Mode</legend>
        <div className="segmented" role="radiogroup" aria-label="Training mode">
          {MODES.map((m) => (
            <label key={m} className={mode === m ? 'segmented__item is-on' : 'segmented__item'}>
              <input type="radio" name="mode" value={m} checked={mode === m} onChange={() => setMode(m)} data-testid={`mode-${m}`} />
              {MODE_TEXT[m].label}
            </label>
          ))}
        </div>
        <p className="field__help">{MODE_TEXT[mode].note}</p>
        {demoModel && mode !== 'lora' && (
          <p className="field__help field__warn" role="note" data-testid="demo-hints-note">
            The demo model learned SQL under one fixed system prompt and cannot read hints: text added to its prompt derails it
            (held-out accuracy 30% → 6.5% in hints mode, docs/BENCHMARKS.md, "Learning"). Hints are meant for Gemma-3-1B.
          </p>
        )}
      </fieldset>

      <fieldset className="plain" disabled={locked}>
        <legend className="group-title">Backend</legend>
        <label className="field">
          <span className="sr-only">Backend</span>
          <select value={backend} onChange={(e) => setBackend(e.target.value === 'wasm' ? 'wasm' : 'webgpu')} data-testid="backend">
            <option value="webgpu" disabled={!hasWebGpu && gpu.phase !== 'detecting'}>
              WebGPU{!hasWebGpu && gpu.phase !== 'detecting' ? ' (not available here)' : ''}
            </option>
            <option value="wasm">CPU (wasm): the demo model, hints mode and small tests</option>
          </select>
        </label>
      </fieldset>
    </Panel>
  );
}
