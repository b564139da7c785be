import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DatasetError, loadBinaryDataset, type ByteSource } from '../../src/core/data/dataset';
import { epochBatches, evalBatches, splitDataset, stratifiedSubset } from '../../src/core/data/splits';
import { createRng, shuffleInPlace } from '../../src/core/rng';
import { shippedBytes } from './shipped-data';

/** A ByteSource over an in-memory dataset, so corrupt files can be made up. */
function memorySource(files: Record<string, Uint8Array>): ByteSource {
  return async (path) => {
    const file = files[path];
    if (!file) throw new Error('HTTP 404 Not Found');
    return file;
  };
}

function tinyDataset(count = 4): Record<string, Uint8Array> {
  const images = Uint8Array.from({ length: count * 4 }, (_, i) => i);
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 2);
  const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
  const manifest = {
    formatVersion: 1, id: 'tiny', name: 'Tiny', count, height: 2, width: 2, channels: 1, classNames: ['a', 'b'],
    files: { images: { path: 'images.u8', bytes: images.length, sha256: sha(images) }, labels: { path: 'labels.u8', bytes: labels.length, sha256: sha(labels) } },
  };
  return { 'manifest.json': new TextEncoder().encode(JSON.stringify(manifest)), 'images.u8': images, 'labels.u8': labels };
}

describe('seeded RNG', () => {
  it('gives the same sequence for the same seed and a different one for another seed', () => {
    const a = createRng(7);
    const b = createRng(7);
    const c = createRng(8);
    const seqA = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(seqA);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(seqA);
    expect(seqA.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('shuffles to a permutation, the same one for the same seed', () => {
    const one = Array.from({ length: 50 }, (_, i) => i);
    const two = [...one];
    shuffleInPlace(one, createRng(3));
    shuffleInPlace(two, createRng(3));
    expect(one).toEqual(two);
    expect([...one].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(one).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
});

describe('embedded datasets', () => {
  it('loads MNIST (10,000 digits) and Fashion-MNIST (70,000 images) with verified checksums', async () => {
    const mnist = await loadBinaryDataset('mnist', shippedBytes('mnist'));
    expect(mnist).toMatchObject({ count: 10_000, height: 28, width: 28, channels: 1 });
    expect(mnist.classNames).toHaveLength(10);
    const fashion = await loadBinaryDataset('fashion-mnist', shippedBytes('fashion-mnist'));
    expect(fashion.count).toBe(70_000);
    expect(fashion.classNames[9]).toBe('Ankle boot');
  });

  it('reports progress up to the total size', async () => {
    const seen: number[] = [];
    await loadBinaryDataset('tiny', memorySource(tinyDataset()), (p) => seen.push(p.loadedBytes / p.totalBytes));
    expect(seen.at(-1)).toBe(1);
  });
});

describe('broken data files give clear messages', () => {
  const expectError = async (files: Record<string, Uint8Array>, message: RegExp) => {
    const attempt = loadBinaryDataset('tiny', memorySource(files));
    await expect(attempt).rejects.toBeInstanceOf(DatasetError);
    await expect(attempt).rejects.toThrow(message);
  };

  it('missing manifest', async () => {
    const { 'manifest.json': _, ...rest } = tinyDataset();
    await expectError(rest, /Dataset "tiny" is missing .*Run "npm install"/);
  });
  it('manifest that is not JSON', async () => {
    await expectError({ ...tinyDataset(), 'manifest.json': new TextEncoder().encode('{oops') }, /not valid JSON/);
  });
  it('truncated images file', async () => {
    const files = tinyDataset();
    await expectError({ ...files, 'images.u8': files['images.u8']!.slice(0, 5) }, /has 5 bytes, expected 16: it is truncated/);
  });
  it('flipped byte in the images file', async () => {
    const files = tinyDataset();
    const images = files['images.u8']!.slice();
    images[3] = images[3]! ^ 0xff;
    await expectError({ ...files, 'images.u8': images }, /does not match its checksum/);
  });
  it('missing labels file', async () => {
    const { 'labels.u8': _, ...rest } = tinyDataset();
    await expectError(rest, /Could not read the labels .*404/);
  });
});

describe('splits and batches', () => {
  const labels = Uint8Array.from({ length: 1000 }, (_, i) => i % 10);

  it('splits 80/10/10 per class, disjoint, covering every image, the same every time', () => {
    const splits = splitDataset(labels);
    expect([splits.train.length, splits.validation.length, splits.test.length]).toEqual([800, 100, 100]);
    const all = new Set([...splits.train, ...splits.validation, ...splits.test]);
    expect(all.size).toBe(1000);
    expect(splitDataset(labels)).toEqual(splits);
    const perClass = (xs: Int32Array) => Array.from({ length: 10 }, (_, c) => xs.filter((i) => labels[i] === c).length);
    expect(perClass(splits.validation)).toEqual(Array(10).fill(10));
  });

  it('takes a stratified subset that depends on the run seed', () => {
    const { train } = splitDataset(labels);
    const a = stratifiedSubset(train, labels, 0.1, createRng(1));
    expect(a.length).toBe(80);
    expect(Array.from({ length: 10 }, (_, c) => a.filter((i) => labels[i] === c).length)).toEqual(Array(10).fill(8));
    expect(stratifiedSubset(train, labels, 0.1, createRng(1))).toEqual(a);
    expect(stratifiedSubset(train, labels, 0.1, createRng(2))).not.toEqual(a);
  });

  it('cuts full training batches in a seeded order and keeps the last partial evaluation batch', () => {
    const indices = Int32Array.from({ length: 70 }, (_, i) => i);
    const batches = epochBatches(indices, 32, createRng(5));
    expect(batches.map((b) => b.length)).toEqual([32, 32]);
    expect(epochBatches(indices, 32, createRng(5))).toEqual(batches);
    expect(evalBatches(indices, 32).map((b) => b.length)).toEqual([32, 32, 6]);
  });
});
