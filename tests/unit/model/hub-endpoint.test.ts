/**
 * The Hub endpoint setting (a mirror's base URL, as HF_ENDPOINT): checked where it is typed, and
 * used for hub models and hub datasets alike, in the worker contract and the Node environment,
 * against the loopback test hub standing in for a mirror.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseHubEndpoint } from '../../../src/model/hub-endpoint';
import type { DashboardEvent } from '../../../src/worker/dashboard-api';
import { nodeTrainerEnvironment } from '../../../src/worker/trainer-env-node';
import { checkRequest, TrainerService } from '../../../src/worker/trainer-service';
import type { TrainingRequest } from '../../../src/worker/training-api';
import { TestHub } from '../../support/test-hub';

const DEMO_DIR = 'public/models/demo-sql';
const demo = Object.fromEntries(['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors'].map((f) => [f, new Uint8Array(readFileSync(path.join(DEMO_DIR, f)))]));
const sample = new Uint8Array(readFileSync('public/data/sql-create-context-sample.json'));
const mirror = new TestHub();
let dir: string;

beforeAll(async () => {
  await mirror.start();
  mirror.commit('someone/demo-gemma3', demo);
  mirror.commit('someone/sql', { 'rows.json': sample }, { type: 'dataset' });
});
afterAll(() => mirror.stop());
beforeEach(() => {
  mirror.reset();
  dir = mkdtempSync(path.join(tmpdir(), 'webgrpo-endpoint-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const env = () => nodeTrainerEnvironment({ cacheDir: path.join(dir, 'hub'), checkpointDir: path.join(dir, 'checkpoints'), sqlWorkers: 1 });

describe('parseHubEndpoint', () => {
  it.each([
    ['', 'https://huggingface.co'],
    ['  https://hf-mirror.com/ ', 'https://hf-mirror.com'],
    ['http://127.0.0.1:8080/hf//', 'http://127.0.0.1:8080/hf'],
    ['HTTPS://Mirror.Example.org', 'https://mirror.example.org'],
  ])('accepts %j as %s', (text, endpoint) => {
    expect(parseHubEndpoint(text)).toEqual({ endpoint });
  });

  it.each([
    ['hf-mirror.com', /must be an http\(s\) URL such as https:\/\/hf-mirror\.com, got "hf-mirror\.com"/],
    ['ftp://mirror.example.org', /must be an http\(s\) URL .* \(ftp\)/],
    ['localhost:8080', /must be an http\(s\) URL/],
    ['https://mirror.example.org/?x=1', /without \?query or #fragment/],
    ['https://me:secret@mirror.example.org', /must not carry a user name or password/],
  ])('refuses %j', (text, message) => {
    const parsed = parseHubEndpoint(text);
    expect('problem' in parsed && parsed.problem).toMatch(message);
  });
});

describe('the endpoint in the worker contract (Node environment)', () => {
  it('downloads a hub model and a hub dataset from the endpoint given', async () => {
    const e = env();
    const model = await e.openModel({ kind: 'hub', repo: 'someone/demo-gemma3', endpoint: mirror.hubUrl }, () => {});
    expect(model.config.vocabSize).toBe(JSON.parse(new TextDecoder().decode(demo['config.json'])).vocab_size);
    await model.weights.close();
    const rows = await e.readDataset({ kind: 'hub', id: 'someone/sql/rows.json', endpoint: mirror.hubUrl }, () => {});
    expect(rows.rows).toHaveLength(224);
    const asked = new Set(mirror.requests.map((r) => r.path));
    expect(asked).toEqual(new Set(['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors', 'model.safetensors.index.json', 'rows.json']));
    expect(await e.modelCacheStatus({ kind: 'hub', repo: 'someone/demo-gemma3', endpoint: mirror.hubUrl })).toMatchObject({ cached: true });
  });

  it('a request with a bad endpoint is refused before anything loads, naming it', () => {
    const request: TrainingRequest = {
      model: { kind: 'hub', repo: 'someone/demo-gemma3', endpoint: 'mirror.example.org' },
      dataset: { kind: 'hub', id: 'someone/sql/rows.json', endpoint: 'ftp://x' },
      config: {},
      rewards: [{ name: 'match_format_exactly', weight: 1 }],
      mode: 'lora',
      backend: 'wasm',
    };
    const { problems } = checkRequest(request, { hasWebGPU: () => false });
    expect(problems.filter((p) => p.startsWith('Hub endpoint must be an http(s) URL'))).toHaveLength(2);
  });

  it('Train with a hub model whose endpoint cannot be reached ends in what to do, not "Failed to fetch"', async () => {
    const service = new TrainerService(env());
    const events: DashboardEvent[] = [];
    const outcome = await service.train(
      { model: { kind: 'hub', repo: 'someone/demo-gemma3', endpoint: 'http://127.0.0.1:1' }, dataset: { kind: 'synthetic', size: 20, seed: 1 }, config: { max_steps: 1 }, rewards: [{ name: 'match_format_exactly', weight: 1 }], mode: 'lora', backend: 'wasm' },
      (ev) => events.push(ev),
    );
    expect(outcome.status).toBe('failed');
    const error = events.find((ev) => ev.type === 'error');
    expect(error && 'message' in error && error.message).toMatch(/^hub: cannot reach http:\/\/127\.0\.0\.1:1: offline, or blocked by a firewall or proxy\? Set a mirror in Hub endpoint .*or open a model folder/);
  }, 30_000);
});

describe('npm run train --endpoint / HF_ENDPOINT', () => {
  const train = (args: string[], extraEnv: Record<string, string> = {}) =>
    new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', 'scripts/train.ts', ...args], { env: { ...process.env, ...extraEnv }, maxBuffer: 4 * 2 ** 20 }, (err, _stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stderr });
      });
    });

  it('refuses an endpoint that is not an http(s) URL, saying where it came from', async () => {
    const flag = await train(['--model', 'someone/x', '--endpoint', 'ftp://mirror']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/--endpoint: Hub endpoint must be an http\(s\) URL .*got "ftp:\/\/mirror"/);
    const env = await train(['--model', 'someone/x'], { HF_ENDPOINT: 'mirror.example.org' });
    expect(env.code).toBe(2);
    expect(env.stderr).toMatch(/HF_ENDPOINT: Hub endpoint must be an http\(s\) URL/);
  }, 60_000);
});
