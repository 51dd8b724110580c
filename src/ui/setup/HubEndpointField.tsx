/**
 * The hub's base URL for hub models and datasets: huggingface.co, or a mirror where it is blocked
 * (as HF_ENDPOINT does for huggingface_hub). One setting, shown with each hub choice; kept across reloads.
 */
import { DEFAULT_HUB_ENDPOINT, parseHubEndpoint } from '../../model/hub-endpoint';
import { useAppStore } from '../store-context';

export function HubEndpointField({ testId }: { testId: string }) {
  const text = useAppStore((s) => s.setup.hubEndpoint ?? '');
  const setHubEndpoint = useAppStore((s) => s.setHubEndpoint);
  const checkModelCache = useAppStore((s) => s.checkModelCache);
  const parsed = parseHubEndpoint(text);
  return (
    <label className="field">
      <span className="field__label">Hub endpoint</span>
      <input
        type="url"
        value={text}
        placeholder={DEFAULT_HUB_ENDPOINT}
        spellCheck={false}
        onChange={(e) => setHubEndpoint(e.target.value)}
        onBlur={() => void checkModelCache()}
        aria-invalid={'problem' in parsed}
        data-testid={testId}
      />
      <span className="field__help">Empty for huggingface.co; a mirror's base URL (e.g. https://hf-mirror.com) where huggingface.co cannot be reached.</span>
      {'problem' in parsed && <span className="field__error">{parsed.problem}</span>}
    </label>
  );
}
