/**
 * Which model GRPO trains: Gemma-3-1B-IT from the Hugging Face hub (any compatible repo, optional
 * token, a mirror as endpoint), a model folder on this computer, or one of the two models that ship with the app (the demo model, the tiny random one). Shows the cache status and download progress.
 */
import { isActive } from '../training-state';
import { Panel } from '../Panel';
import { ProgressList } from '../ProgressList';
import { DEFAULT_MODEL_REPO, isRepoId } from '../run-request';
import { useAppStore } from '../store-context';
import { HubEndpointField } from './HubEndpointField';
import { ModelFolderChoice } from './ModelFolderChoice';

export function ModelPanel() {
  const model = useAppStore((s) => s.setup.model);
  const setModel = useAppStore((s) => s.setModel);
  const checkModelCache = useAppStore((s) => s.checkModelCache);
  const locked = useAppStore((s) => isActive(s.run.phase));

  return (
    <Panel title="1 · Model" subtitle="The policy that GRPO fine-tunes with LoRA" testId="model-panel">
      <fieldset className="choices" disabled={locked}>
        <legend className="sr-only">Model source</legend>
        <label className="choice">
          <input type="radio" name="model-kind" checked={model.kind === 'hub'} onChange={() => setModel({ kind: 'hub', repo: DEFAULT_MODEL_REPO, token: '' })} data-testid="model-hub" />
          <span>
            <strong>Gemma-3-1B-IT from Hugging Face</strong>
            <span className="choice__note">Downloaded once (about 2 GB), then cached in this browser.</span>
          </span>
        </label>
        {model.kind === 'hub' && (
          // A form around the token field lets password managers and the browser treat it as one.
          <form className="choice__body" onSubmit={(e) => e.preventDefault()} aria-label="Hugging Face model">
            <label className="field">
              <span className="field__label">Repo id</span>
              <input
                type="text"
                value={model.repo}
                spellCheck={false}
                onChange={(e) => setModel({ ...model, repo: e.target.value })}
                onBlur={() => void checkModelCache()}
                aria-invalid={!isRepoId(model.repo)}
                data-testid="model-repo"
              />
              <span className="field__help">Any Gemma-3-1B-IT compatible repo with safetensors weights.</span>
              {!isRepoId(model.repo) && <span className="field__error">Enter owner/name, e.g. {DEFAULT_MODEL_REPO}.</span>}
            </label>
            <label className="field">
              <span className="field__label">Access token (optional)</span>
              <input type="password" value={model.token} autoComplete="off" onChange={(e) => setModel({ ...model, token: e.target.value })} data-testid="model-token" />
              <span className="field__help">Only for gated or private repos; sent to the hub endpoint only, never saved.</span>
            </label>
            <HubEndpointField testId="model-endpoint" />
          </form>
        )}
        <label className="choice">
          <input type="radio" name="model-kind" checked={model.kind === 'files'} onChange={() => setModel({ kind: 'files', name: '', files: [] })} data-testid="model-files" />
          <span>
            <strong>A model folder on this computer</strong>
            <span className="choice__note">A Gemma-3 folder as save_pretrained writes it, e.g. downloaded elsewhere: no network needed.</span>
          </span>
        </label>
        {model.kind === 'files' && <ModelFolderChoice name={model.name} files={model.files} keepCopy={model.keepCopy === true} />}
        <label className="choice">
          <input type="radio" name="model-kind" checked={model.kind === 'bundled-demo'} onChange={() => setModel({ kind: 'bundled-demo' })} data-testid="model-demo" />
          <span>
            <strong>Demo model (offline, ships with the app)</strong>
            <span className="choice__note">
              A small Gemma-3 trained from scratch by this project on the synthetic SQL questions: it writes some queries right, so GRPO has something to
              learn. Pair it with the synthetic dataset.
            </span>
          </span>
        </label>
        <label className="choice">
          <input type="radio" name="model-kind" checked={model.kind === 'bundled-tiny'} onChange={() => setModel({ kind: 'bundled-tiny' })} data-testid="model-tiny" />
          <span>
            <strong>Tiny model (offline, ships with the app)</strong>
            <span className="choice__note">Random weights, real tokenizer: tries the whole pipeline in seconds, learns nothing useful.</span>
          </span>
        </label>
      </fieldset>
      <CacheStatusLine />
      <ProgressList area="model" />
    </Panel>
  );
}

function CacheStatusLine() {
  const check = useAppStore((s) => s.cacheCheck);
  const reported = useAppStore((s) => s.run.modelCache);
  const kind = useAppStore((s) => s.setup.model.kind);
  if (kind === 'bundled-tiny' || kind === 'bundled-demo') return <p className="status-line status-line--ok">Ships with the app: no download.</p>;
  if (kind === 'files') return null;
  // A report from a run is the freshest; otherwise what the last check said.
  const status = reported ?? (check.phase === 'known' ? check.status : null);
  if (status) {
    return (
      <p className={`status-line ${status.cached ? 'status-line--ok' : ''}`} data-testid="model-cache">
        {status.cached ? 'Cached in this browser: loads without the network.' : 'Not cached yet: downloaded when training starts.'}
        {status.bytes !== undefined && status.bytes > 0 && <span className="muted"> ({(status.bytes / 2 ** 20).toFixed(0)} MiB stored)</span>}
      </p>
    );
  }
  if (check.phase === 'checking') return <p className="status-line muted">Checking the browser cache…</p>;
  if (check.phase === 'failed') return <p className="status-line status-line--bad">Could not check the cache: {check.error}</p>;
  return <p className="status-line muted">Cache status: shown once the engine reports it (when training starts).</p>;
}
