/**
 * A model folder opened in the browser: File objects read in place (Node's File is the same Blob
 * API), single or sharded safetensors, the missing files named, a model of another kind refused.
 * Tensors read through the files are compared with the same tensors read from disk.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { serializeSafetensors, SafetensorsReader, MemoryByteSource } from '../../../src/model/safetensors';
import { MemoryHubCache, type HubCache } from '../../../src/model/hub-cache';
import { copyModelFiles, filesByName, missingModelFiles, openModelFiles, openStoredModel, storedFileKey } from '../../../src/worker/model-files';
import { nodeTrainerEnvironment } from '../../../src/worker/trainer-env-node';

const DEMO_DIR = 'public/models/demo-sql';
const bytes = (f: string) => new Uint8Array(readFileSync(path.join(DEMO_DIR, f)));
/** What webkitdirectory gives: File objects whose webkitRelativePath starts with the folder. */
function picked(folder: string, files: Record<string, Uint8Array>): File[] {
  return Object.entries(files).map(([name, b]) => {
    const f = new File([b as Uint8Array<ArrayBuffer>], name.split('/').pop()!);
    Object.defineProperty(f, 'webkitRelativePath', { value: `${folder}/${name}` });
    return f;
  });
}
const TEXT = { 'config.json': bytes('config.json'), 'tokenizer.json': bytes('tokenizer.json'), 'tokenizer_config.json': bytes('tokenizer_config.json') };

describe('a model folder from File objects', () => {
  it('opens config, tokenizer and weights in place; tensors equal those read from disk', async () => {
    const model = await openModelFiles('demo-sql', picked('demo-sql', { ...TEXT, 'model.safetensors': bytes('model.safetensors'), 'sub/model.safetensors': new Uint8Array(3) }));
    const disk = await SafetensorsReader.open(new MemoryByteSource(bytes('model.safetensors'), 'disk'));
    expect(model.weights.tensors.map((t) => t.name)).toEqual(disk.tensors.map((t) => t.name));
    const name = disk.tensors[1]!.name;
    expect(Array.from(await model.weights.readFloat32(name))).toEqual(Array.from(await disk.readFloat32(name)));
    expect(model.modelId).toBe('demo-sql');
    expect(model.baseModelNameOrPath).toBeNull();
    expect(model.tokenizer.encode('SELECT 1').length).toBeGreaterThan(0);
  });

  it('opens sharded weights through their index', async () => {
    const disk = await SafetensorsReader.open(new MemoryByteSource(bytes('model.safetensors'), 'disk'));
    const [first, ...rest] = disk.tensors;
    const shard = async (ts: typeof disk.tensors) => serializeSafetensors(await Promise.all(ts.map(async (t) => ({ name: t.name, shape: [...t.shape], data: await disk.readFloat32(t.name) }))));
    const weightMap = Object.fromEntries([[first!.name, 'model-00001-of-00002.safetensors'], ...rest.map((t) => [t.name, 'model-00002-of-00002.safetensors'])]);
    const files = {
      ...TEXT,
      'model.safetensors.index.json': new TextEncoder().encode(JSON.stringify({ weight_map: weightMap })),
      'model-00001-of-00002.safetensors': await shard([first!]),
      'model-00002-of-00002.safetensors': await shard(rest),
    };
    const model = await openModelFiles('sharded', picked('sharded', files));
    expect(model.weights.tensors).toHaveLength(disk.tensors.length);
    const last = rest.at(-1)!.name;
    expect(Array.from(await model.weights.readFloat32(last))).toEqual(Array.from(await disk.readFloat32(last)));

    const { 'model-00002-of-00002.safetensors': _, ...lacking } = files;
    await expect(openModelFiles('sharded', picked('sharded', lacking))).rejects.toThrow('the model folder "sharded" lacks the shard named in model.safetensors.index.json: model-00002-of-00002.safetensors');
  });

  it('names every missing file', async () => {
    expect(missingModelFiles(['config.json', 'model.safetensors'])).toEqual(['tokenizer.json', 'tokenizer_config.json']);
    expect(missingModelFiles([])).toEqual(['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors (or model.safetensors.index.json and its shards)']);
    await expect(openModelFiles('half', picked('half', { 'config.json': TEXT['config.json'] }))).rejects.toThrow(
      'the model folder "half" lacks tokenizer.json, tokenizer_config.json, model.safetensors (or model.safetensors.index.json and its shards)',
    );
  });

  it('refuses a model of another kind from its config.json', async () => {
    const llama = new TextEncoder().encode(JSON.stringify({ model_type: 'qwen2', architectures: ['Qwen2ForCausalLM'] }));
    await expect(openModelFiles('qwen', picked('qwen', { ...TEXT, 'config.json': llama, 'model.safetensors': bytes('model.safetensors') }))).rejects.toThrow(
      'the model folder "qwen" is not a Gemma-3 text model: its config.json describes a qwen2 model (Qwen2ForCausalLM)',
    );
  });

  it('takes top-level files only, by name, from a picked folder or dropped files', () => {
    const dropped = [new File(['{}'], 'config.json')];
    expect([...filesByName(dropped).keys()]).toEqual(['config.json']);
    expect([...filesByName(picked('m', { 'config.json': new Uint8Array(1), 'old/config.json': new Uint8Array(2) })).entries()].map(([k, f]) => [k, f.size])).toEqual([['config.json', 1]]);
  });

  it('is a model source of the trainer environment', async () => {
    const env = nodeTrainerEnvironment({ cacheDir: '/nonexistent', checkpointDir: '/nonexistent' });
    const model = await env.openModel({ kind: 'files', name: 'demo-sql', files: picked('demo-sql', { ...TEXT, 'model.safetensors': bytes('model.safetensors') }) }, () => {});
    expect(model.config.numLayers).toBe(JSON.parse(new TextDecoder().decode(TEXT['config.json'])).num_hidden_layers);
  });
});

describe('a copy of a model folder kept in the cache', () => {
  const folderFiles = () => picked('demo-sql', { ...TEXT, 'generation_config.json': bytes('generation_config.json'), 'model.safetensors': bytes('model.safetensors'), 'README.md': new Uint8Array(10) });

  it('copies the model files once, then opens from the copy without the folder; tensors equal the originals', async () => {
    const cache = new MemoryHubCache();
    const progress: number[] = [];
    const files = folderFiles();
    await copyModelFiles(cache, 'demo-sql', files, (e) => progress.push(e.done));
    const total = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json', 'model.safetensors'].reduce((a, f) => a + bytes(f).byteLength, 0);
    expect(progress.at(-1)).toBe(total);
    expect((await cache.status(storedFileKey('demo-sql', 'README.md'))).state).toBe('missing');
    const model = await openStoredModel(cache, 'demo-sql');
    const disk = await SafetensorsReader.open(new MemoryByteSource(bytes('model.safetensors'), 'disk'));
    const name = disk.tensors.at(-1)!.name;
    expect(Array.from(await model.weights.readFloat32(name))).toEqual(Array.from(await disk.readFloat32(name)));
    expect(model.modelId).toBe('demo-sql');

    // Copied again (same sizes and modification times): nothing is written; files saved since are copied again.
    let writes = 0;
    const watching = new Proxy(cache, {
      get: (target, prop) => {
        if (prop === 'beginWrite') return async (...a: Parameters<HubCache['beginWrite']>) => (writes++, target.beginWrite(...a));
        const v = Reflect.get(target, prop) as unknown;
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    await copyModelFiles(watching, 'demo-sql', files);
    expect(writes).toBe(0);
    await new Promise((r) => setTimeout(r, 5));
    await copyModelFiles(watching, 'demo-sql', folderFiles());
    expect(writes).toBe(5);
  });

  it('says there is no copy when none was kept', async () => {
    await expect(openStoredModel(new MemoryHubCache(), 'gemma')).rejects.toThrow('no copy of the model folder "gemma" is kept in this browser: open the folder again');
  });

  it('stops on a full storage with what is needed and free; files copied before stay, the one in progress is freed', async () => {
    const inner = new MemoryHubCache();
    const limit = bytes('config.json').byteLength + bytes('tokenizer.json').byteLength + 10;
    let written = 0;
    const full: HubCache = {
      ...Object.fromEntries((['status', 'open', 'openPartial', 'commit', 'delete', 'getRef', 'setRef'] as const).map((k) => [k, (inner[k] as (...a: unknown[]) => unknown).bind(inner)])),
      kind: 'full',
      async beginWrite(key, from, id) {
        const w = await inner.beginWrite(key, from, id);
        return {
          async write(c) {
            if (written + c.byteLength > limit) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
            written += c.byteLength;
            await w.write(c);
          },
          close: () => w.close(),
        };
      },
    } as HubCache;
    const rest = ['tokenizer_config.json', 'generation_config.json', 'model.safetensors'].reduce((a, f) => a + bytes(f).byteLength, 0);
    const e = await copyModelFiles(full, 'demo-sql', folderFiles(), undefined, async () => ({ quota: 2 ** 30, usage: 2 ** 30 - 2 ** 20 })).catch((err: unknown) => err);
    expect((e as Error).message).toContain(`storage is full: the copy of "demo-sql" (from tokenizer_config.json on) needs ${(rest / 2 ** 20).toFixed(0)} MiB more and 1 MiB is free`);
    expect((e as Error).message).toContain('the files already copied are kept');
    expect((await inner.status(storedFileKey('demo-sql', 'tokenizer.json'))).state).toBe('complete');
    expect((await inner.status(storedFileKey('demo-sql', 'tokenizer_config.json'))).state).toBe('missing');
  });
});
