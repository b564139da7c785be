import type { ModelName } from '../config';
import type { ModelBuilder } from './types';
import { mlp } from './mlp';
import { cnnSmall } from './cnn-small';
import { mobilenetV2Tiny } from './mobilenet-v2-tiny';
import { efficientnetLiteTiny } from './efficientnet-lite-tiny';
import { resnetMini } from './resnet-mini';

export type { InputShape, ModelBuilder } from './types';
export { analyzeModel, estimateMemory, forwardFlopsPerExample, OPTIMIZER_STATE_SLOTS } from './analysis';
export type { MemoryEstimate, ModelAnalysis, OptimizerKind } from './analysis';

/** Every name in MODEL_NAMES must have a builder: the Record type makes a missing one a compile error. */
export const MODEL_BUILDERS: Record<ModelName, ModelBuilder> = {
  mlp,
  'cnn-small': cnnSmall,
  'mobilenet-v2-tiny': mobilenetV2Tiny,
  'efficientnet-lite-tiny': efficientnetLiteTiny,
  'resnet-mini': resnetMini,
};
