// WebGPU for the Node test process (dawn.node over SwiftShader, or a real GPU's Vulkan driver).
import { installNodeWebGPU } from '../../src/runtime/node-webgpu';

installNodeWebGPU();
