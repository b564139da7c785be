/**
 * WGSL of the fused engine's kernels, one generator per kernel. Shapes and offsets are baked in as constants, so the
 * WGSL text itself is the pipeline cache key; every kernel uses 64-invocation workgroups on a 2-D grid (see `grid`).
 */
import type {
  Activation, AddPlan, BatchNormPlan, Conv2dPlan, DensePlan, DepthwisePlan, GlobalAveragePoolPlan, LayerPlan, MaxPoolPlan, Shape3,
} from './plan';

export const WORKGROUP = 64;
const MAX_GROUPS_PER_DIMENSION = 65535;

/** A compute program and the engine buffers it binds, in binding order. */
export interface KernelSpec {
  label: string;
  code: string;
  bindings: string[];
  /** Workgroups to dispatch (spread over x and y by `grid`). */
  workgroups: number;
}

/** Workgroups laid out as x × y within the per-dimension limit; kernels recover the flat index and skip the excess. */
export function grid(workgroups: number): [number, number] {
  const x = Math.min(workgroups, MAX_GROUPS_PER_DIMENSION);
  return [x, Math.ceil(workgroups / x)];
}

/** Per micro-batch: where its rows start in the batch's x and y (in floats), and whether it opens the step. */
export const MICRO_STRUCT = 'struct Micro { inputOffset : u32, labelOffset : u32, first : u32, unused : u32 }';
/**
 * Per optimizer step: the metrics ring slot, Adam's hyper-parameters with tfjs's float32 bias corrections, and whether
 * the labels' storage is int32 (tfjs casts an int32 one-hot to float32 without touching its buffer).
 */
export const STEP_STRUCT = `struct Step {
  slot : u32, learningRate : f32, beta1 : f32, beta2 : f32,
  oneMinusBeta1 : f32, oneMinusBeta2 : f32, oneMinusAccBeta1 : f32, oneMinusAccBeta2 : f32,
  epsilon : f32, integerLabels : u32, unused0 : f32, unused1 : f32,
}`;
export const STEP_UNIFORM_BYTES = 48;
export const MICRO_UNIFORM_BYTES = 16;

const MAIN = `@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) wg : vec3u, @builtin(num_workgroups) groups : vec3u,
        @builtin(local_invocation_index) lid : u32) {
  let group = wg.y * groups.x + wg.x;
  let index = group * ${WORKGROUP}u + lid;`;

/** Binding declarations: `name: access` with access 'read', 'read_write' or 'uniform Type'. */
function declare(bindings: [string, string][]): string {
  return bindings.map(([name, access], i) => access.startsWith('uniform')
    ? `@group(0) @binding(${i}) var<uniform> ${name} : ${access.slice('uniform '.length)};`
    : `@group(0) @binding(${i}) var<storage, ${access}> ${name} : array<f32>;`).join('\n');
}

function activate(value: string, activation: Activation, type = 'f32'): string {
  if (activation === 'relu6') return `clamp(${value}, ${type}(0.0), ${type}(6.0))`;
  return activation === 'relu' ? `max(${value}, ${type}(0.0))` : value;
}

/** The producer's output whose activation gates a gradient: zero where the activation was flat. */
export interface GradientMask {
  buffer: string;
  activation: Exclude<Activation, 'linear'>;
}

/**
 * The bindings of an input-gradient kernel, declared and as engine buffers: the output gradient, the weights, the
 * input gradient and, with a mask, the producer's output.
 */
function inputGradBindings(gradOut: string, gradIn: string, mask: GradientMask | null): { declared: [string, string][]; buffers: string[] } {
  const declared: [string, string][] = [['gradOut', 'read'], ['params', 'read'], ['gradIn', 'read_write']];
  const buffers = [gradOut, 'params', gradIn];
  if (mask) {
    declared.push(['mask', 'read']);
    buffers.push(mask.buffer);
  }
  return { declared, buffers };
}

/** How a kernel stores an input gradient: '=' from the first reader of a node's output, '+=' from the others. */
export type GradientStore = '=' | '+=';

/** Where a backward kernel puts an input's gradient. */
export interface GradientTarget {
  gradIn: string;
  mask: GradientMask | null;
  op: GradientStore;
}

/** WGSL: true where the activation whose output `array[at]` is passes gradients (tfjs: x > 0, and x ≤ 6 for relu6). */
function open(array: string, at: string, activation: GradientMask['activation']): string {
  return activation === 'relu' ? `${array}[${at}] > 0.0` : `${array}[${at}] > 0.0 && ${array}[${at}] < 6.0`;
}

/**
 * WGSL storing (or adding) `value` as the input gradient at `at`, zero where the mask's activation was flat (so it is
 * the gradient of the producer's pre-activation).
 */
function writeInputGrad(at: string, value: string, mask: GradientMask | null, op: GradientStore): string {
  return `gradIn[${at}] ${op} ${mask ? `select(0.0, ${value}, ${open('mask', at, mask.activation)})` : value};`;
}

function groupsFor(invocations: number): number {
  return Math.ceil(invocations / WORKGROUP);
}

/** Where layer `input` of the micro-batch starts: the batch's x at the micro-batch's offset for the first layer. */
interface Source {
  /** Engine buffer name of the layer's input. */
  buffer: string;
  /** true when it is the batch input x (needs the Micro uniform for its offset). */
  batchInput: boolean;
}

function sourceParts(source: Source, nextBinding: [string, string][]): { offset: string; bindings: [string, string][] } {
  return source.batchInput
    ? { offset: 'micro.inputOffset', bindings: [...nextBinding, ['micro', 'uniform Micro']] }
    : { offset: '0u', bindings: nextBinding };
}

function sourceBuffers(source: Source, rest: string[]): string[] {
  return source.batchInput ? [...rest, 'micro'] : rest;
}

function convConstants(l: Conv2dPlan, batch: number): string {
  return `const N = ${batch}u; const IH = ${l.input.h}; const IW = ${l.input.w}; const IC = ${l.input.c}u;
const OH = ${l.output.h}; const OW = ${l.output.w}; const OC = ${l.output.c}u;
const KH = ${l.kernelH}; const KW = ${l.kernelW}; const SH = ${l.strideH}; const SW = ${l.strideW};
const PT = ${l.padTop}; const PL = ${l.padLeft}; const WOFF = ${l.kernelOffset}u;`;
}

/** The block a kernel computes per invocation along an axis of size n: the largest of 4, 2, 1 dividing it. */
function blockOf(n: number): number {
  return n % 4 === 0 ? 4 : n % 2 === 0 ? 2 : 1;
}

function vecType(width: number): string {
  return width === 1 ? 'f32' : `vec${width}f`;
}

const lanes = (width: number) => Array.from({ length: width }, (_, i) => i);

/** WGSL for `width` consecutive floats of `array` from index `at` (a scalar or a vector). */
function load(array: string, at: string, width: number): string {
  return width === 1 ? `${array}[${at}]` : `vec${width}f(${lanes(width).map((i) => `${array}[${at} + ${i}u]`).join(', ')})`;
}

/** WGSL statements storing (or, with op '+=', adding) the `width` lanes of `value` at `array[at …]`. */
function store(array: string, at: string, width: number, value: string, op = '='): string {
  return lanes(width).map((i) => `${array}[${at} + ${i}u] ${op} ${value}${width === 1 ? '' : `[${i}]`};`).join('\n    ');
}

function dot(a: string, b: string, width: number): string {
  return width === 1 ? `${a} * ${b}` : `dot(${a}, ${b})`;
}

/**
 * WGSL decoding `index` into a block of `channels` channels × `columns` columns of one row of `shape`: the block's
 * first channel (u32), column and row (i32), named by `names`, and its example `n`.
 */
function decodeBlock([c, x, y]: [string, string, string], shape: Shape3, channels: number, columns: number): string {
  return `let ${c} = (index % ${shape.c / channels}u) * ${channels}u;
  let pixel = index / ${shape.c / channels}u;
  let ${x} = i32(pixel % ${shape.w / columns}u) * ${columns};
  let ${y} = i32((pixel / ${shape.w / columns}u) % ${shape.h}u);
  let n = pixel / ${(shape.w / columns) * shape.h}u;`;
}

/** The spec of a forward kernel that reads `source` and the parameters into `output`, `total` invocations. */
function weightedForward(l: LayerPlan, source: Source, output: string, code: string, total: number): KernelSpec {
  return { label: `${l.name} forward`, code, bindings: sourceBuffers(source, [source.buffer, 'params', output]), workgroups: groupsFor(total) };
}

/**
 * Convolution forward: each invocation computes a block of up to 4 neighbouring output columns × 4 output channels
 * (fewer loads per multiply-add; out-of-image taps are masked, not branched), bias and activation as the epilogue.
 */
export function convForward(l: Conv2dPlan, batch: number, source: Source, output: string): KernelSpec {
  const channels = blockOf(l.output.c);
  const columns = blockOf(l.output.w);
  const total = batch * l.output.h * (l.output.w / columns) * (l.output.c / channels);
  const type = vecType(channels);
  const { offset, bindings } = sourceParts(source, [['input', 'read'], ['params', 'read'], ['output', 'read_write']]);
  const columnsCode = lanes(columns);
  const code = `${source.batchInput ? MICRO_STRUCT : ''}
${declare(bindings)}
${convConstants(l, batch)}
${MAIN}
  if (index >= ${total}u) { return; }
  ${decodeBlock(['co', 'ox', 'oy'], l.output, channels, columns)}
  let image = ${offset} + n * u32(IH * IW) * IC;
  let bias = ${l.biasOffset === null ? `${type}(0.0)` : load('params', `${l.biasOffset}u + co`, channels)};
  ${columnsCode.map((p) => `var acc${p} = bias;`).join('\n  ')}
  for (var ky = 0; ky < KH; ky++) {
    let iy = oy * SH + ky - PT;
    if (iy < 0 || iy >= IH) { continue; }
    for (var kx = 0; kx < KW; kx++) {
      ${columnsCode.map((p) => `let ix${p} = (ox + ${p}) * SW + kx - PL;
      let in${p} = image + u32(iy * IW + clamp(ix${p}, 0, IW - 1)) * IC;
      let on${p} = select(0.0, 1.0, ix${p} >= 0 && ix${p} < IW);`).join('\n      ')}
      let w = WOFF + u32(ky * KW + kx) * IC * OC + co;
      for (var ci = 0u; ci < IC; ci++) {
        let weights = ${load('params', 'w + ci * OC', channels)};
        ${columnsCode.map((p) => `acc${p} += (input[in${p} + ci] * on${p}) * weights;`).join('\n        ')}
      }
    }
  }
  let out = ((n * u32(OH) + u32(oy)) * u32(OW) + u32(ox)) * OC + co;
  ${columnsCode.map((p) => store('output', `out + ${p}u * OC`, channels, `(${activate(`acc${p}`, l.activation, type)})`)).join('\n  ')}
}`;
  return weightedForward(l, source, output, code, total);
}

/** `width` floats of `array` from `at`, `stride` apart (a scalar or a vector). */
function loadStrided(array: string, at: string, stride: string, width: number): string {
  return width === 1 ? `${array}[${at}]` : `vec${width}f(${lanes(width).map((i) => `${array}[${at} + ${i}u * ${stride}]`).join(', ')})`;
}

/**
 * Convolution input gradient, the forward's blocking transposed: each invocation gathers, for up to 4 neighbouring
 * input columns × 4 input channels, the output gradients they contributed to (taps that hit no output are masked).
 * `mask` (the previous layer's output) turns it into the gradient of that layer's pre-activation.
 */
export function convInputGrad(
  l: Conv2dPlan, batch: number, gradOut: string, gradIn: string, mask: GradientMask | null, op: GradientStore,
): KernelSpec {
  const inputs = blockOf(l.input.c);
  const columns = blockOf(l.input.w);
  const type = vecType(inputs);
  const total = batch * l.input.h * (l.input.w / columns) * (l.input.c / inputs);
  const { declared, buffers } = inputGradBindings(gradOut, gradIn, mask);
  const columnsCode = lanes(columns);
  const code = `${declare(declared)}
${convConstants(l, batch)}
${MAIN}
  if (index >= ${total}u) { return; }
  ${decodeBlock(['ci', 'ix', 'iy'], l.input, inputs, columns)}
  ${columnsCode.map((p) => `var acc${p} = ${type}(0.0);`).join('\n  ')}
  for (var ky = 0; ky < KH; ky++) {
    let ty = iy + PT - ky;
    if (ty < 0 || ty % SH != 0 || ty / SH >= OH) { continue; }
    let row = (n * u32(OH) + u32(ty / SH)) * u32(OW);
    for (var kx = 0; kx < KW; kx++) {
      ${columnsCode.map((p) => `let tx${p} = ix + ${p} + PL - kx;
      let g${p} = (row + u32(clamp(tx${p} / SW, 0, OW - 1))) * OC;
      let on${p} = select(0.0, 1.0, tx${p} >= 0 && tx${p} % SW == 0 && tx${p} / SW < OW);`).join('\n      ')}
      let w = WOFF + (u32(ky * KW + kx) * IC + ci) * OC;
      for (var co = 0u; co < OC; co++) {
        let weights = ${loadStrided('params', 'w + co', 'OC', inputs)};
        ${columnsCode.map((p) => `acc${p} += (gradOut[g${p} + co] * on${p}) * weights;`).join('\n        ')}
      }
    }
  }
  let at = ((n * u32(IH) + u32(iy)) * u32(IW) + u32(ix)) * IC + ci;
  ${columnsCode.flatMap((p) => lanes(inputs).map((k) =>
    writeInputGrad(`at + ${p * l.input.c + k}u`, inputs === 1 ? `acc${p}` : `acc${p}[${k}]`, mask, op))).join('\n  ')}
}`;
  return { label: `${l.name} input gradient`, code, bindings: buffers, workgroups: groupsFor(total) };
}

/** Workgroup memory for `groupSum` of `values`, each a WGSL value of `type`. */
function groupSumMemory(values: string[], type: string): string {
  return values.map((v) => `var<workgroup> ${v}Part : array<${type}, ${WORKGROUP}>;`).join('\n');
}

/**
 * WGSL summing each invocation's `values` over groups of `width` neighbouring invocations (`part`: its place in the
 * group); afterwards `${value}Part[lid]` holds the group's sum at part 0 (with width WORKGROUP: `${value}Part[0]`).
 */
function groupSum(values: string[], width: number, part: string): string {
  return `${values.map((v) => `${v}Part[lid] = ${v};`).join('\n  ')}
  workgroupBarrier();
  for (var half = ${width / 2}u; half > 0u; half = half / 2u) {
    if (${part} < half) {
      ${values.map((v) => `${v}Part[lid] += ${v}Part[lid + half];`).join('\n      ')}
    }
    workgroupBarrier();
  }`;
}

/** Invocations a weight-gradient kernel aims for: enough workgroups to keep every core (or SM) busy. */
const TARGET_INVOCATIONS = 4096;

/**
 * Convolution weight and bias gradients, added into the gradient buffer (so micro-batches accumulate). Each block of
 * up to 4 input × 4 output channels of one kernel tap (and each 4 biases) is summed over the batch's output rows by
 * `split` invocations of one workgroup, reduced in workgroup memory: the split grows until the dispatch has
 * TARGET_INVOCATIONS, so a 1-channel first layer still spreads over the cores.
 */
export function convWeightGrad(l: Conv2dPlan, batch: number, source: Source, gradOut: string): KernelSpec {
  const inputs = blockOf(l.input.c);
  const channels = blockOf(l.output.c);
  const type = vecType(channels);
  const weightBlocks = l.kernelH * l.kernelW * (l.input.c / inputs) * (l.output.c / channels);
  const blocks = weightBlocks + (l.biasOffset === null ? 0 : l.output.c / channels);
  const split = splitFor(blocks);
  const { offset, bindings } = sourceParts(source, [['input', 'read'], ['gradOut', 'read'], ['grads', 'read_write']]);
  const inputCode = lanes(inputs);
  const sums = inputCode.map((i) => `acc${i}`);
  const reduce = split === 1 ? '' : `${groupSum(sums, split, 'part')}
  ${sums.map((v) => `${v} = ${v}Part[lid];`).join('\n  ')}`;
  const code = `${source.batchInput ? MICRO_STRUCT : ''}
${declare(bindings)}
${convConstants(l, batch)}
${split === 1 ? '' : groupSumMemory(sums, type)}
${MAIN}
  let block = index / ${split}u;
  let part = index % ${split}u;
  ${inputCode.map((i) => `var acc${i} = ${type}(0.0);`).join('\n  ')}
  let co = (block % ${l.output.c / channels}u) * ${channels}u;
  let rest = block / ${l.output.c / channels}u;
  let ci = (rest % ${l.input.c / inputs}u) * ${inputs}u;
  let tap = rest / ${l.input.c / inputs}u;
  let kx = i32(tap % u32(KW));
  let ky = i32(tap / u32(KW));
  if (block < ${weightBlocks}u) {
    for (var row = part; row < N * u32(OH); row += ${split}u) {
      let iy = i32(row % u32(OH)) * SH + ky - PT;
      if (iy < 0 || iy >= IH) { continue; }
      let image = ${offset} + ((row / u32(OH)) * u32(IH) + u32(iy)) * u32(IW) * IC + ci;
      for (var ox = 0; ox < OW; ox++) {
        let ix = ox * SW + kx - PL;
        if (ix < 0 || ix >= IW) { continue; }
        let grads = ${load('gradOut', '(row * u32(OW) + u32(ox)) * OC + co', channels)};
        let at = image + u32(ix) * IC;
        ${inputCode.map((i) => `acc${i} += input[at + ${i}u] * grads;`).join('\n        ')}
      }
    }
  } else if (block < ${blocks}u) {
    let bias = (block - ${weightBlocks}u) * ${channels}u;
    for (var p = part; p < N * u32(OH * OW); p += ${split}u) {
      acc0 += ${load('gradOut', 'p * OC + bias', channels)};
    }
  }
  ${reduce}
  if (part == 0u && block < ${weightBlocks}u) {
    ${inputCode.map((i) => store('grads', `WOFF + (tap * IC + ci + ${i}u) * OC + co`, channels, `acc${i}`, '+=')).join('\n    ')}
  } else if (part == 0u && block < ${blocks}u) {
    ${store('grads', `${l.biasOffset ?? 0}u + (block - ${weightBlocks}u) * ${channels}u`, channels, 'acc0', '+=')}
  }
}`;
  return {
    label: `${l.name} weight gradient`, code, bindings: sourceBuffers(source, [source.buffer, gradOut, 'grads']),
    workgroups: groupsFor(blocks * split),
  };
}

function poolConstants(l: MaxPoolPlan, batch: number): string {
  return `const N = ${batch}u; const IH = ${l.input.h}; const IW = ${l.input.w}; const C = ${l.input.c}u;
const OH = ${l.output.h}; const OW = ${l.output.w}; const PH = ${l.poolH}; const PW = ${l.poolW};
const SH = ${l.strideH}; const SW = ${l.strideW};`;
}

export function maxPoolForward(l: MaxPoolPlan, batch: number, input: string, output: string): KernelSpec {
  const total = batch * l.output.h * l.output.w * l.output.c;
  const code = `${declare([['input', 'read'], ['output', 'read_write']])}
${poolConstants(l, batch)}
${MAIN}
  if (index >= ${total}u) { return; }
  let c = index % C;
  let pixel = index / C;
  let ox = i32(pixel % u32(OW));
  let oy = i32((pixel / u32(OW)) % u32(OH));
  let image = (pixel / u32(OW * OH)) * u32(IH * IW) * C + c;
  var best = input[image + u32(oy * SH * IW + ox * SW) * C];
  for (var py = 0; py < PH; py++) {
    for (var px = 0; px < PW; px++) {
      best = max(best, input[image + u32((oy * SH + py) * IW + ox * SW + px) * C]);
    }
  }
  output[index] = best;
}`;
  return { label: `${l.name} forward`, code, bindings: [input, output], workgroups: groupsFor(total) };
}

/**
 * Max-pooling backward: each input element takes the gradient of every window whose maximum it is (recomputed, with
 * tfjs's rule: the last maximum in row-major order wins), masked by the producing layer's activation.
 */
export function maxPoolBackward(
  l: MaxPoolPlan, batch: number, input: string, gradOut: string, gradIn: string, mask: GradientMask | null, op: GradientStore,
): KernelSpec {
  const total = batch * l.input.h * l.input.w * l.input.c;
  const code = `${declare([['input', 'read'], ['gradOut', 'read'], ['gradIn', 'read_write']])}
${poolConstants(l, batch)}
${MAIN}
  if (index >= ${total}u) { return; }
  let c = index % C;
  let pixel = index / C;
  let x = i32(pixel % u32(IW));
  let y = i32((pixel / u32(IW)) % u32(IH));
  let n = pixel / u32(IW * IH);
  let image = n * u32(IH * IW) * C + c;
  var g = 0.0;
  if (${mask ? open('input', 'index', mask.activation) : 'true'}) {
    for (var oy = max(0, (y - PH + SH) / SH); oy <= min(OH - 1, y / SH); oy++) {
      for (var ox = max(0, (x - PW + SW) / SW); ox <= min(OW - 1, x / SW); ox++) {
        var best = input[image + u32(oy * SH * IW + ox * SW) * C];
        var bestY = oy * SH;
        var bestX = ox * SW;
        for (var py = 0; py < PH; py++) {
          for (var px = 0; px < PW; px++) {
            let value = input[image + u32((oy * SH + py) * IW + ox * SW + px) * C];
            if (value >= best) { best = value; bestY = oy * SH + py; bestX = ox * SW + px; }
          }
        }
        if (bestY == y && bestX == x) { g += gradOut[(n * u32(OH * OW) + u32(oy * OW + ox)) * C + c]; }
      }
    }
  }
  gradIn[index] ${op} g;
}`;
  return { label: `${l.name} backward`, code, bindings: [input, gradOut, gradIn], workgroups: groupsFor(total) };
}

function denseConstants(l: DensePlan, batch: number): string {
  return `const N = ${batch}u; const IN = ${l.input.c}u; const U = ${l.output.c}u; const WOFF = ${l.kernelOffset}u;`;
}

/** Dense forward: each invocation computes up to 4 units of one example, bias and activation as the epilogue. */
export function denseForward(l: DensePlan, batch: number, source: Source, output: string): KernelSpec {
  const units = blockOf(l.output.c);
  const type = vecType(units);
  const total = batch * (l.output.c / units);
  const { offset, bindings } = sourceParts(source, [['input', 'read'], ['params', 'read'], ['output', 'read_write']]);
  const code = `${source.batchInput ? MICRO_STRUCT : ''}
${declare(bindings)}
${denseConstants(l, batch)}
${MAIN}
  if (index >= ${total}u) { return; }
  let j = (index % ${l.output.c / units}u) * ${units}u;
  let n = index / ${l.output.c / units}u;
  let row = ${offset} + n * IN;
  var acc = ${l.biasOffset === null ? `${type}(0.0)` : load('params', `${l.biasOffset}u + j`, units)};
  for (var i = 0u; i < IN; i++) {
    acc += input[row + i] * ${load('params', 'WOFF + i * U + j', units)};
  }
  let result = ${activate('acc', l.activation, type)};
  ${store('output', 'n * U + j', units, 'result')}
}`;
  return weightedForward(l, source, output, code, total);
}

/** Dense input gradient: each invocation computes up to 4 inputs of one example, dot products over 4 units at a time. */
export function denseInputGrad(
  l: DensePlan, batch: number, gradOut: string, gradIn: string, mask: GradientMask | null, op: GradientStore,
): KernelSpec {
  const inputs = blockOf(l.input.c);
  const units = blockOf(l.output.c);
  const total = batch * (l.input.c / inputs);
  const { declared, buffers } = inputGradBindings(gradOut, gradIn, mask);
  const inputCode = lanes(inputs);
  const code = `${declare(declared)}
${denseConstants(l, batch)}
${MAIN}
  if (index >= ${total}u) { return; }
  let i = (index % ${l.input.c / inputs}u) * ${inputs}u;
  let n = index / ${l.input.c / inputs}u;
  ${inputCode.map((k) => `var acc${k} = 0.0;`).join('\n  ')}
  for (var j = 0u; j < U; j += ${units}u) {
    let grads = ${load('gradOut', 'n * U + j', units)};
    ${inputCode.map((k) => `acc${k} += ${dot('grads', load('params', `WOFF + (i + ${k}u) * U + j`, units), units)};`).join('\n    ')}
  }
  let at = n * IN + i;
  ${inputCode.map((k) => writeInputGrad(`at + ${k}u`, `acc${k}`, mask, op)).join('\n  ')}
}`;
  return { label: `${l.name} input gradient`, code, bindings: buffers, workgroups: groupsFor(total) };
}

/** Dense weight and bias gradients: each invocation sums up to 4 units of one input row over the micro-batch, into grads. */
export function denseWeightGrad(l: DensePlan, batch: number, source: Source, gradOut: string): KernelSpec {
  const units = blockOf(l.output.c);
  const type = vecType(units);
  const perRow = l.output.c / units;
  const weightBlocks = l.input.c * perRow;
  const total = weightBlocks + (l.biasOffset === null ? 0 : perRow);
  const { offset, bindings } = sourceParts(source, [['input', 'read'], ['gradOut', 'read'], ['grads', 'read_write']]);
  const code = `${source.batchInput ? MICRO_STRUCT : ''}
${declare(bindings)}
${denseConstants(l, batch)}
${MAIN}
  if (index >= ${total}u) { return; }
  let j = (index % ${perRow}u) * ${units}u;
  let i = index / ${perRow}u;
  var s = ${type}(0.0);
  if (index < ${weightBlocks}u) {
    for (var n = 0u; n < N; n++) {
      s += input[${offset} + n * IN + i] * ${load('gradOut', 'n * U + j', units)};
    }
    ${store('grads', 'WOFF + i * U + j', units, 's', '+=')}
  } else {
    for (var n = 0u; n < N; n++) {
      s += ${load('gradOut', 'n * U + j', units)};
    }
    ${store('grads', `${l.biasOffset ?? 0}u + j`, units, 's', '+=')}
  }
}`;
  return { label: `${l.name} weight gradient`, code, bindings: sourceBuffers(source, [source.buffer, gradOut, 'grads']), workgroups: groupsFor(total) };
}

/**
 * Softmax cross-entropy of the logits against one-hot labels (tfjs's losses.softmaxCrossEntropy, mean over the
 * batch), its gradient scaled by 1 / (batch × K) for accumulation, and accuracy (first argmax, as tf.argMax):
 * one workgroup; the micro-batch's share of [loss, accuracy] is written (first micro-batch) or added to the ring slot.
 * With label smoothing ε the targets are one-hot·(1 − ε) + ε/classes, each factor rounded to float32 as tfjs does.
 */
export function softmaxCrossEntropy(
  batch: number, classes: number, accumulation: number, labelSmoothing: number, logits: string, gradOut: string,
): KernelSpec {
  const smoothing = labelSmoothing === 0 ? '' : ` * ${Math.fround(1 - labelSmoothing)} + ${Math.fround(Math.fround(labelSmoothing) / classes)}`;
  const code = `${MICRO_STRUCT}
${STEP_STRUCT}
${declare([['logits', 'read'], ['labelBits', 'read'], ['gradOut', 'read_write'], ['metrics', 'read_write'],
    ['micro', 'uniform Micro'], ['step', 'uniform Step']]).replace('labelBits : array<f32>', 'labelBits : array<u32>')}
const N = ${batch}u; const C = ${classes}u;
fn label(at : u32) -> f32 {
  let bits = labelBits[at];
  return select(bitcast<f32>(bits), f32(bitcast<i32>(bits)), step.integerLabels == 1u)${smoothing};
}
${groupSumMemory(['loss', 'hits'], 'f32')}
${MAIN}
  var loss = 0.0;
  var hits = 0.0;
  for (var n = lid; n < N; n += ${WORKGROUP}u) {
    let row = n * C;
    let labelRow = micro.labelOffset + row;
    var top = logits[row];
    var predicted = 0u;
    for (var j = 1u; j < C; j++) {
      if (logits[row + j] > top) { top = logits[row + j]; predicted = j; }
    }
    var sumExp = 0.0;
    for (var j = 0u; j < C; j++) { sumExp += exp(logits[row + j] - top); }
    let logSumExp = top + log(sumExp);
    var labelTop = label(labelRow);
    var actual = 0u;
    for (var j = 0u; j < C; j++) {
      let y = label(labelRow + j);
      if (y > labelTop) { labelTop = y; actual = j; }
      loss += y * (logSumExp - logits[row + j]);
      gradOut[row + j] = (exp(logits[row + j] - top) / sumExp - y) * ${1 / (batch * accumulation)};
    }
    hits += select(0.0, 1.0, predicted == actual);
  }
  ${groupSum(['loss', 'hits'], WORKGROUP, 'lid')}
  if (lid == 0u) {
    let at = step.slot * 2u;
    let share = vec2f(lossPart[0], hitsPart[0]) / ${batch * accumulation}.0;
    if (micro.first == 1u) {
      metrics[at] = share.x;
      metrics[at + 1u] = share.y;
    } else {
      metrics[at] += share.x;
      metrics[at + 1u] += share.y;
    }
  }
}`;
  return { label: 'softmax cross-entropy', code, bindings: [logits, 'y', gradOut, 'metrics', 'micro', 'step'], workgroups: 1 };
}

/**
 * Adam over the flat parameter buffer in one dispatch, in tfjs's order of operations (AdamOptimizer.applyGradients);
 * it clears each gradient after reading it, so the next step accumulates from zero.
 */
export function adam(parameters: number): KernelSpec {
  const code = `${STEP_STRUCT}
${declare([['params', 'read_write'], ['grads', 'read_write'], ['firstMoment', 'read_write'], ['secondMoment', 'read_write'],
    ['step', 'uniform Step']])}
${MAIN}
  if (index >= ${parameters}u) { return; }
  let g = grads[index];
  let m = firstMoment[index] * step.beta1 + g * step.oneMinusBeta1;
  let v = secondMoment[index] * step.beta2 + (g * g) * step.oneMinusBeta2;
  firstMoment[index] = m;
  secondMoment[index] = v;
  let mHat = m / step.oneMinusAccBeta1;
  let vHat = v / step.oneMinusAccBeta2;
  params[index] = (mHat / (sqrt(vHat) + step.epsilon)) * -step.learningRate + params[index];
  grads[index] = 0.0;
}`;
  return { label: 'adam', code, bindings: ['params', 'grads', 'adamM', 'adamV', 'step'], workgroups: groupsFor(parameters) };
}

function depthwiseConstants(l: DepthwisePlan, batch: number): string {
  return `const N = ${batch}u; const IH = ${l.input.h}; const IW = ${l.input.w}; const C = ${l.input.c}u;
const OH = ${l.output.h}; const OW = ${l.output.w}; const KH = ${l.kernelH}; const KW = ${l.kernelW};
const SH = ${l.strideH}; const SW = ${l.strideW}; const PT = ${l.padTop}; const PL = ${l.padLeft}; const WOFF = ${l.kernelOffset}u;`;
}

/** Depthwise convolution forward: each invocation computes up to 4 channels of one output pixel, activation as the epilogue. */
export function depthwiseForward(l: DepthwisePlan, batch: number, source: Source, output: string): KernelSpec {
  const channels = blockOf(l.input.c);
  const type = vecType(channels);
  const total = batch * l.output.h * l.output.w * (l.output.c / channels);
  const { offset, bindings } = sourceParts(source, [['input', 'read'], ['params', 'read'], ['output', 'read_write']]);
  const code = `${source.batchInput ? MICRO_STRUCT : ''}
${declare(bindings)}
${depthwiseConstants(l, batch)}
${MAIN}
  if (index >= ${total}u) { return; }
  ${decodeBlock(['c', 'ox', 'oy'], l.output, channels, 1)}
  let image = ${offset} + n * u32(IH * IW) * C + c;
  var acc = ${type}(0.0);
  for (var ky = 0; ky < KH; ky++) {
    let iy = oy * SH + ky - PT;
    if (iy < 0 || iy >= IH) { continue; }
    for (var kx = 0; kx < KW; kx++) {
      let ix = ox * SW + kx - PL;
      if (ix < 0 || ix >= IW) { continue; }
      acc += ${load('input', 'image + u32(iy * IW + ix) * C', channels)} * ${load('params', 'WOFF + u32(ky * KW + kx) * C + c', channels)};
    }
  }
  let result = ${activate('acc', l.activation, type)};
  ${store('output', `pixel * C + c`, channels, 'result')}
}`;
  return weightedForward(l, source, output, code, total);
}

/** Depthwise input gradient: each invocation gathers, for up to 4 channels of one input pixel, the taps that read it. */
export function depthwiseInputGrad(
  l: DepthwisePlan, batch: number, gradOut: string, gradIn: string, mask: GradientMask | null, op: GradientStore,
): KernelSpec {
  const channels = blockOf(l.input.c);
  const type = vecType(channels);
  const total = batch * l.input.h * l.input.w * (l.input.c / channels);
  const { declared, buffers } = inputGradBindings(gradOut, gradIn, mask);
  const code = `${declare(declared)}
${depthwiseConstants(l, batch)}
${MAIN}
  if (index >= ${total}u) { return; }
  ${decodeBlock(['c', 'ix', 'iy'], l.input, channels, 1)}
  var acc = ${type}(0.0);
  for (var ky = 0; ky < KH; ky++) {
    let ty = iy + PT - ky;
    if (ty < 0 || ty % SH != 0 || ty / SH >= OH) { continue; }
    for (var kx = 0; kx < KW; kx++) {
      let tx = ix + PL - kx;
      if (tx < 0 || tx % SW != 0 || tx / SW >= OW) { continue; }
      let g = ((n * u32(OH) + u32(ty / SH)) * u32(OW) + u32(tx / SW)) * C + c;
      acc += ${load('gradOut', 'g', channels)} * ${load('params', 'WOFF + u32(ky * KW + kx) * C + c', channels)};
    }
  }
  let at = pixel * C + c;
  ${lanes(channels).map((k) => writeInputGrad(`at + ${k}u`, channels === 1 ? 'acc' : `acc[${k}]`, mask, op)).join('\n  ')}
}`;
  return { label: `${l.name} input gradient`, code, bindings: buffers, workgroups: groupsFor(total) };
}

/** The split of a weight-gradient block's sum over invocations: grows until the dispatch has TARGET_INVOCATIONS. */
function splitFor(blocks: number): number {
  let split = 1;
  while (split < WORKGROUP && blocks * split < TARGET_INVOCATIONS) split *= 2;
  return split;
}

/**
 * Depthwise kernel gradient, added into the gradient buffer: each block of up to 4 channels of one tap is summed over
 * the batch's output rows by `split` invocations, reduced in workgroup memory (as convWeightGrad).
 */
export function depthwiseWeightGrad(l: DepthwisePlan, batch: number, source: Source, gradOut: string): KernelSpec {
  const channels = blockOf(l.input.c);
  const type = vecType(channels);
  const blocks = l.kernelH * l.kernelW * (l.input.c / channels);
  const split = splitFor(blocks);
  const { offset, bindings } = sourceParts(source, [['input', 'read'], ['gradOut', 'read'], ['grads', 'read_write']]);
  const code = `${source.batchInput ? MICRO_STRUCT : ''}
${declare(bindings)}
${depthwiseConstants(l, batch)}
${split === 1 ? '' : groupSumMemory(['acc'], type)}
${MAIN}
  let block = index / ${split}u;
  let part = index % ${split}u;
  let c = (block % ${l.input.c / channels}u) * ${channels}u;
  let tap = block / ${l.input.c / channels}u;
  let kx = i32(tap % u32(KW));
  let ky = i32(tap / u32(KW));
  var acc = ${type}(0.0);
  if (block < ${blocks}u) {
    for (var row = part; row < N * u32(OH); row += ${split}u) {
      let iy = i32(row % u32(OH)) * SH + ky - PT;
      if (iy < 0 || iy >= IH) { continue; }
      let image = ${offset} + ((row / u32(OH)) * u32(IH) + u32(iy)) * u32(IW) * C + c;
      for (var ox = 0; ox < OW; ox++) {
        let ix = ox * SW + kx - PL;
        if (ix < 0 || ix >= IW) { continue; }
        acc += ${load('input', 'image + u32(ix) * C', channels)} * ${load('gradOut', '(row * u32(OW) + u32(ox)) * C + c', channels)};
      }
    }
  }
  ${split === 1 ? '' : `${groupSum(['acc'], split, 'part')}
  acc = accPart[lid];`}
  if (part == 0u && block < ${blocks}u) {
    ${store('grads', 'WOFF + tap * C + c', channels, 'acc', '+=')}
  }
}`;
  return {
    label: `${l.name} weight gradient`, code, bindings: sourceBuffers(source, [source.buffer, gradOut, 'grads']),
    workgroups: groupsFor(blocks * split),
  };
}

function batchNormConstants(l: BatchNormPlan, batch: number): string {
  return `const M = ${batch * l.input.h * l.input.w}u; const C = ${l.input.c}u; const GAMMA = ${l.gammaOffset}u; const BETA = ${l.betaOffset}u;`;
}

/** WGSL: a loop of the workgroup's invocations over the M values of channel `c` (NHWC), `at` each one's index. */
const CHANNEL_LOOP = 'for (var p = lid; p < M; p += ' + WORKGROUP + 'u) {\n    let at = p * C + c;';

/**
 * BatchNorm in training mode and its activation, one workgroup per channel: the batch mean, then the (biased)
 * variance from it, as tf.moments; the output (x − mean)·γ/√(var + ε) + β; the mean and 1/√(var + ε) saved for the
 * backward; and tfjs-layers' moving-average update, moving − (moving − batch)·(1 − momentum), once per micro-batch.
 */
export function batchNormForward(l: BatchNormPlan, batch: number, input: string, output: string, saved: string): KernelSpec {
  const decay = Math.fround(1 - l.momentum);
  const code = `${declare([['input', 'read'], ['params', 'read'], ['output', 'read_write'], ['saved', 'read_write'], ['moving', 'read_write']])}
${batchNormConstants(l, batch)}
${groupSumMemory(['sum'], 'f32')}
${MAIN}
  let c = group;
  var sum = 0.0;
  ${CHANNEL_LOOP}
    sum += input[at];
  }
  ${groupSum(['sum'], WORKGROUP, 'lid')}
  let mean = sumPart[0] / f32(M);
  workgroupBarrier();
  sum = 0.0;
  ${CHANNEL_LOOP}
    let d = input[at] - mean;
    sum += d * d;
  }
  ${groupSum(['sum'], WORKGROUP, 'lid')}
  let variance = sumPart[0] / f32(M);
  let inv = inverseSqrt(variance + ${Math.fround(l.epsilon)});
  let scale = inv * params[GAMMA + c];
  let beta = params[BETA + c];
  ${CHANNEL_LOOP}
    output[at] = ${activate('(input[at] - mean) * scale + beta', l.activation)};
  }
  if (lid == 0u) {
    saved[2u * c] = mean;
    saved[2u * c + 1u] = inv;
    moving[${l.movingMeanOffset}u + c] -= (moving[${l.movingMeanOffset}u + c] - mean) * ${decay};
    moving[${l.movingVarianceOffset}u + c] -= (moving[${l.movingVarianceOffset}u + c] - variance) * ${decay};
  }
}`;
  return { label: `${l.name} forward`, code, bindings: [input, 'params', output, saved, 'moving'], workgroups: l.input.c };
}

/**
 * BatchNorm backward through the batch statistics, one workgroup per channel: with dy the gradient of its
 * pre-activation output and x̂ the normalised input, dβ = Σdy and dγ = Σdy·x̂ are added into the gradient buffer, and
 * dx = γ/√(var + ε)·(dy − Σdy/M − x̂·Σdy·x̂/M).
 */
export function batchNormBackward(
  l: BatchNormPlan, batch: number, input: string, saved: string, gradOut: string, to: GradientTarget | null,
): KernelSpec {
  const declared: [string, string][] = [['input', 'read'], ['saved', 'read'], ['params', 'read'], ['gradOut', 'read'], ['grads', 'read_write']];
  const buffers = [input, saved, 'params', gradOut, 'grads'];
  if (to) {
    declared.push(['gradIn', 'read_write']);
    buffers.push(to.gradIn);
  }
  if (to?.mask) {
    declared.push(['mask', 'read']);
    buffers.push(to.mask.buffer);
  }
  const code = `${declare(declared)}
${batchNormConstants(l, batch)}
${groupSumMemory(['dBeta', 'dGamma'], 'f32')}
${MAIN}
  let c = group;
  let mean = saved[2u * c];
  let inv = saved[2u * c + 1u];
  var dBeta = 0.0;
  var dGamma = 0.0;
  ${CHANNEL_LOOP}
    let dy = gradOut[at];
    dBeta += dy;
    dGamma += dy * ((input[at] - mean) * inv);
  }
  ${groupSum(['dBeta', 'dGamma'], WORKGROUP, 'lid')}
  let sumDy = dBetaPart[0];
  let sumDyX = dGammaPart[0];
  if (lid == 0u) {
    grads[GAMMA + c] += sumDyX;
    grads[BETA + c] += sumDy;
  }
  ${to ? `let k = params[GAMMA + c] * inv;
  ${CHANNEL_LOOP}
    let dx = k * (gradOut[at] - sumDy / f32(M) - ((input[at] - mean) * inv) * (sumDyX / f32(M)));
    ${writeInputGrad('at', 'dx', to.mask, to.op)}
  }` : ''}
}`;
  return { label: `${l.name} backward`, code, bindings: buffers, workgroups: l.input.c };
}

/** Residual add and its activation, elementwise. */
export function addForward(l: AddPlan, batch: number, a: string, b: string, output: string): KernelSpec {
  const total = batch * outputSize(l);
  const code = `${declare([['a', 'read'], ['b', 'read'], ['output', 'read_write']])}
${MAIN}
  if (index >= ${total}u) { return; }
  output[index] = ${activate('a[index] + b[index]', l.activation)};
}`;
  return { label: `${l.name} forward`, code, bindings: [a, b, output], workgroups: groupsFor(total) };
}

/**
 * The gradient of a node's output passed on to one of its inputs, elementwise (an Add's backward, one per input),
 * or spread evenly over the `spread` pixels a global average pool read.
 */
export function passGradient(
  label: string, elements: number, channels: number, spread: number, gradOut: string, gradIn: string, mask: GradientMask | null,
  op: GradientStore,
): KernelSpec {
  const declared: [string, string][] = [['gradOut', 'read'], ['gradIn', 'read_write']];
  if (mask) declared.push(['mask', 'read']);
  const value = spread === 1 ? 'gradOut[index]' : `gradOut[(index / ${spread * channels}u) * ${channels}u + index % ${channels}u] / ${spread}.0`;
  const code = `${declare(declared)}
${MAIN}
  if (index >= ${elements}u) { return; }
  ${writeInputGrad('index', value, mask, op)}
}`;
  return { label, code, bindings: mask ? [gradOut, gradIn, mask.buffer] : [gradOut, gradIn], workgroups: groupsFor(elements) };
}

/** Global average pooling forward: each invocation averages one channel of one example over its pixels (tf.mean). */
export function globalAveragePoolForward(l: GlobalAveragePoolPlan, batch: number, input: string, output: string): KernelSpec {
  const pixels = l.input.h * l.input.w;
  const channels = l.input.c;
  const total = batch * channels;
  const code = `${declare([['input', 'read'], ['output', 'read_write']])}
${MAIN}
  if (index >= ${total}u) { return; }
  let first = (index / ${channels}u) * ${pixels * channels}u + index % ${channels}u;
  var sum = 0.0;
  for (var p = 0u; p < ${pixels}u; p++) { sum += input[first + p * ${channels}u]; }
  output[index] = sum / ${pixels}.0;
}`;
  return { label: `${l.name} forward`, code, bindings: [input, output], workgroups: groupsFor(total) };
}

/** The layer's output size per example. */
export function outputSize(layer: LayerPlan): number {
  return layer.output.h * layer.output.w * layer.output.c;
}

export type { Source };
