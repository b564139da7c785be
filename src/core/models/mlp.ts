import * as tf from '../tf';
import type { ModelBuilder } from './types';
import { glorotKernel, heKernel } from './layers';

export const mlp: ModelBuilder = {
  build(input, numClasses, rng) {
    return tf.sequential({
      name: 'mlp',
      layers: [
        tf.layers.flatten({ inputShape: [input.height, input.width, input.channels] }),
        tf.layers.dense({ units: 128, activation: 'relu', kernelInitializer: heKernel(rng) }),
        tf.layers.dense({ units: numClasses, kernelInitializer: glorotKernel(rng) }),
      ],
    });
  },
};
