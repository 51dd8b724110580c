/**
 * The parity CLI on the shared HF fixture: every tensor within tolerance, exit 0; the same run
 * against an expected file with one gradient tampered with: that tensor (and only it) fails, exit 1.
 * Plus the errors a person gets for missing or invalid inputs (exit 2).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SafetensorsReader, serializeSafetensors, type TensorToWrite } from '../../../src/model/safetensors';
import { openFileSource } from '../../../src/model/storage-node';
import { REPO, runParityCli } from './run-cli';

const FIXTURE = path.resolve(REPO, '../shared/fixtures/tiny-gemma3-a');
const TAMPERED = 'grad.model.layers.3.self_attn.k_proj.lora_B.weight';
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'parity-cli-'));
});

const base = () => ['--model', FIXTURE, '--adapter', path.join(FIXTURE, 'adapter'), '--cases', path.join(FIXTURE, 'cases.json')];

/** A copy of expected.safetensors with one tensor changed by 1% of its norm. */
async function tamperedExpected(): Promise<string> {
  const reader = await SafetensorsReader.open(await openFileSource(path.join(FIXTURE, 'expected.safetensors')));
  const tensors: TensorToWrite[] = [];
  for (const t of reader.tensors) {
    const data = await reader.readFloat32(t.name);
    if (t.name === TAMPERED) for (let i = 0; i < data.length; i += 7) data[i] *= 1.05;
    tensors.push({ name: t.name, shape: [...t.shape], data });
  }
  await reader.close();
  const file = path.join(dir, 'tampered.safetensors');
  writeFileSync(file, serializeSafetensors(tensors));
  return file;
}

describe('parity CLI on tiny-gemma3-a (wasm)', () => {
  it('matches expected.safetensors (exit 0, all 88 errors printed); a tampered expected file fails (exit 1)', async () => {
    const out = path.join(dir, 'ours.safetensors');
    const tampered = await tamperedExpected();
    const [good, bad] = await Promise.all([
      runParityCli([...base(), '--out', out, '--expected', path.join(FIXTURE, 'expected.safetensors')]),
      runParityCli([...base(), '--out', path.join(dir, 'ours2.safetensors'), '--expected', tampered]),
    ]);
    expect(good.code, good.stderr).toBe(0);
    const rows = good.stdout.split('\n').filter((l) => / rel_l2 /.test(l));
    expect(rows).toHaveLength(88);
    expect(rows.every((l) => / ok$/.test(l))).toBe(true);
    expect(good.stdout).toContain('88 tensors compared, 0 over tolerance');

    // The output file has the expected file's keys, shapes and dtype.
    const mine = await SafetensorsReader.open(await openFileSource(out));
    const want = await SafetensorsReader.open(await openFileSource(path.join(FIXTURE, 'expected.safetensors')));
    expect(mine.tensors.map((t) => `${t.name} ${t.dtype} ${t.shape}`).sort()).toEqual(want.tensors.map((t) => `${t.name} ${t.dtype} ${t.shape}`).sort());
    await Promise.all([mine.close(), want.close()]);

    expect(bad.code, bad.stderr).toBe(1);
    const failing = bad.stdout.split('\n').filter((l) => / FAIL/.test(l));
    expect(failing).toHaveLength(1);
    expect(failing[0]).toContain(TAMPERED);
    expect(bad.stdout).toContain('88 tensors compared, 1 over tolerance');
  }, 300_000);
});

describe('parity CLI input errors (exit 2, a message naming the problem)', () => {
  it('missing required flags and an unknown backend', async () => {
    const r1 = await runParityCli(['--model', FIXTURE]);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toMatch(/--adapter is required/);
    const r2 = await runParityCli([...base(), '--out', path.join(dir, 'x.safetensors'), '--backend', 'cuda']);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/--backend must be wasm or webgpu/);
  }, 60_000);

  it('a model directory that does not exist, or one without weights', async () => {
    const r1 = await runParityCli(['--model', path.join(dir, 'nope'), '--adapter', path.join(FIXTURE, 'adapter'), '--cases', path.join(FIXTURE, 'cases.json'), '--out', path.join(dir, 'x.safetensors')]);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toMatch(/model directory .*nope does not exist/);
    const empty = mkdtempSync(path.join(dir, 'model-'));
    writeFileSync(path.join(empty, 'config.json'), readFileSync(path.join(FIXTURE, 'config.json')));
    const r2 = await runParityCli(['--model', empty, '--adapter', path.join(FIXTURE, 'adapter'), '--cases', path.join(FIXTURE, 'cases.json'), '--out', path.join(dir, 'x.safetensors')]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/neither model\.safetensors nor model\.safetensors\.index\.json/);
  }, 60_000);

  it('a cases file that is not JSON, or has a mask value other than 0/1', async () => {
    const broken = path.join(dir, 'broken.json');
    writeFileSync(broken, '{"input_ids": [[1, 2]');
    const r1 = await runParityCli(['--model', FIXTURE, '--adapter', path.join(FIXTURE, 'adapter'), '--cases', broken, '--out', path.join(dir, 'x.safetensors')]);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toMatch(/cases file .*broken\.json is not valid JSON/);
    const cases = JSON.parse(readFileSync(path.join(FIXTURE, 'cases.json'), 'utf8'));
    cases.attention_mask[1][3] = 2;
    const badMask = path.join(dir, 'bad-mask.json');
    writeFileSync(badMask, JSON.stringify(cases));
    const r2 = await runParityCli(['--model', FIXTURE, '--adapter', path.join(FIXTURE, 'adapter'), '--cases', badMask, '--out', path.join(dir, 'x.safetensors')]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/attention_mask\[1\]\[3\] = 2 must be 0 or 1/);
  }, 60_000);

  it('an expected file that is not safetensors', async () => {
    const junk = path.join(dir, 'junk.safetensors');
    writeFileSync(junk, 'not a safetensors file at all');
    const r = await runParityCli([...base(), '--out', path.join(dir, 'x.safetensors'), '--expected', junk]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/expected file .*junk\.safetensors: .*header length/);
  }, 60_000);
});
