/**
 * The hub's base URL: huggingface.co, or a mirror with the same URL layout (as HF_ENDPOINT sets it
 * for huggingface_hub). Checked where it is typed (dashboard, CLI) and again where it is used.
 */
export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

/** The endpoint without trailing slashes ('' means the default), or why it cannot be one. */
export function parseHubEndpoint(text: string): { endpoint: string } | { problem: string } {
  const trimmed = text.trim();
  if (trimmed === '') return { endpoint: DEFAULT_HUB_ENDPOINT };
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return { problem: `Hub endpoint must be an http(s) URL such as https://hf-mirror.com, got ${JSON.stringify(trimmed)}` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { problem: `Hub endpoint must be an http(s) URL such as https://hf-mirror.com, got ${JSON.stringify(trimmed)} (${url.protocol.replace(/:$/, '')})` };
  if (url.search || url.hash) return { problem: `Hub endpoint is a base URL without ?query or #fragment, got ${JSON.stringify(trimmed)}` };
  if (url.username || url.password) return { problem: 'Hub endpoint must not carry a user name or password (give a token instead)' };
  return { endpoint: `${url.origin}${url.pathname}`.replace(/\/+$/, '') };
}

/** The problem with an endpoint given in a request (absent: the default), or null. */
export function hubEndpointProblem(endpoint: unknown): string | null {
  if (endpoint === undefined) return null;
  if (typeof endpoint !== 'string') return `Hub endpoint must be a string, got ${JSON.stringify(endpoint)}`;
  const parsed = parseHubEndpoint(endpoint);
  return 'problem' in parsed ? parsed.problem : null;
}
