import type { ModelName } from '../config';

/** What the UI says about each architecture, without loading tfjs on the main thread. */
export interface ModelCard {
  /** One line: what the architecture is and why it is in the zoo. */
  description: string;
  /** BatchNorm layers see micro-batch statistics under gradient accumulation; the UI says so. */
  hasBatchNorm: boolean;
}

export const MODEL_CATALOG: Record<ModelName, ModelCard> = {
  mlp: { description: 'Two dense layers: the simple baseline every candidate has to beat.', hasBatchNorm: false },
  'cnn-small': { description: 'Two 3×3 conv + max-pool stages and a dense head: small, fast, ~99 % on MNIST.', hasBatchNorm: false },
  'mobilenet-v2-tiny': {
    description: 'MobileNetV2 (width 0.5): inverted residuals with depthwise convs, few params and FLOPs.', hasBatchNorm: true,
  },
  'efficientnet-lite-tiny': {
    description: 'EfficientNet-lite: MBConv blocks with 3×3 and 5×5 depthwise kernels, ReLU6, no squeeze-excitation.', hasBatchNorm: true,
  },
  'resnet-mini': {
    description: 'ResNet-8: basic residual blocks at 32/64/128 filters; the heavyweight nobody needs for MNIST.', hasBatchNorm: true,
  },
};
