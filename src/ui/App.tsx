/**
 * The page, arranged to fit one screen while training: the run bar on top, the setup (folded to one
 * line once a run starts), then the results as tabs (RESULT_TABS), the live view first.
 */
import { Notices } from './run/Notices';
import { ResumeOffer } from './run/ResumeOffer';
import { RunAnnouncer } from './run/RunAnnouncer';
import { RunPanel } from './run/RunPanel';
import { RESULT_TABS } from './result-tabs';
import { SetupSection } from './setup/SetupSection';
import type { GpuState } from './store';
import { useAppStore } from './store-context';
import { Tabs } from './Tabs';

export function App() {
  return (
    <div className="app">
      <header className="app-header">
        <h1>WebGRPO</h1>
        <p className="app-header__tagline">Fine-tune Gemma-3-1B-IT for Text-to-SQL with LoRA and GRPO, entirely in your browser.</p>
        <div className="app-header__status">
          <GpuBadge />
        </div>
      </header>
      <main className="workspace">
        <ResumeOffer />
        <RunPanel />
        <SetupSection />
        <Results />
      </main>
      <RunAnnouncer />
      <Notices />
    </div>
  );
}

function Results() {
  const tab = useAppStore((s) => s.resultsTab);
  const show = useAppStore((s) => s.showResultsTab);
  return (
    <section className="results" aria-labelledby="results-title">
      <h2 id="results-title" className="sr-only">
        Results
      </h2>
      <Tabs label="Results" tabs={RESULT_TABS} selected={tab} onSelect={show} render={({ Content }) => <Content />} />
    </section>
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
