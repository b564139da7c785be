import * as tf from '../tf';
import type { Rng } from '../rng';
import { BATCH_NORM_MOMENTUM } from './catalog';
import type { InputShape, ModelBuilder } from './types';
import { glorotKernel, heKernel } from './layers';

/*
 * Building blocks shared by the BatchNorm models of the zoo (MobileNetV2, EfficientNet-lite, ResNet). Convolutions
 * followed by BatchNorm carry no bias: BN's beta already shifts each channel. Padding is always 'same' and dilation
 * is never used (tfjs has no dilated-conv gradients).
 */

type Tensor = tf.SymbolicTensor;

export type BlockActivation = 'relu' | 'relu6' | 'linear';

function normalizeAndActivate(x: Tensor, activation: BlockActivation): Tensor {
  // PyTorch's default (its momentum 0.1): moving statistics settle within a quick one-epoch run, and the exported
  // Lightning model behaves the same.
  const normalized = tf.layers.batchNormalization({ momentum: BATCH_NORM_MOMENTUM }).apply(x) as Tensor;
  if (activation === 'linear') return normalized;
  const relu = activation === 'relu6' ? tf.layers.reLU({ maxValue: 6 }) : tf.layers.reLU();
  return relu.apply(normalized) as Tensor;
}

export interface ConvSpec {
  kernelSize: number;
  strides?: number;
  activation: BlockActivation;
}

/** Conv → BatchNorm → activation. */
export function convBn(x: Tensor, rng: Rng, spec: ConvSpec & { filters: number }): Tensor {
  const conv = tf.layers.conv2d({
    filters: spec.filters, kernelSize: spec.kernelSize, strides: spec.strides ?? 1, padding: 'same', useBias: false,
    kernelInitializer: heKernel(rng),
  });
  return normalizeAndActivate(conv.apply(x) as Tensor, spec.activation);
}

/** Depthwise conv (one filter per channel) → BatchNorm → activation. */
function depthwiseConvBn(x: Tensor, rng: Rng, spec: ConvSpec): Tensor {
  const conv = tf.layers.depthwiseConv2d({
    kernelSize: spec.kernelSize, strides: spec.strides ?? 1, padding: 'same', useBias: false,
    depthwiseInitializer: heKernel(rng),
  });
  return normalizeAndActivate(conv.apply(x) as Tensor, spec.activation);
}

export function channelsOf(x: Tensor): number {
  return x.shape[x.shape.length - 1] as number;
}

/** One stage of inverted residual blocks; only the first block of a stage strides or changes the width. */
export interface InvertedResidualStage {
  expansion: number;
  outChannels: number;
  repeats: number;
  strides: number;
  kernelSize: number;
}

/**
 * MobileNetV2's inverted residual (EfficientNet's MBConv without squeeze-excitation): 1×1 expand → depthwise →
 * 1×1 project. The projection stays linear (the paper's "linear bottleneck": ReLU on few channels loses information).
 */
function invertedResidual(x: Tensor, rng: Rng, expansion: number, outChannels: number, kernelSize: number, strides: number): Tensor {
  const inChannels = channelsOf(x);
  const expanded = expansion === 1 ? x : convBn(x, rng, { filters: inChannels * expansion, kernelSize: 1, activation: 'relu6' });
  const filtered = depthwiseConvBn(expanded, rng, { kernelSize, strides, activation: 'relu6' });
  const projected = convBn(filtered, rng, { filters: outChannels, kernelSize: 1, activation: 'linear' });
  if (strides !== 1 || inChannels !== outChannels) return projected;
  return tf.layers.add().apply([x, projected]) as Tensor;
}

export interface InvertedResidualNetSpec {
  name: string;
  stemChannels: number;
  stages: readonly InvertedResidualStage[];
  headChannels: number;
}

/** Stem conv (stride 2) → inverted residual stages → 1×1 head conv → global average pool → dense logits. */
export function buildInvertedResidualNet(
  spec: InvertedResidualNetSpec, input: InputShape, numClasses: number, rng: Rng,
): tf.LayersModel {
  const images = tf.input({ shape: [input.height, input.width, input.channels] });
  let x = convBn(images, rng, { filters: spec.stemChannels, kernelSize: 3, strides: 2, activation: 'relu6' });
  for (const stage of spec.stages) {
    for (let i = 0; i < stage.repeats; i++) {
      x = invertedResidual(x, rng, stage.expansion, stage.outChannels, stage.kernelSize, i === 0 ? stage.strides : 1);
    }
  }
  x = convBn(x, rng, { filters: spec.headChannels, kernelSize: 1, activation: 'relu6' });
  return classifierHead(images, x, numClasses, rng, spec.name);
}

/** Global average pooling and a linear layer producing logits (no softmax: the loss applies it). */
export function classifierHead(images: Tensor, features: Tensor, numClasses: number, rng: Rng, name: string): tf.LayersModel {
  const pooled = tf.layers.globalAveragePooling2d({}).apply(features) as Tensor;
  const logits = tf.layers.dense({ units: numClasses, kernelInitializer: glorotKernel(rng) }).apply(pooled) as Tensor;
  return tf.model({ name, inputs: images, outputs: logits });
}

/** The MobileNetV2 paper's rounding: channels to a multiple of `divisor`, never more than 10 % below the request. */
export function makeDivisible(channels: number, divisor = 8): number {
  const rounded = Math.max(divisor, Math.floor((channels + divisor / 2) / divisor) * divisor);
  return rounded < 0.9 * channels ? rounded + divisor : rounded;
}

/** Width multiplier (the paper's α): scales every layer's channels; 0.5 keeps the model browser-sized. */
export const MOBILENET_V2_TINY_WIDTH = 0.5;

/**
 * The first four stages of MobileNetV2 (paper Table 2, listed at full width) with fewer repeats and the fourth at
 * stride 1: the stem and two strided stages already take 28×28 and 32×32 images down to 4×4.
 */
const MOBILENET_V2_TINY_STAGES: readonly InvertedResidualStage[] = [
  { expansion: 1, outChannels: 16, repeats: 1, strides: 1, kernelSize: 3 },
  { expansion: 6, outChannels: 24, repeats: 2, strides: 2, kernelSize: 3 },
  { expansion: 6, outChannels: 32, repeats: 2, strides: 2, kernelSize: 3 },
  { expansion: 6, outChannels: 64, repeats: 1, strides: 1, kernelSize: 3 },
];

function mobilenetV2TinySpec(width: number): InvertedResidualNetSpec {
  return {
    name: 'mobilenet_v2_tiny',
    stemChannels: makeDivisible(32 * width),
    stages: MOBILENET_V2_TINY_STAGES.map((stage) => ({ ...stage, outChannels: makeDivisible(stage.outChannels * width) })),
    // The paper keeps its 1280-wide head for α ≤ 1; a tiny model gets a head of 128.
    headChannels: 128,
  };
}

export const mobilenetV2Tiny: ModelBuilder = {
  build(input, numClasses, rng) {
    return buildInvertedResidualNet(mobilenetV2TinySpec(MOBILENET_V2_TINY_WIDTH), input, numClasses, rng);
  },
};
