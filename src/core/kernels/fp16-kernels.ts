/**
 * `Float16RoundTrip`: float32 rounded to the nearest binary16, returned as float32, in one dispatch on cpu, WebGL 2 and
 * WebGPU (the integer algorithm: docs/architecture.md, "Kernels"). Registered on import, under backend names.
 */
import * as tf from '../tf';
import { FlatProgram, flatView } from './webgpu-program';
import type { CpuBackendInternals, WebGlBackendInternals, WebGlProgram, WebGpuBackendInternals } from '../backend-internals';

export const FLOAT16_ROUND_TRIP = 'Float16RoundTrip';

/** The backends that have the kernel (tfjs's registered names). */
export const FLOAT16_ROUND_TRIP_BACKENDS = ['cpu', 'webgl', 'webgpu'] as const;

// ---------------------------------------------------------------------------------------------------------------
// The algorithm, in JavaScript (the cpu kernel) — the shaders below are line-by-line translations.
// ---------------------------------------------------------------------------------------------------------------

/** |x| bits from which the result is ±Infinity: 65520 = 0x477ff000 (and Infinity itself). */
const OVERFLOW_BITS = 0x477ff000;
/** |x| bits of 2^-14, the smallest normal half. */
const MIN_NORMAL_BITS = 0x38800000;
const INFINITY_BITS = 0x7f800000;
const TWO_POW_MINUS_24 = 2 ** -24;
const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/**
 * The float32 bit pattern of roundToFloat16(x) for the float32 whose bit pattern is `bits` (a uint32 or int32;
 * the result is an int32, to be stored through a Uint32Array or Int32Array).
 */
export function roundFloat32BitsToFloat16(bits: number): number {
  const sign = bits & 0x80000000;
  const a = bits & 0x7fffffff;
  if (a > INFINITY_BITS) return bits; // NaN, payload kept
  if (a >= OVERFLOW_BITS) return sign | INFINITY_BITS;
  if (a >= MIN_NORMAL_BITS) return sign | ((a + 0xfff + ((a >>> 13) & 1)) & 0xffffe000);
  if (a >>> 23 < 102) return sign; // |x| < 2^-25: ±0
  scratchF32[0] = halfSubnormalQuanta(a) * TWO_POW_MINUS_24; // exact: q ≤ 1024
  return sign | scratchU32[0]!;
}

/**
 * q = round(|x| / 2^-24), ties to even, for |x| < 2^-14 whose bits `a` have an exponent of 102 or more (less rounds
 * to ±0): the 24-bit significand shifted right by 126 − exponent (14..24). q ≤ 1024. Shared with packed-float16.ts,
 * whose half bits are sign | q.
 */
export function halfSubnormalQuanta(a: number): number {
  const shift = 126 - (a >>> 23);
  const significand = (a & 0x7fffff) | 0x800000;
  let q = significand >>> shift;
  const rest = significand & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  if (rest > half || (rest === half && (q & 1) === 1)) q++;
  return q;
}

function roundFloat32ArrayToFloat16(values: Float32Array): Float32Array {
  const input = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint32Array(values.length);
  for (let i = 0; i < input.length; i++) out[i] = roundFloat32BitsToFloat16(input[i]!);
  return new Float32Array(out.buffer);
}

// ---------------------------------------------------------------------------------------------------------------
// cpu
// ---------------------------------------------------------------------------------------------------------------


function assertFloat32(x: tf.TensorInfo): void {
  if (x.dtype !== 'float32') {
    throw new Error(`${FLOAT16_ROUND_TRIP} takes a float32 tensor, got ${x.dtype} (use float16RoundTripKernel, which casts).`);
  }
}

const cpuKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const { x } = inputs as { x: tf.TensorInfo };
  assertFloat32(x);
  const cpu = backend as unknown as CpuBackendInternals;
  // A float32 tensor cast from int32 or bool keeps its Int32Array / Uint8Array (tfjs's Cast only relabels it).
  const values = cpu.data.get(x.dataId).values as Float32Array | Int32Array | Uint8Array;
  const floats = values instanceof Float32Array ? values : Float32Array.from(values);
  return cpu.makeTensorInfo(x.shape, 'float32', roundFloat32ArrayToFloat16(floats));
};

// ---------------------------------------------------------------------------------------------------------------
// webgpu
// ---------------------------------------------------------------------------------------------------------------

/**
 * WGSL of halfSubnormalQuanta for U = u32 or vec4<u32>, branch-free: the shift is clamped to 14..25 (25 and more
 * give q = 0, the right answer there). Shared with packed-float16.ts.
 */
export function wgslHalfSubnormalQuanta(u: string): string {
  return `
  fn halfSubnormalQuanta(a : ${u}) -> ${u} {
    let exponent = a >> ${u}(23u);
    let shift = clamp(${u}(126u) - min(exponent, ${u}(126u)), ${u}(14u), ${u}(25u));
    let significand = (a & ${u}(0x7fffffu)) | ${u}(0x800000u);
    let q0 = significand >> shift;
    let rest = significand & ((${u}(1u) << shift) - ${u}(1u));
    let halfway = ${u}(1u) << (shift - ${u}(1u));
    let up = (rest > halfway) | ((rest == halfway) & ((q0 & ${u}(1u)) == ${u}(1u)));
    return q0 + select(${u}(0u), ${u}(1u), up);
  }`;
}

/** WGSL for scalars (U = u32) and vec4s (U = vec4<u32>): the same algorithm, branch-free with select(). */
function wgslRound(u: string, f: string): string {
  return `${wgslHalfSubnormalQuanta(u)}
  fn float16RoundTrip(v : ${f}) -> ${f} {
    let bits = bitcast<${u}>(v);
    let signBit = bits & ${u}(0x80000000u);
    let a = bits & ${u}(0x7fffffffu);
    // Normal half: keep 10 of 23 significand bits, ties to even.
    let normal = (a + ${u}(0xfffu) + ((a >> ${u}(13u)) & ${u}(1u))) & ${u}(0xffffe000u);
    // Half subnormal: q * 2^-24 (exact).
    let subnormal = bitcast<${u}>(${f}(halfSubnormalQuanta(a)) * bitcast<f32>(0x33800000u));
    var r = select(subnormal, normal, a >= ${u}(0x38800000u));
    r = select(r, ${u}(0x7f800000u), a >= ${u}(0x477ff000u));
    r = select(r | signBit, bits, a > ${u}(0x7f800000u));
    return bitcast<${f}>(r);
  }`;
}

/**
 * Flat (webgpu-program.ts): at most a vec4 and a scalar pipeline (and their variants for tensors over 65535
 * workgroups, where tfjs folds the dispatch into 2-D).
 */
function float16RoundTripProgram(size: number): FlatProgram {
  const vec4 = size % 4 === 0;
  const f = vec4 ? 'vec4<f32>' : 'f32';
  return new FlatProgram({
    shaderKey: vec4 ? 'float16RoundTrip_vec4' : 'float16RoundTrip',
    variableNames: ['A'],
    size,
    outputComponent: vec4 ? 4 : 1,
    functions: wgslRound(vec4 ? 'vec4<u32>' : 'u32', f),
    // The conversion matters only for an int32 / bool buffer relabelled float32 by Cast (its own pipeline).
    body: `result[index] = float16RoundTrip(${f}(A[index]));`,
  });
}

const webgpuKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const { x } = inputs as { x: tf.TensorInfo };
  assertFloat32(x);
  const gpu = backend as unknown as WebGpuBackendInternals;
  const output = gpu.makeTensorInfo(x.shape, 'float32');
  const program = float16RoundTripProgram(tf.util.sizeFromShape(x.shape));
  gpu.runWebGPUProgram(program, [flatView(x)], 'float32', undefined, flatView(output));
  return output;
};

// ---------------------------------------------------------------------------------------------------------------
// webgl (WebGL 2 / GLSL ES 3.00: floatBitsToUint and uint arithmetic)
// ---------------------------------------------------------------------------------------------------------------
// With half-float textures (WEBGL_FORCE_F16_TEXTURES, or a device without float32 render targets) every stored value
// is already binary16, converted by the GPU with whatever rounding it uses (not necessarily ties to even); the
// kernel then only sees and returns halves (it is the identity on them). Float32 subnormal inputs may be flushed to
// zero by the GPU before the shader sees them; they round to ±0 anyway (a flush that drops the sign gives +0).

const GLSL_ROUND = `
  float float16RoundTrip(float v) {
    uint bits = floatBitsToUint(v);
    uint signBit = bits & 0x80000000u;
    uint a = bits & 0x7fffffffu;
    if (a > 0x7f800000u) return v;
    if (a >= 0x477ff000u) return uintBitsToFloat(signBit | 0x7f800000u);
    if (a >= 0x38800000u) return uintBitsToFloat(signBit | ((a + 0xfffu + ((a >> 13u) & 1u)) & 0xffffe000u));
    uint exponent = a >> 23u;
    if (exponent < 102u) return uintBitsToFloat(signBit);
    uint shift = 126u - exponent;
    uint significand = (a & 0x7fffffu) | 0x800000u;
    uint q = significand >> shift;
    uint rest = significand & ((1u << shift) - 1u);
    uint halfway = 1u << (shift - 1u);
    if (rest > halfway || (rest == halfway && (q & 1u) == 1u)) q += 1u;
    return uintBitsToFloat(signBit | floatBitsToUint(float(q) * uintBitsToFloat(0x33800000u)));
  }
`;

function webglProgram(shape: number[], packed: boolean): WebGlProgram {
  // As tfjs's UnaryOpProgram / UnaryOpPackedProgram (useShapeUniforms is not exported: same rule).
  const enableShapeUniforms = tf.env().getBool('WEBGL_USE_SHAPES_UNIFORMS') && shape.length <= 4;
  const body = packed
    ? `void main() {
        vec4 x = getAAtOutCoords();
        setOutput(vec4(float16RoundTrip(x.r), float16RoundTrip(x.g), float16RoundTrip(x.b), float16RoundTrip(x.a)));
      }`
    : `void main() {
        setOutput(float16RoundTrip(getAAtOutCoords()));
      }`;
  return {
    variableNames: ['A'],
    outputShape: shape,
    userCode: GLSL_ROUND + body,
    enableShapeUniforms,
    ...(packed ? { packedInputs: true, packedOutput: true } : {}),
  };
}

const webglKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const { x } = inputs as { x: tf.TensorInfo };
  assertFloat32(x);
  if (tf.env().getNumber('WEBGL_VERSION') < 2) {
    throw new Error(`${FLOAT16_ROUND_TRIP} needs WebGL 2 (GLSL ES 3.00 bit casts); this context is WebGL 1.`);
  }
  // Packed like tfjs's own unary ops, so a packed input is not unpacked by an extra program first.
  const program = webglProgram(x.shape, tf.env().getBool('WEBGL_PACK_UNARY_OPERATIONS'));
  return (backend as unknown as WebGlBackendInternals).runWebGLProgram(program, [x], 'float32');
};

// ---------------------------------------------------------------------------------------------------------------
// Registration and the op
// ---------------------------------------------------------------------------------------------------------------

const KERNELS: Record<(typeof FLOAT16_ROUND_TRIP_BACKENDS)[number], tf.KernelFunc> = {
  cpu: cpuKernel,
  webgl: webglKernel,
  webgpu: webgpuKernel,
};

/**
 * Registers the kernel for cpu, webgl and webgpu, and its gradient (straight through, the incoming gradient rounded
 * to binary16 too). Idempotent; runs on import. Backends need not exist yet.
 */
export function registerFloat16RoundTripKernels(): void {
  for (const backendName of FLOAT16_ROUND_TRIP_BACKENDS) {
    if (!tf.getKernel(FLOAT16_ROUND_TRIP, backendName)) {
      tf.registerKernel({ kernelName: FLOAT16_ROUND_TRIP, backendName, kernelFunc: KERNELS[backendName] });
    }
  }
  if (!tf.getGradient(FLOAT16_ROUND_TRIP)) {
    tf.registerGradient({
      kernelName: FLOAT16_ROUND_TRIP,
      gradFunc: (dy) => ({ x: () => float16RoundTripKernel(dy as tf.Tensor) }),
    });
  }
}

registerFloat16RoundTripKernels();

/**
 * True when `Float16RoundTrip` can run on the backend (default: the active one). False for backends without the
 * kernel (wasm …) and for WebGL 1 contexts.
 */
export function hasFloat16RoundTripKernel(backendName: string = tf.getBackend()): boolean {
  if (!tf.getKernel(FLOAT16_ROUND_TRIP, backendName)) return false;
  return backendName !== 'webgl' || tf.env().getNumber('WEBGL_VERSION') >= 2;
}

/**
 * x rounded to the nearest binary16 value, element-wise, as float32: one kernel (non-float32 inputs are cast
 * first). Differentiable (straight through, gradient rounded to binary16); precision.ts's float16RoundTrip is the
 * same with the gradient defined by tf.customGrad.
 */
export function float16RoundTripKernel(x: tf.Tensor): tf.Tensor {
  if (x.dtype === 'float32') return tf.engine().runKernel(FLOAT16_ROUND_TRIP, { x }) as tf.Tensor;
  return tf.tidy(() => tf.engine().runKernel(FLOAT16_ROUND_TRIP, { x: tf.cast(x, 'float32') }) as tf.Tensor);
}
