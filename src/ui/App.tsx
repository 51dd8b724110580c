/**
 * The page shell: a header with the WebGPU status and a workspace grid of panels.
 */
import { GpuPanel } from './GpuPanel';
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
        <GpuBadge />
      </header>
      <main className="workspace">
        <GpuPanel />
        <SmokeTestPanel />
      </main>
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
