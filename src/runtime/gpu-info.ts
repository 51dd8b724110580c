/**
 * WebGPU detection: what adapter the browser gives us and the limits that decide what we can run.
 *
 * `detectGpu` is a pure function over a `navigator.gpu`-shaped object, so it runs the same in the
 * page, in the engine worker and in unit tests with a fake. Its result is plain data (it crosses the
 * worker boundary through structured clone).
 */

/** The parts of `GPUAdapterInfo` we read; older browsers lack some fields. */
export interface AdapterInfoLike {
  readonly vendor?: string;
  readonly architecture?: string;
  readonly device?: string;
  readonly description?: string;
  readonly isFallbackAdapter?: boolean;
}

/** The parts of `GPUAdapter` we read. */
export interface AdapterLike {
  readonly info?: AdapterInfoLike;
  /** Chromium 114-126 exposed the info only through this (since removed) method. */
  requestAdapterInfo?: () => Promise<AdapterInfoLike>;
  readonly limits: { readonly [K in LimitName]: number };
  readonly features: Iterable<string>;
  /** Set by Chromium before `info.isFallbackAdapter` existed. */
  readonly isFallbackAdapter?: boolean;
}

/** The parts of `GPU` (`navigator.gpu`) we use. */
export interface GpuLike {
  requestAdapter(options?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<AdapterLike | null>;
}

/** Limits that bound model size and kernel shapes (buffer sizes for weights, bindings per shader, shared memory for tiles). */
export const KEY_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeInvocationsPerWorkgroup',
] as const;
export type LimitName = (typeof KEY_LIMITS)[number];

export interface AdapterSummary {
  /** A human-readable name: the description when the browser gives one, else vendor + architecture. */
  name: string;
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A CPU implementation (SwiftShader, llvmpipe, WARP...): WebGPU works, but slowly. */
  isSoftware: boolean;
}

export type GpuStatus =
  | {
      available: true;
      adapter: AdapterSummary;
      limits: Record<LimitName, number>;
      /** Sorted feature names, e.g. 'shader-f16', 'subgroups', 'timestamp-query'. */
      features: string[];
      shaderF16: boolean;
    }
  | {
      available: false;
      /** Why, in one sentence a user can act on. */
      reason: string;
    };

export interface DetectContext {
  /** `globalThis.isSecureContext`: WebGPU is only exposed to secure contexts (https or localhost). */
  secureContext?: boolean;
}

const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render|\bwarp\b/i;

export async function detectGpu(gpu: GpuLike | undefined | null, context: DetectContext = {}): Promise<GpuStatus> {
  if (!gpu) {
    const reason =
      context.secureContext === false
        ? 'WebGPU is only available on secure pages (https:// or http://localhost), and this page is not one.'
        : 'This browser does not offer WebGPU (navigator.gpu is missing).';
    return { available: false, reason };
  }
  let adapter: AdapterLike | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    return { available: false, reason: `Requesting a WebGPU adapter failed: ${errorMessage(e)}` };
  }
  if (!adapter) {
    return {
      available: false,
      reason: 'The browser supports WebGPU but found no usable GPU adapter (it may be blocklisted or disabled).',
    };
  }
  const info = adapter.info ?? (await adapter.requestAdapterInfo?.().catch(() => undefined)) ?? {};
  const features = [...adapter.features].sort();
  return {
    available: true,
    adapter: summarizeAdapter(info, adapter.isFallbackAdapter),
    limits: readLimits(adapter.limits),
    features,
    shaderF16: features.includes('shader-f16'),
  };
}

export function summarizeAdapter(info: AdapterInfoLike, legacyFallbackFlag = false): AdapterSummary {
  const vendor = info.vendor ?? '';
  const architecture = info.architecture ?? '';
  const device = info.device ?? '';
  const description = info.description ?? '';
  const name = description || [vendor, architecture].filter(Boolean).join(' ') || device || 'Unknown adapter';
  const isSoftware =
    Boolean(info.isFallbackAdapter || legacyFallbackFlag) ||
    SOFTWARE_ADAPTER.test([vendor, architecture, device, description].join(' '));
  return { name, vendor, architecture, device, description, isSoftware };
}

function readLimits(limits: AdapterLike['limits']): Record<LimitName, number> {
  // GPUSupportedLimits exposes getters on its prototype; copy them into a plain, cloneable object.
  const out = {} as Record<LimitName, number>;
  for (const name of KEY_LIMITS) out[name] = Number(limits[name]);
  return out;
}

/** 1073741824 -> "1 GiB", 16384 -> "16 KiB", 7 -> "7 B". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = Number.isInteger(value) ? 0 : value < 10 ? 2 : 1;
  return `${value.toFixed(digits)} ${units[unit]}`;
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
