/**
 * Reads a tfjs LayersModel into the fused engine's plan: a graph of GPU nodes in topological order with their shapes,
 * and the offsets of their weights in one flat parameter buffer (BatchNorm's moving statistics in a second one).
 * `coverage(model)` says whether the engine can train it, and if not why.
 */
import type * as tf from '../tf';
import type { BatchNormLayerInternals } from '../backend-internals';

type Layer = tf.LayersModel['layers'][number];
type LayerVariable = Layer['trainableWeights'][number];

export type Activation = 'linear' | 'relu' | 'relu6';

/** One example's activation: height × width × channels (NHWC without N); a dense layer's vector is 1 × 1 × units. */
export interface Shape3 {
  h: number;
  w: number;
  c: number;
}

/** The model's input, as a node's input. */
export const MODEL_INPUT = -1;

interface NodeBase {
  name: string;
  /** The nodes whose outputs this one reads (indices into Plan.nodes), or MODEL_INPUT. */
  inputs: number[];
  /** The shape of its (first) input and its output. */
  input: Shape3;
  output: Shape3;
  /** Applied to its output (a ReLU layer after it is folded in here). */
  activation: Activation;
}

/** A spatial window: kernel or pool size, strides and tfjs's padding. */
export interface Window {
  kernelH: number;
  kernelW: number;
  strideH: number;
  strideW: number;
  /** Rows / columns of zeros before the input (tfjs's 'same' puts the odd one after). */
  padTop: number;
  padLeft: number;
}

export interface Conv2dPlan extends NodeBase, Window {
  kind: 'conv2d';
  /** Offsets (in floats) of the [kh, kw, in, out] kernel and the bias in the parameter buffer; bias null without one. */
  kernelOffset: number;
  biasOffset: number | null;
}

/** Depthwise convolution, one filter per channel (depth multiplier 1, no bias). */
export interface DepthwisePlan extends NodeBase, Window {
  kind: 'depthwise';
  /** Offset of the [kh, kw, channels, 1] kernel. */
  kernelOffset: number;
}

export interface MaxPoolPlan extends NodeBase {
  kind: 'maxpool';
  poolH: number;
  poolW: number;
  strideH: number;
  strideW: number;
}

export interface DensePlan extends NodeBase {
  kind: 'dense';
  /** Offsets (in floats) of the [in, units] kernel and the bias in the parameter buffer. */
  kernelOffset: number;
  biasOffset: number | null;
}

/** BatchNormalization over the channels, in training mode: batch statistics, moving averages updated. */
export interface BatchNormPlan extends NodeBase {
  kind: 'batchnorm';
  gammaOffset: number;
  betaOffset: number;
  /** Offsets of the moving mean and variance in the moving-statistics buffer. */
  movingMeanOffset: number;
  movingVarianceOffset: number;
  epsilon: number;
  /** The layer's momentum when the plan was made (the trainer adjusts it for accumulation first). */
  momentum: number;
}

/** Elementwise sum of two nodes' outputs (a residual connection). */
export interface AddPlan extends NodeBase {
  kind: 'add';
}

export interface GlobalAveragePoolPlan extends NodeBase {
  kind: 'gap';
}

export type LayerPlan = Conv2dPlan | DepthwisePlan | MaxPoolPlan | DensePlan | BatchNormPlan | AddPlan | GlobalAveragePoolPlan;

/** A variable's place in a flat buffer (trainable: the parameter buffer; moving statistics: their own). */
export interface ParameterSlot {
  variable: LayerVariable;
  offset: number;
  size: number;
}

export interface Plan {
  input: Shape3;
  classes: number;
  /** In topological order; the last is the linear Dense layer that gives the logits. */
  layers: LayerPlan[];
  parameters: ParameterSlot[];
  parameterCount: number;
  moving: ParameterSlot[];
  movingCount: number;
}

export type Coverage = { ok: true } | { ok: false; reason: string };

class NotCovered extends Error {}

function pair(value: unknown): [number, number] {
  return Array.isArray(value) ? [value[0] as number, value[1] as number] : [value as number, value as number];
}

function activationOf(layer: Layer, config: tf.serialization.ConfigDict): Activation {
  const activation = config.activation ?? 'linear';
  if (activation !== 'relu' && activation !== 'relu6' && activation !== 'linear') {
    throw new NotCovered(`layer ${layer.name}: activation ${String(activation)} (the fused engine has relu, relu6 and linear)`);
  }
  return activation;
}

function requireChannelsLast(layer: Layer, config: tf.serialization.ConfigDict): void {
  if ((config.dataFormat ?? 'channelsLast') !== 'channelsLast') throw new NotCovered(`layer ${layer.name}: channelsFirst data`);
}

const REGULARIZERS = [
  'kernelRegularizer', 'biasRegularizer', 'activityRegularizer', 'kernelConstraint', 'biasConstraint', 'depthwiseRegularizer',
  'depthwiseConstraint', 'gammaRegularizer', 'betaRegularizer', 'gammaConstraint', 'betaConstraint',
];

function requireNoRegularizer(layer: Layer, config: tf.serialization.ConfigDict): void {
  for (const key of REGULARIZERS) {
    if (config[key] != null) throw new NotCovered(`layer ${layer.name}: ${key} (not part of the fused loss)`);
  }
}

/** tfjs's output size and leading padding for one spatial dimension (conv_util.computeConv2DInfo). */
function spatial(size: number, kernel: number, stride: number, padding: 'same' | 'valid'): { out: number; before: number } {
  if (padding === 'valid') return { out: Math.ceil((size - kernel + 1) / stride), before: 0 };
  const out = Math.ceil(size / stride);
  return { out, before: Math.floor(Math.max(0, (out - 1) * stride + kernel - size) / 2) };
}

function paddingOf(layer: Layer, config: tf.serialization.ConfigDict): 'same' | 'valid' {
  const padding = config.padding;
  if (padding !== 'same' && padding !== 'valid') throw new NotCovered(`layer ${layer.name}: padding ${String(padding)}`);
  return padding;
}

/** The layer's variable whose name ends in `/suffix` (tfjs-layers names them layerName/kernel, layerName/bias). */
function weightNamed(layer: Layer, suffix: string, weights = layer.trainableWeights): LayerVariable | null {
  return weights.find((w) => w.name.endsWith(`/${suffix}`)) ?? null;
}

interface Builder {
  parameters: ParameterSlot[];
  count: number;
  moving: ParameterSlot[];
  movingCount: number;
}

function size(variable: LayerVariable): number {
  return variable.shape.reduce((a: number, b) => a * (b ?? 1), 1);
}

function place(builder: Builder, variable: LayerVariable | null): number | null {
  if (!variable) return null;
  const offset = builder.count;
  builder.parameters.push({ variable, offset, size: size(variable) });
  builder.count += size(variable);
  return offset;
}

function placeMoving(builder: Builder, layer: Layer, suffix: string): number {
  const variable = weightNamed(layer, suffix, layer.nonTrainableWeights);
  if (!variable) throw new NotCovered(`layer ${layer.name}: no ${suffix}`);
  const offset = builder.movingCount;
  builder.moving.push({ variable, offset, size: size(variable) });
  builder.movingCount += size(variable);
  return offset;
}

/** The layer's trainable weights, exactly these (by name suffix); null for an optional one it lacks. */
function requireWeights(layer: Layer, required: string[], optional: string[] = []): (LayerVariable | null)[] {
  const found = [...required, ...optional].map((suffix) => weightNamed(layer, suffix));
  if (found.slice(0, required.length).some((w) => !w)) throw new NotCovered(`layer ${layer.name}: no trainable ${required.join(' and ')}`);
  if (layer.trainableWeights.length !== found.filter(Boolean).length) throw new NotCovered(`layer ${layer.name}: unexpected trainable weights`);
  return found;
}

/** Where a layer's output is: the node that computes it (MODEL_INPUT for the input) and its shape. */
interface Tensor {
  node: number;
  shape: Shape3;
}

function one(layer: Layer, sources: Tensor[]): Tensor {
  if (sources.length !== 1) throw new NotCovered(`layer ${layer.name}: ${sources.length} inputs`);
  return sources[0]!;
}

function windowOf(layer: Layer, config: tf.serialization.ConfigDict, input: Shape3, sizeKey: string): Window & { output: Shape3 } {
  requireChannelsLast(layer, config);
  const [dh, dw] = pair(config.dilationRate ?? 1);
  if (dh !== 1 || dw !== 1) throw new NotCovered(`layer ${layer.name}: dilated convolution`);
  const [kernelH, kernelW] = pair(config[sizeKey]);
  const [strideH, strideW] = pair(config.strides ?? config[sizeKey]);
  const padding = paddingOf(layer, config);
  const rows = spatial(input.h, kernelH, strideH, padding);
  const cols = spatial(input.w, kernelW, strideW, padding);
  return {
    kernelH, kernelW, strideH, strideW, padTop: rows.before, padLeft: cols.before, output: { h: rows.out, w: cols.out, c: input.c },
  };
}

function conv2d(layer: Layer, source: Tensor, builder: Builder): Conv2dPlan {
  const config = layer.getConfig();
  requireNoRegularizer(layer, config);
  const { output, ...window } = windowOf(layer, config, source.shape, 'kernelSize');
  const [kernel, bias] = requireWeights(layer, ['kernel'], ['bias']);
  return {
    kind: 'conv2d', name: layer.name, inputs: [source.node], input: source.shape, output: { ...output, c: config.filters as number },
    ...window, activation: activationOf(layer, config), kernelOffset: place(builder, kernel!)!, biasOffset: place(builder, bias!),
  };
}

function depthwise(layer: Layer, source: Tensor, builder: Builder): DepthwisePlan {
  const config = layer.getConfig();
  requireNoRegularizer(layer, config);
  if ((config.depthMultiplier ?? 1) !== 1) throw new NotCovered(`layer ${layer.name}: depth multiplier ${String(config.depthMultiplier)}`);
  if (config.useBias) throw new NotCovered(`layer ${layer.name}: depthwise convolution with a bias`);
  const { output, ...window } = windowOf(layer, config, source.shape, 'kernelSize');
  const [kernel] = requireWeights(layer, ['depthwise_kernel']);
  return {
    kind: 'depthwise', name: layer.name, inputs: [source.node], input: source.shape, output, ...window,
    activation: activationOf(layer, config), kernelOffset: place(builder, kernel!)!,
  };
}

function maxPool(layer: Layer, source: Tensor): MaxPoolPlan {
  const config = layer.getConfig();
  if (paddingOf(layer, config) !== 'valid') throw new NotCovered(`layer ${layer.name}: max pooling with 'same' padding`);
  const { output, kernelH, kernelW, strideH, strideW } = windowOf(layer, config, source.shape, 'poolSize');
  return {
    kind: 'maxpool', name: layer.name, inputs: [source.node], input: source.shape, output, activation: 'linear',
    poolH: kernelH, poolW: kernelW, strideH, strideW,
  };
}

function dense(layer: Layer, source: Tensor, builder: Builder): DensePlan {
  const config = layer.getConfig();
  requireNoRegularizer(layer, config);
  if (source.shape.h !== 1 || source.shape.w !== 1) throw new NotCovered(`layer ${layer.name}: Dense on an image (flatten first)`);
  const [kernel, bias] = requireWeights(layer, ['kernel'], ['bias']);
  return {
    kind: 'dense', name: layer.name, inputs: [source.node], input: source.shape, output: { h: 1, w: 1, c: config.units as number },
    activation: activationOf(layer, config), kernelOffset: place(builder, kernel!)!, biasOffset: place(builder, bias!),
  };
}

function batchNorm(layer: Layer, source: Tensor, builder: Builder): BatchNormPlan {
  const config = layer.getConfig();
  requireNoRegularizer(layer, config);
  if (config.axis !== -1 && config.axis !== 3) throw new NotCovered(`layer ${layer.name}: BatchNormalization over axis ${String(config.axis)}`);
  if (config.center === false || config.scale === false) throw new NotCovered(`layer ${layer.name}: BatchNormalization without center or scale`);
  const [gamma, beta] = requireWeights(layer, ['gamma', 'beta']);
  return {
    kind: 'batchnorm', name: layer.name, inputs: [source.node], input: source.shape, output: source.shape, activation: 'linear',
    gammaOffset: place(builder, gamma!)!, betaOffset: place(builder, beta!)!,
    movingMeanOffset: placeMoving(builder, layer, 'moving_mean'), movingVarianceOffset: placeMoving(builder, layer, 'moving_variance'),
    epsilon: config.epsilon as number, momentum: (layer as unknown as BatchNormLayerInternals).momentum,
  };
}

function add(layer: Layer, sources: Tensor[]): AddPlan {
  const [a, b] = sources;
  if (sources.length !== 2 || a!.node === b!.node || a!.node === MODEL_INPUT || b!.node === MODEL_INPUT) {
    throw new NotCovered(`layer ${layer.name}: an Add of other than two distinct layers`);
  }
  if (a!.shape.h !== b!.shape.h || a!.shape.w !== b!.shape.w || a!.shape.c !== b!.shape.c) throw new NotCovered(`layer ${layer.name}: broadcasting Add`);
  return { kind: 'add', name: layer.name, inputs: [a!.node, b!.node], input: a!.shape, output: a!.shape, activation: 'linear' };
}

function globalAveragePool(layer: Layer, source: Tensor): GlobalAveragePoolPlan {
  requireChannelsLast(layer, layer.getConfig());
  const output = { h: 1, w: 1, c: source.shape.c };
  return { kind: 'gap', name: layer.name, inputs: [source.node], input: source.shape, output, activation: 'linear' };
}

/** The layers each layer reads (one call each: a layer applied twice is a shared layer, not covered). */
function inboundOf(layer: Layer): Layer[] {
  const inbound = (layer as unknown as { inboundNodes: { inboundLayers: Layer[] }[] }).inboundNodes;
  if (inbound.length !== 1) throw new NotCovered(`layer ${layer.name}: shared between several calls`);
  return inbound[0]!.inboundLayers;
}

/**
 * Folds a ReLU layer into the node before it (whose output only it reads), so the activation is that kernel's
 * epilogue and its gradient mask that node's output.
 */
function foldRelu(layer: Layer, source: Tensor, nodes: LayerPlan[], readers: Map<Layer, number>, producer: Layer): void {
  const { maxValue } = layer.getConfig();
  const activation = maxValue == null ? 'relu' : maxValue === 6 ? 'relu6' : null;
  if (!activation) throw new NotCovered(`layer ${layer.name}: ReLU capped at ${String(maxValue)}`);
  const node = nodes[source.node];
  if (!node || node.activation !== 'linear' || readers.get(producer) !== 1) {
    throw new NotCovered(`layer ${layer.name}: a ReLU that is not the only reader of a layer without activation`);
  }
  node.activation = activation;
}

function buildPlan(model: tf.LayersModel): Plan {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) throw new NotCovered('the model has several inputs or outputs');
  const [, h, w, c] = model.inputs[0]!.shape;
  if (model.inputs[0]!.shape.length !== 4 || !h || !w || !c) throw new NotCovered('the input is not a [batch, h, w, c] image');
  const input = { h, w, c };
  const builder: Builder = { parameters: [], count: 0, moving: [], movingCount: 0 };
  const nodes: LayerPlan[] = [];
  const isInput = (layer: Layer) => layer.getClassName() === 'InputLayer'; // a Sequential model's is not in its layers
  const tensors = new Map<Layer, Tensor>();
  const readers = new Map<Layer, number>();
  const layers = model.layers.filter((layer) => !isInput(layer));
  for (const layer of layers) {
    for (const source of inboundOf(layer)) {
      readers.set(source, (readers.get(source) ?? 0) + 1);
      if (isInput(source)) tensors.set(source, { node: MODEL_INPUT, shape: input });
    }
  }
  for (const layer of layers) {
    if (!layer.trainable && layer.weights.length > 0) throw new NotCovered(`layer ${layer.name}: frozen weights`);
    const inbound = inboundOf(layer);
    const sources = inbound.map((source) => {
      const tensor = tensors.get(source);
      if (!tensor) throw new NotCovered(`layer ${layer.name}: its inputs come after it`);
      return tensor;
    });
    const className = layer.getClassName();
    let planned: LayerPlan;
    if (className === 'Flatten') {
      const { node, shape } = one(layer, sources);
      tensors.set(layer, { node, shape: { h: 1, w: 1, c: shape.h * shape.w * shape.c } }); // NHWC flattening is row-major: a view
      continue;
    } else if (className === 'ReLU') {
      foldRelu(layer, one(layer, sources), nodes, readers, inbound[0]!);
      tensors.set(layer, sources[0]!);
      continue;
    } else if (className === 'Conv2D') planned = conv2d(layer, one(layer, sources), builder);
    else if (className === 'DepthwiseConv2D') planned = depthwise(layer, one(layer, sources), builder);
    else if (className === 'MaxPooling2D') planned = maxPool(layer, one(layer, sources));
    else if (className === 'Dense') planned = dense(layer, one(layer, sources), builder);
    else if (className === 'BatchNormalization') planned = batchNorm(layer, one(layer, sources), builder);
    else if (className === 'Add') planned = add(layer, sources);
    else if (className === 'GlobalAveragePooling2D') planned = globalAveragePool(layer, one(layer, sources));
    else throw new NotCovered(`layer ${layer.name}: ${className} is not covered by the fused engine yet`);
    nodes.push(planned);
    tensors.set(layer, { node: nodes.length - 1, shape: planned.output });
  }
  const last = nodes[nodes.length - 1];
  if (!last || last.kind !== 'dense' || last.activation !== 'linear' || tensors.get(model.outputs[0]!.sourceLayer as Layer)?.node !== nodes.length - 1) {
    throw new NotCovered('the model does not end in a linear Dense layer (the fused loss takes logits)');
  }
  return {
    input, classes: last.output.c, layers: nodes, parameters: builder.parameters, parameterCount: builder.count,
    moving: builder.moving, movingCount: builder.movingCount,
  };
}

/** Whether the fused engine can train this model exactly; otherwise the reason, for the fallback message. */
export function coverage(model: tf.LayersModel): Coverage {
  try {
    buildPlan(model);
    return { ok: true };
  } catch (error) {
    if (error instanceof NotCovered) return { ok: false, reason: error.message };
    throw error;
  }
}

/** The plan of a covered model; throws with the coverage reason otherwise. */
export function planOf(model: tf.LayersModel): Plan {
  try {
    return buildPlan(model);
  } catch (error) {
    if (error instanceof NotCovered) throw new Error(`The fused engine cannot train this model: ${error.message}.`, { cause: error });
    throw error;
  }
}
