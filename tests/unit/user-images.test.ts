import { describe, expect, it } from 'vitest';
import { validateRunConfig } from '../../src/core/config';
import { datasetCard, datasetRefFor, describeDatasetRef } from '../../src/core/data/catalog';
import { DatasetError } from '../../src/core/data/dataset';
import { readImageHeader } from '../../src/core/data/image-header';
import { loadDataset } from '../../src/core/data/load';
import { userDatasetId } from '../../src/core/data/user-dataset-id';
import {
  IMPORT_LIMITS, SAMPLES_PER_CLASS, assembleUserDataset, centreSquare, headerProblem, planImport, rgbaToPixels, splitRoot,
  withFingerprint, type DecodedImage, type PickedFile, type UserDatasetSummary,
} from '../../src/core/data/user-import';
import { corruptPng, encodePng, hugePngHeader } from '../e2e/image-files';

const bytes = (...parts: (number[] | string)[]) =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((ch) => ch.charCodeAt(0)) : p)));
const le16 = (n: number) => [n & 0xff, n >> 8];
const le32 = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff];

describe('recognising images by their first bytes', () => {
  it('reads the size of a PNG, and of a corrupt PNG whose header is intact', () => {
    expect(readImageHeader(encodePng(40, 30, () => [0, 0, 0]))).toEqual({ format: 'png', width: 40, height: 30 });
    expect(readImageHeader(corruptPng(16, 8))).toEqual({ format: 'png', width: 16, height: 8 });
  });

  it('walks JPEG segments (APP0, EXIF, fill bytes) to the frame header', () => {
    const app0 = [0xff, 0xe0, 0x00, 0x10, ...Array(14).fill(0)];
    const exif = [0xff, 0xe1, 0x01, 0x02, ...Array(256).fill(7)];
    const sof2 = [0xff, 0xff, 0xc2, 0x00, 0x11, 0x08, 0x01, 0xe0, 0x02, 0x80, 0x03];
    expect(readImageHeader(bytes([0xff, 0xd8], app0, exif, sof2))).toEqual({ format: 'jpeg', width: 640, height: 480 });
    // A DHT segment (C4) sits in the SOF range but holds no size.
    const dht = [0xff, 0xc4, 0x00, 0x04, 0, 0];
    expect(readImageHeader(bytes([0xff, 0xd8], dht, [0xff, 0xc0, 0x00, 0x11, 0x08, 0x00, 0x20, 0x00, 0x30, 0x03])))
      .toEqual({ format: 'jpeg', width: 48, height: 32 });
  });

  it('reads GIF, BMP (top-down too) and the three WebP flavours', () => {
    expect(readImageHeader(bytes('GIF89a', le16(300), le16(200)))).toEqual({ format: 'gif', width: 300, height: 200 });
    const bmp = bytes('BM', Array(16).fill(0), le32(100), le32(-50 >>> 0));
    expect(readImageHeader(bmp)).toEqual({ format: 'bmp', width: 100, height: 50 });
    const riff = (chunk: string, body: number[]) => bytes('RIFF', le32(100), 'WEBP', chunk, le32(body.length), body);
    expect(readImageHeader(riff('VP8 ', [0, 0, 0, 0x9d, 0x01, 0x2a, ...le16(320), ...le16(240)])))
      .toEqual({ format: 'webp', width: 320, height: 240 });
    const lossless = (127 - 1) | ((63 - 1) << 14);
    expect(readImageHeader(riff('VP8L', [0x2f, ...le32(lossless), 0, 0, 0, 0]))).toEqual({ format: 'webp', width: 127, height: 63 });
    expect(readImageHeader(riff('VP8X', [0, 0, 0, 0, ...[999 & 0xff, 999 >> 8, 0], ...[499 & 0xff, 499 >> 8, 0]])))
      .toEqual({ format: 'webp', width: 1000, height: 500 });
  });

  it('refuses text, truncated headers and zero-sized images', () => {
    expect(readImageHeader(bytes('hello, I am notes.txt'))).toBeNull();
    expect(readImageHeader(encodePng(4, 4, () => [0, 0, 0]).subarray(0, 20))).toBeNull();
    expect(readImageHeader(bytes('GIF89a', le16(0), le16(10)))).toBeNull();
    expect(readImageHeader(new Uint8Array())).toBeNull();
  });

  it('turns away non-images and images over the pixel cap before decoding, with the reason', () => {
    expect(headerProblem(null)).toBe('Not a PNG, JPEG, GIF, WebP or BMP image (judging by its contents): skipped.');
    expect(headerProblem(readImageHeader(hugePngHeader(20_000, 20_000))))
      .toBe('20000 × 20000 pixels (400 megapixels) is more than the 40-megapixel limit: skipped.');
    expect(headerProblem({ format: 'jpeg', width: 6000, height: 4000 })).toBeNull();
  });
});

const picked = (paths: string[], size = 1000): PickedFile[] => paths.map((path) => ({ path, size }));

describe('planning an import from a folder', () => {
  it('makes one class per sub-folder, sorted, and reports every file it leaves out', () => {
    const plan = planImport([
      { path: 'pets/dog/b.png', size: 10 },
      { path: 'pets/cat/2.jpg', size: 10 },
      { path: 'pets/dog/a.PNG', size: 10 },
      { path: 'pets/cat/1.jpeg', size: 10 },
      { path: 'pets/cat/notes.txt', size: 10 },
      { path: 'pets/README', size: 10 },
      { path: 'pets/dog/empty.png', size: 0 },
      { path: 'pets/dog/huge.png', size: 100 * 2 ** 20 },
      { path: 'pets/.DS_Store', size: 10 },
      { path: 'pets/dog/._a.PNG', size: 10 },
    ]);
    expect(plan.name).toBe('pets');
    expect(plan.fatal).toBe(false);
    expect(plan.classes).toEqual([
      { name: 'cat', files: [{ index: 3, pathInClass: '1.jpeg' }, { index: 1, pathInClass: '2.jpg' }] },
      { name: 'dog', files: [{ index: 2, pathInClass: 'a.PNG' }, { index: 0, pathInClass: 'b.png' }] },
    ]);
    // System files (.DS_Store, AppleDouble "._" files) are skipped without a message: the user never put them there.
    expect(plan.problems).toEqual([
      { path: 'pets/cat/notes.txt', message: 'Not an image file (.txt): skipped.' },
      { path: 'pets/README', message: 'Not inside a class folder (put each image in a sub-folder named after its class): skipped.' },
      { path: 'pets/dog/empty.png', message: 'Empty file: skipped.' },
      { path: 'pets/dog/huge.png', message: '100.0 MB is more than the 64.0 MB limit per file: skipped.' },
    ]);
  });

  it('gives the same plan whatever order the browser lists the files in', () => {
    const paths = ['a/x/1.png', 'a/x/2.png', 'a/y/1.png', 'a/y/sub/2.png', 'a/z/9.png', 'a/z/10.png'];
    const shuffled = [paths[4]!, paths[1]!, paths[5]!, paths[3]!, paths[0]!, paths[2]!];
    const named = (plan: ReturnType<typeof planImport>, order: string[]) =>
      plan.classes.map((c) => [c.name, c.files.map((f) => order[f.index])]);
    expect(named(planImport(picked(shuffled)), shuffled)).toEqual(named(planImport(picked(paths)), paths));
    expect(planImport(picked(paths)).classes[1]!.files.map((f) => f.pathInClass)).toEqual(['1.png', 'sub/2.png']);
  });

  it('leaves out a class with a single image and refuses a single class', () => {
    const plan = planImport(picked(['f/a/1.png', 'f/a/2.png', 'f/b/1.png', 'f/c/1.png', 'f/c/2.png']));
    expect(plan.classes.map((c) => c.name)).toEqual(['a', 'c']);
    expect(plan.problems).toEqual([
      { path: null, message: 'Class "b" has only 1 usable image; a class needs at least 2: left out.' },
    ]);
    const single = planImport(picked(['cats/1.png', 'cats/2.png', 'cats/3.png']));
    expect(single.fatal).toBe(true);
    expect(single.classes).toEqual([]);
    expect(single.problems.at(-1)!.message).toBe('Found only one class ("cats") with 2 or more images; a classifier needs at least two. ' +
      'Choose the folder that holds one sub-folder of images per class.');
  });

  it('treats several dropped folders as the classes', () => {
    expect(splitRoot(['cat/1.png', 'dog/1.png'])).toEqual({ name: 'cat + dog', relative: [['cat', '1.png'], ['dog', '1.png']] });
    expect(splitRoot(['top/cat/1.png', 'top/dog/1.png']).name).toBe('top');
    expect(splitRoot(['a/1.png', 'b/1.png', 'c/1.png', 'd/1.png', 'e/1.png']).name).toBe('a + b + c + 2 more');
  });

  it('refuses an import over the image cap instead of filling the browser storage', () => {
    const many = Array.from({ length: IMPORT_LIMITS.maxImages + 2 }, (_, i) => `big/${i % 2 ? 'a' : 'b'}/${i}.png`);
    const plan = planImport(picked(many));
    expect(plan.fatal).toBe(true);
    expect(plan.problems.at(-1)!.message).toMatch(/^20,002 images is more than the 20,000 an import may hold/);
  });
});

describe('pixels', () => {
  it('crops the largest centred square', () => {
    expect(centreSquare(400, 300)).toEqual({ x: 50, y: 0, side: 300 });
    expect(centreSquare(31, 64)).toEqual({ x: 0, y: 16, side: 31 });
  });

  it('keeps RGB or converts to grey by Rec. 601 luma', () => {
    const rgba = Uint8ClampedArray.from([255, 0, 0, 255, 0, 0, 255, 255, 10, 20, 30, 255]);
    expect(rgbaToPixels(rgba, 'rgb')).toEqual(Uint8Array.from([255, 0, 0, 0, 0, 255, 10, 20, 30]));
    expect(rgbaToPixels(rgba, 'grayscale')).toEqual(Uint8Array.from([76, 29, 18]));
  });
});

describe('assembling a dataset from decoded images', () => {
  const plan = { name: 'shapes', classes: [{ name: 'disc', files: [] }, { name: 'lone', files: [] }, { name: 'stripes', files: [] }] };
  const image = (planClass: number, pathInClass: string, value: number): DecodedImage =>
    ({ planClass, pathInClass, fileSha256: `sha-${planClass}-${pathInClass}`, pixels: new Uint8Array(2 * 2 * 3).fill(value) });
  const decoded = [image(2, 'b.png', 4), image(0, 'b.png', 2), image(1, 'x.png', 9), image(2, 'a.png', 3), image(0, 'a.png', 1)];
  const options = { side: 2, colour: 'rgb' } as unknown as Parameters<typeof assembleUserDataset>[1];

  it('orders images by class and path, drops classes left with too few images, and fingerprints the same either way', () => {
    const { dataset, problems } = assembleUserDataset(plan, options, decoded, [], '2026-01-01T00:00:00.000Z');
    expect(problems).toEqual([{ path: null, message: 'Class "lone" has only 1 usable image; a class needs at least 2: left out.' }]);
    expect(dataset!.summary).toMatchObject({ name: 'shapes', classNames: ['disc', 'stripes'], countPerClass: [2, 2], count: 4, channels: 3 });
    expect(Array.from(dataset!.labels)).toEqual([0, 0, 1, 1]);
    expect(Array.from(dataset!.images.filter((_, i) => i % 12 === 0))).toEqual([1, 2, 3, 4]);
    const again = assembleUserDataset(plan, options, [...decoded].reverse(), [], 'another time');
    expect(again.dataset!.fingerprintSource).toEqual(dataset!.fingerprintSource);
    expect(new TextDecoder().decode(dataset!.fingerprintSource)).toBe(
      'webgpu-training-playground user dataset v1\n2x2x3\ndisc\ta.png\tsha-0-a.png\ndisc\tb.png\tsha-0-b.png\n' +
      'stripes\ta.png\tsha-2-a.png\nstripes\tb.png\tsha-2-b.png\n');
    expect(dataset!.summary.storedBytes).toBe(4 * 12 + 4 + 4 * 12);
  });

  it('keeps at most SAMPLES_PER_CLASS samples per class and fails when fewer than two classes decode', () => {
    const lots = Array.from({ length: 20 }, (_, i) => image(i % 2 === 0 ? 0 : 2, `${i}.png`, i));
    expect(assembleUserDataset(plan, options, lots, [], 'now').dataset!.summary.samples).toHaveLength(2 * SAMPLES_PER_CLASS);
    const broken = assembleUserDataset(plan, options, [image(0, 'a.png', 1), image(0, 'b.png', 1)], [{ path: 'x', message: 'earlier' }], 'now');
    expect(broken.dataset).toBeNull();
    expect(broken.problems[0]).toEqual({ path: 'x', message: 'earlier' });
    expect(broken.problems.at(-1)!.message).toMatch(/^Found only one class \("disc"\)/);
  });
});

const FINGERPRINT = '3fa2b1c4d5e6f708'.padEnd(64, '9');
function summary(overrides: Partial<UserDatasetSummary> = {}): UserDatasetSummary {
  return {
    ...withFingerprint({
      name: 'flowers', height: 32, width: 32, channels: 3, classNames: ['rose', 'tulip'], countPerClass: [5, 5], count: 10,
      storedBytes: 1, importedAt: 'now', samples: [], problems: [],
    }, FINGERPRINT),
    ...overrides,
  };
}

describe('naming imported datasets in configurations and links', () => {
  it('accepts "user:" and 8–64 hex digits as a dataset, and says what is allowed otherwise', () => {
    expect(userDatasetId(FINGERPRINT)).toBe('user:3fa2b1c4d5e6f708');
    expect(validateRunConfig({ dataset: 'user:3fa2b1c4d5e6f708' }).ok).toBe(true);
    expect(validateRunConfig({ dataset: 'synthetic-shapes' }).ok).toBe(true);
    for (const bad of ['user:3FA2B1C4', 'user:1234567', `user:${'a'.repeat(65)}`, 'user:../../etc', 'cifar10']) {
      const result = validateRunConfig({ dataset: bad });
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.errors[0]!.message).toMatch(/^Dataset must be one of mnist, fashion-mnist, synthetic-shapes, or user:<8–64 hex digits of its fingerprint> for an imported folder; got "/);
      }
    }
  });

  it('fails with a clear message where there is no browser storage to load an imported dataset from', async () => {
    const attempt = loadDataset('user:3fa2b1c4d5e6f708', 'http://unused.invalid/', () => {});
    await expect(attempt).rejects.toBeInstanceOf(DatasetError);
    await expect(attempt).rejects.toThrow('This browser has no IndexedDB (private mode?), so imported datasets cannot be kept.');
  });

  it('gives the UI the count and the FLOP-table shape of an imported dataset', () => {
    const cached = [summary(), summary({ fingerprint: 'ab'.repeat(32), id: 'user:abababababababab', height: 32, width: 32, channels: 1 })];
    expect(datasetCard('user:3fa2b1c4', cached)).toEqual({ name: 'flowers', count: 10, shape: '32x32x3' });
    expect(datasetCard('user:abababababababab', cached)).toEqual({ name: 'flowers', count: 10, shape: '28x28x1', actualShape: '32x32x1' });
    expect(datasetCard('user:ffffffffffffffff', cached)).toBeNull();
    expect(datasetCard('mnist', cached)).toMatchObject({ count: 10_000, shape: '28x28x1' });
  });

  it('says which folder to import when a link names a dataset this browser does not have', () => {
    const ref = datasetRefFor('user:3fa2b1c4d5e6f708', [summary()]);
    expect(ref).toEqual({ id: 'user:3fa2b1c4d5e6f708', name: 'flowers', fingerprint: FINGERPRINT });
    expect(describeDatasetRef(ref, [summary()])).toEqual({ available: true, label: 'flowers (imported)', message: null });
    expect(describeDatasetRef(ref, [])).toEqual({
      available: false, label: 'flowers',
      message: 'This link uses your dataset "flowers" (fingerprint 3fa2b1c4d5e6f708…): import the folder "flowers" to run it.',
    });
    const changed = summary({ fingerprint: 'cd'.repeat(32) });
    expect(describeDatasetRef(ref, [changed]).message).toContain('The "flowers" imported here has other contents (fingerprint cdcdcdcdcdcdcdcd…)');
    expect(describeDatasetRef({ id: 'user:3fa2b1c4d5e6f708' }, []).message)
      .toBe('This uses an imported dataset (fingerprint 3fa2b1c4d5e6f708…) that is not in this browser: import its folder to run it.');
    expect(describeDatasetRef({ id: 'synthetic-shapes' }, [])).toEqual({ available: true, label: 'Synthetic shapes (RGB)', message: null });
  });
});
