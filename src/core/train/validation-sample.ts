/**
 * Which validation images a run scores: its whole validation subset, or a fixed stratified sample of it (an equal
 * share per class, seeded), so that frequent validation stays cheap on large validation splits.
 */
import { byClass } from '../data/splits';
import { createRng, shuffleInPlace } from '../rng';

export const VALIDATION_SAMPLES = ['all', 'stratified-500', 'stratified-1000'] as const;
export type ValidationSample = (typeof VALIDATION_SAMPLES)[number];

/** The most images a sample holds; null = the whole validation subset. */
export const VALIDATION_SAMPLE_SIZE: Record<ValidationSample, number | null> = {
  all: null, 'stratified-500': 500, 'stratified-1000': 1000,
};

/**
 * The validation images a run scores, sorted. A stratified sample takes floor(size / classes) images of every class
 * present (all of a class that has fewer), drawn with a generator of its own (seed + 2: the data order and the
 * BatchNorm sample, seed + 1, stay as they were). A subset no larger than the size is kept whole.
 */
export function validationSampleIndices(
  indices: Int32Array, labels: Uint8Array, sample: ValidationSample, seed: number,
): Int32Array {
  const size = VALIDATION_SAMPLE_SIZE[sample];
  if (size === null || indices.length <= size) return indices;
  const groups = byClass(indices, labels);
  const perClass = Math.floor(size / groups.length);
  const rng = createRng(seed + 2);
  const picked: number[] = [];
  for (const group of groups) {
    shuffleInPlace(group, rng);
    picked.push(...group.slice(0, perClass));
  }
  return Int32Array.from(picked).sort();
}

/** The validation in words, for the UI and the run summary; `images` is the count a run scored, when known. */
export function describeValidationSample(sample: ValidationSample | undefined, images: number | null): string {
  const size = VALIDATION_SAMPLE_SIZE[sample ?? 'all'];
  const count = images === null ? '' : ` (${images} images)`;
  if (size === null) return `the whole validation subset${count}`;
  return `a fixed stratified sample of at most ${size} validation images, an equal share per class (seeded; the whole `
    + `subset when it is no larger)${count}`;
}
