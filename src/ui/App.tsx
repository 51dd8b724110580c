/**
 * The page: set up (model, dataset, rewards, settings), run, then watch (metrics, groups,
 * evaluation, hints, adapter); the system checks come last.
 */
import { GpuPanel } from './GpuPanel';
import { GroupsPanel } from './groups/GroupsPanel';
import { MetricsPanel } from './plots/MetricsPanel';
import { AdapterPanel } from './results/AdapterPanel';
import { EvalPanel } from './results/EvalPanel';
import { HintsPanel } from './results/HintsPanel';
import { Notices } from './run/Notices';
import { ResumeOffer } from './run/ResumeOffer';
import { PhaseBadge, RunPanel } from './run/RunPanel';
import { DatasetPanel } from './setup/DatasetPanel';
import { ModelPanel } from './setup/ModelPanel';
import { RewardsPanel } from './setup/RewardsPanel';
import { SettingsPanel } from './setup/SettingsPanel';
import { SmokeTestPanel } from './SmokeTestPanel';
import type { GpuState } from './store';
import { useAppStore } from './store-context';

export function App() {
  return (
    <div className="app">
      <header className="app-header">
        <div>
          <h1>WebGRPO</h1>
          <p className="app-header__tagline">Fine-tune Gemma-3-1B-IT for Text-to-SQL with LoRA and GRPO, entirely in your browser.</p>
        </div>
        <div className="app-header__status">
          <PhaseBadge />
          <GpuBadge />
        </div>
      </header>
      <ResumeOffer />
      <main className="workspace">
        <ModelPanel />
        <DatasetPanel />
        <RewardsPanel />
        <SettingsPanel />
        <RunPanel />
        <MetricsPanel />
        <GroupsPanel />
        <EvalPanel />
        <AdapterPanel />
        <HintsPanel />
        <GpuPanel />
        <SmokeTestPanel />
      </main>
      <Notices />
    </div>
  );
}

function GpuBadge() {
  const gpu = useAppStore((s) => s.gpu);
  const { text, tone } = badgeFor(gpu);
  return (
    <span className={`badge badge--${tone}`} data-testid="gpu-badge">
      {text}
    </span>
  );
}

function badgeFor(gpu: GpuState): { text: string; tone: 'ok' | 'warn' | 'bad' | 'neutral' } {
  if (gpu.phase === 'detecting') return { text: 'Detecting WebGPU…', tone: 'neutral' };
  if (gpu.phase === 'failed') return { text: 'WebGPU check failed', tone: 'bad' };
  if (!gpu.status.available) return { text: 'No WebGPU: CPU only', tone: 'bad' };
  const { adapter } = gpu.status;
  return adapter.isSoftware
    ? { text: `WebGPU · ${adapter.architecture || adapter.name} (software)`, tone: 'warn' }
    : { text: `WebGPU · ${adapter.vendor || adapter.name}`, tone: 'ok' };
}
