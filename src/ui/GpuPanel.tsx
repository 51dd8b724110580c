/**
 * What WebGPU the engine worker has: the adapter, the limits that bound model size, the features.
 * Without WebGPU it says so and what still works.
 */
import { useEffect } from 'react';
import { formatBytes, type GpuStatus, type LimitName } from '../runtime/gpu-info';
import { memoryUseView } from './memory-view';
import { Panel } from './Panel';
import { useAppStore } from './store-context';
import { isActive } from './training-state';

/** How often the panel asks the engine for the memory in use while a run is under way. */
const POLL_MS = 1000;

const LIMIT_LABELS: Record<LimitName, { label: string; bytes: boolean }> = {
  maxBufferSize: { label: 'Max buffer size', bytes: true },
  maxStorageBufferBindingSize: { label: 'Max storage binding', bytes: true },
  maxComputeWorkgroupStorageSize: { label: 'Workgroup shared memory', bytes: true },
  maxStorageBuffersPerShaderStage: { label: 'Storage buffers per stage', bytes: false },
  maxComputeInvocationsPerWorkgroup: { label: 'Invocations per workgroup', bytes: false },
};

/** Features that change which kernels can run. */
const NOTABLE_FEATURES = ['shader-f16', 'subgroups', 'timestamp-query'];

export function GpuPanel() {
  const gpu = useAppStore((s) => s.gpu);
  return (
    <Panel title="WebGPU" subtitle="The GPU the engine worker runs on" testId="gpu-panel">
      {gpu.phase === 'detecting' && <p className="muted">Detecting WebGPU…</p>}
      {gpu.phase === 'failed' && (
        <p className="error" role="alert">
          Could not check for WebGPU: {gpu.error}
        </p>
      )}
      {gpu.phase === 'ready' && gpu.status.available && <MemoryInUse />}
      {gpu.phase === 'ready' && (gpu.status.available ? <AdapterDetails status={gpu.status} /> : <NoWebGpu reason={gpu.status.reason} />)}
    </Panel>
  );
}

/** GPU memory in use (every buffer on the engine's device) against the run's budget, live during a run. */
function MemoryInUse() {
  const use = useAppStore((s) => s.gpuUse);
  const refresh = useAppStore((s) => s.refreshGpuMemory);
  const running = useAppStore((s) => isActive(s.run.phase));
  useEffect(() => {
    void refresh();
    if (!running) return;
    const timer = setInterval(() => void refresh(), POLL_MS);
    return () => clearInterval(timer);
  }, [running, refresh]);
  if (!use) return null;
  const view = memoryUseView(use);
  return (
    <div className="gpu-memory" data-testid="gpu-memory">
      <h3>Memory in use{running ? ' (live)' : ''}</h3>
      <p data-testid="gpu-memory-text" className={view.over ? 'error' : undefined}>
        {view.text}; peak {view.peak}
        {view.over ? ' — over the budget' : ''}
      </p>
      {use.budget !== null && <meter min={0} max={use.budget} value={Math.min(use.live, use.budget)} high={use.budget * 0.9} aria-label="GPU memory in use against the budget" data-testid="gpu-memory-meter" />}
    </div>
  );
}

function AdapterDetails({ status }: { status: Extract<GpuStatus, { available: true }> }) {
  const { adapter, limits, features } = status;
  return (
    <div className="gpu" data-testid="gpu-available">
      <p className="gpu__name" data-testid="gpu-adapter-name">
        {adapter.name}
      </p>
      <dl className="facts">
        <dt>Vendor</dt>
        <dd>{adapter.vendor || '—'}</dd>
        <dt>Architecture</dt>
        <dd data-testid="gpu-architecture">{adapter.architecture || '—'}</dd>
        {adapter.device && (
          <>
            <dt>Device</dt>
            <dd>{adapter.device}</dd>
          </>
        )}
      </dl>
      {adapter.isSoftware && (
        <p className="note">This is a software (CPU) adapter: everything runs, but far slower than on a real GPU.</p>
      )}

      <h3>Limits</h3>
      <table className="limits" data-testid="gpu-limits">
        <tbody>
          {(Object.keys(LIMIT_LABELS) as LimitName[]).map((name) => (
            <tr key={name} title={name}>
              <th scope="row">{LIMIT_LABELS[name].label}</th>
              <td>{LIMIT_LABELS[name].bytes ? formatBytes(limits[name]) : limits[name].toLocaleString('en-US')}</td>
            </tr>
          ))}
        </tbody>
      </table>

      <h3>Features</h3>
      <ul className="chips" data-testid="gpu-features">
        {NOTABLE_FEATURES.map((f) => (
          <li key={f} className={features.includes(f) ? 'chip chip--yes' : 'chip chip--no'}>
            {f} {features.includes(f) ? '✓' : '✗'}
          </li>
        ))}
      </ul>
      {features.filter((f) => !NOTABLE_FEATURES.includes(f)).length > 0 && (
        <details className="all-features">
          <summary>All {features.length} features</summary>
          <p>{features.join(', ')}</p>
        </details>
      )}
    </div>
  );
}

function NoWebGpu({ reason }: { reason: string }) {
  return (
    <div className="no-gpu" data-testid="gpu-unavailable">
      <p className="no-gpu__title">WebGPU is not available here.</p>
      <p className="muted">{reason}</p>
      <p>Still works without it:</p>
      <ul>
        <li>browsing the datasets,</li>
        <li>scoring SQL with the reward functions,</li>
        <li>policy-hint mode, running the model on the CPU (wasm backend, slow).</li>
      </ul>
      <p>
        <strong>Training needs WebGPU.</strong> Open this page in a recent Chrome or Edge with hardware acceleration turned
        on.
      </p>
    </div>
  );
}
