/** The stored-activation kernels' cpu versions (see packed-activation-kernels.shared.ts). */
import * as tf from '../../src/core/tf';
import { beforeAll } from 'vitest';
import { kernelSuite } from './packed-activation-kernels.shared';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

kernelSuite('cpu');
