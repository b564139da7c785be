import * as tf from '../tf';
import type { Rng } from '../rng';
import type { ModelBuilder } from './types';
import { channelsOf, classifierHead, convBn } from './mobilenet-v2-tiny';

/** Filters per stage; each stage after the first halves the resolution. */
const RESNET_MINI_STAGE_FILTERS = [32, 64, 128] as const;
/** Basic blocks per stage: one each makes a ResNet-8 (stem, three blocks of two convs, dense). */
const RESNET_MINI_BLOCKS_PER_STAGE = 1;

/** Two 3×3 conv + BN with a shortcut: identity when the shape is kept, a strided 1×1 conv + BN when it changes. */
function basicBlock(x: tf.SymbolicTensor, rng: Rng, filters: number, strides: number): tf.SymbolicTensor {
  const hidden = convBn(x, rng, { filters, kernelSize: 3, strides, activation: 'relu' });
  const residual = convBn(hidden, rng, { filters, kernelSize: 3, activation: 'linear' });
  const keepsShape = strides === 1 && channelsOf(x) === filters;
  const shortcut = keepsShape ? x : convBn(x, rng, { filters, kernelSize: 1, strides, activation: 'linear' });
  const sum = tf.layers.add().apply([shortcut, residual]) as tf.SymbolicTensor;
  return tf.layers.reLU().apply(sum) as tf.SymbolicTensor;
}

/**
 * A CIFAR-style ResNet kept at full resolution in its first stage (stride-1 stem): far more parameters, FLOPs and
 * activation memory than the task needs. It is in the zoo as the "ResNet for a simple task" trap, to be measured.
 */
export const resnetMini: ModelBuilder = {
  build(input, numClasses, rng) {
    const images = tf.input({ shape: [input.height, input.width, input.channels] });
    let x = convBn(images, rng, { filters: RESNET_MINI_STAGE_FILTERS[0], kernelSize: 3, activation: 'relu' });
    RESNET_MINI_STAGE_FILTERS.forEach((filters, stage) => {
      for (let block = 0; block < RESNET_MINI_BLOCKS_PER_STAGE; block++) {
        x = basicBlock(x, rng, filters, stage > 0 && block === 0 ? 2 : 1);
      }
    });
    return classifierHead(images, x, numClasses, rng, 'resnet_mini');
  },
};
