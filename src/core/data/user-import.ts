/**
 * Importing a folder of the user's images: one sub-folder per class, the folder name is the class. This module is the
 * pure part (which files become which class, what is wrong with each file, how decoded pixels become a dataset and
 * its fingerprint); src/worker/image-decode.worker.ts does the decoding and the caching.
 */
import type { ImageHeader } from './image-header';
import { userDatasetId, type UserDatasetId } from './user-dataset-id';

export const IMPORT_SIDES = [32, 64] as const;
export type ImportSide = (typeof IMPORT_SIDES)[number];
export const IMPORT_COLOURS = ['rgb', 'grayscale'] as const;
export type ImportColour = (typeof IMPORT_COLOURS)[number];

export interface ImportOptions {
  /** Images are centre-cropped to a square and resized to side × side. */
  side: ImportSide;
  colour: ImportColour;
}

export const IMPORT_LIMITS = {
  maxFileBytes: 64 * 2 ** 20,
  /** A 40-megapixel image decodes to 160 MB of RGBA: beyond that a browser tab may run out of memory. */
  maxSourcePixels: 40_000_000,
  maxImages: 20_000,
  /** Labels are bytes; a hundred classes is already far more than a quick experiment needs. */
  maxClasses: 100,
  /** With fewer, the class could not be both trained on and checked. */
  minImagesPerClass: 2,
} as const;

/** Extensions worth trying to decode; the file's first bytes decide in the end (image-header.ts). */
export const IMAGE_EXTENSIONS = ['png', 'jpg', 'jpeg', 'gif', 'webp', 'bmp'] as const;
/** Images kept per class in the summary, for the sample grid. */
export const SAMPLES_PER_CLASS = 6;

/** One problem worded for the user; `path` is null when it concerns the whole import. */
export interface ImportProblem {
  path: string | null;
  message: string;
}

/** A picked or dropped file, by its path as the browser gives it ("flowers/rose/001.jpg"). */
export interface PickedFile {
  path: string;
  size: number;
}

export interface PlannedClass {
  name: string;
  /** The class's files, in path order: index into the picked files, and the path below the class folder. */
  files: { index: number; pathInClass: string }[];
}

export interface ImportPlan {
  /** The dataset's name: the chosen folder's name. */
  name: string;
  classes: PlannedClass[];
  problems: ImportProblem[];
  /** Nothing can be imported (the problems say why). */
  fatal: boolean;
}

const segmentsOf = (path: string): string[] => path.replace(/\\/g, '/').split('/').filter((s) => s !== '');

/** Files an operating system leaves in folders (Finder, Explorer, zip tools): never images, so skipped silently. */
function isSystemFile(segments: string[]): boolean {
  const fileName = segments.at(-1) ?? '';
  return segments.some((s) => s.startsWith('.') || s === '__MACOSX') || fileName === 'Thumbs.db' || fileName === 'desktop.ini';
}

const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The folder the user chose and each file's path below it. A folder picker gives "chosen/class/file" for every file;
 * dropping several class folders at once gives "class/file" with no common folder above.
 */
export function splitRoot(paths: readonly string[]): { name: string; relative: string[][] } {
  const all = paths.map(segmentsOf);
  const first = all[0]?.[0];
  const sharedRoot = first !== undefined && all.every((s) => s[0] === first) && all.some((s) => s.length >= 3);
  if (sharedRoot) return { name: first, relative: all.map((s) => s.slice(1)) };
  const tops = [...new Set(all.map((s) => s[0] ?? ''))].sort(byCodeUnits);
  const name = tops.length <= 3 ? tops.join(' + ') : `${tops.slice(0, 3).join(' + ')} + ${tops.length - 3} more`;
  return { name: name || 'Imported images', relative: all };
}

const formatMb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MB`;

/** Which image goes to which class, with a message for every file that is left out and why. */
export function planImport(files: readonly PickedFile[]): ImportPlan {
  const { name, relative } = splitRoot(files.map((f) => f.path));
  const problems: ImportProblem[] = [];
  const classFiles = new Map<string, PlannedClass['files']>();
  files.forEach((file, index) => {
    const segments = relative[index]!;
    if (isSystemFile(segments)) return;
    const extension = /\.([^./]+)$/.exec(segments.at(-1) ?? '')?.[1]?.toLowerCase() ?? '';
    const skip = (message: string) => problems.push({ path: file.path, message });
    if (segments.length < 2) skip(`Not inside a class folder (put each image in a sub-folder named after its class): skipped.`);
    else if (!(IMAGE_EXTENSIONS as readonly string[]).includes(extension)) {
      skip(`Not an image file${extension ? ` (.${extension})` : ''}: skipped.`);
    } else if (file.size === 0) skip('Empty file: skipped.');
    else if (file.size > IMPORT_LIMITS.maxFileBytes) {
      skip(`${formatMb(file.size)} is more than the ${formatMb(IMPORT_LIMITS.maxFileBytes)} limit per file: skipped.`);
    } else {
      const [className, ...below] = segments as [string, ...string[]];
      const planned = classFiles.get(className) ?? [];
      planned.push({ index, pathInClass: below.join('/') });
      classFiles.set(className, planned);
    }
  });
  const classes = [...classFiles.entries()]
    .sort(([a], [b]) => byCodeUnits(a, b))
    .map(([className, classFiles]) => ({ name: className, files: classFiles.sort((a, b) => byCodeUnits(a.pathInClass, b.pathInClass)) }));
  const check = checkClasses(classes.map((c) => ({ name: c.name, count: c.files.length })));
  problems.push(...check.problems);
  const kept = check.kept.map((i) => classes[i]!);
  const total = kept.reduce((sum, c) => sum + c.files.length, 0);
  let fatal = check.fatal;
  if (!fatal && total > IMPORT_LIMITS.maxImages) {
    fatal = true;
    problems.push({
      path: null,
      message: `${total.toLocaleString('en')} images is more than the ${IMPORT_LIMITS.maxImages.toLocaleString('en')} an import may hold: ` +
        'choose a folder with fewer images per class.',
    });
  }
  return { name, classes: fatal ? [] : kept, problems, fatal };
}

/**
 * Classes with too few images are left out (each with a message); fewer than two classes left, or too many, and
 * there is nothing to import.
 */
function checkClasses(classes: readonly { name: string; count: number }[]): {
  kept: number[]; problems: ImportProblem[]; fatal: boolean;
} {
  const problems: ImportProblem[] = [];
  const kept: number[] = [];
  classes.forEach(({ name, count }, index) => {
    if (count >= IMPORT_LIMITS.minImagesPerClass) kept.push(index);
    else {
      problems.push({
        path: null,
        message: `Class "${name}" has ${count === 0 ? 'no usable image' : 'only 1 usable image'}; ` +
          `a class needs at least ${IMPORT_LIMITS.minImagesPerClass}: left out.`,
      });
    }
  });
  if (kept.length < 2) {
    const found = kept.length === 1 ? `only one class ("${classes[kept[0]!]!.name}")` : 'no class';
    problems.push({
      path: null,
      message: `Found ${found} with ${IMPORT_LIMITS.minImagesPerClass} or more images; a classifier needs at least two. ` +
        'Choose the folder that holds one sub-folder of images per class.',
    });
    return { kept, problems, fatal: true };
  }
  if (kept.length > IMPORT_LIMITS.maxClasses) {
    problems.push({ path: null, message: `${kept.length} classes is more than the ${IMPORT_LIMITS.maxClasses} an import may have.` });
    return { kept, problems, fatal: true };
  }
  return { kept, problems, fatal: false };
}

/** Why a file with this header cannot be imported, or null if it may be decoded. */
export function headerProblem(header: ImageHeader | null): string | null {
  if (!header) return 'Not a PNG, JPEG, GIF, WebP or BMP image (judging by its contents): skipped.';
  const pixels = header.width * header.height;
  if (pixels > IMPORT_LIMITS.maxSourcePixels) {
    return `${header.width} × ${header.height} pixels (${(pixels / 1e6).toFixed(0)} megapixels) is more than the ` +
      `${IMPORT_LIMITS.maxSourcePixels / 1e6}-megapixel limit: skipped.`;
  }
  return null;
}

/** The largest centred square of a width × height image: what is kept before resizing (no stretching). */
export function centreSquare(width: number, height: number): { x: number; y: number; side: number } {
  const side = Math.min(width, height);
  return { x: Math.floor((width - side) / 2), y: Math.floor((height - side) / 2), side };
}

/** RGBA canvas pixels (already composited on white) to RGB, or to grey by Rec. 601 luma. */
export function rgbaToPixels(rgba: Uint8ClampedArray | Uint8Array, colour: ImportColour): Uint8Array {
  const count = rgba.length / 4;
  if (colour === 'rgb') {
    const out = new Uint8Array(count * 3);
    for (let i = 0; i < count; i++) {
      out[i * 3] = rgba[i * 4]!;
      out[i * 3 + 1] = rgba[i * 4 + 1]!;
      out[i * 3 + 2] = rgba[i * 4 + 2]!;
    }
    return out;
  }
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) out[i] = Math.round(0.299 * rgba[i * 4]! + 0.587 * rgba[i * 4 + 1]! + 0.114 * rgba[i * 4 + 2]!);
  return out;
}

const channelsOf = (colour: ImportColour): 1 | 3 => (colour === 'rgb' ? 3 : 1);

/** An image that decoded, with the SHA-256 of its file. */
export interface DecodedImage {
  /** Index of its class in the plan. */
  planClass: number;
  /** Path below the class folder. */
  pathInClass: string;
  fileSha256: string;
  pixels: Uint8Array;
}

/** What the cache lists about an imported dataset, without its pixels. */
export interface UserDatasetSummary {
  id: UserDatasetId;
  /** SHA-256 (hex) over the import settings and, per image, its class, its path and its file's SHA-256. */
  fingerprint: string;
  name: string;
  height: number;
  width: number;
  channels: number;
  classNames: string[];
  countPerClass: number[];
  count: number;
  /** Bytes this dataset takes in the browser's storage (pixels, labels, samples). */
  storedBytes: number;
  importedAt: string;
  /** The first SAMPLES_PER_CLASS images of each class, for the sample grid. */
  samples: { label: number; pixels: Uint8Array }[];
  /** What was left out at import, and why. */
  problems: ImportProblem[];
}

export interface AssembledDataset {
  /** Everything but the fingerprint, which needs a hash of `fingerprintSource` (async in browsers). */
  summary: Omit<UserDatasetSummary, 'id' | 'fingerprint'>;
  images: Uint8Array;
  labels: Uint8Array;
  fingerprintSource: Uint8Array;
}

/**
 * Builds the dataset from the images that decoded, in plan order (classes by name, files by path), so the same folder
 * always gives the same bytes and the same fingerprint whatever order the browser listed the files in. Classes left
 * with too few images are dropped here too; null when nothing importable is left.
 */
export function assembleUserDataset(
  plan: Pick<ImportPlan, 'name' | 'classes'>, options: ImportOptions, decoded: readonly DecodedImage[],
  problemsSoFar: readonly ImportProblem[], importedAt: string,
): { dataset: AssembledDataset | null; problems: ImportProblem[] } {
  const perClass = plan.classes.map(() => [] as DecodedImage[]);
  for (const image of decoded) perClass[image.planClass]!.push(image);
  for (const images of perClass) images.sort((a, b) => byCodeUnits(a.pathInClass, b.pathInClass));
  const check = checkClasses(plan.classes.map((c, i) => ({ name: c.name, count: perClass[i]!.length })));
  const problems = [...problemsSoFar, ...check.problems];
  if (check.fatal) return { dataset: null, problems };

  const classNames = check.kept.map((i) => plan.classes[i]!.name);
  const kept = check.kept.map((i) => perClass[i]!);
  const count = kept.reduce((sum, images) => sum + images.length, 0);
  const channels = channelsOf(options.colour);
  const pixelsPerImage = options.side * options.side * channels;
  const images = new Uint8Array(count * pixelsPerImage);
  const labels = new Uint8Array(count);
  const samples: UserDatasetSummary['samples'] = [];
  const fingerprintLines = [`webgpu-training-playground user dataset v1`, `${options.side}x${options.side}x${channels}`];
  let row = 0;
  kept.forEach((classImages, label) => {
    classImages.forEach((image, i) => {
      images.set(image.pixels, row * pixelsPerImage);
      labels[row++] = label;
      if (i < SAMPLES_PER_CLASS) samples.push({ label, pixels: image.pixels });
      fingerprintLines.push(`${classNames[label]}\t${image.pathInClass}\t${image.fileSha256}`);
    });
  });
  const samplesBytes = samples.reduce((sum, s) => sum + s.pixels.byteLength, 0);
  return {
    problems,
    dataset: {
      summary: {
        name: plan.name, height: options.side, width: options.side, channels, classNames,
        countPerClass: kept.map((c) => c.length), count, storedBytes: images.byteLength + labels.byteLength + samplesBytes,
        importedAt, samples, problems,
      },
      images,
      labels,
      fingerprintSource: new TextEncoder().encode(`${fingerprintLines.join('\n')}\n`),
    },
  };
}

/** The summary once the fingerprint is known. */
export function withFingerprint(summary: AssembledDataset['summary'], fingerprint: string): UserDatasetSummary {
  return { ...summary, id: userDatasetId(fingerprint), fingerprint };
}
