/**
 * WebGPU for the Node entry points (parity CLI, benchmarks): dawn.node on the machine's own Vulkan
 * driver when there is one, otherwise the same process restarted on SwiftShader (the CPU Vulkan
 * of Debian's chromium package). The Vulkan loader reads LD_LIBRARY_PATH only at process start,
 * hence a restart rather than setting variables here.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { installNodeWebGPU } from '../../src/runtime/node-webgpu';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const REEXEC_MARK = 'WEBGRPO_SWIFTSHADER_RESTART';

export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  swiftshader: boolean;
}

export async function describeAdapter(): Promise<AdapterDescription | null> {
  const adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) return null;
  const i = adapter.info;
  const text = `${i.vendor} ${i.architecture} ${i.device} ${i.description}`;
  return { vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description, swiftshader: /swiftshader/i.test(text) };
}

/**
 * Installs WebGPU and returns the adapter. Without one, and unless a Vulkan driver was chosen
 * explicitly, reruns this very command on SwiftShader and exits with its status.
 */
export async function requireNodeWebGPU(): Promise<AdapterDescription> {
  installNodeWebGPU();
  const found = await describeAdapter();
  if (found) return found;
  const chosen = process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES;
  if (chosen || process.env[REEXEC_MARK] || !existsSync(SWIFTSHADER_ICD)) {
    throw new Error(
      chosen
        ? `WebGPU: no adapter on the Vulkan driver ${chosen}`
        : `WebGPU: no adapter (no GPU Vulkan driver, and SwiftShader is not at ${SWIFTSHADER_ICD}: apt-get install -y chromium)`,
    );
  }
  console.error('WebGPU: no GPU adapter here; restarting on SwiftShader (CPU Vulkan)');
  const env = {
    ...process.env,
    [REEXEC_MARK]: '1',
    VK_ICD_FILENAMES: SWIFTSHADER_ICD,
    LD_LIBRARY_PATH: ['/usr/lib/chromium', process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
  };
  const child = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env });
  process.exit(child.status ?? 1);
}
