import * as tf from '../tf';
import type { Rng } from '../rng';

type Initializer = ReturnType<typeof tf.initializers.heNormal>;

/** Seeded He-normal kernels for ReLU layers: reproducible initial weights for a given run seed. */
export function heKernel(rng: Rng): Initializer {
  return tf.initializers.heNormal({ seed: rng.seed() });
}

/** Seeded Glorot-uniform kernels for the final (linear) layer. */
export function glorotKernel(rng: Rng): Initializer {
  return tf.initializers.glorotUniform({ seed: rng.seed() });
}
