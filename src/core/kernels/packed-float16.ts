/**
 * `PackFloat16` / `UnpackFloat16` (cpu, WebGPU): two binary16 values in each 32-bit word of an int32 tensor, exact IEEE
 * rounding without `shader-f16`; none on WebGL (docs/architecture.md, "Kernels"). Registered on import.
 */
import * as tf from '../tf';
import { halfSubnormalQuanta, wgslHalfSubnormalQuanta } from './fp16-kernels';
import { FlatProgram, flatView } from './webgpu-program';
import type { CpuBackendInternals, WebGpuBackendInternals } from '../backend-internals';

export const PACK_FLOAT16 = 'PackFloat16';
export const UNPACK_FLOAT16 = 'UnpackFloat16';
/** The backends with both kernels (tfjs's registered names). */
export const PACKED_FLOAT16_BACKENDS = ['cpu', 'webgpu'] as const;

/** A float32 tensor stored as packed halves: the words and the logical shape they unpack to. */
export interface PackedFloat16 {
  /** int32 [⌈size/2⌉]. */
  words: tf.Tensor1D;
  shape: number[];
}

// ---------------------------------------------------------------------------------------------------------------
// The algorithm in JavaScript (the cpu kernels); the WGSL below is a line-by-line translation.
// ---------------------------------------------------------------------------------------------------------------

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** binary16 bits (0..0xffff) of the float32 whose bit pattern is `bits`, rounded to nearest, ties to even. */
export function float32BitsToFloat16Bits(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const a = bits & 0x7fffffff;
  if (a > 0x7f800000) return sign | 0x7e00 | ((a >>> 13) & 0x3ff); // NaN: quiet, top payload bits kept
  if (a >= 0x477ff000) return sign | 0x7c00; // ≥ 65520 (the tie above 65504 goes to the even 2^16) and ±Infinity
  if (a >= 0x38800000) {
    // Normal half: keep 10 of 23 significand bits, ties to even; a carry into the exponent is the next binade.
    const rounded = (a + 0xfff + ((a >>> 13) & 1)) >>> 13;
    return sign | (rounded - (112 << 10)); // rebias the exponent: 127 − 15 = 112
  }
  // Half subnormal (or zero): q = round(|x| / 2^-24), ties to even.
  if (a >>> 23 < 102) return sign; // |x| < 2^-25 rounds to ±0
  return sign | halfSubnormalQuanta(a); // q ≤ 1024; 1024 is the bit pattern of 2^-14, the smallest normal: still right
}

/** float32 bits of the binary16 value `h` (exact). */
export function float16BitsToFloat32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exponent = (h >>> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0x1f) return (sign | 0x7f800000 | (mantissa << 13)) >>> 0;
  if (exponent !== 0) return (sign | ((exponent + 112) << 23) | (mantissa << 13)) >>> 0;
  scratchF32[0] = mantissa * 2 ** -24; // exact: a half subnormal is a normal float32
  return (sign | scratchU32[0]!) >>> 0;
}

/** The value x stored as binary16 and read back (what a pack/unpack round trip gives). */
export function roundTripThroughFloat16(x: number): number {
  scratchF32[0] = x;
  scratchU32[0] = float16BitsToFloat32Bits(float32BitsToFloat16Bits(scratchU32[0]!));
  return scratchF32[0];
}

function packArray(values: Float32Array): Int32Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const words = new Int32Array(Math.ceil(values.length / 2));
  for (let i = 0; i < words.length; i++) {
    const lo = float32BitsToFloat16Bits(bits[2 * i]!);
    const hi = 2 * i + 1 < bits.length ? float32BitsToFloat16Bits(bits[2 * i + 1]!) : 0;
    words[i] = lo | (hi << 16);
  }
  return words;
}

function unpackArray(words: Int32Array, size: number): Float32Array {
  const bits = new Uint32Array(size);
  for (let i = 0; i < size; i++) {
    const word = words[i >> 1]!;
    bits[i] = float16BitsToFloat32Bits(i & 1 ? (word >>> 16) & 0xffff : word & 0xffff);
  }
  return new Float32Array(bits.buffer);
}

// ---------------------------------------------------------------------------------------------------------------
// cpu
// ---------------------------------------------------------------------------------------------------------------


function expectDtype(kernel: string, x: tf.TensorInfo, dtype: tf.DataType): void {
  if (x.dtype !== dtype) throw new Error(`${kernel} takes a ${dtype} tensor, got ${x.dtype}.`);
}

/** UnpackFloat16's words and the shape it is asked for (of `size` elements), which must fit the words (both backends). */
function unpackOperands({ inputs, attrs }: Parameters<tf.KernelFunc>[0]): { words: tf.TensorInfo; shape: number[]; size: number } {
  const { words } = inputs as { words: tf.TensorInfo };
  expectDtype(UNPACK_FLOAT16, words, 'int32');
  const shape = (attrs as { shape: number[] }).shape;
  const size = tf.util.sizeFromShape(shape);
  const wordCount = tf.util.sizeFromShape(words.shape);
  if (Math.ceil(size / 2) !== wordCount) {
    throw new Error(`${UNPACK_FLOAT16}: ${wordCount} words hold ${2 * wordCount - 1} or ${2 * wordCount} halves, not shape [${shape}].`);
  }
  return { words, shape, size };
}

const cpuPack: tf.KernelFunc = ({ inputs, backend }) => {
  const { x } = inputs as { x: tf.TensorInfo };
  expectDtype(PACK_FLOAT16, x, 'float32');
  const cpu = backend as unknown as CpuBackendInternals;
  const values = cpu.data.get(x.dataId).values as Float32Array | Int32Array | Uint8Array;
  // A float32 tensor cast from int32 or bool keeps its integer array on the cpu backend.
  const floats = values instanceof Float32Array ? values : Float32Array.from(values);
  return cpu.makeTensorInfo([Math.ceil(floats.length / 2)], 'int32', packArray(floats));
};

const cpuUnpack: tf.KernelFunc = (args) => {
  const { words, shape, size } = unpackOperands(args);
  const cpu = args.backend as unknown as CpuBackendInternals;
  return cpu.makeTensorInfo(shape, 'float32', unpackArray(cpu.data.get(words.dataId).values as Int32Array, size));
};

// ---------------------------------------------------------------------------------------------------------------
// webgpu
// ---------------------------------------------------------------------------------------------------------------

/** WGSL of float32BitsToFloat16Bits for U = u32 or vec4<u32> (branch-free with select). */
export function wgslToHalfBits(u: string): string {
  return `${wgslHalfSubnormalQuanta(u)}
  fn toHalfBits(bits : ${u}) -> ${u} {
    let signBit = (bits >> ${u}(16u)) & ${u}(0x8000u);
    let a = bits & ${u}(0x7fffffffu);
    let normal = ((a + ${u}(0xfffu) + ((a >> ${u}(13u)) & ${u}(1u))) >> ${u}(13u)) - ${u}(112u << 10u);
    var h = select(halfSubnormalQuanta(a), normal, a >= ${u}(0x38800000u));
    h = select(h, ${u}(0x7c00u), a >= ${u}(0x477ff000u));
    h = select(h, ${u}(0x7e00u) | ((a >> ${u}(13u)) & ${u}(0x3ffu)), a > ${u}(0x7f800000u));
    return signBit | h;
  }`;
}

/** WGSL of float16BitsToFloat32Bits for U = u32 / F = f32 or their vec4s; h holds the half in its low 16 bits. */
export function wgslFromHalfBits(u: string, f: string): string {
  return `
  fn fromHalfBits(h : ${u}) -> ${f} {
    let signBit = (h & ${u}(0x8000u)) << ${u}(16u);
    let exponent = (h >> ${u}(10u)) & ${u}(0x1fu);
    let mantissa = h & ${u}(0x3ffu);
    let normal = signBit | ((exponent + ${u}(112u)) << ${u}(23u)) | (mantissa << ${u}(13u));
    let special = signBit | ${u}(0x7f800000u) | (mantissa << ${u}(13u));
    let subnormal = signBit | bitcast<${u}>(${f}(mantissa) * bitcast<f32>(0x33800000u));
    var bits = select(normal, subnormal, exponent == ${u}(0u));
    bits = select(bits, special, exponent == ${u}(0x1fu));
    return bitcast<${f}>(bits);
  }`;
}

/**
 * Flat programs (webgpu-program.ts): a vectorised and a scalar pipeline per kernel at most.
 * `size` is the number of float32 inputs. With size % 8 == 0, each invocation packs 8 floats into a vec4 of words.
 */
function packFloat16Program(size: number): FlatProgram {
  const vec4 = size % 8 === 0;
  return new FlatProgram({
    shaderKey: vec4 ? 'packFloat16_vec4' : 'packFloat16',
    variableNames: ['X'],
    size: Math.ceil(size / 2),
    outputComponent: vec4 ? 4 : 1,
    functions: wgslToHalfBits(vec4 ? 'vec4<u32>' : 'u32'),
    body: vec4
      ? `let a = toHalfBits(bitcast<vec4<u32>>(X[2 * index]));
      let b = toHalfBits(bitcast<vec4<u32>>(X[2 * index + 1]));
      let words = vec4<u32>(a.x | (a.y << 16u), a.z | (a.w << 16u), b.x | (b.y << 16u), b.z | (b.w << 16u));
      result[index] = bitcast<vec4<i32>>(words);`
      : `let lo = toHalfBits(bitcast<u32>(X[2 * index]));
      var hi = 0u;
      if (2 * index + 1 < uniforms.xShape) {
        hi = toHalfBits(bitcast<u32>(X[2 * index + 1]));
      }
      result[index] = bitcast<i32>(lo | (hi << 16u));`,
  });
}

/** `size` is the number of float32 outputs. With size % 4 == 0, each invocation unpacks 2 words into a vec4. */
function unpackFloat16Program(size: number): FlatProgram {
  const vec4 = size % 4 === 0;
  return new FlatProgram({
    shaderKey: vec4 ? 'unpackFloat16_vec4' : 'unpackFloat16',
    variableNames: ['W'],
    size,
    outputComponent: vec4 ? 4 : 1,
    variableComponents: [vec4 ? 2 : 1],
    functions: vec4 ? wgslFromHalfBits('vec4<u32>', 'vec4<f32>') : wgslFromHalfBits('u32', 'f32'),
    body: vec4
      ? `let w = bitcast<vec2<u32>>(W[index]);
      result[index] = fromHalfBits(vec4<u32>(w.x & 0xffffu, w.x >> 16u, w.y & 0xffffu, w.y >> 16u));`
      : `let w = bitcast<u32>(W[index / 2]);
      result[index] = fromHalfBits(select(w & 0xffffu, w >> 16u, (index & 1) == 1));`,
  });
}

const webgpuPack: tf.KernelFunc = ({ inputs, backend }) => {
  const { x } = inputs as { x: tf.TensorInfo };
  expectDtype(PACK_FLOAT16, x, 'float32');
  const program = packFloat16Program(tf.util.sizeFromShape(x.shape));
  return (backend as unknown as WebGpuBackendInternals).runWebGPUProgram(program, [flatView(x)], 'int32');
};

const webgpuUnpack: tf.KernelFunc = (args) => {
  const { words, shape, size } = unpackOperands(args);
  const gpu = args.backend as unknown as WebGpuBackendInternals;
  const output = gpu.makeTensorInfo(shape, 'float32');
  gpu.runWebGPUProgram(unpackFloat16Program(size), [flatView(words)], 'float32', undefined, flatView(output));
  return output;
};

// ---------------------------------------------------------------------------------------------------------------
// Registration and the ops
// ---------------------------------------------------------------------------------------------------------------

const KERNELS: Record<(typeof PACKED_FLOAT16_BACKENDS)[number], Record<string, tf.KernelFunc>> = {
  cpu: { [PACK_FLOAT16]: cpuPack, [UNPACK_FLOAT16]: cpuUnpack },
  webgpu: { [PACK_FLOAT16]: webgpuPack, [UNPACK_FLOAT16]: webgpuUnpack },
};

/** Registers both kernels for cpu and webgpu. Idempotent; runs on import. No gradients: these are storage, not ops. */
export function registerPackedFloat16Kernels(): void {
  for (const backendName of PACKED_FLOAT16_BACKENDS) {
    for (const [kernelName, kernelFunc] of Object.entries(KERNELS[backendName])) {
      if (!tf.getKernel(kernelName, backendName)) tf.registerKernel({ kernelName, backendName, kernelFunc });
    }
  }
}

registerPackedFloat16Kernels();

/** True when the backend (default: the active one) can pack and unpack halves. */
export function hasPackedFloat16Kernels(backendName: string = tf.getBackend()): boolean {
  return tf.getKernel(PACK_FLOAT16, backendName) !== undefined && tf.getKernel(UNPACK_FLOAT16, backendName) !== undefined;
}

/** x (float32) rounded to binary16 and packed two to a word; the caller disposes `words`. */
export function packFloat16(x: tf.Tensor): PackedFloat16 {
  if (x.dtype !== 'float32') throw new Error(`packFloat16 takes a float32 tensor, got ${x.dtype}.`);
  const words = tf.engine().runKernel(PACK_FLOAT16, { x }) as tf.Tensor1D;
  return { words, shape: x.shape.slice() };
}

/** The float32 tensor a PackedFloat16 holds (a new tensor; the words are left alone). */
export function unpackFloat16(packed: PackedFloat16): tf.Tensor {
  const attrs = { shape: packed.shape } as unknown as tf.NamedAttrMap;
  return tf.engine().runKernel(UNPACK_FLOAT16, { words: packed.words }, attrs) as tf.Tensor;
}
