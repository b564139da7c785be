// Builds the service worker (src/offline/sw.ts) into sw.js beside index.html and writes into it what it serves:
// - the app shell: index.html and every emitted file it reaches, found by following file names through the emitted text
//   (page → scripts and styles → workers → the workers' own chunks). Vite's build metadata does not link a worker to the
//   chunks of its sub-build; names in the text do. The bench page's files are not reached, so they are not cached;
// - the shipped datasets in public/data (written by scripts/prepare-data.mjs), each versioned by a hash of its manifest.
// Every version is a content hash, so sw.js changes exactly when something it serves changes: browsers install a new
// service worker only when its script's bytes change.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Plugin, Rolldown } from 'vite';
import type { DatasetManifest } from '../src/core/data/dataset';
import type { ServiceWorkerBuild, ShippedDatasetCache } from '../src/offline/sw';

export interface ServiceWorkerPluginOptions {
  /** The service worker's source, relative to the project root. */
  source: string;
  /** Datasets (folders of public/data) cached on install; the others are cached the first time they are used. */
  precacheDatasets: string[];
}

/** At the root of the output, so the worker's scope is the folder the app is served from. */
const SERVICE_WORKER_FILE = 'sw.js';
const APP_PAGE = 'index.html';
/** The identifier in the worker's source that the build replaces with its ServiceWorkerBuild. */
const BUILD_PLACEHOLDER = '__SERVICE_WORKER_BUILD__';
/** Emitted files whose text can name other emitted files. */
const TEXT_FILE = /\.(?:html|m?js|css|json|svg|webmanifest)$/;

function shortHash(...parts: (string | Uint8Array)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex').slice(0, 16);
}

function contentOf(file: Rolldown.OutputChunk | Rolldown.OutputAsset): string | Uint8Array {
  return file.type === 'chunk' ? file.code : file.source;
}

/** `start` and the emitted files whose names appear in its text, recursively (file names carry content hashes). */
function filesReachedFrom(start: string, bundle: Rolldown.OutputBundle, exclude: string): string[] {
  const candidates = Object.keys(bundle).filter((fileName) => fileName !== exclude && !fileName.endsWith('.map'));
  const reached = new Set([start]);
  const toRead = [start];
  const decoder = new TextDecoder();
  for (let fileName = toRead.pop(); fileName !== undefined; fileName = toRead.pop()) {
    const file = bundle[fileName];
    if (!file || !TEXT_FILE.test(fileName)) continue;
    const content = contentOf(file);
    const text = typeof content === 'string' ? content : decoder.decode(content);
    for (const candidate of candidates) {
      if (!reached.has(candidate) && text.includes(candidate.slice(candidate.lastIndexOf('/') + 1))) {
        reached.add(candidate);
        toRead.push(candidate);
      }
    }
  }
  return [...reached].sort();
}

function shippedDatasets(publicDir: string, precacheDatasets: string[]): ShippedDatasetCache[] {
  const dataDir = join(publicDir, 'data');
  for (const id of precacheDatasets) {
    if (!existsSync(join(dataDir, id, 'manifest.json'))) {
      throw new Error(`Dataset "${id}" is not in ${dataDir}: run "node scripts/prepare-data.mjs" (npm run build runs it first).`);
    }
  }
  return readdirSync(dataDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dataDir, entry.name, 'manifest.json')))
    .map(({ name: id }) => {
      const manifestBytes = readFileSync(join(dataDir, id, 'manifest.json'));
      const { files } = JSON.parse(manifestBytes.toString('utf8')) as DatasetManifest;
      return {
        id,
        version: shortHash(manifestBytes),
        files: ['manifest.json', files.images.path, files.labels.path].map((file) => `data/${id}/${file}`),
        precache: precacheDatasets.includes(id),
      };
    });
}

export function serviceWorker(options: ServiceWorkerPluginOptions): Plugin {
  let root = '';
  let publicDir = '';
  return {
    name: 'service-worker',
    // `npm run dev` serves changing files: a service worker there would only serve stale ones.
    apply: 'build',
    configResolved(config) {
      root = config.root;
      publicDir = config.publicDir;
    },
    buildStart() {
      this.emitFile({ type: 'chunk', id: resolve(root, options.source), fileName: SERVICE_WORKER_FILE });
    },
    generateBundle: {
      // After Vite has emitted the HTML pages.
      order: 'post',
      handler(_outputOptions, bundle) {
        if (!bundle[APP_PAGE]) this.error(`The build has no ${APP_PAGE}: the service worker needs the app page to start from.`);
        const worker = bundle[SERVICE_WORKER_FILE];
        if (worker?.type !== 'chunk' || worker.imports.length > 0 || !worker.code.includes(BUILD_PLACEHOLDER)) {
          this.error(`${options.source} must build into one script that reads ${BUILD_PLACEHOLDER} and imports nothing ` +
            '(it is registered as a classic script, which cannot import).');
        }
        const shellFiles = filesReachedFrom(APP_PAGE, bundle, SERVICE_WORKER_FILE);
        const build: ServiceWorkerBuild = {
          shellVersion: shortHash(...shellFiles.flatMap((fileName) => [fileName, contentOf(bundle[fileName]!)])),
          shellFiles,
          datasets: shippedDatasets(publicDir, options.precacheDatasets),
        };
        // Rolldown writes module code, which is strict by definition; the worker runs as a classic script.
        worker.code = `'use strict';\n${worker.code.replaceAll(BUILD_PLACEHOLDER, JSON.stringify(build))}`;
      },
    },
  };
}
