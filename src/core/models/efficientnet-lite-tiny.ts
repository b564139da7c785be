import type { ModelBuilder } from './types';
import { buildInvertedResidualNet, type InvertedResidualNetSpec } from './mobilenet-v2-tiny';

/**
 * EfficientNet-lite0's first four stages at half width (channels rounded to multiples of 8), with fewer repeats, the
 * fourth at stride 1 and a 5×5 kernel (the input is already 4×4 there), and stem and head cut to 16 and 128.
 * The lite variants drop squeeze-excitation and use ReLU6 instead of swish (both map poorly to mobile accelerators),
 * which leaves MBConv equal to MobileNetV2's inverted residual; the 5×5 depthwise kernels are what set it apart.
 */
const EFFICIENTNET_LITE_TINY: InvertedResidualNetSpec = {
  name: 'efficientnet_lite_tiny',
  stemChannels: 16,
  stages: [
    { expansion: 1, outChannels: 8, repeats: 1, strides: 1, kernelSize: 3 },
    { expansion: 6, outChannels: 16, repeats: 2, strides: 2, kernelSize: 3 },
    { expansion: 6, outChannels: 24, repeats: 2, strides: 2, kernelSize: 5 },
    { expansion: 6, outChannels: 40, repeats: 1, strides: 1, kernelSize: 5 },
  ],
  headChannels: 128,
};

export const efficientnetLiteTiny: ModelBuilder = {
  build(input, numClasses, rng) {
    return buildInvertedResidualNet(EFFICIENTNET_LITE_TINY, input, numClasses, rng);
  },
};
