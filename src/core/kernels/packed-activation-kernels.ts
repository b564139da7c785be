/**
 * Fused elementwise kernels (cpu, WebGPU) that read a stored activation, packed or float32, through an ActivationView,
 * for the stored-activation backward (docs/architecture.md, "Kernels").
 */
import * as tf from '../tf';
import { float16BitsToFloat32Bits, float32BitsToFloat16Bits, wgslFromHalfBits, wgslToHalfBits } from './packed-float16';
import { FlatProgram, flatView } from './webgpu-program';
import type { CpuBackendInternals, WebGpuBackendInternals } from '../backend-internals';

/** The view as a float32 tensor (what tfjs kernels such as Conv2DBackpropFilter need). */
export const STORED_MATERIALIZE = 'StoredMaterialize';
/** dy where 0 < pre-activation value (≤ cap), else 0: relu/relu6's backward. */
export const STORED_ACTIVATION_GRAD = 'StoredActivationGrad';
/** k[c] · (dy − a[c] − x̂ · b[c]): BatchNorm's input gradient. */
export const STORED_BATCH_NORM_INPUT_GRAD = 'StoredBatchNormInputGrad';
/** Per-channel Σ dy, Σ dy · x̂ or Σ (x − μ)² as [groups, channels] partial sums, without a transposed copy. */
export const CHANNEL_SUMS = 'ChannelSums';
/** The view (of a float32 source) as packed halves, as PackFloat16 would pack the materialised view. */
export const STORED_PACK = 'StoredPack';
/** Max-pooling's input gradient from a view of the pool's input (the last maximum on ties, as tfjs's webgpu kernel). */
export const STORED_MAX_POOL_GRAD = 'StoredMaxPoolGrad';
const KERNEL_NAMES = [
  STORED_MATERIALIZE, STORED_PACK, STORED_ACTIVATION_GRAD, STORED_BATCH_NORM_INPUT_GRAD, STORED_MAX_POOL_GRAD, CHANNEL_SUMS,
] as const;

/** A stored activation: packed halves (int32 words) or a float32 tensor. */
export interface StoredSource {
  tensor: tf.Tensor;
  packed: boolean;
}

/** value(i) = act(source(i) · scale[c] + shift[c]), c = i mod channels (NHWC: the channel; it survives Flatten). */
export interface ActivationView {
  source: StoredSource;
  /** The logical shape (the source's, or a reshape of it). */
  shape: number[];
  channels: number;
  affine: { scale: tf.Tensor; shift: tf.Tensor } | null;
  /** 'relu' clamps below at 0, and above at `cap` when it is not null (ReLU6). */
  activation: 'linear' | 'relu';
  cap: number | null;
}

/** Partial sums per channel are spread over this many groups of rows (parallelism on the GPU), then added up. */
const CHANNEL_SUM_GROUPS = 64;

interface Attrs {
  channels: number;
  packed: boolean;
  /** StoredMaterialize: the output shape. */
  shape?: number[];
  activation?: 'linear' | 'relu';
  cap?: number | null;
  /** StoredMaxPoolGrad: the pool's input shape [N, H, W, C], window, strides, top/left padding, relu mask. */
  inputShape?: number[];
  pool?: MaxPoolGeometry;
  /** ChannelSums: how many groups of rows, and which sums (the module comment). */
  groups?: number;
  sums?: ChannelSumKind;
}

type ChannelSumKind = 'plain' | 'weighted' | 'squaredDeviation';

/** A max-pool's window, strides and top/left padding (tfjs's padInfo for 'same'; 0 for 'valid'). */
export interface MaxPoolGeometry {
  filter: [number, number];
  strides: [number, number];
  pad: [number, number];
  /** Multiply by the derivative of a relu that produced the pool's input (0 where the input is ≤ 0). */
  reluMask: boolean;
}

// ---------------------------------------------------------------------------------------------------------------
// cpu
// ---------------------------------------------------------------------------------------------------------------


let halfTable: Float32Array | null = null;

/** The float32 value of every binary16 pattern (256 KiB, built on first use). */
function halfValues(): Float32Array {
  if (!halfTable) {
    const bits = new Uint32Array(0x10000);
    for (let h = 0; h < 0x10000; h++) bits[h] = float16BitsToFloat32Bits(h);
    halfTable = new Float32Array(bits.buffer);
  }
  return halfTable;
}

function cpuValues(backend: CpuBackendInternals, t: tf.TensorInfo): Float32Array | Int32Array {
  const values = backend.data.get(t.dataId).values as Float32Array | Int32Array | Uint8Array;
  return values instanceof Uint8Array ? Float32Array.from(values) : values;
}

/** Reader of source element i, packed or not. */
function cpuSource(backend: CpuBackendInternals, source: tf.TensorInfo, packed: boolean): (i: number) => number {
  const values = cpuValues(backend, source);
  if (!packed) return (i) => values[i]!;
  const table = halfValues();
  return (i) => {
    const word = values[i >> 1]!;
    return table[i & 1 ? (word >>> 16) & 0xffff : word & 0xffff]!;
  };
}

function cpuAffine(backend: CpuBackendInternals, inputs: tf.NamedTensorInfoMap, read: (i: number) => number, channels: number) {
  if (!inputs.scale) return read;
  const scale = cpuValues(backend, inputs.scale);
  const shift = cpuValues(backend, inputs.shift!);
  return (i: number) => {
    const c = i % channels;
    return Math.fround(Math.fround(read(i) * scale[c]!) + shift[c]!);
  };
}

function cpuActivation(read: (i: number) => number, { activation, cap }: Attrs): (i: number) => number {
  if (activation !== 'relu') return read;
  const upper = cap ?? Infinity;
  return (i) => Math.min(Math.max(read(i), 0), upper);
}

const cpuKernels: Record<(typeof KERNEL_NAMES)[number], tf.KernelFunc> = {
  [STORED_MATERIALIZE]: ({ inputs, backend, attrs }) => {
    const cpu = backend as unknown as CpuBackendInternals;
    const a = attrs as unknown as Attrs;
    const value = cpuActivation(cpuAffine(cpu, inputs, cpuSource(cpu, inputs.source!, a.packed), a.channels), a);
    const out = new Float32Array(tf.util.sizeFromShape(a.shape!));
    for (let i = 0; i < out.length; i++) out[i] = value(i);
    return cpu.makeTensorInfo(a.shape!, 'float32', out);
  },
  [STORED_PACK]: ({ inputs, backend, attrs }) => {
    const cpu = backend as unknown as CpuBackendInternals;
    const { channels } = attrs as unknown as Attrs;
    const value = cpuAffine(cpu, inputs, cpuSource(cpu, inputs.source!, false), channels);
    const count = tf.util.sizeFromShape(inputs.source!.shape);
    const words = new Int32Array(Math.ceil(count / 2));
    const f32 = new Float32Array(1);
    const u32 = new Uint32Array(f32.buffer);
    const half = (i: number) => {
      f32[0] = value(i);
      return float32BitsToFloat16Bits(u32[0]!);
    };
    for (let w = 0; w < words.length; w++) words[w] = half(2 * w) | (2 * w + 1 < count ? half(2 * w + 1) << 16 : 0);
    return cpu.makeTensorInfo([words.length], 'int32', words);
  },
  [STORED_MAX_POOL_GRAD]: ({ inputs, backend, attrs }) => {
    const cpu = backend as unknown as CpuBackendInternals;
    const { channels, packed, inputShape, pool } = attrs as unknown as Attrs;
    const view = cpuActivation(cpuAffine(cpu, inputs, cpuSource(cpu, inputs.source!, packed), channels), attrs as unknown as Attrs);
    const dy = cpuValues(cpu, inputs.dy!);
    const [n, h, w, c] = inputShape as [number, number, number, number];
    const [, oh, ow] = inputs.dy!.shape as [number, number, number, number];
    const { filter: [fh, fw], strides: [sh, sw], pad: [pt, pl], reluMask } = pool!;
    const out = new Float32Array(n * h * w * c);
    // Window by window: add the window's gradient at its maximum (the last one on ties).
    for (let b = 0; b < n; b++) {
      for (let y = 0; y < oh; y++) {
        for (let x = 0; x < ow; x++) {
          for (let ch = 0; ch < c; ch++) {
            let best = -Infinity;
            let at = -1;
            for (let dh = 0; dh < fh; dh++) {
              const row = y * sh - pt + dh;
              if (row < 0 || row >= h) continue;
              for (let dw = 0; dw < fw; dw++) {
                const col = x * sw - pl + dw;
                if (col < 0 || col >= w) continue;
                const i = ((b * h + row) * w + col) * c + ch;
                const v = view(i);
                if (at < 0 || v >= best) [best, at] = [v, i];
              }
            }
            if (at >= 0 && !(reluMask && best <= 0)) out[at] = Math.fround(out[at]! + dy[((b * oh + y) * ow + x) * c + ch]!);
          }
        }
      }
    }
    return cpu.makeTensorInfo(inputShape!, 'float32', out);
  },
  [STORED_ACTIVATION_GRAD]: ({ inputs, backend, attrs }) => {
    const cpu = backend as unknown as CpuBackendInternals;
    const { channels, packed, cap } = attrs as unknown as Attrs;
    const value = cpuAffine(cpu, inputs, cpuSource(cpu, inputs.source!, packed), channels);
    const dy = cpuValues(cpu, inputs.dy!);
    const out = new Float32Array(dy.length);
    const upper = cap ?? Infinity;
    for (let i = 0; i < out.length; i++) {
      const v = value(i);
      out[i] = v > 0 && v <= upper ? dy[i]! : 0;
    }
    return cpu.makeTensorInfo(inputs.dy!.shape, 'float32', out);
  },
  [STORED_BATCH_NORM_INPUT_GRAD]: ({ inputs, backend, attrs }) => {
    const cpu = backend as unknown as CpuBackendInternals;
    const { channels, packed } = attrs as unknown as Attrs;
    const normalized = cpuSource(cpu, inputs.source!, packed);
    const [dy, k, a, b] = [inputs.dy!, inputs.k!, inputs.a!, inputs.b!].map((t) => cpuValues(cpu, t));
    const out = new Float32Array(dy!.length);
    for (let i = 0; i < out.length; i++) {
      const c = i % channels;
      out[i] = k![c]! * (dy![i]! - a![c]! - normalized(i) * b![c]!);
    }
    return cpu.makeTensorInfo(inputs.dy!.shape, 'float32', out);
  },
  [CHANNEL_SUMS]: ({ inputs, backend, attrs }) => {
    const cpu = backend as unknown as CpuBackendInternals;
    const { channels, packed, groups, sums: kind } = attrs as unknown as Attrs;
    const dy = cpuValues(cpu, inputs.dy!);
    const weight = kind === 'weighted' ? cpuSource(cpu, inputs.source!, packed) : null;
    const mean = kind === 'squaredDeviation' ? cpuValues(cpu, inputs.mean!) : null;
    const width = kind === 'weighted' ? 2 * channels : channels;
    const rows = dy.length / channels;
    const term = (i: number, column: number): number => {
      if (mean) {
        const d = Math.fround(dy[i]! - mean[column]!);
        return Math.fround(d * d);
      }
      return column < channels ? dy[i]! : Math.fround(dy[i]! * weight!(i));
    };
    const out = new Float32Array(groups! * width);
    // Same partition into groups as the shader, so both backends add in the same order.
    for (let g = 0; g < groups!; g++) {
      for (let column = 0; column < width; column++) {
        const c = column % channels;
        let sum = 0;
        for (let m = g; m < rows; m += groups!) sum = Math.fround(sum + term(m * channels + c, column));
        out[g * width + column] = sum;
      }
    }
    return cpu.makeTensorInfo([groups!, width], 'float32', out);
  },
};

// ---------------------------------------------------------------------------------------------------------------
// webgpu
// ---------------------------------------------------------------------------------------------------------------

/** WGSL reading element i of the source `S`: a half out of a packed word, or a float. */
function wgslSourceValue(packed: boolean): string {
  return packed
    ? `${wgslFromHalfBits('u32', 'f32')}
  fn sourceValue(i : i32) -> f32 {
    let w = bitcast<u32>(S[i / 2]);
    return fromHalfBits(select(w & 0xffffu, w >> 16u, (i & 1) == 1));
  }`
    : `
  fn sourceValue(i : i32) -> f32 {
    return S[i];
  }`;
}

/** WGSL of the view's activation, applied to `v` (the shader key must tell the three apart). */
function wgslActivation({ activation, cap }: Attrs): { variant: string; value: string } {
  if (activation !== 'relu') return { variant: 'linear', value: 'v' };
  return cap === null || cap === undefined ? { variant: 'relu', value: 'max(v, 0.0)' } : { variant: 'capped', value: 'min(max(v, 0.0), uniforms.cap)' };
}

/** WGSL binding `c`, the channel of element `i`, and `v`, the view's pre-activation value there (shared by kernels). */
function wgslPreActivation(i: string, affine: boolean): string {
  return `let c = ${i} % uniforms.channels;
      let v = sourceValue(${i})${affine ? ' * SCALE[c] + SHIFT[c]' : ''};`;
}

/**
 * A flat program (webgpu-program.ts) over `size` output elements: `v` is the view's pre-activation value at `index`,
 * `c` its channel; `body` writes result[index]. `name` must tell apart every body a kernel uses (the key adds the rest).
 */
function storedElementwiseProgram(name: string, size: number, variableNames: string[], packed: boolean, affine: boolean,
  body: string): FlatProgram {
  return new FlatProgram({
    shaderKey: `${name}_${packed ? 'packed' : 'float'}${affine ? '_affine' : ''}`,
    variableNames,
    size,
    uniforms: 'channels : i32, cap : f32,',
    functions: wgslSourceValue(packed),
    body: `${wgslPreActivation('index', affine)}
      ${body}`,
  });
}

/** Packs two affine-transformed floats of S into each output word (the view's value, then PackFloat16's rounding). */
function storedPackProgram(words: number): FlatProgram {
  return new FlatProgram({
    shaderKey: 'storedPack',
    variableNames: ['S', 'SCALE', 'SHIFT'],
    size: words,
    uniforms: 'channels : i32, count : i32,',
    functions: `${wgslToHalfBits('u32')}${wgslSourceValue(false)}
  fn halfAt(i : i32) -> u32 {
    ${wgslPreActivation('i', true)}
    return toHalfBits(bitcast<u32>(v));
  }`,
    body: `var hi = 0u;
      if (2 * index + 1 < uniforms.count) {
        hi = halfAt(2 * index + 1);
      }
      result[index] = bitcast<i32>(halfAt(2 * index) | (hi << 16u));`,
  });
}

/** One invocation per input element: the windows that contain it, each window's maximum found again in the view. */
function storedMaxPoolGradProgram(size: number, packed: boolean, affine: boolean,
  activation: { variant: string; value: string }, reluMask: boolean): FlatProgram {
  return new FlatProgram({
    shaderKey: `storedMaxPoolGrad_${packed ? 'packed' : 'float'}${affine ? '_affine' : ''}_${activation.variant}${reluMask ? '_mask' : ''}`,
    variableNames: affine ? ['S', 'DY', 'SCALE', 'SHIFT'] : ['S', 'DY'],
    size,
    uniforms: 'channels : i32, cap : f32, inShape : vec4<i32>, pooled : vec2<i32>, window : vec2<i32>, strides : vec2<i32>, pad : vec2<i32>,',
    functions: `${wgslSourceValue(packed)}
  fn viewValue(i : i32) -> f32 {
    ${wgslPreActivation('i', affine)}
    return ${activation.value};
  }`,
    body: `let s = uniforms.inShape;
      let ch = index % s.w;
      let col = (index / s.w) % s.z;
      let row = (index / (s.w * s.z)) % s.y;
      let b = index / (s.w * s.z * s.y);
      // Windows y with y * stride - pad <= row < y * stride - pad + filter (likewise for columns).
      let top = row + uniforms.pad.x - uniforms.window.x + 1;
      let left = col + uniforms.pad.y - uniforms.window.y + 1;
      let yStart = select(0, (top + uniforms.strides.x - 1) / uniforms.strides.x, top > 0);
      let xStart = select(0, (left + uniforms.strides.y - 1) / uniforms.strides.y, left > 0);
      let yEnd = min(uniforms.pooled.x - 1, (row + uniforms.pad.x) / uniforms.strides.x);
      let xEnd = min(uniforms.pooled.y - 1, (col + uniforms.pad.y) / uniforms.strides.y);
      var grad = 0.0;
      for (var y = yStart; y <= yEnd; y = y + 1) {
        for (var x = xStart; x <= xEnd; x = x + 1) {
          var best = 0.0;
          var at = -1;
          for (var dh = 0; dh < uniforms.window.x; dh = dh + 1) {
            let r = y * uniforms.strides.x - uniforms.pad.x + dh;
            if (r < 0 || r >= s.y) { continue; }
            for (var dw = 0; dw < uniforms.window.y; dw = dw + 1) {
              let q = x * uniforms.strides.y - uniforms.pad.y + dw;
              if (q < 0 || q >= s.z) { continue; }
              let i = ((b * s.y + r) * s.z + q) * s.w + ch;
              let v = viewValue(i);
              if (at < 0 || v >= best) {
                best = v;
                at = i;
              }
            }
          }
          if (at == index${reluMask ? ' && best > 0.0' : ''}) {
            grad = grad + DY[((b * uniforms.pooled.x + y) * uniforms.pooled.y + x) * s.w + ch];
          }
        }
      }
      result[index] = grad;`,
  });
}

/** Per-channel partial sums (the module comment): invocation `index` is column `index % width` of group `index / width`. */
function channelSumsProgram(groups: number, width: number, kind: ChannelSumKind, packed: boolean): FlatProgram {
  const term = {
    plain: 'DY[i]',
    weighted: 'select(DY[i], DY[i] * sourceValue(i), column >= uniforms.channels)',
    squaredDeviation: '(DY[i] - MEAN[c]) * (DY[i] - MEAN[c])',
  }[kind];
  return new FlatProgram({
    shaderKey: `channelSums_${kind}${kind === 'weighted' ? `_${packed ? 'packed' : 'float'}` : ''}`,
    variableNames: kind === 'weighted' ? ['DY', 'S'] : kind === 'squaredDeviation' ? ['DY', 'MEAN'] : ['DY'],
    size: groups * width,
    uniforms: 'channels : i32, groups : i32, rows : i32,',
    functions: kind === 'weighted' ? wgslSourceValue(packed) : '',
    body: `let width = ${kind === 'weighted' ? '2 * uniforms.channels' : 'uniforms.channels'};
      let g = index / width;
      let column = index % width;
      let c = column % uniforms.channels;
      var sum = 0.0;
      for (var m = g; m < uniforms.rows; m = m + uniforms.groups) {
        let i = m * uniforms.channels + c;
        sum = sum + ${term};
      }
      result[index] = sum;`,
  });
}

function runElementwise(backend: unknown, name: string, shape: number[], named: [string, tf.TensorInfo | undefined][],
  attrs: Attrs, body: string): tf.TensorInfo {
  const gpu = backend as WebGpuBackendInternals;
  const present = named.filter((entry): entry is [string, tf.TensorInfo] => entry[1] !== undefined);
  const size = tf.util.sizeFromShape(shape);
  const affine = present.some(([variable]) => variable === 'SCALE');
  const program = storedElementwiseProgram(name, size, present.map(([variable]) => variable), attrs.packed, affine, body);
  const output = gpu.makeTensorInfo(shape, 'float32');
  const uniforms = [{ type: 'int32', data: [attrs.channels] }, { type: 'float32', data: [attrs.cap ?? 0] }];
  gpu.runWebGPUProgram(program, present.map(([, t]) => flatView(t)), 'float32', uniforms, flatView(output));
  return output;
}

const webgpuKernels: Record<(typeof KERNEL_NAMES)[number], tf.KernelFunc> = {
  [STORED_MATERIALIZE]: ({ inputs, backend, attrs }) => {
    const a = attrs as unknown as Attrs;
    const { variant, value } = wgslActivation(a);
    return runElementwise(backend, `storedMaterialize_${variant}`, a.shape!,
      [['S', inputs.source], ['SCALE', inputs.scale], ['SHIFT', inputs.shift]], a, `result[index] = ${value};`);
  },
  [STORED_MAX_POOL_GRAD]: ({ inputs, backend, attrs }) => {
    const a = attrs as unknown as Attrs;
    const gpu = backend as WebGpuBackendInternals;
    const size = tf.util.sizeFromShape(a.inputShape!);
    const affine = inputs.scale !== undefined;
    const { filter, strides, pad, reluMask } = a.pool!;
    const program = storedMaxPoolGradProgram(size, a.packed, affine, wgslActivation(a), reluMask);
    const output = gpu.makeTensorInfo(a.inputShape!, 'float32');
    const [, oh, ow] = inputs.dy!.shape as [number, number, number, number];
    const uniforms = [
      { type: 'int32', data: [a.channels] }, { type: 'float32', data: [a.cap ?? 0] }, { type: 'int32', data: a.inputShape! },
      { type: 'int32', data: [oh, ow] }, { type: 'int32', data: filter }, { type: 'int32', data: strides }, { type: 'int32', data: pad },
    ];
    const operands = [inputs.source!, inputs.dy!, ...(affine ? [inputs.scale!, inputs.shift!] : [])];
    gpu.runWebGPUProgram(program, operands.map(flatView), 'float32', uniforms, flatView(output));
    return output;
  },
  [STORED_PACK]: ({ inputs, backend, attrs }) => {
    const gpu = backend as WebGpuBackendInternals;
    const count = tf.util.sizeFromShape(inputs.source!.shape);
    const program = storedPackProgram(Math.ceil(count / 2));
    const uniforms = [{ type: 'int32', data: [(attrs as unknown as Attrs).channels] }, { type: 'int32', data: [count] }];
    return gpu.runWebGPUProgram(program, [inputs.source!, inputs.scale!, inputs.shift!].map(flatView), 'int32', uniforms);
  },
  [STORED_ACTIVATION_GRAD]: ({ inputs, backend, attrs }) => {
    const a = attrs as unknown as Attrs;
    const keep = a.cap === null ? 'v > 0.0' : 'v > 0.0 && v <= uniforms.cap';
    return runElementwise(backend, `storedActivationGrad_${a.cap === null ? 'relu' : 'capped'}`, inputs.dy!.shape,
      [['S', inputs.source], ['DY', inputs.dy], ['SCALE', inputs.scale], ['SHIFT', inputs.shift]], a,
      `result[index] = select(0.0, DY[index], ${keep});`);
  },
  [STORED_BATCH_NORM_INPUT_GRAD]: ({ inputs, backend, attrs }) => runElementwise(backend, 'storedBatchNormInputGrad',
    inputs.dy!.shape, [['S', inputs.source], ['DY', inputs.dy], ['K', inputs.k], ['A', inputs.a], ['B', inputs.b]],
    attrs as unknown as Attrs, 'result[index] = K[c] * (DY[index] - A[c] - v * B[c]);'),
  [CHANNEL_SUMS]: ({ inputs, backend, attrs }) => {
    const { channels, packed, groups, sums: kind } = attrs as unknown as Attrs;
    const gpu = backend as WebGpuBackendInternals;
    const width = kind === 'weighted' ? 2 * channels : channels;
    const rows = tf.util.sizeFromShape(inputs.dy!.shape) / channels;
    const output = gpu.makeTensorInfo([groups!, width], 'float32');
    const program = channelSumsProgram(groups!, width, kind!, packed);
    const uniforms = [{ type: 'int32', data: [channels] }, { type: 'int32', data: [groups!] }, { type: 'int32', data: [rows] }];
    const second = kind === 'weighted' ? [inputs.source!] : kind === 'squaredDeviation' ? [inputs.mean!] : [];
    gpu.runWebGPUProgram(program, [inputs.dy!, ...second].map(flatView), 'float32', uniforms, flatView(output));
    return output;
  },
};

// ---------------------------------------------------------------------------------------------------------------
// Registration and the ops
// ---------------------------------------------------------------------------------------------------------------

/** Registers the four kernels for cpu and webgpu. Idempotent; runs on import. */
export function registerPackedActivationKernels(): void {
  for (const [backendName, kernels] of [['cpu', cpuKernels], ['webgpu', webgpuKernels]] as const) {
    for (const kernelName of KERNEL_NAMES) {
      if (!tf.getKernel(kernelName, backendName)) tf.registerKernel({ kernelName, backendName, kernelFunc: kernels[kernelName] });
    }
  }
}

registerPackedActivationKernels();

/** True when the backend (default: the active one) has these kernels. */
export function hasPackedActivationKernels(backendName: string = tf.getBackend()): boolean {
  return KERNEL_NAMES.every((name) => tf.getKernel(name, backendName) !== undefined);
}

function run(kernel: string, inputs: Record<string, tf.Tensor | null | undefined>, attrs: Attrs): tf.Tensor {
  const present: tf.NamedTensorMap = {};
  for (const [name, t] of Object.entries(inputs)) if (t) present[name] = t;
  return tf.engine().runKernel(kernel, present, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
}

function viewInputs(view: ActivationView) {
  return { source: view.source.tensor, scale: view.affine?.scale, shift: view.affine?.shift };
}

/** The view's values as a new float32 tensor of `view.shape`. */
export function materialize(view: ActivationView): tf.Tensor {
  return run(STORED_MATERIALIZE, viewInputs(view), {
    channels: view.channels, packed: view.source.packed, shape: view.shape, activation: view.activation, cap: view.cap,
  });
}

/**
 * The view's values packed as halves (int32 words, PackFloat16's layout): for a linear view with an affine of a
 * float32 source, which is how BatchNorm keeps x̂.
 */
export function packView(view: ActivationView): tf.Tensor1D {
  if (view.source.packed || !view.affine || view.activation !== 'linear') {
    throw new Error('packView packs a linear, affine view of a float32 source.');
  }
  return run(STORED_PACK, viewInputs(view), { channels: view.channels, packed: false }) as tf.Tensor1D;
}

/**
 * Max-pooling's input gradient: each window's gradient `dy` goes to the window's maximum in `input` (the last one on
 * ties), times relu's derivative there when `pool.reluMask`. The result has `input.shape`.
 */
export function maxPoolGradient(dy: tf.Tensor, input: ActivationView, pool: MaxPoolGeometry): tf.Tensor {
  return run(STORED_MAX_POOL_GRAD, { dy, ...viewInputs(input) }, {
    channels: input.channels, packed: input.source.packed, activation: input.activation, cap: input.cap,
    inputShape: input.shape, pool,
  });
}

/**
 * ReLU's backward (capped at `cap` for ReLU6): dy where 0 < v ≤ cap, v the pre-activation value `preActivation`
 * gives (a linear view), else 0. For a layer with a fused relu, its stored output works as well (v > 0 ⇔ output > 0).
 */
export function activationGradient(dy: tf.Tensor, preActivation: ActivationView, cap: number | null): tf.Tensor {
  if (preActivation.activation !== 'linear') throw new Error('activationGradient reads the pre-activation value: pass a linear view.');
  return run(STORED_ACTIVATION_GRAD, { dy, ...viewInputs(preActivation) },
    { channels: preActivation.channels, packed: preActivation.source.packed, cap });
}

/** k[c] · (dy − a[c] − x̂ · b[c]), x̂ read from `normalized`; k, a, b are [channels]. */
export function batchNormInputGradient(dy: tf.Tensor, normalized: StoredSource, channels: number,
  k: tf.Tensor, a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return run(STORED_BATCH_NORM_INPUT_GRAD, { dy, source: normalized.tensor, k, a, b }, { channels, packed: normalized.packed });
}

const sumGroups = (t: tf.Tensor, channels: number) => Math.max(1, Math.min(CHANNEL_SUM_GROUPS, t.size / channels));

/** Σ dy per channel (over every axis but the last) and, given `weights`, Σ dy · weights per channel. */
export function channelSums(dy: tf.Tensor, channels: number, weights: StoredSource | null): { sums: tf.Tensor1D; weightedSums: tf.Tensor1D | null } {
  const [sums, weightedSums] = tf.tidy(() => {
    const partial = run(CHANNEL_SUMS, { dy, source: weights?.tensor },
      { channels, packed: weights?.packed ?? false, groups: sumGroups(dy, channels), sums: weights ? 'weighted' : 'plain' });
    const total = tf.sum(partial, 0) as tf.Tensor1D;
    return weights ? tf.split(total, 2) as tf.Tensor1D[] : [total];
  });
  return { sums: sums!, weightedSums: weightedSums ?? null };
}

/**
 * Batch mean and (biased) variance per channel over every axis but the last, in two passes as tf.moments does, but
 * without its transposed copies of x.
 */
export function channelMoments(x: tf.Tensor): { mean: tf.Tensor1D; variance: tf.Tensor1D } {
  const channels = x.shape[x.rank - 1]!;
  const count = x.size / channels;
  const [mean, variance] = tf.tidy(() => {
    const groups = sumGroups(x, channels);
    const m = tf.div(tf.sum(run(CHANNEL_SUMS, { dy: x }, { channels, packed: false, groups, sums: 'plain' }), 0), count);
    const squared = run(CHANNEL_SUMS, { dy: x, mean: m }, { channels, packed: false, groups, sums: 'squaredDeviation' });
    return [m, tf.div(tf.sum(squared, 0), count)] as tf.Tensor1D[];
  });
  return { mean: mean!, variance: variance! };
}
