/**
 * `npm run playground`: the command-line playground, run as a user runs it (a child process on
 * the shipped tiny model, wasm), its refusals before anything loads, and an adapter for another
 * base refused with the mismatching tensor named.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../../../src/common/rng';
import { parseGemma3Config, type Gemma3Config } from '../../../src/model/config';
import { createLoraAdapter, serializeLoraAdapter } from '../../../src/model/peft';
import { tinyModelConfig, tinyModelConfigJson } from '../../../src/model/tiny-model';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const playground = (args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', '--conditions=onnxruntime-web-use-extern-wasm', 'scripts/playground.ts', ...args], { cwd: repoRoot, maxBuffer: 4 * 2 ** 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });

/** A PEFT adapter folder for `config`, with non-zero B so that it changes the model. */
function adapterFolder(config: Gemma3Config, seed: number): string {
  const rng = Rng.fromSeed(seed, 'adapter');
  const adapter = createLoraAdapter(config, { r: 4, alpha: 8, targetModules: ['q_proj', 'v_proj'], random: () => rng.next() });
  for (const mods of adapter.tensors) for (const m of Object.values(mods)) m!.B.forEach((_, i, b) => (b[i] = rng.next() - 0.5));
  const files = serializeLoraAdapter(adapter);
  const dir = mkdtempSync(path.join(tmpdir(), 'playground-cli-'));
  dirs.push(dir);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'adapter_config.json'), files.configJson);
  writeFileSync(path.join(dir, 'adapter_model.safetensors'), files.safetensors);
  return dir;
}

const SCHEMA = 'CREATE TABLE singer (singer_id INTEGER, name TEXT, age INTEGER)';

describe('npm run playground', () => {
  it('refuses bad input before loading anything, and says what is wrong', async () => {
    const none = await playground(['--schema', SCHEMA]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/type a question/);
    const flag = await playground(['--question', 'q', '--schema', SCHEMA, '--temprature', '1']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/unknown option "--temprature"/);
    const topP = await playground(['--question', 'q', '--schema', SCHEMA, '--top-p', '0']);
    expect(topP.code).toBe(2);
    expect(topP.stderr).toMatch(/top_p must be in \(0, 1\]/);
    const adapterModel = await playground(['--question', 'q', '--schema', SCHEMA, '--models', 'adapter']);
    expect(adapterModel.code).toBe(2);
    expect(adapterModel.stderr).toMatch(/has no LoRA adapter/);
    const missing = await playground(['--question', 'q', '--schema', SCHEMA, '--adapter', path.join(tmpdir(), 'no-such-adapter-folder')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no-such-adapter-folder does not exist/);
  }, 120_000);

  it('answers with the base and an adapter side by side on the tiny model', async () => {
    const r = await playground(['--model', 'tiny', '--adapter', adapterFolder(tinyModelConfig(), 3), '--question', 'How many singers are there?', '--schema', SCHEMA, '--max-new-tokens', '3', '--gold', 'SELECT COUNT(*) FROM singer']);
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^prompt: \d+ tokens/m);
    expect(r.stdout).toMatch(/^== base: 3 tokens .*\(cut at --max-new-tokens\)$/m);
    expect(r.stdout).toMatch(/^== adapter \(.*playground-cli-.*\): 3 tokens/m);
    expect(r.stdout.match(/^-- SQL: /gm)).toHaveLength(2);
  }, 300_000);

  it('refuses an adapter made for another base, naming the tensor', async () => {
    // Same layout, twice the hidden width: every LoRA A of q_proj has the wrong number of columns.
    const json = tinyModelConfigJson();
    const wider = parseGemma3Config({ ...json, hidden_size: 2 * (json.hidden_size as number) });
    const r = await playground(['--model', 'tiny', '--adapter', adapterFolder(wider, 4), '--question', 'q', '--schema', SCHEMA, '--max-new-tokens', '2']);
    expect(r.stderr).toMatch(/q_proj/);
    expect(r.code).toBe(2);
  }, 300_000);
});
