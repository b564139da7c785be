import type { ModelName } from '../config';

/** What the UI says about each architecture, without loading tfjs on the main thread. */
export interface ModelCard {
  /** One line: what the architecture is and why it is in the zoo. */
  description: string;
  /** BatchNorm layers see micro-batch statistics under gradient accumulation; the UI says so. */
  hasBatchNorm: boolean;
  /**
   * Forward FLOPs per example for 10 classes, by input shape, as analyzeModel computes them (a unit test keeps the two
   * equal). The UI estimates a sweep's duration from them without building models on the main thread.
   */
  forwardFlops: Record<CatalogInputShape, number>;
}

/** Every BatchNorm layer's momentum (tfjs's default), before the trainer adjusts it for gradient accumulation. */
export const BATCH_NORM_MOMENTUM = 0.9;

/**
 * Training images whose statistics replace BatchNorm's moving averages before each validation
 * (src/core/train/batch-norm-statistics.ts); here so the UI can say so without loading tfjs.
 */
export const BATCH_NORM_RECALIBRATION_IMAGES = 128;

export type CatalogInputShape = '28x28x1' | '32x32x3';

export const MODEL_CATALOG: Record<ModelName, ModelCard> = {
  mlp: {
    description: 'Two dense layers: the simple baseline every candidate has to beat.',
    hasBatchNorm: false,
    forwardFlops: { '28x28x1': 203_530, '32x32x3': 789_258 },
  },
  'cnn-small': {
    description: 'Two 3×3 conv + max-pool stages and a dense head: small, fast, ~99 % on MNIST.',
    hasBatchNorm: false,
    forwardFlops: { '28x28x1': 2_290_698, '32x32x3': 3_581_322 },
  },
  'mobilenet-v2-tiny': {
    description: 'MobileNetV2 (width 0.5): inverted residuals with depthwise convs, few params and FLOPs.',
    hasBatchNorm: true,
    forwardFlops: { '28x28x1': 1_615_978, '32x32x3': 2_091_274 },
  },
  'efficientnet-lite-tiny': {
    description: 'EfficientNet-lite: MBConv blocks with 3×3 and 5×5 depthwise kernels, ReLU6, no squeeze-excitation.',
    hasBatchNorm: true,
    forwardFlops: { '28x28x1': 2_178_026, '32x32x3': 2_653_322 },
  },
  'resnet-mini': {
    description: 'ResNet-8: basic residual blocks at 32/64/128 filters; the heavyweight nobody needs for MNIST.',
    hasBatchNorm: true,
    forwardFlops: { '28x28x1': 74_739_722, '32x32x3': 98_798_090 },
  },
};
