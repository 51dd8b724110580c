import { defineConfig } from 'vitest/config';

// In Node, load onnxruntime-web's unbundled build (it finds its .wasm next to itself); the bundled
// build's embedded require() shim fails under Node ESM.
const nodeConditions = ['onnxruntime-web-use-extern-wasm', 'node', 'import', 'default'];

export default defineConfig({
  resolve: { conditions: nodeConditions },
  ssr: { resolve: { conditions: nodeConditions, externalConditions: nodeConditions } },
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
        },
      },
      {
        // One process for every WebGPU test: onnxruntime-web's first run on SwiftShader costs ~45 s,
        // paid once per process.
        test: {
          name: 'webgpu',
          include: ['tests/webgpu/**/*.test.ts'],
          environment: 'node',
          setupFiles: ['tests/webgpu/setup.ts'],
          pool: 'forks',
          isolate: false,
          fileParallelism: false,
          maxWorkers: 1,
          testTimeout: 600_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
