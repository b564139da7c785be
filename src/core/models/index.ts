import type { ModelName } from '../config';
import type { ModelBuilder } from './types';
import { mlp } from './mlp';
import { cnnSmall } from './cnn-small';

export type { InputShape, ModelBuilder } from './types';

/** Every name in MODEL_NAMES must have a builder: the Record type makes a missing one a compile error. */
export const MODEL_BUILDERS: Record<ModelName, ModelBuilder> = {
  mlp,
  'cnn-small': cnnSmall,
};
