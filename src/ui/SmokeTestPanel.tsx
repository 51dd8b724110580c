/**
 * Runs a tiny onnxruntime-web session in the engine worker and shows whether it matches plain JS:
 * the quickest end-to-end check that the backend works on this machine.
 */
import { SMOKE_TOLERANCE, type Backend } from '../worker/api';
import { Panel } from './Panel';
import { smokeBackend } from './store';
import { useAppStore } from './store-context';

export function SmokeTestPanel() {
  const gpu = useAppStore((s) => s.gpu);
  const smoke = useAppStore((s) => s.smoke);
  const runSmokeTest = useAppStore((s) => s.runSmokeTest);
  const backend = smokeBackend(gpu);
  const running = smoke.phase === 'running';

  return (
    <Panel title="Smoke test" subtitle="A MatMul + Add model through onnxruntime-web, checked against plain JavaScript" testId="smoke-panel">
      <div className="actions">
        <button type="button" onClick={() => void runSmokeTest()} disabled={!backend || running} data-testid="smoke-run">
          {running ? 'Running…' : 'Run smoke test'}
        </button>
        <span className="muted">{backend ? `on ${backendLabel(backend)}` : 'waiting for WebGPU detection'}</span>
      </div>

      {smoke.phase === 'running' && (
        <p className="muted" data-testid="smoke-running">
          The first session compiles its GPU shaders, which takes a while on a software adapter.
        </p>
      )}
      {smoke.phase === 'failed' && (
        <p className="error" role="alert" data-testid="smoke-error">
          The smoke test failed on {backendLabel(smoke.backend)}: {smoke.error}
        </p>
      )}
      {smoke.phase === 'done' && (
        <div className={smoke.result.passed ? 'result result--ok' : 'result result--bad'} data-testid="smoke-result">
          <p className="result__verdict">{smoke.result.passed ? 'Passed' : 'Wrong result'}</p>
          <dl className="facts">
            <dt>Backend</dt>
            <dd data-testid="smoke-backend">{smoke.result.backend}</dd>
            <dt>Max |error|</dt>
            <dd>
              <span data-testid="smoke-max-error">{smoke.result.maxAbsError.toExponential(2)}</span>{' '}
              <span className="muted">(tolerance {SMOKE_TOLERANCE.toExponential(0)})</span>
            </dd>
            <dt>Time</dt>
            <dd data-testid="smoke-ms">
              {formatMs(smoke.result.ms)} <span className="muted">(run {formatMs(smoke.result.runMs)})</span>
            </dd>
            <dt>Size</dt>
            <dd>
              [{smoke.result.dims.m}×{smoke.result.dims.k}] · [{smoke.result.dims.k}×{smoke.result.dims.n}] + [{smoke.result.dims.n}]
            </dd>
          </dl>
        </div>
      )}
    </Panel>
  );
}

function backendLabel(backend: Backend): string {
  return backend === 'webgpu' ? 'WebGPU' : 'the CPU (wasm)';
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(0)} ms`;
}
