import type * as tf from '@tensorflow/tfjs';
import type { Rng } from '../rng';

export interface InputShape {
  height: number;
  width: number;
  channels: number;
}

export interface ModelBuilder {
  /** One line for the UI: what the architecture is and why it is in the zoo. */
  description: string;
  /** BatchNorm layers see micro-batch statistics under gradient accumulation; the UI says so. */
  hasBatchNorm: boolean;
  /** Builds a model that maps [batch, h, w, c] images to [batch, numClasses] logits; all weights seeded from rng. */
  build(input: InputShape, numClasses: number, rng: Rng): tf.LayersModel;
}
