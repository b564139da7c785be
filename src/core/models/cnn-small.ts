import * as tf from '../tf';
import type { ModelBuilder } from './types';
import { glorotKernel, heKernel } from './layers';

/** Two 3×3 conv/pool stages and a small dense head; no BatchNorm, so accumulated gradients are exact. */
export const cnnSmall: ModelBuilder = {
  build(input, numClasses, rng) {
    return tf.sequential({
      name: 'cnn_small',
      layers: [
        tf.layers.conv2d({
          inputShape: [input.height, input.width, input.channels],
          filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: heKernel(rng),
        }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: heKernel(rng) }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 64, activation: 'relu', kernelInitializer: heKernel(rng) }),
        tf.layers.dense({ units: numClasses, kernelInitializer: glorotKernel(rng) }),
      ],
    });
  },
};
