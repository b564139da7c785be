/**
 * Reads a tfjs LayersModel into the fused engine's plan: a chain of GPU layers with their shapes and the offsets of
 * their weights in one flat parameter buffer. `coverage(model)` says whether the engine can train it, and if not why.
 */
import type * as tf from '../tf';

type Layer = tf.LayersModel['layers'][number];
type LayerVariable = Layer['trainableWeights'][number];

export type Activation = 'linear' | 'relu';

/** One example's activation: height × width × channels (NHWC without N); a dense layer's vector is 1 × 1 × units. */
export interface Shape3 {
  h: number;
  w: number;
  c: number;
}

export interface Conv2dPlan {
  kind: 'conv2d';
  name: string;
  input: Shape3;
  output: Shape3;
  kernelH: number;
  kernelW: number;
  strideH: number;
  strideW: number;
  /** Rows / columns of zeros before the input (tfjs's 'same' puts the odd one after). */
  padTop: number;
  padLeft: number;
  activation: Activation;
  /** Offsets (in floats) of the [kh, kw, in, out] kernel and the bias in the parameter buffer; bias null without one. */
  kernelOffset: number;
  biasOffset: number | null;
}

export interface MaxPoolPlan {
  kind: 'maxpool';
  name: string;
  input: Shape3;
  output: Shape3;
  poolH: number;
  poolW: number;
  strideH: number;
  strideW: number;
}

export interface DensePlan {
  kind: 'dense';
  name: string;
  input: Shape3;
  output: Shape3;
  activation: Activation;
  /** Offsets (in floats) of the [in, units] kernel and the bias in the parameter buffer. */
  kernelOffset: number;
  biasOffset: number | null;
}

export type LayerPlan = Conv2dPlan | MaxPoolPlan | DensePlan;

/** A trainable variable's place in the flat parameter buffer. */
export interface ParameterSlot {
  variable: LayerVariable;
  offset: number;
  size: number;
}

export interface Plan {
  input: Shape3;
  classes: number;
  layers: LayerPlan[];
  parameters: ParameterSlot[];
  parameterCount: number;
}

export type Coverage = { ok: true } | { ok: false; reason: string };

class NotCovered extends Error {}

function pair(value: unknown): [number, number] {
  return Array.isArray(value) ? [value[0] as number, value[1] as number] : [value as number, value as number];
}

function activationOf(layer: Layer, config: tf.serialization.ConfigDict): Activation {
  const activation = config.activation ?? 'linear';
  if (activation !== 'relu' && activation !== 'linear') {
    throw new NotCovered(`layer ${layer.name}: activation ${String(activation)} (the fused engine has relu and linear)`);
  }
  return activation;
}

function requireChannelsLast(layer: Layer, config: tf.serialization.ConfigDict): void {
  if ((config.dataFormat ?? 'channelsLast') !== 'channelsLast') throw new NotCovered(`layer ${layer.name}: channelsFirst data`);
}

function requireNoRegularizer(layer: Layer, config: tf.serialization.ConfigDict): void {
  for (const key of ['kernelRegularizer', 'biasRegularizer', 'activityRegularizer', 'kernelConstraint', 'biasConstraint']) {
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
function weightNamed(layer: Layer, suffix: string): LayerVariable | null {
  return layer.trainableWeights.find((w) => w.name.endsWith(`/${suffix}`)) ?? null;
}

interface Builder {
  parameters: ParameterSlot[];
  count: number;
}

function place(builder: Builder, variable: LayerVariable | null): number | null {
  if (!variable) return null;
  const offset = builder.count;
  const size = variable.shape.reduce((a: number, b) => a * (b ?? 1), 1);
  builder.parameters.push({ variable, offset, size });
  builder.count += size;
  return offset;
}

function requireKernel(layer: Layer): LayerVariable {
  const kernel = weightNamed(layer, 'kernel');
  if (!kernel) throw new NotCovered(`layer ${layer.name}: no trainable kernel`);
  if (layer.trainableWeights.length !== (weightNamed(layer, 'bias') ? 2 : 1)) {
    throw new NotCovered(`layer ${layer.name}: unexpected trainable weights`);
  }
  return kernel;
}

function conv2d(layer: Layer, input: Shape3, builder: Builder): Conv2dPlan {
  const config = layer.getConfig();
  requireChannelsLast(layer, config);
  requireNoRegularizer(layer, config);
  const [dh, dw] = pair(config.dilationRate ?? 1);
  if (dh !== 1 || dw !== 1) throw new NotCovered(`layer ${layer.name}: dilated convolution`);
  const [kernelH, kernelW] = pair(config.kernelSize);
  const [strideH, strideW] = pair(config.strides ?? 1);
  const padding = paddingOf(layer, config);
  const rows = spatial(input.h, kernelH, strideH, padding);
  const cols = spatial(input.w, kernelW, strideW, padding);
  const kernel = requireKernel(layer);
  return {
    kind: 'conv2d', name: layer.name, input, output: { h: rows.out, w: cols.out, c: config.filters as number },
    kernelH, kernelW, strideH, strideW, padTop: rows.before, padLeft: cols.before, activation: activationOf(layer, config),
    kernelOffset: place(builder, kernel)!, biasOffset: place(builder, weightNamed(layer, 'bias')),
  };
}

function maxPool(layer: Layer, input: Shape3): MaxPoolPlan {
  const config = layer.getConfig();
  requireChannelsLast(layer, config);
  if (paddingOf(layer, config) !== 'valid') throw new NotCovered(`layer ${layer.name}: max pooling with 'same' padding`);
  const [poolH, poolW] = pair(config.poolSize);
  const [strideH, strideW] = pair(config.strides ?? config.poolSize);
  const rows = spatial(input.h, poolH, strideH, 'valid');
  const cols = spatial(input.w, poolW, strideW, 'valid');
  return { kind: 'maxpool', name: layer.name, input, output: { h: rows.out, w: cols.out, c: input.c }, poolH, poolW, strideH, strideW };
}

function dense(layer: Layer, input: Shape3, builder: Builder): DensePlan {
  const config = layer.getConfig();
  requireNoRegularizer(layer, config);
  if (input.h !== 1 || input.w !== 1) throw new NotCovered(`layer ${layer.name}: Dense on an image (flatten first)`);
  const kernel = requireKernel(layer);
  return {
    kind: 'dense', name: layer.name, input, output: { h: 1, w: 1, c: config.units as number }, activation: activationOf(layer, config),
    kernelOffset: place(builder, kernel)!, biasOffset: place(builder, weightNamed(layer, 'bias')),
  };
}

/** The layers in call order, each fed by the one before (an InputLayer first is skipped). */
function chainOf(model: tf.LayersModel): Layer[] {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) throw new NotCovered('the model has several inputs or outputs');
  const layers = model.layers.filter((layer) => layer.getClassName() !== 'InputLayer');
  layers.forEach((layer, i) => {
    const inbound = (layer as unknown as { inboundNodes: { inboundLayers: Layer[] }[] }).inboundNodes;
    const sources = inbound.flatMap((node) => node.inboundLayers).filter((l) => l.getClassName() !== 'InputLayer');
    const expected = i === 0 ? [] : [layers[i - 1]];
    if (inbound.length !== 1 || sources.length !== expected.length || sources[0] !== expected[0]) {
      throw new NotCovered(`layer ${layer.name}: not a plain chain of layers (branches or shared layers)`);
    }
  });
  return layers;
}

function buildPlan(model: tf.LayersModel): Plan {
  const [, h, w, c] = model.inputs[0]!.shape;
  if (model.inputs[0]!.shape.length !== 4 || !h || !w || !c) throw new NotCovered('the input is not a [batch, h, w, c] image');
  const input = { h, w, c };
  const builder: Builder = { parameters: [], count: 0 };
  const layers: LayerPlan[] = [];
  let shape = input;
  for (const layer of chainOf(model)) {
    if (!layer.trainable && layer.weights.length > 0) throw new NotCovered(`layer ${layer.name}: frozen weights`);
    const className = layer.getClassName();
    let planned: LayerPlan | null;
    if (className === 'Conv2D') planned = conv2d(layer, shape, builder);
    else if (className === 'MaxPooling2D') planned = maxPool(layer, shape);
    else if (className === 'Dense') planned = dense(layer, shape, builder);
    else if (className === 'Flatten') planned = null;
    else throw new NotCovered(`layer ${layer.name}: ${className} is not covered by the fused engine yet`);
    if (planned) {
      layers.push(planned);
      shape = planned.output;
    } else {
      shape = { h: 1, w: 1, c: shape.h * shape.w * shape.c }; // NHWC flattening is row-major: a view, no kernel
    }
  }
  const last = layers[layers.length - 1];
  if (!last || last.kind !== 'dense' || last.activation !== 'linear') {
    throw new NotCovered('the model does not end in a linear Dense layer (the fused loss takes logits)');
  }
  return { input, classes: last.output.c, layers, parameters: builder.parameters, parameterCount: builder.count };
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
