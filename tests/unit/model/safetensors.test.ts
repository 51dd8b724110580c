import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import {
  HttpByteSource,
  MemoryByteSource,
  SafetensorsReader,
  ShardedSafetensorsReader,
  float32ToBf16Bytes,
  parseShardIndex,
  serializeSafetensors,
  toFloat32,
  type ByteSource,
  type TensorToWrite,
} from '../../../src/model/safetensors';
import { FileByteSource, openFileSource } from '../../../src/model/storage-node';
import { fixturePath } from './fixture';
import { StaticFileServer, fileReader } from '../../support/static-server';

const MODEL = fixturePath('model.safetensors');
const ADAPTER = fixturePath('adapter', 'adapter_model.safetensors');
const EXPECTED = fixturePath('expected.safetensors');

/** Builds a file from a header object and a data buffer, with HF-style space padding. */
function rawFile(header: unknown, data: Uint8Array, headerLengthOverride?: number): Uint8Array {
  let json = JSON.stringify(header);
  while ((json.length % 8) !== 0) json += ' ';
  const h = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + h.byteLength + data.byteLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLengthOverride ?? h.byteLength), true);
  out.set(h, 8);
  out.set(data, 8 + h.byteLength);
  return out;
}

const open = (bytes: Uint8Array) => SafetensorsReader.open(new MemoryByteSource(bytes, 'test.safetensors'));

/** Records the size of every read, to check that streaming never reads more than a chunk. */
class CountingSource implements ByteSource {
  readonly reads: number[] = [];
  constructor(private readonly inner: ByteSource) {}
  get size() {
    return this.inner.size;
  }
  get description() {
    return this.inner.description;
  }
  read(offset: number, length: number) {
    this.reads.push(length);
    return this.inner.read(offset, length);
  }
  async close() {
    await this.inner.close?.();
  }
}

describe('SafetensorsReader on the fixture', () => {
  it('lists the HF model tensors with names, shapes, dtypes and metadata', async () => {
    const r = await SafetensorsReader.open(await openFileSource(MODEL));
    try {
      expect(r.tensors.length).toBe(1 + 6 * 13 + 1);
      expect(r.metadata).toEqual({ format: 'pt' });
      expect(r.info('model.embed_tokens.weight')).toMatchObject({ dtype: 'F32', shape: [384, 64], byteLength: 384 * 64 * 4 });
      expect(r.info('model.layers.3.self_attn.k_proj.weight').shape).toEqual([16, 64]);
      expect(r.info('model.layers.3.mlp.down_proj.weight').shape).toEqual([64, 160]);
      expect(r.has('lm_head.weight')).toBe(false); // tied to the embedding
      const offsets = r.tensors.map((t) => t.fileOffset);
      expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
      // Values read with Python's struct module from the same file.
      const emb = await r.readFloat32('model.embed_tokens.weight');
      expect(Array.from(emb.subarray(0, 3))).toEqual([-0.5359274744987488, -0.23469509184360504, 0.16805990040302277]);
      const norm = await r.readFloat32('model.norm.weight');
      expect(Array.from(norm.subarray(0, 3))).toEqual([0.14526179432868958, 0.2733566164970398, -0.009369653649628162]);
    } finally {
      await r.close();
    }
  });

  it('streams a tensor in chunks no larger than asked for', async () => {
    const src = new CountingSource(await openFileSource(MODEL));
    const r = await SafetensorsReader.open(src);
    const whole = await r.readBytes('model.embed_tokens.weight');
    src.reads.length = 0;
    const pieces: Uint8Array[] = [];
    let next = 0;
    for await (const { byteOffset, bytes } of r.readChunks('model.embed_tokens.weight', 10_000)) {
      expect(byteOffset).toBe(next);
      next += bytes.byteLength;
      pieces.push(bytes);
    }
    expect(Math.max(...src.reads)).toBeLessThanOrEqual(10_000);
    expect(src.reads.every((n) => n % 4 === 0)).toBe(true);
    expect(Buffer.concat(pieces).equals(Buffer.from(whole))).toBe(true);
    const f32 = await r.readFloat32('model.embed_tokens.weight');
    const parts: number[] = [];
    for await (const { elementOffset, values } of r.readFloat32Chunks('model.embed_tokens.weight', 4096)) {
      expect(elementOffset).toBe(parts.length);
      parts.push(...values);
    }
    expect(parts).toEqual(Array.from(f32));
    await r.close();
  });
});

describe('dtype conversion', () => {
  it('converts BF16 and F16 to float32', async () => {
    const bf16 = new Uint16Array([0x3f80, 0xc020, 0x0000, 0x8000, 0x7f80, 0x3e20]);
    const f16 = new Uint16Array([0x3c00, 0xc100, 0x7bff, 0x0001, 0xfc00, 0x3555]);
    const file = serializeSafetensors([
      { name: 'b', dtype: 'BF16', shape: [2, 3], bytes: new Uint8Array(bf16.buffer) },
      { name: 'h', dtype: 'F16', shape: [6], bytes: new Uint8Array(f16.buffer) },
    ]);
    const r = await open(file);
    expect(Array.from(await r.readFloat32('b'))).toEqual([1, -2.5, 0, -0, Infinity, 0.15625]);
    expect(Array.from(await r.readFloat32('h'))).toEqual([1, -2.5, 65504, 2 ** -24, -Infinity, Math.fround(0.333251953125)]);
    expect(r.info('b').dtype).toBe('BF16');
    expect(Array.from(await r.readBytes('b'))).toEqual(Array.from(new Uint8Array(bf16.buffer)));
  });

  it('round-trips float32 → bf16 with round-to-nearest-even', () => {
    const x = new Float32Array([1, 1 + 2 ** -8, 1 + 3 * 2 ** -8, -3.140625, 1e-3]);
    const back = toFloat32('BF16', float32ToBf16Bytes(x));
    expect(Array.from(back)).toEqual([1, 1, 1 + 4 * 2 ** -8, -3.140625, 0.00099945068359375]);
  });

  it('refuses to convert integer tensors', async () => {
    const r = await open(serializeSafetensors([{ name: 'ids', dtype: 'I64', shape: [2], bytes: new Uint8Array(16) }]));
    expect((await r.readBytes('ids')).byteLength).toBe(16);
    await expect(r.readFloat32('ids')).rejects.toThrow(/dtype I64; only F32, F16 and BF16/);
  });
});

describe('validation', () => {
  const good = () => rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, new Uint8Array(12));

  it('accepts a well-formed file', async () => {
    expect((await open(good())).tensors.map((t) => t.name)).toEqual(['a', 'b']);
  });
  it('rejects a file shorter than 8 bytes', async () => {
    await expect(open(new Uint8Array(5))).rejects.toThrow(/5 bytes, too short/);
  });
  it('rejects a header length beyond the file', async () => {
    await expect(open(rawFile({}, new Uint8Array(0), 4096))).rejects.toThrow(/header length 4096 exceeds/);
  });
  it('rejects a truncated file', async () => {
    const f = good();
    await expect(open(f.subarray(0, f.byteLength - 3))).rejects.toThrow(/tensor "b" data ends at 12 but the data buffer has only 9 bytes \(truncated file\?\)/);
  });
  it('rejects offsets out of range', async () => {
    await expect(open(rawFile({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, new Uint8Array(8)))).rejects.toThrow(/truncated/);
  });
  it('rejects overlapping tensors', async () => {
    const f = rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, new Uint8Array(12));
    await expect(open(f)).rejects.toThrow(/"b" .* overlaps "a"/);
  });
  it('rejects holes and trailing bytes', async () => {
    const hole = rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8));
    await expect(open(hole)).rejects.toThrow(/hole of 4 bytes before tensor "a"/);
    const trailing = rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(8));
    await expect(open(trailing)).rejects.toThrow(/4 bytes after the last tensor/);
  });
  it('rejects unknown dtypes', async () => {
    await expect(open(rawFile({ a: { dtype: 'F12', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)))).rejects.toThrow(/tensor "a": unknown dtype "F12"/);
  });
  it('rejects shape/size mismatches', async () => {
    await expect(open(rawFile({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)))).rejects.toThrow(/shape \[3\] of F32 needs 12 bytes but data_offsets span 8/);
    await expect(open(rawFile({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4)))).rejects.toThrow(/non-negative integers/);
  });
  it('rejects broken JSON and bad offsets', async () => {
    const bytes = rawFile({ a: 1 }, new Uint8Array(0));
    bytes[8] = 0x5b; // '[' instead of '{'
    await expect(open(bytes)).rejects.toThrow(/not valid JSON|not a JSON object/);
    await expect(open(rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, new Uint8Array(4)))).rejects.toThrow(/data_offsets must be/);
    await expect(open(rawFile({ __metadata__: { n: 3 } }, new Uint8Array(0)))).rejects.toThrow(/__metadata__.n" must be a string/);
  });
  it('names a missing tensor', async () => {
    await expect((await open(good())).readBytes('zzz')).rejects.toThrow(/no tensor named "zzz"/);
  });
});

describe('serializeSafetensors', () => {
  async function rewrite(path: string): Promise<{ original: Uint8Array; written: Uint8Array }> {
    const original = new Uint8Array(readFileSync(path));
    const r = await open(original);
    const tensors: TensorToWrite[] = [];
    // Feed them in reverse order: the writer must restore safetensors' own ordering.
    for (const t of [...r.tensors].reverse()) tensors.push({ name: t.name, shape: t.shape, data: await r.readFloat32(t.name) });
    return { original, written: serializeSafetensors(tensors, r.metadata) };
  }

  it('reproduces the fixture files byte for byte (ordering, header padding, metadata)', async () => {
    for (const path of [ADAPTER, MODEL, EXPECTED]) {
      const { original, written } = await rewrite(path);
      expect(Buffer.from(written).equals(Buffer.from(original)), path).toBe(true);
    }
  });

  it('pads the header to a multiple of 8 with spaces', async () => {
    const f = serializeSafetensors([{ name: 'x', shape: [1], data: new Float32Array([2]) }], { format: 'pt' });
    const n = Number(new DataView(f.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    expect(new TextDecoder().decode(f.subarray(8, 8 + n)).trimEnd()).toBe('{"__metadata__":{"format":"pt"},"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}');
  });

  it('rejects inconsistent input', () => {
    expect(() => serializeSafetensors([{ name: 'x', shape: [3], data: new Float32Array(2) }])).toThrow(/shape \[3\] of F32 does not match 8 bytes/);
    expect(() => serializeSafetensors([{ name: 'x', shape: [1], data: new Float32Array(1) }, { name: 'x', shape: [1], data: new Float32Array(1) }])).toThrow(/duplicate/);
  });
});

describe('sharded checkpoints', () => {
  async function shardFixture() {
    const r = await open(new Uint8Array(readFileSync(MODEL)));
    const shards: Record<string, TensorToWrite[]> = { 'model-00001-of-00002.safetensors': [], 'model-00002-of-00002.safetensors': [] };
    const weightMap: Record<string, string> = {};
    for (const t of r.tensors) {
      const file = /layers\.[345]\.|model\.norm/.test(t.name) ? 'model-00002-of-00002.safetensors' : 'model-00001-of-00002.safetensors';
      shards[file]!.push({ name: t.name, shape: t.shape, data: await r.readFloat32(t.name) });
      weightMap[t.name] = file;
    }
    const files = Object.fromEntries(Object.entries(shards).map(([f, ts]) => [f, serializeSafetensors(ts, { format: 'pt' })]));
    return { single: r, files, index: { metadata: { total_size: 1088512 }, weight_map: weightMap } };
  }

  it('reads tensors across shards like the single file', async () => {
    const { single, files, index } = await shardFixture();
    const sharded = await ShardedSafetensorsReader.open(parseShardIndex(index), async (f) => new MemoryByteSource(files[f]!, f));
    expect(sharded.tensors.map((t) => t.name).sort()).toEqual(single.tensors.map((t) => t.name).sort());
    expect(sharded.info('model.norm.weight').file).toBe('model-00002-of-00002.safetensors');
    for (const name of ['model.embed_tokens.weight', 'model.layers.4.mlp.up_proj.weight', 'model.norm.weight']) {
      expect(Array.from(await sharded.readFloat32(name))).toEqual(Array.from(await single.readFloat32(name)));
    }
  });

  it('rejects an index that disagrees with the shards', async () => {
    const { files, index } = await shardFixture();
    const wrong = { weight_map: { ...index.weight_map, 'model.norm.weight': 'model-00001-of-00002.safetensors' } };
    await expect(ShardedSafetensorsReader.open(parseShardIndex(wrong), async (f) => new MemoryByteSource(files[f]!, f))).rejects.toThrow(
      /tensor "model.norm.weight" is in this shard but the index puts it in model-00001-of-00002/,
    );
    const extra = { weight_map: { ...index.weight_map, 'lm_head.weight': 'model-00002-of-00002.safetensors' } };
    await expect(ShardedSafetensorsReader.open(parseShardIndex(extra), async (f) => new MemoryByteSource(files[f]!, f))).rejects.toThrow(
      /index lists tensor "lm_head.weight"/,
    );
    expect(() => parseShardIndex({ metadata: {} })).toThrow(/weight_map/);
    expect(() => parseShardIndex({ weight_map: { a: '../x.safetensors' } })).toThrow(/unsafe/);
  });
});

describe('HttpByteSource', () => {
  const server = new StaticFileServer({ repos: { 'test/tiny': { 'model.safetensors': fileReader(MODEL) } } });
  const url = () => `${server.baseUrl}/test/tiny/resolve/main/model.safetensors`;
  beforeAll(() => server.start());
  afterAll(() => server.stop());

  async function readAll(src: ByteSource): Promise<Map<string, Float32Array>> {
    const r = await SafetensorsReader.open(src);
    const out = new Map<string, Float32Array>();
    for (const t of r.tensors) out.set(t.name, await r.readFloat32(t.name));
    if (src instanceof FileByteSource) await src.close();
    return out;
  }

  it('reads by Range requests', async () => {
    server.ignoreRange = false;
    server.requests.length = 0;
    const src = await HttpByteSource.open(url());
    expect(src.rangeSupported).toBe(true);
    expect(src.size).toBe(readFileSync(MODEL).byteLength);
    const viaHttp = await readAll(src);
    const viaFile = await readAll(await openFileSource(MODEL));
    expect(viaHttp.size).toBe(80);
    for (const [k, v] of viaFile) expect(Buffer.from(viaHttp.get(k)!.buffer).equals(Buffer.from(v.buffer))).toBe(true);
    expect(server.gets('model.safetensors').every((r) => r.range !== null)).toBe(true);
  });

  it('falls back to one streamed download when the server ignores Range', async () => {
    server.ignoreRange = true;
    server.requests.length = 0;
    const src = await HttpByteSource.open(url());
    expect(src.rangeSupported).toBe(false);
    const viaHttp = await readAll(src); // header, then tensors in file order: one pass
    expect(src.streamRestarts).toBe(0);
    expect(server.gets('model.safetensors').length).toBe(1);
    const r = await SafetensorsReader.open(src);
    const again = await r.readFloat32('model.embed_tokens.weight'); // behind the stream: restarts it
    expect(src.streamRestarts).toBe(1);
    expect(Array.from(again)).toEqual(Array.from(viaHttp.get('model.embed_tokens.weight')!));
    await src.close();
    server.ignoreRange = false;
  });

  it('reports HTTP errors', async () => {
    await expect(HttpByteSource.open(`${server.baseUrl}/test/tiny/resolve/main/missing.bin`)).rejects.toThrow(/HTTP 404/);
  });
});
