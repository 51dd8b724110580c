import { describe, expect, it } from 'vitest';
import { loadSetup, MAX_STORED_UPLOAD_CHARS, parseStoredSetup, saveSetup, serializeSetup, SETUP_STORAGE_KEY } from '../../../src/ui/persist-setup';
import type { Setup } from '../../../src/ui/run-request';
import { createAppStore, INITIAL_SETUP } from '../../../src/ui/store';
import type { EngineApi } from '../../../src/worker/api';

function memoryStorage() {
  const items = new Map<string, string>();
  return { items, getItem: (k: string) => items.get(k) ?? null, setItem: (k: string, v: string) => void items.set(k, v) };
}

const shell: EngineApi = { gpuInfo: async () => ({ available: false, reason: 'test' }), runSmokeSession: async () => Promise.reject(new Error('no')) };

const tinyRun: Setup = {
  ...INITIAL_SETUP,
  model: { kind: 'bundled-tiny' },
  dataset: { kind: 'sample' },
  settings: { ...INITIAL_SETUP.settings, max_steps: '3', lora_target_modules: ['q_proj', 'v_proj'] },
  mode: 'both',
  backend: 'wasm',
};

describe('setup across reloads', () => {
  it('round-trips a setup', () => {
    expect(parseStoredSetup(serializeSetup(tinyRun), INITIAL_SETUP)).toEqual(tinyRun);
  });

  it('keeps the Hub endpoint as typed, an invalid one too (its error shows again)', () => {
    for (const hubEndpoint of ['https://hf-mirror.com', 'not a url']) {
      const stored = { ...tinyRun, hubEndpoint };
      expect(parseStoredSetup(serializeSetup(stored), INITIAL_SETUP)).toEqual(stored);
    }
    expect(parseStoredSetup(JSON.stringify({ hubEndpoint: 42 }), INITIAL_SETUP).hubEndpoint).toBe('');
  });

  it('keeps a model folder by name only: its files are opened again after a reload', () => {
    const folder: Setup = { ...tinyRun, model: { kind: 'files', name: 'gemma-3-1b-it', files: [new File(['{}'], 'config.json')] } };
    const text = serializeSetup(folder);
    expect(text).not.toContain('config.json');
    expect(parseStoredSetup(text, INITIAL_SETUP).model).toEqual({ kind: 'files', name: 'gemma-3-1b-it', files: [], keepCopy: false });
    const kept: Setup = { ...folder, model: { kind: 'files', name: 'gemma-3-1b-it', files: [], keepCopy: true } };
    expect(parseStoredSetup(serializeSetup(kept), INITIAL_SETUP).model).toEqual(kept.model);
  });

  it('keeps the synthetic corpus size and seed as typed', () => {
    const synthetic = { ...tinyRun, dataset: { kind: 'synthetic', size: '500', seed: '7' } } as const;
    expect(parseStoredSetup(serializeSetup(synthetic), INITIAL_SETUP)).toEqual(synthetic);
    expect(parseStoredSetup(JSON.stringify({ dataset: { kind: 'synthetic', size: 500 } }), INITIAL_SETUP).dataset).toEqual(INITIAL_SETUP.dataset);
  });

  it('never stores the hub token', () => {
    const text = serializeSetup({ ...INITIAL_SETUP, model: { kind: 'hub', repo: 'me/private-gemma', token: 'hf_secret' } });
    expect(text).not.toContain('hf_secret');
    expect(parseStoredSetup(text, INITIAL_SETUP).model).toEqual({ kind: 'hub', repo: 'me/private-gemma', token: '' });
  });

  it('keeps a small upload with its mapping, drops a large one (the person picks it again)', () => {
    const file = { name: 'a.csv', text: 'Q,S,A\n', columns: ['Q', 'S', 'A'], mapping: { question: 'Q', context: 'S', answer: 'A' } };
    expect(parseStoredSetup(serializeSetup({ ...INITIAL_SETUP, dataset: { kind: 'upload', file } }), INITIAL_SETUP).dataset).toEqual({ kind: 'upload', file });
    const big = { ...file, text: 'x'.repeat(MAX_STORED_UPLOAD_CHARS + 1) };
    expect(parseStoredSetup(serializeSetup({ ...INITIAL_SETUP, dataset: { kind: 'upload', file: big } }), INITIAL_SETUP).dataset).toEqual({ kind: 'upload', file: null });
  });

  it('ignores what does not read correctly and keeps the defaults for it', () => {
    expect(parseStoredSetup('not json', INITIAL_SETUP)).toBe(INITIAL_SETUP);
    const partial = parseStoredSetup(
      JSON.stringify({ model: { kind: 'gguf' }, settings: { max_steps: 7, top_p: '0.9', lora_target_modules: ['q_proj', 'bogus'] }, rewards: [{ name: 'check_answer', enabled: true, weight: '2' }, { name: 'no_such_reward', enabled: true, weight: '1' }], mode: 'everything', backend: 'cuda' }),
      INITIAL_SETUP,
    );
    expect(partial.model).toEqual(INITIAL_SETUP.model);
    expect(partial.settings.max_steps).toBe(INITIAL_SETUP.settings.max_steps);
    expect(partial.settings.top_p).toBe('0.9');
    expect(partial.settings.lora_target_modules).toEqual(INITIAL_SETUP.settings.lora_target_modules);
    expect(partial.rewards.find((r) => r.name === 'check_answer')).toEqual({ name: 'check_answer', enabled: true, weight: '2' });
    expect(partial.rewards.map((r) => r.name)).toEqual(INITIAL_SETUP.rewards.map((r) => r.name));
    expect([partial.mode, partial.backend]).toEqual([INITIAL_SETUP.mode, INITIAL_SETUP.backend]);
  });

  it('storage that throws (blocked, full) never breaks the app', () => {
    const broken = { getItem: () => { throw new Error('blocked'); }, setItem: () => { throw new Error('full'); } };
    expect(loadSetup(broken, INITIAL_SETUP)).toBe(INITIAL_SETUP);
    expect(() => saveSetup(broken, tinyRun)).not.toThrow();
  });

  it('the store saves each setup change and a new store (a reload) starts from it', () => {
    const storage = memoryStorage();
    const before = createAppStore(shell, { storage });
    before.getState().setModel({ kind: 'bundled-tiny' });
    before.getState().setSetting('max_steps', '3');
    expect(storage.items.has(SETUP_STORAGE_KEY)).toBe(true);
    const after = createAppStore(shell, { storage });
    expect(after.getState().setup.model).toEqual({ kind: 'bundled-tiny' });
    expect(after.getState().setup.settings.max_steps).toBe('3');
  });
});
