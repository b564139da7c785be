/**
 * Gives Node a WebGPU implementation (Dawn, from the `webgpu` npm package) on import, so tfjs's WebGPU backend runs
 * here as it does in a browser: for the vitest setup (node-webgpu.ts) and Node scripts (scripts/engine-bench.ts).
 *
 * Order matters: @tensorflow/tfjs-backend-webgpu registers itself only if `navigator.gpu` exists when it is first
 * imported, and its kernels use the WebGPU globals (GPUBuffer, GPUBufferUsage, GPUMapMode …). Import this module
 * before tfjs-backend-webgpu (vitest setup files run before the test file is imported).
 *
 * On a machine without a GPU, Dawn needs Debian's Vulkan loader (`libvulkan1`) and a Vulkan driver. Mesa's lavapipe is
 * rejected by Dawn, so we point the loader at Chromium's SwiftShader ICD (`apt-get install chromium`) unless the
 * environment already chose a driver (VK_ICD_FILENAMES / VK_DRIVER_FILES, e.g. for a real GPU). The loader reads
 * these variables when Dawn creates its Vulkan instance, i.e. lazily inside `create()` / `requestAdapter()`, so
 * setting process.env here is early enough.
 *
 * When no adapter can be had, this file throws a one-line error saying what is missing: the webgpu tests then fail
 * (they are never silently skipped).
 */
import { existsSync } from 'node:fs';
import { create, globals } from 'webgpu';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

const LIB_DIRS: Record<string, string[]> = {
  x64: ['/usr/lib/x86_64-linux-gnu', '/lib/x86_64-linux-gnu', '/usr/lib64', '/usr/lib'],
  arm64: ['/usr/lib/aarch64-linux-gnu', '/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib'],
};

function hasVulkanLoader(): boolean {
  if (process.platform !== 'linux') return true; // Metal / D3D12 elsewhere: not our concern here.
  return (LIB_DIRS[process.arch] ?? ['/usr/lib64', '/usr/lib']).some((dir) => existsSync(`${dir}/libvulkan.so.1`));
}

function whatIsMissing(): string {
  const missing: string[] = [];
  if (!hasVulkanLoader()) missing.push('the Vulkan loader libvulkan.so.1 (apt-get install libvulkan1)');
  const icd = process.env.VK_ICD_FILENAMES ?? process.env.VK_DRIVER_FILES;
  if (icd && !icd.split(':').every((path) => existsSync(path))) {
    missing.push(`the Vulkan driver manifest ${icd} (for SwiftShader: apt-get install chromium)`);
  }
  if (!missing.length) missing.push(`a Vulkan driver Dawn accepts (VK_ICD_FILENAMES=${icd ?? 'unset'})`);
  return missing.join(' and ');
}

if (process.platform === 'linux' && !process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES) {
  process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
}

let gpu: GPU;
try {
  gpu = create([]);
} catch (error) {
  throw new Error(`Node WebGPU: the Dawn module of the "webgpu" package could not start (${(error as Error).message}).`,
    { cause: error });
}
const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
if (!adapter) {
  throw new Error(`Node WebGPU: requestAdapter() returned null; missing ${whatIsMissing()}.`);
}

Object.assign(globalThis, globals);
// Node 20 has no global navigator; Node 21+ has one without `gpu` (and a getter, so define rather than assign).
if (globalThis.navigator) {
  Object.defineProperty(globalThis.navigator, 'gpu', { value: gpu, configurable: true, writable: true });
} else {
  Object.defineProperty(globalThis, 'navigator', {
    value: { gpu, userAgent: `Node.js ${process.version} (Dawn)` }, configurable: true, writable: true,
  });
}

/** dawn.node keeps the process alive while a reference to the GPU object exists (see the webgpu package's README). */
export function releaseNodeWebGpu(): void {
  delete (globalThis.navigator as { gpu?: GPU }).gpu;
}
