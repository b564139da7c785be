import { createRng, shuffleInPlace, type Rng } from '../rng';

/** The split never depends on the run seed: the test set stays the same across every run and every link. */
export const SPLIT_SEED = 20_261_125;
export const SPLIT_FRACTIONS = { train: 0.8, validation: 0.1 } as const;

export interface Splits {
  train: Int32Array;
  validation: Int32Array;
  test: Int32Array;
}

/** The indices grouped by label, classes in label order (labels with no index left out). */
export function byClass(indices: ArrayLike<number>, labels: Uint8Array): number[][] {
  const groups: number[][] = [];
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i]!;
    (groups[labels[index]!] ??= []).push(index);
  }
  return groups.filter((group) => group !== undefined);
}

/** Fixed, stratified train/validation/test split (80/10/10 per class), seeded by SPLIT_SEED. */
export function splitDataset(labels: Uint8Array): Splits {
  const rng = createRng(SPLIT_SEED);
  const all = Array.from({ length: labels.length }, (_, i) => i);
  const train: number[] = [];
  const validation: number[] = [];
  const test: number[] = [];
  for (const group of byClass(all, labels)) {
    shuffleInPlace(group, rng);
    const nTrain = Math.round(group.length * SPLIT_FRACTIONS.train);
    const nValidation = Math.round(group.length * SPLIT_FRACTIONS.validation);
    train.push(...group.slice(0, nTrain));
    validation.push(...group.slice(nTrain, nTrain + nValidation));
    test.push(...group.slice(nTrain + nValidation));
  }
  const sorted = (xs: number[]) => Int32Array.from(xs).sort();
  return { train: sorted(train), validation: sorted(validation), test: sorted(test) };
}

/** A stratified subset: about `fraction` of each class (at least one image per class present). */
export function stratifiedSubset(indices: Int32Array, labels: Uint8Array, fraction: number, rng: Rng): Int32Array {
  if (fraction >= 1) return indices.slice();
  const picked: number[] = [];
  for (const group of byClass(indices, labels)) {
    shuffleInPlace(group, rng);
    picked.push(...group.slice(0, Math.max(1, Math.round(group.length * fraction))));
  }
  return Int32Array.from(picked).sort();
}

/** Training batches for one epoch: a seeded shuffle, cut into full batches (a last partial batch would recompile shaders). */
export function epochBatches(indices: Int32Array, batchSize: number, rng: Rng): Int32Array[] {
  const order = indices.slice();
  shuffleInPlace(order, rng);
  const batches: Int32Array[] = [];
  for (let start = 0; start + batchSize <= order.length; start += batchSize) batches.push(order.subarray(start, start + batchSize));
  return batches;
}

/** Evaluation batches in order; the last one may be partial so every example is counted. */
export function evalBatches(indices: Int32Array, batchSize: number): Int32Array[] {
  const batches: Int32Array[] = [];
  for (let start = 0; start < indices.length; start += batchSize) batches.push(indices.subarray(start, start + batchSize));
  return batches;
}
