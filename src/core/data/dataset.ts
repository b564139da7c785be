import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

/** A labelled image dataset held in memory as bytes: N images of height × width × channels, one uint8 label each. */
export interface ImageDataset {
  id: string;
  name: string;
  height: number;
  width: number;
  channels: number;
  classNames: string[];
  count: number;
  /** uint8 pixels, image-major, HWC order. */
  images: Uint8Array;
  labels: Uint8Array;
}

export interface DatasetManifest {
  formatVersion: 1;
  id: string;
  name: string;
  count: number;
  height: number;
  width: number;
  channels: number;
  classNames: string[];
  files: {
    images: { path: string; bytes: number; sha256: string };
    labels: { path: string; bytes: number; sha256: string };
  };
}

/** Reads a file relative to the dataset's folder, reporting bytes received so far. */
export type ByteSource = (path: string, onProgress?: (loadedBytes: number) => void) => Promise<Uint8Array>;

/** A problem with the data files, worded for the user (no stack trace needed to understand it). */
export class DatasetError extends Error {
  override name = 'DatasetError';
}

function isPositiveInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

function parseManifest(bytes: Uint8Array, id: string): DatasetManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new DatasetError(`The manifest of dataset "${id}" is not valid JSON: the data files are corrupt; reinstall or rebuild the app.`);
  }
  const m = raw as Partial<DatasetManifest> | null;
  const filesOk = (f: unknown): boolean => {
    const file = f as { path?: unknown; bytes?: unknown; sha256?: unknown } | undefined;
    return typeof file?.path === 'string' && isPositiveInt(file.bytes) && typeof file.sha256 === 'string';
  };
  if (!m || m.formatVersion !== 1 || m.id !== id || !isPositiveInt(m.count) || !isPositiveInt(m.height)
    || !isPositiveInt(m.width) || !isPositiveInt(m.channels) || !Array.isArray(m.classNames)
    || !filesOk(m.files?.images) || !filesOk(m.files?.labels)) {
    throw new DatasetError(`The manifest of dataset "${id}" is missing fields or has an unknown format; reinstall or rebuild the app.`);
  }
  return m as DatasetManifest;
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  // WebCrypto only exists in secure contexts; the pure-JS hash covers plain-http hosting.
  const subtle = globalThis.crypto?.subtle;
  if (subtle) {
    const digest = await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
    return bytesToHex(new Uint8Array(digest));
  }
  return bytesToHex(sha256(bytes));
}

async function readChecked(
  source: ByteSource, file: DatasetManifest['files']['images'], what: string, id: string,
  onProgress?: (loadedBytes: number) => void,
): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = await source(file.path, onProgress);
  } catch (error) {
    throw new DatasetError(`Could not read the ${what} of dataset "${id}" (${file.path}): ${(error as Error).message}`);
  }
  if (bytes.byteLength !== file.bytes) {
    throw new DatasetError(`The ${what} file of dataset "${id}" has ${bytes.byteLength} bytes, expected ${file.bytes}: it is truncated or corrupt.`);
  }
  if ((await sha256Hex(bytes)) !== file.sha256) {
    throw new DatasetError(`The ${what} file of dataset "${id}" does not match its checksum: it is corrupt; reinstall or rebuild the app.`);
  }
  return bytes;
}

export interface LoadProgress {
  loadedBytes: number;
  totalBytes: number;
}

/** Loads a dataset written by scripts/prepare-data.mjs, checking sizes, checksum and labels. */
export async function loadBinaryDataset(
  id: string, source: ByteSource, onProgress?: (progress: LoadProgress) => void,
): Promise<ImageDataset> {
  let manifestBytes: Uint8Array;
  try {
    manifestBytes = await source('manifest.json');
  } catch (error) {
    throw new DatasetError(`Dataset "${id}" is missing (manifest.json could not be read: ${(error as Error).message}). ` +
      'Run "npm install" or "npm run build" to generate the data files.');
  }
  const manifest = parseManifest(manifestBytes, id);
  const { images: imageFile, labels: labelFile } = manifest.files;
  const pixelsPerImage = manifest.height * manifest.width * manifest.channels;
  if (imageFile.bytes !== manifest.count * pixelsPerImage || labelFile.bytes !== manifest.count) {
    throw new DatasetError(`The manifest of dataset "${id}" is inconsistent: file sizes do not match ${manifest.count} images.`);
  }
  const totalBytes = imageFile.bytes + labelFile.bytes;
  const images = await readChecked(source, imageFile, 'images', id,
    (loaded) => onProgress?.({ loadedBytes: loaded, totalBytes }));
  const labels = await readChecked(source, labelFile, 'labels', id,
    (loaded) => onProgress?.({ loadedBytes: imageFile.bytes + loaded, totalBytes }));
  const numClasses = manifest.classNames.length;
  if (labels.some((label) => label >= numClasses)) {
    throw new DatasetError(`Dataset "${id}" has labels outside its ${numClasses} classes: the labels file is corrupt.`);
  }
  onProgress?.({ loadedBytes: totalBytes, totalBytes });
  return {
    id, name: manifest.name, height: manifest.height, width: manifest.width, channels: manifest.channels,
    classNames: manifest.classNames, count: manifest.count, images, labels,
  };
}

/** A ByteSource over HTTP(S) relative to baseUrl, streaming so progress can be shown. */
export function fetchByteSource(baseUrl: string): ByteSource {
  return async (path, onProgress) => {
    const response = await fetch(new URL(path, baseUrl));
    if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`.trim());
    if (!response.body) return new Uint8Array(await response.arrayBuffer());
    const chunks: Uint8Array[] = [];
    let loaded = 0;
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      loaded += value.byteLength;
      onProgress?.(loaded);
    }
    const bytes = new Uint8Array(loaded);
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return bytes;
  };
}
