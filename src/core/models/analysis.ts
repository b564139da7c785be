import type * as tf from '../tf';

/*
 * Parameter, FLOP and memory figures computed from a model's structure alone (no tensors are created), so they can
 * be shown before a run and set beside what the run measures.
 *
 * FLOP convention (per example, forward pass):
 * - a multiply-add counts as 2 FLOPs;
 * - Conv2D: 2·Hout·Wout·Cout·kh·kw·Cin; DepthwiseConv2D: 2·Hout·Wout·(Cin·depthMultiplier)·kh·kw;
 *   Dense: 2·in·out;
 * - a bias adds 1 per output element, an activation (fused or its own layer, ReLU6 too) 1 per element;
 * - BatchNormalization: 2 per element (inference form: one multiply and one add per element);
 * - Add: 1 per element per extra input; MaxPooling2D/AveragePooling2D: pool height·width per output element;
 *   GlobalAveragePooling2D: 1 per input element;
 * - InputLayer, Flatten and Reshape move no data: 0.
 * Training ≈ 3 × forward: the backward pass computes gradients with respect to both the inputs and the weights, each
 * costing about one forward pass for convolutions and dense layers. BatchNorm's batch statistics, the loss and the
 * optimizer update are left out (small beside the convolutions).
 */

type Layer = tf.LayersModel['layers'][number];
type Shape = (number | null)[];

export const OPTIMIZER_STATE_SLOTS = { sgd: 0, momentum: 1, adam: 2 } as const;
/** Optimizers by how many weight-sized tensors of state they keep: Adam keeps its first and second moments. */
export type OptimizerKind = keyof typeof OPTIMIZER_STATE_SLOTS;

const BYTES_PER_FLOAT32 = 4;
/** Layers whose output is a view of their input in tfjs (reshape shares the buffer) or the input itself. */
const SHAPE_ONLY_LAYERS = new Set(['InputLayer', 'Flatten', 'Reshape']);

/**
 * Analytic fp32 memory estimate of one training step at a micro-batch, in bytes:
 * - weights: every weight, trainable or not (BatchNorm's moving mean and variance included);
 * - gradients: one per trainable weight;
 * - optimizer: the optimizer's state, OPTIMIZER_STATE_SLOTS copies of the trainable weights;
 * - activations: the input batch plus every layer's output, kept for the backward pass.
 * Left out: backend workspace (im2col buffers, shader scratch), buffer-pool slack, gradients of activations alive
 * during the backward pass, intermediates inside a layer (a fused activation's pre-activation, BatchNorm's batch
 * statistics), the gradient accumulator (one more gradient-sized copy when accumulating) and the host-side data.
 * Compare it with the measured true and logical peaks, not instead of them.
 */
export interface MemoryEstimate {
  microBatch: number;
  optimizer: OptimizerKind;
  weightsBytes: number;
  gradientsBytes: number;
  optimizerBytes: number;
  activationsBytes: number;
  totalBytes: number;
}

export interface ModelAnalysis {
  params: number;
  trainableParams: number;
  forwardFlopsPerExample: number;
  trainingFlopsPerExample: number;
  memory: MemoryEstimate;
}

function product(dims: Shape, where: string): number {
  return dims.reduce<number>((result, dim) => {
    if (dim === null) throw new Error(`${where} has an unknown dimension in ${JSON.stringify(dims)}; analysis needs fixed sizes.`);
    return result * dim;
  }, 1);
}

/** Elements of one example: every dimension but the leading batch one. */
function elementsPerExample(shape: Shape, where: string): number {
  return product(shape.slice(1), where);
}

function inputShapes(layer: Layer): Shape[] {
  const input = layer.input;
  return (Array.isArray(input) ? input : [input]).map((tensor) => tensor.shape);
}

function outputShape(layer: Layer): Shape {
  const shape = layer.outputShape;
  if (Array.isArray(shape[0])) throw new Error(`Layer ${layer.name} has several outputs; analysis expects one.`);
  return shape as Shape;
}

function kernelArea(config: tf.serialization.ConfigDict, key: 'kernelSize' | 'poolSize'): number {
  const size = config[key] as number | number[];
  return Array.isArray(size) ? size.reduce((a, b) => a * b, 1) : size * size;
}

/** Bias and activation cost of a Conv2D, DepthwiseConv2D or Dense layer: 1 per output element each. */
function biasAndActivationFlops(config: tf.serialization.ConfigDict, outputs: number): number {
  const bias = config.useBias ? outputs : 0;
  const activation = config.activation !== undefined && config.activation !== 'linear' ? outputs : 0;
  return bias + activation;
}

function forwardFlops(layer: Layer): number {
  const className = layer.getClassName();
  if (SHAPE_ONLY_LAYERS.has(className)) return 0;
  const config = layer.getConfig();
  const inputs = inputShapes(layer);
  const firstInput = inputs[0]!;
  const outputs = elementsPerExample(outputShape(layer), layer.name);
  const inChannels = firstInput[firstInput.length - 1] as number;
  switch (className) {
    case 'Conv2D':
      return 2 * outputs * kernelArea(config, 'kernelSize') * inChannels + biasAndActivationFlops(config, outputs);
    case 'DepthwiseConv2D':
      return 2 * outputs * kernelArea(config, 'kernelSize') + biasAndActivationFlops(config, outputs);
    case 'Dense':
      return 2 * outputs * inChannels + biasAndActivationFlops(config, outputs);
    case 'BatchNormalization':
      return 2 * outputs;
    case 'Activation':
    case 'ReLU':
      return outputs;
    case 'Add':
      return (inputs.length - 1) * outputs;
    case 'MaxPooling2D':
    case 'AveragePooling2D':
      return outputs * kernelArea(config, 'poolSize');
    case 'GlobalAveragePooling2D':
      return elementsPerExample(firstInput, layer.name);
    default:
      throw new Error(`Model analysis does not know layer class ${className} (layer ${layer.name}); add its FLOP rule.`);
  }
}

function countElements(weights: { name: string; shape: Shape }[]): number {
  return weights.reduce((sum, weight) => sum + product(weight.shape, weight.name), 0);
}

/** Forward FLOPs per example under the convention at the top of this file; throws on a layer class it does not know. */
export function forwardFlopsPerExample(model: tf.LayersModel): number {
  return model.layers.reduce((sum, layer) => sum + forwardFlops(layer), 0);
}

/** See MemoryEstimate for what is counted and what is not. */
export function estimateMemory(model: tf.LayersModel, microBatch: number, optimizer: OptimizerKind = 'adam'): MemoryEstimate {
  const trainableParams = countElements(model.trainableWeights);
  const inputElements = model.inputs.reduce((sum, input) => sum + elementsPerExample(input.shape, 'The model input'), 0);
  const outputElements = model.layers
    .filter((layer) => !SHAPE_ONLY_LAYERS.has(layer.getClassName()))
    .reduce((sum, layer) => sum + elementsPerExample(outputShape(layer), layer.name), 0);
  const weightsBytes = model.countParams() * BYTES_PER_FLOAT32;
  const gradientsBytes = trainableParams * BYTES_PER_FLOAT32;
  const optimizerBytes = OPTIMIZER_STATE_SLOTS[optimizer] * gradientsBytes;
  const activationsBytes = (inputElements + outputElements) * microBatch * BYTES_PER_FLOAT32;
  return {
    microBatch, optimizer, weightsBytes, gradientsBytes, optimizerBytes, activationsBytes,
    totalBytes: weightsBytes + gradientsBytes + optimizerBytes + activationsBytes,
  };
}

/** Parameters, FLOPs and the memory estimate of one model, as plain JSON for results, the matrix and exports. */
export function analyzeModel(model: tf.LayersModel, microBatch: number, optimizer: OptimizerKind = 'adam'): ModelAnalysis {
  const forward = forwardFlopsPerExample(model);
  return {
    // Summed layer by layer so that a layer the walk misses shows up as a mismatch with model.countParams().
    params: model.layers.reduce((sum, layer) => sum + layer.countParams(), 0),
    trainableParams: countElements(model.trainableWeights),
    forwardFlopsPerExample: forward,
    trainingFlopsPerExample: 3 * forward,
    memory: estimateMemory(model, microBatch, optimizer),
  };
}
