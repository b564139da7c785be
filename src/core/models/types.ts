import type * as tf from '../tf';
import type { Rng } from '../rng';

/** One image's shape (no batch dimension), as the models and the dataset describe it: height × width × channels. */
export interface InputShape {
  height: number;
  width: number;
  channels: number;
}

export interface ModelBuilder {
  /** Builds a model that maps [batch, h, w, c] images to [batch, numClasses] logits; all weights seeded from rng. */
  build(input: InputShape, numClasses: number, rng: Rng): tf.LayersModel;
}
