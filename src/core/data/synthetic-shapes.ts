/**
 * A generated 3×32×32 colour dataset of shapes: six classes, each drawn at a random position, size and rotation, in a
 * random light colour on a random darker (flat or gradient) background, with pixel noise and, sometimes, a small
 * distracting dot. Hue says nothing about the class, so a model has to learn shape: position and rotation defeat a
 * template (an mlp stays near chance while cnn-small learns), and ring vs circle or star vs circle need more than a blob
 * detector. The shape is always lighter than its background so that a short run can learn something at all (with both
 * polarities, cnn-small stayed at chance after 150 steps).
 *
 * Only + − × ÷ and comparisons touch the geometry (no Math.sin/atan2, whose last bits may differ between JavaScript
 * engines), so the same seed gives the same bytes in every browser and in Node.
 */
import { createRng, shuffleInPlace, type Rng } from '../rng';
import type { ImageDataset } from './dataset';

export const SYNTHETIC_SHAPES_ID = 'synthetic-shapes';
export const SYNTHETIC_SHAPE_CLASSES = ['circle', 'ring', 'square', 'triangle', 'cross', 'star'] as const;
export const SYNTHETIC_SHAPES_SIDE = 32;
export const SYNTHETIC_SHAPES_PER_CLASS = 1000;
/** The dataset every run trains on is generated from this seed, so its test split is the same in every run and link. */
export const SYNTHETIC_SHAPES_SEED = 20_261_201;

type ShapeName = (typeof SYNTHETIC_SHAPE_CLASSES)[number];
/** Whether a point in the shape's own frame (unit radius, centred, unrotated) is inside the shape. */
type InsideTest = (u: number, v: number) => boolean;

// A five-pointed star as a polygon: outer points at radius 1, inner corners at 0.42, every 36° from straight up.
// cos/sin of the multiples of 36° are written out so no trigonometry runs at generation time.
const STAR_ANGLES: ReadonlyArray<readonly [number, number]> = [
  [0, -1], [0.5877852522924731, -0.8090169943749475], [0.9510565162951535, -0.30901699437494745],
  [0.9510565162951536, 0.30901699437494734], [0.5877852522924732, 0.8090169943749473], [0, 1],
  [-0.587785252292473, 0.8090169943749475], [-0.9510565162951535, 0.30901699437494756],
  [-0.9510565162951536, -0.30901699437494723], [-0.5877852522924734, -0.8090169943749473],
];
/** The star's corners as x, y pairs. */
const STAR_POLYGON = Float64Array.from(STAR_ANGLES.flatMap(([x, y], i) => {
  const radius = i % 2 === 0 ? 1 : 0.42;
  return [x * radius, y * radius];
}));

/** Even–odd crossing test over a polygon given as x, y pairs. */
function insidePolygon(polygon: Float64Array, u: number, v: number): boolean {
  let inside = false;
  const n = polygon.length;
  for (let i = 0, j = n - 2; i < n; j = i, i += 2) {
    const xi = polygon[i]!;
    const yi = polygon[i + 1]!;
    const xj = polygon[j]!;
    const yj = polygon[j + 1]!;
    if ((yi > v) !== (yj > v) && u < ((xj - xi) * (v - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

const SQRT3 = 1.7320508075688772;

const INSIDE: Record<ShapeName, InsideTest> = {
  circle: (u, v) => u * u + v * v <= 1,
  ring: (u, v) => {
    const r2 = u * u + v * v;
    return r2 <= 1 && r2 >= 0.3;
  },
  square: (u, v) => Math.max(Math.abs(u), Math.abs(v)) <= 0.75,
  // Equilateral, circumradius 1, pointing up: vertices (0, −1) and (±√3/2, 0.5).
  triangle: (u, v) => v <= 0.5 && v >= SQRT3 * Math.abs(u) - 1,
  cross: (u, v) => {
    const au = Math.abs(u);
    const av = Math.abs(v);
    return (au <= 0.28 && av <= 0.95) || (av <= 0.28 && au <= 0.95);
  },
  star: (u, v) => u * u + v * v <= 1 && insidePolygon(STAR_POLYGON, u, v),
};

export interface SyntheticShapesOptions {
  seed?: number;
  perClass?: number;
  /** Largest pixel noise, in 0–255 units per channel (uniform in ±noise). */
  noise?: number;
  /** Chance that an image also holds a small dot of another colour. */
  distractorChance?: number;
}

type Rgb = [number, number, number];

/** A random colour with every channel in [low, low + span). */
const randomColour = (rng: Rng, low = 0, span = 256): Rgb => [low + rng.int(span), low + rng.int(span), low + rng.int(span)];

const PIXELS = SYNTHETIC_SHAPES_SIDE * SYNTHETIC_SHAPES_SIDE;
/** Shape coverage per pixel (0, ¼, ½, ¾ or 1), reused across images. */
const coverage = new Float32Array(PIXELS);

/** Fills `coverage` for one shape, antialiased by 2×2 supersampling inside the shape's bounding box. */
function rasterise(inside: InsideTest, cx: number, cy: number, radius: number, cos: number, sin: number): void {
  const side = SYNTHETIC_SHAPES_SIDE;
  coverage.fill(0);
  const x0 = Math.max(0, Math.floor(cx - radius - 1));
  const x1 = Math.min(side - 1, Math.ceil(cx + radius + 1));
  const y0 = Math.max(0, Math.floor(cy - radius - 1));
  const y1 = Math.min(side - 1, Math.ceil(cy + radius + 1));
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      let hits = 0;
      for (let sy = 0.25; sy < 1; sy += 0.5) {
        for (let sx = 0.25; sx < 1; sx += 0.5) {
          const dx = (x + sx - cx) / radius;
          const dy = (y + sy - cy) / radius;
          if (inside(cos * dx + sin * dy, -sin * dx + cos * dy)) hits++;
        }
      }
      coverage[y * side + x] = hits / 4;
    }
  }
}

/** Draws one image into `out` (HWC, RGB): background, shape blended by its coverage, optional dot, noise. */
function drawImage(out: Uint8Array, shape: ShapeName, rng: Rng, noiseAmplitude: number, distractorChance: number): void {
  const side = SYNTHETIC_SHAPES_SIDE;
  const from = randomColour(rng, 0, 110);
  const to = rng.next() < 0.5 ? from : randomColour(rng, 0, 110);
  // Gradient direction: axis-aligned or diagonal, as integer weights (no trigonometry).
  const gx = rng.int(3) - 1;
  const gy = gx === 0 ? (rng.int(2) === 0 ? -1 : 1) : rng.int(3) - 1;
  const colour = randomColour(rng, 120, 136);

  const radius = 7 + rng.next() * 6;
  const margin = radius * 0.8;
  const cx = margin + rng.next() * (side - 2 * margin);
  const cy = margin + rng.next() * (side - 2 * margin);
  // Rotation from t = tan(θ/2) in [−1, 1] (θ in ±90°): cos θ and sin θ as rational functions of t.
  const t = rng.next() * 2 - 1;
  rasterise(INSIDE[shape], cx, cy, radius, (1 - t * t) / (1 + t * t), (2 * t) / (1 + t * t));

  const dot = rng.next() < distractorChance
    ? { x: rng.next() * side, y: rng.next() * side, r: 1.2 + rng.next() * 1.2, colour: randomColour(rng) }
    : null;
  // Pixel noise from an inline xorshift32 seeded per image: one 32-bit draw gives three 10-bit values (one per
  // channel); drawing them from the general-purpose generator would take most of the generation time.
  let noiseState = rng.seed() | 1;

  const gradientSpan = (Math.abs(gx) + Math.abs(gy)) * (side - 1);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const along = ((gx >= 0 ? x : side - 1 - x) * Math.abs(gx) + (gy >= 0 ? y : side - 1 - y) * Math.abs(gy)) / gradientSpan;
      const onDot = dot !== null && (x + 0.5 - dot.x) ** 2 + (y + 0.5 - dot.y) ** 2 <= dot.r * dot.r;
      const shapeCoverage = coverage[y * side + x]!;
      const offset = (y * side + x) * 3;
      noiseState ^= noiseState << 13;
      noiseState ^= noiseState >>> 17;
      noiseState ^= noiseState << 5;
      for (let c = 0; c < 3; c++) {
        const background = onDot ? dot.colour[c]! : from[c]! + (to[c]! - from[c]!) * along;
        const noise = (((noiseState >>> (10 * c)) & 1023) / 512 - 1) * noiseAmplitude;
        const value = background + (colour[c]! - background) * shapeCoverage + noise;
        out[offset + c] = Math.min(255, Math.max(0, Math.round(value)));
      }
    }
  }
}

/** Generates the dataset: exactly `perClass` images of each class, in a seeded order. */
export function generateSyntheticShapes(options: SyntheticShapesOptions = {}): ImageDataset {
  const { seed = SYNTHETIC_SHAPES_SEED, perClass = SYNTHETIC_SHAPES_PER_CLASS, noise = 12, distractorChance = 0.25 } = options;
  const rng = createRng(seed);
  const numClasses = SYNTHETIC_SHAPE_CLASSES.length;
  const count = perClass * numClasses;
  const order = Array.from({ length: count }, (_, i) => i % numClasses);
  shuffleInPlace(order, rng);
  const labels = Uint8Array.from(order);
  const pixels = PIXELS * 3;
  const images = new Uint8Array(count * pixels);
  for (let i = 0; i < count; i++) {
    drawImage(images.subarray(i * pixels, (i + 1) * pixels), SYNTHETIC_SHAPE_CLASSES[labels[i]!]!, rng, noise, distractorChance);
  }
  return {
    id: SYNTHETIC_SHAPES_ID,
    name: 'Synthetic shapes (RGB)',
    height: SYNTHETIC_SHAPES_SIDE,
    width: SYNTHETIC_SHAPES_SIDE,
    channels: 3,
    classNames: [...SYNTHETIC_SHAPE_CLASSES],
    count,
    images,
    labels,
  };
}
