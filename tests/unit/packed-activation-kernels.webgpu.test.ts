/** The stored-activation kernels' webgpu versions on Node WebGPU (see packed-activation-kernels.shared.ts). */
import { beforeAll, expect } from 'vitest';
import { initBackend } from '../../src/core/train/backend';
import { kernelSuite } from './packed-activation-kernels.shared';

beforeAll(async () => {
  expect((await initBackend('webgpu')).backend).toBe('webgpu');
});

kernelSuite('webgpu (Node, Dawn)');
