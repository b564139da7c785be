/** The pure parts of the model views: confusion counting, the mistakes picked, a drawn digit prepared as MNIST's were. */
import { describe, expect, it } from 'vitest';
import { confusionReport, pickMistakes } from '../../src/core/evaluation-report';
import { MNIST_SIDE, centreLikeMnist, invertGrey, probabilityRows, toModelInput } from '../../src/core/try-model';

describe('confusionReport', () => {
  const names = ['cat', 'dog', 'bird'];
  const truth = [0, 0, 0, 1, 1, 2, 2, 2, 2];
  const predicted = [0, 0, 1, 1, 2, 2, 2, 0, 2];

  it('counts each (true, predicted) pair in rows of true classes', () => {
    const report = confusionReport(names, truth, predicted);
    expect(report.counts).toEqual([[2, 1, 0], [0, 1, 1], [1, 0, 3]]);
    expect(report.counts.flat().reduce((a, b) => a + b, 0)).toBe(truth.length);
    expect(report.examples).toBe(9);
    expect(report.correct).toBe(6);
    expect(report.accuracy).toBeCloseTo(6 / 9, 12);
    expect(report.classNames).toEqual(names);
  });

  it('gives per-class accuracy as correct over the class images, null for a class with none', () => {
    const report = confusionReport(['a', 'b', 'c'], [0, 0, 1], [0, 1, 1]);
    expect(report.perClassAccuracy).toEqual([0.5, 1, null]);
    // The overall accuracy is the per-class accuracies weighted by the class sizes.
    expect(report.accuracy).toBeCloseTo((0.5 * 2 + 1 * 1) / 3, 12);
  });

  it('refuses predictions outside the classes and mismatched lengths', () => {
    expect(() => confusionReport(names, [0, 1], [0, 3])).toThrow(/outside the 3 classes/);
    expect(() => confusionReport(names, [5], [0])).toThrow(/outside the 3 classes/);
    expect(() => confusionReport(names, [0, 1], [0])).toThrow(/2 labels but 1 predictions/);
  });

  it('counts nothing for no examples', () => {
    const report = confusionReport(names, [], []);
    expect(report.examples).toBe(0);
    expect(report.accuracy).toBe(0);
    expect(report.perClassAccuracy).toEqual([null, null, null]);
  });
});

describe('pickMistakes', () => {
  it('keeps only misclassified examples, the most confident first, ties in order, up to the limit', () => {
    const truth = [0, 1, 2, 0, 1, 2];
    const predicted = [1, 1, 0, 2, 0, 2];
    const confidence = [0.6, 0.99, 0.9, 0.6, 0.7, 0.95];
    expect(pickMistakes(truth, predicted, confidence, 10)).toEqual([
      { position: 2, trueLabel: 2, predicted: 0, confidence: 0.9 },
      { position: 4, trueLabel: 1, predicted: 0, confidence: 0.7 },
      { position: 0, trueLabel: 0, predicted: 1, confidence: 0.6 },
      { position: 3, trueLabel: 0, predicted: 2, confidence: 0.6 },
    ]);
    expect(pickMistakes(truth, predicted, confidence, 2).map((m) => m.position)).toEqual([2, 4]);
    expect(pickMistakes([0, 1], [0, 1], [1, 1], 5)).toEqual([]);
  });
});

/** A side × side black image with a white rectangle [x0, x1) × [y0, y1). */
function rectangle(side: number, x0: number, y0: number, x1: number, y1: number): Uint8Array {
  const image = new Uint8Array(side * side);
  for (let y = y0; y < y1; y++) image.fill(255, y * side + x0, y * side + x1);
  return image;
}

function boundingBox(image: Uint8Array, side: number) {
  let [left, top, right, bottom] = [side, side, -1, -1];
  image.forEach((v, i) => {
    if (v === 0) return;
    const [x, y] = [i % side, Math.floor(i / side)];
    [left, top, right, bottom] = [Math.min(left, x), Math.min(top, y), Math.max(right, x), Math.max(bottom, y)];
  });
  return { width: right - left + 1, height: bottom - top + 1 };
}

function centreOfMass(image: Uint8Array, side: number): [number, number] {
  let [mass, cx, cy] = [0, 0, 0];
  image.forEach((v, i) => {
    mass += v;
    cx += v * (i % side);
    cy += v * Math.floor(i / side);
  });
  return [cx / mass, cy / mass];
}

describe('centreLikeMnist', () => {
  it('scales a stroke drawn off-centre so its longer side is 20 pixels and centres its mass in 28 × 28', () => {
    // A tall bar in the top-left corner of a 224-pixel pad: 40 wide, 160 high.
    const digit = centreLikeMnist(rectangle(224, 10, 5, 50, 165), 224);
    expect(digit.length).toBe(MNIST_SIDE * MNIST_SIDE);
    expect(boundingBox(digit, MNIST_SIDE)).toEqual({ width: 5, height: 20 });
    const [cx, cy] = centreOfMass(digit, MNIST_SIDE);
    expect(Math.abs(cx - 13.5)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(cy - 13.5)).toBeLessThanOrEqual(0.5);
    // A solid white stroke stays white inside (area averaging only softens the edges).
    expect(Math.max(...digit)).toBe(255);
  });

  it('keeps the ink: the mass scales with the area, and a blank pad stays blank', () => {
    const digit = centreLikeMnist(rectangle(100, 20, 20, 80, 80), 100);
    // 60 × 60 pixels of ink become 20 × 20 of full value.
    expect(digit.reduce((a, b) => a + b, 0)).toBe(20 * 20 * 255);
    expect(centreLikeMnist(new Uint8Array(100 * 100), 100).every((v) => v === 0)).toBe(true);
  });
});

describe('model input', () => {
  it('scales bytes to [0, 1] as the batch sources do, and inverts grey levels', () => {
    expect(Array.from(toModelInput(Uint8Array.from([0, 51, 255])))).toEqual([0, 0.2, 1].map((v) => Math.fround(v)));
    expect(Array.from(invertGrey(Uint8Array.from([0, 100, 255])))).toEqual([255, 155, 0]);
  });
});

describe('probabilityRows', () => {
  it('lists classes by probability and sums the rest into one row, so the rows add up to the whole', () => {
    const probabilities = [0.05, 0.5, 0.1, 0.2, 0.15];
    const rows = probabilityRows(probabilities, ['a', 'b', 'c', 'd', 'e'], 3);
    expect(rows.map((r) => r.label)).toEqual(['b', 'd', '3 other classes']);
    expect(rows[0]!.top).toBe(true);
    expect(rows.slice(1).every((r) => !r.top)).toBe(true);
    expect(rows[2]!.probability).toBeCloseTo(0.3, 12);
    expect(rows.reduce((sum, r) => sum + r.probability, 0)).toBeCloseTo(1, 12);
    expect(probabilityRows([0.4, 0.6], ['x', 'y']).map((r) => r.label)).toEqual(['y', 'x']);
  });
});
