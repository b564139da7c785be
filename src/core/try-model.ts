/**
 * Trying a trained model on one image: the messages to the prediction worker, a drawn digit prepared as MNIST's digits
 * were, the pixels as the model's input (as the batch sources scale them) and the probabilities as rows to show.
 */
import type { TrainedModel } from './events';

/** A drawing or an image file; the worker brings either to the model's input shape. */
export type PredictInput =
  /** uint8 pixels already at the model's height × width × channels (a drawn digit). */
  | { kind: 'pixels'; pixels: Uint8Array }
  /** An image file, decoded as an import decodes it; `invert` turns dark-on-light into light-on-dark (MNIST's way). */
  | { kind: 'file'; file: Blob; name: string; invert: boolean };

export interface PredictRequest {
  id: number;
  /** Which kept run's model; `model` is sent only when the worker does not hold that key yet. */
  modelKey: number;
  model: TrainedModel | null;
  input: PredictInput;
}

export type PredictReply =
  /** seen: the image as the model got it (before the scaling to [0, 1]), to show beside the probabilities. */
  | { id: number; ok: true; probabilities: number[]; seen: { width: number; height: number; channels: number; pixels: Uint8Array } }
  | { id: number; ok: false; message: string };

/** MNIST's digits: their bounding box scaled into 20 × 20, centred by centre of mass in 28 × 28 (LeCun et al.). */
export const MNIST_SIDE = 28;
const MNIST_BOX = 20;

/** Area average of the `box` region of a side × side grey image into a width × height image. */
function resample(grey: Uint8Array, side: number, box: { x: number; y: number; w: number; h: number }, width: number, height: number): Float64Array {
  const out = new Float64Array(width * height);
  const sx = box.w / width;
  const sy = box.h / height;
  for (let oy = 0; oy < height; oy++) {
    for (let ox = 0; ox < width; ox++) {
      const x0 = box.x + ox * sx;
      const y0 = box.y + oy * sy;
      let sum = 0;
      // Clamped to the box: float steps may end a hair past its last pixel.
      for (let y = Math.floor(y0); y < Math.min(Math.ceil(y0 + sy), box.y + box.h); y++) {
        const wy = Math.min(y + 1, y0 + sy) - Math.max(y, y0);
        for (let x = Math.floor(x0); x < Math.min(Math.ceil(x0 + sx), box.x + box.w); x++) {
          const wx = Math.min(x + 1, x0 + sx) - Math.max(x, x0);
          sum += wx * wy * grey[y * side + x]!;
        }
      }
      out[oy * width + ox] = sum / (sx * sy);
    }
  }
  return out;
}

/**
 * A light-on-dark drawing (side × side grey) as an MNIST digit: the bounding box of its ink scaled, aspect kept, to fit
 * 20 × 20, then placed so its centre of mass is the centre of the 28 × 28 image. A blank drawing stays blank.
 */
export function centreLikeMnist(grey: Uint8Array, side: number): Uint8Array {
  let [left, top, right, bottom] = [side, side, -1, -1];
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      if (grey[y * side + x]! === 0) continue;
      left = Math.min(left, x);
      right = Math.max(right, x);
      top = Math.min(top, y);
      bottom = Math.max(bottom, y);
    }
  }
  const out = new Uint8Array(MNIST_SIDE * MNIST_SIDE);
  if (right < 0) return out;
  const box = { x: left, y: top, w: right - left + 1, h: bottom - top + 1 };
  const scale = MNIST_BOX / Math.max(box.w, box.h);
  const width = Math.max(1, Math.round(box.w * scale));
  const height = Math.max(1, Math.round(box.h * scale));
  const digit = resample(grey, side, box, width, height);
  let mass = 0;
  let cx = 0;
  let cy = 0;
  digit.forEach((v, i) => {
    mass += v;
    cx += v * (i % width);
    cy += v * Math.floor(i / width);
  });
  // Pixel centres: a mass centred in the 28 × 28 image sits at 13.5.
  const dx = Math.round((MNIST_SIDE - 1) / 2 - cx / mass);
  const dy = Math.round((MNIST_SIDE - 1) / 2 - cy / mass);
  digit.forEach((v, i) => {
    const x = (i % width) + dx;
    const y = Math.floor(i / width) + dy;
    if (x >= 0 && x < MNIST_SIDE && y >= 0 && y < MNIST_SIDE) out[y * MNIST_SIDE + x] = Math.round(v);
  });
  return out;
}

/** 255 − v: a dark digit on white paper becomes MNIST's light digit on black. */
export function invertGrey(pixels: Uint8Array): Uint8Array {
  return pixels.map((v) => 255 - v);
}

/** uint8 pixels as the model's input: v / 255, the scaling the batch sources train with (train/batches.ts). */
export function toModelInput(pixels: Uint8Array): Float32Array {
  return Float32Array.from(pixels, (v) => v / 255);
}

export interface ProbabilityRow {
  /** A class name, or "n other classes" for the rest. */
  label: string;
  probability: number;
  /** The most probable class. */
  top: boolean;
}

/**
 * The classes by probability, most probable first; beyond `maxRows` the rest are summed into one row, so the rows
 * always add up to what the model gave (1 up to float rounding).
 */
export function probabilityRows(probabilities: readonly number[], classNames: readonly string[], maxRows = 10): ProbabilityRow[] {
  const order = probabilities.map((p, i) => ({ i, p })).sort((a, b) => b.p - a.p || a.i - b.i);
  const shown = order.length > maxRows ? order.slice(0, maxRows - 1) : order;
  const rows = shown.map(({ i, p }, rank) => ({ label: classNames[i] ?? `class ${i}`, probability: p, top: rank === 0 }));
  const rest = order.slice(shown.length);
  if (rest.length) {
    rows.push({ label: `${rest.length} other classes`, probability: rest.reduce((sum, { p }) => sum + p, 0), top: false });
  }
  return rows;
}
