/**
 * The shipped tiny model: deterministic, small, Gemma-3-shaped with the real vocabulary and
 * tokenizer, and loadable through the same HubClient code path the browser uses for it
 * (resolve URLs mapped onto the app's /models/tiny-gemma3/ folder).
 */
import { createHash } from 'node:crypto';
import { readFile, mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gemma3Runner } from '../../../src/model/gemma3-runner';
import { TINY_MODEL_FILES, TINY_MODEL_ID, tinyModelConfig, tinyModelSafetensors, tinyModelWeights } from '../../../src/model/tiny-model';
import { ensureTinyModel } from '../../../src/model/tiny-model-node';
import { TensorStore } from '../../../src/runtime/device';
import { bundledClient } from '../../../src/worker/trainer-env-browser';
import { openHubModel } from '../../../src/worker/trainer-model';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'webgrpo-tiny-'));
  await ensureTinyModel(dir);
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('tiny model', () => {
  it('is generated deterministically, Gemma-3-shaped with the real vocabulary, under 10 MB', async () => {
    const bytes = await readFile(path.join(dir, 'model.safetensors'));
    const sha = createHash('sha256').update(bytes).digest('hex');
    expect(createHash('sha256').update(tinyModelSafetensors()).digest('hex')).toBe(sha);
    // Pinned: the same bytes on every machine and run (bump TINY_MODEL_VERSION and this when the model changes).
    expect(sha).toBe('512234af4efe7505a0fc6a8245ee3fd916f429dc35f15d2f3a9bfa34ed5cb892');
    expect(bytes.byteLength).toBeLessThan(10 * 2 ** 20);
    const cfg = tinyModelConfig();
    expect(cfg).toMatchObject({ vocabSize: 262144, hiddenSize: 16, numLayers: 2, layerTypes: ['sliding_attention', 'full_attention'], tieWordEmbeddings: true });
    const w = tinyModelWeights().get('model.embed_tokens.weight')!;
    expect(w.shape).toEqual([262144, 16]);
    // A second call writes nothing (the manifest says the folder is current).
    expect((await ensureTinyModel(dir)).written).toBe(false);
    for (const f of TINY_MODEL_FILES) expect((await stat(path.join(dir, f))).size, f).toBeGreaterThan(0);
  });

  it('loads through HubClient from the app URL, with the Gemma-3 tokenizer and chat template', async () => {
    const requested: string[] = [];
    const appFetch = async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input);
      requested.push(`${init?.method ?? 'GET'} ${url}`);
      const file = url.replace('http://app.test/base/models/tiny-gemma3/', '');
      const bytes = await readFile(path.join(dir, file));
      return new Response(init?.method === 'HEAD' ? null : bytes, { status: 200, headers: { 'content-length': String(bytes.byteLength) } });
    };
    const model = await openHubModel(bundledClient('tiny', 'http://app.test/base', appFetch), { modelId: TINY_MODEL_ID, baseModelNameOrPath: null });
    expect(requested.every((r) => r.includes('http://app.test/base/models/tiny-gemma3/'))).toBe(true);
    expect(requested.some((r) => r.endsWith('model.safetensors'))).toBe(true);
    expect(requested.some((r) => r.includes('index.json'))).toBe(false); // answered 404 without asking the server
    const ids = model.tokenizer.applyChatTemplate([{ role: 'user', content: 'How many singers do we have?' }], { addGenerationPrompt: true });
    expect(model.tokenizer.decode(ids)).toBe('<bos><start_of_turn>user\nHow many singers do we have?<end_of_turn>\n<start_of_turn>model\n');
    const runner = await Gemma3Runner.load(model.config, model.weights, await TensorStore.create('wasm'), { lora: { modules: {} } });
    const logits = await runner.logits({ inputIds: [ids], attentionMask: [ids.map(() => 1)] });
    expect(logits.length).toBe(ids.length * 262144);
    expect(logits.every(Number.isFinite)).toBe(true);
    await runner.release();
  });
});
