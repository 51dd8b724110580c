/**
 * safetensors reading (streamed, by byte ranges) and writing.
 *
 * Format: 8-byte little-endian header length N, N bytes of JSON header
 * ({name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {str: str}}), then the data
 * buffer; offsets are relative to the data buffer, which the tensors must cover exactly (no holes,
 * no overlaps, nothing after the last tensor).
 *
 * Reading goes through a ByteSource so a 2 GB checkpoint never has to sit in the JS heap: callers
 * walk `reader.tensors` in file order and read each tensor whole or in chunks (readChunks), e.g. to
 * upload each piece into a GPU buffer.
 */

/** Random-access bytes: a local file, a Blob (File, OPFS entry), an HTTP URL, memory. */
export interface ByteSource {
  /** Total size in bytes. */
  readonly size: number;
  /** Exactly `length` bytes starting at `offset`; rejects on a short read. */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Releases file handles / connections. */
  close?(): Promise<void>;
  /** Human-readable origin (path, URL) for error messages. */
  readonly description: string;
}

export type SafetensorsDtype =
  | 'F64' | 'F32' | 'F16' | 'BF16'
  | 'I64' | 'I32' | 'I16' | 'I8'
  | 'U64' | 'U32' | 'U16' | 'U8'
  | 'BOOL' | 'F8_E4M3' | 'F8_E5M2';

export const DTYPE_BYTES: Readonly<Record<SafetensorsDtype, number>> = {
  F64: 8, F32: 4, F16: 2, BF16: 2,
  I64: 8, I32: 4, I16: 2, I8: 1,
  U64: 8, U32: 4, U16: 2, U8: 1,
  BOOL: 1, F8_E4M3: 1, F8_E5M2: 1,
};

/** dtypes that readFloat32 can convert. */
export type FloatDtype = 'F32' | 'F16' | 'BF16';

export interface TensorInfo {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Number of elements (product of shape; 1 for a scalar). */
  numel: number;
  /** Absolute byte offset of the tensor's data in its file. */
  fileOffset: number;
  byteLength: number;
  /** File the tensor lives in (shard name for sharded checkpoints, else the source description). */
  file: string;
}

export class SafetensorsError extends Error {
  constructor(where: string, message: string) {
    super(`safetensors (${where}): ${message}`);
    this.name = 'SafetensorsError';
  }
}

/** safetensors' own limit on the header size; a larger value means a corrupt or foreign file. */
const MAX_HEADER_BYTES = 100_000_000;
export const DEFAULT_CHUNK_BYTES = 64 * 1024 * 1024;

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error('safetensors.ts assumes a little-endian platform');
}

// ---------------------------------------------------------------------------------------------
// Byte sources

/** Bytes already in memory (small files, tests, freshly serialized exports). */
export class MemoryByteSource implements ByteSource {
  readonly size: number;
  constructor(private readonly bytes: Uint8Array, readonly description = 'memory') {
    this.size = bytes.byteLength;
  }
  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this, offset, length);
    return this.bytes.subarray(offset, offset + length);
  }
}

/** A Blob (browser File, OPFS file, Cache API response blob): slices are read lazily from disk. */
export class BlobByteSource implements ByteSource {
  readonly size: number;
  constructor(private readonly blob: Blob, readonly description = 'blob') {
    this.size = blob.size;
  }
  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this, offset, length);
    const buf = new Uint8Array(await this.blob.slice(offset, offset + length).arrayBuffer());
    if (buf.byteLength !== length) throw new SafetensorsError(this.description, `short read at ${offset}: got ${buf.byteLength} of ${length} bytes`);
    return buf;
  }
}

export function checkRange(source: ByteSource, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > source.size) {
    throw new SafetensorsError(source.description, `read of ${length} bytes at ${offset} is outside the ${source.size}-byte source`);
  }
}

export interface HttpSourceOptions {
  headers?: Record<string, string>;
  fetch?: typeof fetch;
  signal?: AbortSignal;
}

/**
 * A URL read by HTTP Range requests. When the server ignores Range (answers 200 with the whole
 * body), reads are served from one forward-only streamed download instead: a read behind the
 * stream position restarts the download, so reading tensors in file order downloads the file once
 * and never holds more than the requested range.
 */
export class HttpByteSource implements ByteSource {
  /** Whether the server honoured Range; false means the sequential fallback is in use. */
  readonly rangeSupported: boolean;
  /** Times the fallback stream had to restart from the beginning (reads out of order). */
  streamRestarts = 0;
  private stream: ForwardStream | null;

  private constructor(
    readonly url: string,
    readonly size: number,
    private readonly options: HttpSourceOptions,
    first: { rangeSupported: boolean; stream: ForwardStream | null },
  ) {
    this.rangeSupported = first.rangeSupported;
    this.stream = first.stream;
  }

  get description(): string {
    return this.url;
  }

  static async open(url: string, options: HttpSourceOptions = {}): Promise<HttpByteSource> {
    const doFetch = options.fetch ?? fetch;
    const res = await doFetch(url, { headers: { ...options.headers, Range: 'bytes=0-0' }, signal: options.signal });
    if (res.status === 206) {
      const total = parseContentRange(res.headers.get('content-range'))?.total;
      await res.body?.cancel();
      if (total === undefined) throw new SafetensorsError(url, '206 response without a usable Content-Range total');
      return new HttpByteSource(url, total, options, { rangeSupported: true, stream: null });
    }
    if (res.status === 200) {
      const len = Number(res.headers.get('content-length'));
      if (!res.headers.has('content-length') || !Number.isSafeInteger(len)) {
        await res.body?.cancel();
        throw new SafetensorsError(url, 'server ignores Range and sends no Content-Length; cannot stream this file');
      }
      if (!res.body) throw new SafetensorsError(url, 'response has no body');
      return new HttpByteSource(url, len, options, { rangeSupported: false, stream: new ForwardStream(res.body) });
    }
    await res.body?.cancel();
    throw new SafetensorsError(url, `HTTP ${res.status} ${res.statusText}`);
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this, offset, length);
    if (length === 0) return new Uint8Array(0);
    return this.rangeSupported ? this.readRange(offset, length) : this.readSequential(offset, length);
  }

  private async readRange(offset: number, length: number): Promise<Uint8Array> {
    const doFetch = this.options.fetch ?? fetch;
    const res = await doFetch(this.url, {
      headers: { ...this.options.headers, Range: `bytes=${offset}-${offset + length - 1}` },
      signal: this.options.signal,
    });
    if (res.status !== 206) {
      await res.body?.cancel();
      throw new SafetensorsError(this.url, `range request ${offset}+${length} answered HTTP ${res.status} instead of 206`);
    }
    const cr = parseContentRange(res.headers.get('content-range'));
    if (!cr || cr.start !== offset || cr.end !== offset + length - 1) {
      await res.body?.cancel();
      throw new SafetensorsError(this.url, `range request ${offset}+${length} got Content-Range ${res.headers.get('content-range')}`);
    }
    const buf = new Uint8Array(await res.arrayBuffer());
    if (buf.byteLength !== length) throw new SafetensorsError(this.url, `short read at ${offset}: got ${buf.byteLength} of ${length} bytes`);
    return buf;
  }

  private async readSequential(offset: number, length: number): Promise<Uint8Array> {
    if (!this.stream || this.stream.position > offset) {
      await this.stream?.cancel();
      const doFetch = this.options.fetch ?? fetch;
      const res = await doFetch(this.url, { headers: this.options.headers, signal: this.options.signal });
      if (res.status !== 200 || !res.body) throw new SafetensorsError(this.url, `restarting the download answered HTTP ${res.status}`);
      this.stream = new ForwardStream(res.body);
      this.streamRestarts++;
    }
    await this.stream.skipTo(offset, this.url);
    return this.stream.take(length, this.url);
  }

  async close(): Promise<void> {
    await this.stream?.cancel();
    this.stream = null;
  }
}

/** A forward-only view of a response body that can skip and take exact byte counts. */
class ForwardStream {
  position = 0;
  private pending: Uint8Array = new Uint8Array(0);
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;

  constructor(body: ReadableStream<Uint8Array>) {
    this.reader = body.getReader();
  }

  private async next(where: string): Promise<void> {
    const { done, value } = await this.reader.read();
    if (done) throw new SafetensorsError(where, `download ended early at byte ${this.position + this.pending.byteLength}`);
    this.pending = value;
  }

  async skipTo(offset: number, where: string): Promise<void> {
    while (this.position < offset) {
      if (this.pending.byteLength === 0) await this.next(where);
      const n = Math.min(offset - this.position, this.pending.byteLength);
      this.pending = this.pending.subarray(n);
      this.position += n;
    }
  }

  async take(length: number, where: string): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      if (this.pending.byteLength === 0) await this.next(where);
      const n = Math.min(length - filled, this.pending.byteLength);
      out.set(this.pending.subarray(0, n), filled);
      this.pending = this.pending.subarray(n);
      filled += n;
      this.position += n;
    }
    return out;
  }

  async cancel(): Promise<void> {
    try {
      await this.reader.cancel();
    } catch {
      // The stream may already be errored; nothing to release then.
    }
  }
}

/** Parses `bytes START-END/TOTAL` (TOTAL may be `*`). */
export function parseContentRange(value: string | null): { start: number; end: number; total: number | undefined } | null {
  if (!value) return null;
  const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(value.trim());
  if (!m) return null;
  return { start: Number(m[1]), end: Number(m[2]), total: m[3] === '*' ? undefined : Number(m[3]) };
}

// ---------------------------------------------------------------------------------------------
// Header parsing and validation

export interface ParsedHeader {
  /** Tensors in data order (ascending offset). */
  tensors: TensorInfo[];
  metadata: Record<string, string> | null;
  /** Byte offset of the data buffer in the file (8 + header length). */
  dataStart: number;
}

function isDtype(s: unknown): s is SafetensorsDtype {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_BYTES, s);
}

/**
 * Validates a header (JSON text) against the file size: known dtypes, integer shapes, offsets that
 * match shape x dtype size, lie inside the file, don't overlap and cover the data buffer exactly.
 */
export function parseHeaderJson(headerText: string, headerLength: number, fileSize: number, where: string): ParsedHeader {
  let json: unknown;
  try {
    json = JSON.parse(headerText);
  } catch (e) {
    throw new SafetensorsError(where, `header is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new SafetensorsError(where, 'header is not a JSON object');
  const dataStart = 8 + headerLength;
  const dataSize = fileSize - dataStart;
  let metadata: Record<string, string> | null = null;
  const tensors: TensorInfo[] = [];
  for (const [name, entry] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = parseMetadata(entry, where);
      continue;
    }
    tensors.push(parseEntry(name, entry, dataStart, where));
  }
  tensors.sort((a, b) => a.fileOffset - b.fileOffset || a.byteLength - b.byteLength);
  let expected = dataStart;
  let previous: TensorInfo | null = null;
  for (const t of tensors) {
    if (t.fileOffset < expected) {
      throw new SafetensorsError(where, `tensor "${t.name}" (data ${t.fileOffset - dataStart}..${t.fileOffset - dataStart + t.byteLength}) overlaps "${previous?.name}"`);
    }
    if (t.fileOffset > expected) {
      throw new SafetensorsError(where, `data buffer has a hole of ${t.fileOffset - expected} bytes before tensor "${t.name}"`);
    }
    if (t.fileOffset + t.byteLength > fileSize) {
      throw new SafetensorsError(
        where,
        `tensor "${t.name}" data ends at ${t.fileOffset - dataStart + t.byteLength} but the data buffer has only ${dataSize} bytes (truncated file?)`,
      );
    }
    expected = t.fileOffset + t.byteLength;
    previous = t;
  }
  if (expected !== fileSize) {
    throw new SafetensorsError(where, `${fileSize - expected} bytes after the last tensor are not described by the header`);
  }
  return { tensors, metadata, dataStart };
}

function parseMetadata(entry: unknown, where: string): Record<string, string> {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new SafetensorsError(where, '"__metadata__" must be an object');
  for (const [k, v] of Object.entries(entry)) {
    if (typeof v !== 'string') throw new SafetensorsError(where, `"__metadata__.${k}" must be a string`);
  }
  return { ...(entry as Record<string, string>) };
}

function parseEntry(name: string, entry: unknown, dataStart: number, where: string): TensorInfo {
  if (typeof entry !== 'object' || entry === null) throw new SafetensorsError(where, `tensor "${name}": entry is not an object`);
  const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
  if (!isDtype(dtype)) throw new SafetensorsError(where, `tensor "${name}": unknown dtype ${JSON.stringify(dtype)}`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new SafetensorsError(where, `tensor "${name}": shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[0] > offsets[1]) {
    throw new SafetensorsError(where, `tensor "${name}": data_offsets must be [begin, end] with 0 <= begin <= end, got ${JSON.stringify(offsets)}`);
  }
  const numel = (shape as number[]).reduce((a, b) => a * b, 1);
  const byteLength = (offsets[1] as number) - (offsets[0] as number);
  if (numel * DTYPE_BYTES[dtype] !== byteLength) {
    throw new SafetensorsError(
      where,
      `tensor "${name}": shape ${JSON.stringify(shape)} of ${dtype} needs ${numel * DTYPE_BYTES[dtype]} bytes but data_offsets span ${byteLength}`,
    );
  }
  return { name, dtype, shape: shape as number[], numel, fileOffset: dataStart + (offsets[0] as number), byteLength, file: where };
}

// ---------------------------------------------------------------------------------------------
// dtype conversion

/** Converts raw little-endian F32/F16/BF16 bytes to a new Float32Array. */
export function toFloat32(dtype: SafetensorsDtype, bytes: Uint8Array): Float32Array {
  const width = DTYPE_BYTES[dtype];
  if (bytes.byteLength % width !== 0) throw new Error(`toFloat32: ${bytes.byteLength} bytes is not a whole number of ${dtype} values`);
  const n = bytes.byteLength / width;
  // Typed-array views need aligned offsets; copy misaligned input once.
  const aligned = bytes.byteOffset % width === 0 ? bytes : bytes.slice();
  switch (dtype) {
    case 'F32':
      return new Float32Array(aligned.buffer, aligned.byteOffset, n).slice();
    case 'BF16': {
      const src = new Uint16Array(aligned.buffer, aligned.byteOffset, n);
      const out = new Float32Array(n);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) bits[i] = src[i]! << 16;
      return out;
    }
    case 'F16': {
      const src = new Uint16Array(aligned.buffer, aligned.byteOffset, n);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = float16ToNumber(src[i]!);
      return out;
    }
    default:
      throw new Error(`toFloat32: dtype ${dtype} is not a float format this reader converts (F32, F16, BF16)`);
  }
}

export function float16ToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Rounds float32 values to bfloat16 (round to nearest even), as raw little-endian bytes. */
export function float32ToBf16Bytes(values: Float32Array): Uint8Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const u = bits[i]!;
    const isNaN = (u & 0x7f800000) === 0x7f800000 && (u & 0x7fffff) !== 0;
    out[i] = isNaN ? 0x7fc0 : ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
  }
  return new Uint8Array(out.buffer);
}

/** Rounds float32 values to IEEE half precision (round to nearest even), as raw little-endian bytes. */
export function float32ToF16Bytes(values: Float32Array): Uint8Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = float32ToF16Bits(values[i]!);
  return new Uint8Array(out.buffer);
}

function float32ToF16Bits(x: number): number {
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (Number.isNaN(x)) return 0x7e00;
  if (a >= 65520) return sign | 0x7c00; // rounds past the largest half (65504): infinity
  if (a < 2 ** -14) return sign | roundEven(a * 2 ** 24); // subnormal (may round up to the smallest normal)
  const e = Math.floor(Math.log2(a));
  const exp = a >= 2 ** (e + 1) ? e + 1 : a < 2 ** e ? e - 1 : e; // log2 can be off by one near powers of two
  const m = roundEven((a / 2 ** exp - 1) * 1024);
  return m === 1024 ? sign | ((exp + 16) << 10) : sign | ((exp + 15) << 10) | m;
}

function roundEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  return d > 0.5 || (d === 0.5 && f % 2 === 1) ? f + 1 : f;
}

// ---------------------------------------------------------------------------------------------
// Readers

/** What both a single-file and a sharded reader offer. */
export interface TensorReader {
  /** Tensors in storage order (file by file, ascending offset): the cheapest order to stream. */
  readonly tensors: readonly TensorInfo[];
  has(name: string): boolean;
  info(name: string): TensorInfo;
  /** The tensor's raw bytes (its dtype, little-endian). */
  readBytes(name: string): Promise<Uint8Array>;
  /** The tensor converted to float32 (F32, F16, BF16). */
  readFloat32(name: string): Promise<Float32Array>;
  /**
   * The tensor's raw bytes in pieces of at most chunkBytes (rounded down to whole elements), so a
   * large tensor can be uploaded piecewise; byteOffset is relative to the tensor's start.
   */
  readChunks(name: string, chunkBytes?: number): AsyncGenerator<{ byteOffset: number; bytes: Uint8Array }>;
  /** Like readChunks, converted to float32; elementOffset is relative to the tensor's start. */
  readFloat32Chunks(name: string, chunkBytes?: number): AsyncGenerator<{ elementOffset: number; values: Float32Array }>;
  close(): Promise<void>;
}

export class SafetensorsReader implements TensorReader {
  readonly tensors: readonly TensorInfo[];
  private readonly byName: Map<string, TensorInfo>;

  private constructor(
    private readonly source: ByteSource,
    header: ParsedHeader,
  ) {
    this.tensors = header.tensors;
    this.metadata = header.metadata;
    this.dataStart = header.dataStart;
    this.byName = new Map(header.tensors.map((t) => [t.name, t]));
  }

  readonly metadata: Record<string, string> | null;
  readonly dataStart: number;

  /** Reads and validates the header; tensor data is only read on request. */
  static async open(source: ByteSource, label = source.description): Promise<SafetensorsReader> {
    if (source.size < 8) throw new SafetensorsError(label, `file is ${source.size} bytes, too short to hold the 8-byte header length`);
    const lenBytes = await source.read(0, 8);
    const headerLength = Number(new DataView(lenBytes.buffer, lenBytes.byteOffset, 8).getBigUint64(0, true));
    if (headerLength > source.size - 8) {
      throw new SafetensorsError(label, `header length ${headerLength} exceeds the ${source.size - 8} bytes after it (truncated or not a safetensors file)`);
    }
    if (headerLength > MAX_HEADER_BYTES) throw new SafetensorsError(label, `header length ${headerLength} is over the ${MAX_HEADER_BYTES}-byte limit`);
    const headerBytes = await source.read(8, headerLength);
    const text = new TextDecoder('utf-8', { fatal: false }).decode(headerBytes);
    const header = parseHeaderJson(text, headerLength, source.size, label);
    return new SafetensorsReader(source, header);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  info(name: string): TensorInfo {
    const t = this.byName.get(name);
    if (!t) throw new SafetensorsError(this.source.description, `no tensor named "${name}"`);
    return t;
  }

  async readBytes(name: string): Promise<Uint8Array> {
    const t = this.info(name);
    return this.source.read(t.fileOffset, t.byteLength);
  }

  async readFloat32(name: string): Promise<Float32Array> {
    const t = this.info(name);
    assertFloat(t);
    return toFloat32(t.dtype, await this.readBytes(name));
  }

  async *readChunks(name: string, chunkBytes = DEFAULT_CHUNK_BYTES): AsyncGenerator<{ byteOffset: number; bytes: Uint8Array }> {
    const t = this.info(name);
    const width = DTYPE_BYTES[t.dtype];
    const step = Math.floor(chunkBytes / width) * width;
    if (step <= 0) throw new Error(`readChunks: chunkBytes ${chunkBytes} is smaller than one ${t.dtype} element`);
    for (let done = 0; done < t.byteLength; done += step) {
      const n = Math.min(step, t.byteLength - done);
      yield { byteOffset: done, bytes: await this.source.read(t.fileOffset + done, n) };
    }
  }

  async *readFloat32Chunks(name: string, chunkBytes = DEFAULT_CHUNK_BYTES): AsyncGenerator<{ elementOffset: number; values: Float32Array }> {
    const t = this.info(name);
    assertFloat(t);
    const width = DTYPE_BYTES[t.dtype];
    for await (const { byteOffset, bytes } of this.readChunks(name, chunkBytes)) {
      yield { elementOffset: byteOffset / width, values: toFloat32(t.dtype, bytes) };
    }
  }

  async close(): Promise<void> {
    await this.source.close?.();
  }
}

function assertFloat(t: TensorInfo): void {
  if (t.dtype !== 'F32' && t.dtype !== 'F16' && t.dtype !== 'BF16') {
    throw new SafetensorsError(t.file, `tensor "${t.name}" has dtype ${t.dtype}; only F32, F16 and BF16 convert to float32`);
  }
}

// ---------------------------------------------------------------------------------------------
// Sharded checkpoints (model.safetensors.index.json)

export interface ShardIndex {
  /** Tensor name → shard file name. */
  weightMap: Map<string, string>;
  /** Shard file names in first-appearance order. */
  shards: string[];
  metadata: Record<string, unknown>;
}

export function parseShardIndex(json: unknown, where = 'model.safetensors.index.json'): ShardIndex {
  if (typeof json !== 'object' || json === null) throw new SafetensorsError(where, 'index is not a JSON object');
  const wm = (json as Record<string, unknown>)['weight_map'];
  if (typeof wm !== 'object' || wm === null || Array.isArray(wm)) throw new SafetensorsError(where, 'missing "weight_map" object');
  const weightMap = new Map<string, string>();
  const shards: string[] = [];
  for (const [name, file] of Object.entries(wm)) {
    if (typeof file !== 'string' || file.length === 0) throw new SafetensorsError(where, `weight_map["${name}"] must be a file name`);
    if (file.includes('..') || file.startsWith('/')) throw new SafetensorsError(where, `weight_map["${name}"] has an unsafe file name ${JSON.stringify(file)}`);
    weightMap.set(name, file);
    if (!shards.includes(file)) shards.push(file);
  }
  const md = (json as Record<string, unknown>)['metadata'];
  return { weightMap, shards, metadata: typeof md === 'object' && md !== null ? (md as Record<string, unknown>) : {} };
}

/** Several safetensors files behind one index, read as one. */
export class ShardedSafetensorsReader implements TensorReader {
  readonly tensors: readonly TensorInfo[];
  private readonly owner = new Map<string, SafetensorsReader>();

  private constructor(private readonly readers: SafetensorsReader[], index: ShardIndex, names: string[]) {
    const all: TensorInfo[] = [];
    readers.forEach((r, i) => {
      const shard = names[i]!;
      for (const t of r.tensors) {
        const listed = index.weightMap.get(t.name);
        if (listed !== shard) {
          throw new SafetensorsError(shard, `tensor "${t.name}" is in this shard but the index puts it in ${listed ?? 'no shard'}`);
        }
        this.owner.set(t.name, r);
        all.push(t);
      }
    });
    for (const [name, shard] of index.weightMap) {
      if (!this.owner.has(name)) throw new SafetensorsError(shard, `index lists tensor "${name}" in this shard but the shard does not contain it`);
    }
    this.tensors = all;
  }

  /** Opens every shard's header; openShard maps a shard file name to its bytes. */
  static async open(index: ShardIndex, openShard: (file: string) => Promise<ByteSource>): Promise<ShardedSafetensorsReader> {
    const readers: SafetensorsReader[] = [];
    try {
      for (const file of index.shards) readers.push(await SafetensorsReader.open(await openShard(file), file));
    } catch (e) {
      await Promise.all(readers.map((r) => r.close()));
      throw e;
    }
    return new ShardedSafetensorsReader(readers, index, index.shards);
  }

  private reader(name: string): SafetensorsReader {
    const r = this.owner.get(name);
    if (!r) throw new SafetensorsError('sharded checkpoint', `no tensor named "${name}"`);
    return r;
  }

  has(name: string): boolean {
    return this.owner.has(name);
  }
  info(name: string): TensorInfo {
    return this.reader(name).info(name);
  }
  readBytes(name: string): Promise<Uint8Array> {
    return this.reader(name).readBytes(name);
  }
  readFloat32(name: string): Promise<Float32Array> {
    return this.reader(name).readFloat32(name);
  }
  readChunks(name: string, chunkBytes?: number): AsyncGenerator<{ byteOffset: number; bytes: Uint8Array }> {
    return this.reader(name).readChunks(name, chunkBytes);
  }
  readFloat32Chunks(name: string, chunkBytes?: number): AsyncGenerator<{ elementOffset: number; values: Float32Array }> {
    return this.reader(name).readFloat32Chunks(name, chunkBytes);
  }
  async close(): Promise<void> {
    await Promise.all(this.readers.map((r) => r.close()));
  }
}

// ---------------------------------------------------------------------------------------------
// Writing

export type TensorToWrite =
  | { name: string; shape: number[]; dtype?: 'F32'; data: Float32Array }
  | { name: string; shape: number[]; dtype: SafetensorsDtype; bytes: Uint8Array };

/** The Rust safetensors Dtype enum order (ascending alignment); files store higher ones first. */
const DTYPE_ORDER: readonly SafetensorsDtype[] = [
  'BOOL', 'U8', 'I8', 'F8_E5M2', 'F8_E4M3', 'I16', 'U16', 'F16', 'BF16', 'I32', 'U32', 'F32', 'F64', 'I64', 'U64',
];

/** Where each tensor goes in a file, before any data exists (so a large file can be written as a stream). */
export interface SafetensorsLayout {
  /** The first bytes of the file: 8-byte header length, JSON header, space padding. */
  header: Uint8Array;
  /** Tensors in data order, each with its byte offset in the file. */
  tensors: Array<{ name: string; dtype: SafetensorsDtype; shape: number[]; byteLength: number; fileOffset: number }>;
  /** Total file size in bytes. */
  byteLength: number;
}

/**
 * The layout the Python/Rust safetensors library writes: tensors ordered by dtype (widest first, in
 * the library's dtype order), then by name; compact JSON header with "__metadata__" first when given;
 * header padded with spaces to a multiple of 8 bytes so the data buffer is 8-byte aligned.
 */
export function safetensorsLayout(tensors: Array<{ name: string; dtype: SafetensorsDtype; shape: number[] }>, metadata?: Record<string, string> | null): SafetensorsLayout {
  const seen = new Set<string>();
  const entries = tensors.map((t) => {
    if (t.name === '__metadata__') throw new Error('serializeSafetensors: "__metadata__" is reserved and cannot be a tensor name');
    if (seen.has(t.name)) throw new Error(`serializeSafetensors: duplicate tensor name "${t.name}"`);
    seen.add(t.name);
    if (!isDtype(t.dtype)) throw new Error(`serializeSafetensors: tensor "${t.name}": unknown dtype ${JSON.stringify(t.dtype)}`);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new Error(`serializeSafetensors: tensor "${t.name}": bad shape ${JSON.stringify(t.shape)}`);
    return { name: t.name, dtype: t.dtype, shape: t.shape, byteLength: t.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[t.dtype], fileOffset: 0 };
  });
  entries.sort((a, b) => DTYPE_ORDER.indexOf(b.dtype) - DTYPE_ORDER.indexOf(a.dtype) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const json: Record<string, unknown> = {};
  if (metadata) json['__metadata__'] = metadata;
  let offset = 0;
  for (const e of entries) {
    json[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: [offset, offset + e.byteLength] };
    offset += e.byteLength;
  }
  const text = new TextEncoder().encode(JSON.stringify(json));
  const headerLength = Math.ceil(text.byteLength / 8) * 8;
  const header = new Uint8Array(8 + headerLength);
  new DataView(header.buffer).setBigUint64(0, BigInt(headerLength), true);
  header.set(text, 8);
  header.fill(0x20, 8 + text.byteLength);
  let at = header.byteLength;
  for (const e of entries) {
    e.fileOffset = at;
    at += e.byteLength;
  }
  return { header, tensors: entries, byteLength: at };
}

/** Serializes tensors in memory, in the safetensors library's layout (see safetensorsLayout). */
export function serializeSafetensors(tensors: TensorToWrite[], metadata?: Record<string, string> | null): Uint8Array {
  const bytesOf = new Map<string, Uint8Array>();
  const layout = safetensorsLayout(
    tensors.map((t) => {
      const dtype: SafetensorsDtype = t.dtype ?? 'F32';
      const bytes = 'data' in t ? new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength) : t.bytes;
      const numel = t.shape.reduce((a, b) => a * b, 1);
      if (isDtype(dtype) && numel * DTYPE_BYTES[dtype] !== bytes.byteLength) {
        throw new Error(`serializeSafetensors: tensor "${t.name}": shape ${JSON.stringify(t.shape)} of ${dtype} does not match ${bytes.byteLength} bytes of data`);
      }
      bytesOf.set(t.name, bytes);
      return { name: t.name, dtype, shape: t.shape };
    }),
    metadata,
  );
  const out = new Uint8Array(layout.byteLength);
  out.set(layout.header, 0);
  for (const e of layout.tensors) out.set(bytesOf.get(e.name)!, e.fileOffset);
  return out;
}

/** Reads every tensor of a small in-memory file as float32 (tests, adapters). */
export async function readAllFloat32(reader: TensorReader): Promise<Map<string, { shape: number[]; values: Float32Array }>> {
  const out = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const t of reader.tensors) out.set(t.name, { shape: t.shape, values: await reader.readFloat32(t.name) });
  return out;
}
