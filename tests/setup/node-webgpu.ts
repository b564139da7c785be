/** Vitest setup for `*.webgpu.test.ts`: Node gets WebGPU (Dawn) before any test imports tfjs-backend-webgpu. */
import { afterAll } from 'vitest';
import { releaseNodeWebGpu } from './dawn-gpu';

afterAll(releaseNodeWebGpu);
