/// <reference lib="webworker" />
// The service worker: after the first visit the app, and every dataset it has loaded once, work offline.
// scripts/service-worker-plugin.ts builds this file into sw.js beside index.html (so its scope is the folder the app is
// served from) and fills in __SERVICE_WORKER_BUILD__; src/main.ts registers it in production builds only.
//
// Caches. Cache Storage belongs to the whole origin, so every name carries this worker's scope: two copies of the app on
// one origin leave each other's caches alone.
// - The app shell (index.html and the hashed files it loads), one cache per build, filled on install.
// - One cache per shipped dataset and version of its data: the default dataset is filled on install, the others the first
//   time they are used (Fashion-MNIST is 55 MB a visitor may never ask for). A new build of the app with the same data
//   keeps these caches, so an update does not download the data again.
//
// Updates. A new version installs beside the running one and waits: a page in the middle of a training run keeps loading
// the files it started with. It takes over when every tab of the app is closed, or when a page asks it to (the "new
// version" note, src/offline/update.svelte.ts); then it deletes the old caches.

declare const self: ServiceWorkerGlobalScope;

export interface ShippedDatasetCache {
  id: string;
  /** Changes whenever the dataset's files change (a hash of its manifest, which holds their checksums). */
  version: string;
  /** Paths relative to the scope. */
  files: string[];
  /** Fetched on install rather than on first use. */
  precache: boolean;
}

/** What the build writes into the worker: every file it may serve, and the versions that name its caches. */
export interface ServiceWorkerBuild {
  /** Changes whenever any file of the app shell changes. */
  shellVersion: string;
  /** Paths relative to the scope, index.html included. */
  shellFiles: string[];
  datasets: ShippedDatasetCache[];
}

/** Messages a page sends to the service worker. */
export interface ServiceWorkerCommand {
  type: 'skip-waiting';
}

declare const __SERVICE_WORKER_BUILD__: ServiceWorkerBuild;
const build = __SERVICE_WORKER_BUILD__;

const scope = self.registration.scope;
const scopePath = new URL(scope).pathname;
const cachePrefix = `webgpu-training-playground ${scope} `;
const shellCacheName = `${cachePrefix}shell ${build.shellVersion}`;
const datasetCacheName = (dataset: ShippedDatasetCache): string => `${cachePrefix}data ${dataset.id} ${dataset.version}`;

interface CachedFile {
  cacheName: string;
  /** Dataset files not precached are stored the first time they are fetched; the shell is complete from install. */
  storeOnFirstUse: boolean;
}

/** Every file this worker serves, by path relative to the scope; anything else (the bench page) goes to the network. */
const cachedFiles = new Map<string, CachedFile>([
  ...build.shellFiles.map((path): [string, CachedFile] => [path, { cacheName: shellCacheName, storeOnFirstUse: false }]),
  ...build.datasets.flatMap((dataset) => dataset.files.map((path): [string, CachedFile] =>
    [path, { cacheName: datasetCacheName(dataset), storeOnFirstUse: !dataset.precache }])),
]);

self.addEventListener('install', (event) => {
  event.waitUntil(Promise.all([
    fillCache(shellCacheName, build.shellFiles),
    ...build.datasets.filter((dataset) => dataset.precache).map((dataset) => fillCache(datasetCacheName(dataset), dataset.files)),
  ]));
});

/** Fetches the files the cache does not hold yet; an entry already there is right, since every cache name is versioned. */
async function fillCache(cacheName: string, paths: string[]): Promise<void> {
  const cache = await caches.open(cacheName);
  await Promise.all(paths.map(async (path) => {
    const url = new URL(path, scope);
    if (await cache.match(url)) return;
    // Revalidate with the server: a stale index.html from the HTTP cache would point at files this build does not have.
    const response = await fetch(url, { cache: 'no-cache' });
    if (!response.ok) throw new Error(`Could not cache ${path} for offline use: HTTP ${response.status}`);
    // A host that redirects index.html to its folder gives a redirected response, which browsers refuse to use for a
    // navigation: keep only its status, headers and body.
    await cache.put(url, response.redirected ? new Response(response.body, response) : response);
  }));
}

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const current = new Set([shellCacheName, ...build.datasets.map(datasetCacheName)]);
    const names = await caches.keys();
    await Promise.all(names.filter((name) => name.startsWith(cachePrefix) && !current.has(name)).map((name) => caches.delete(name)));
    // Control the page of the first visit too, so what it loads next (the training worker, another dataset) is cached.
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  if ((event.data as ServiceWorkerCommand | null)?.type === 'skip-waiting') event.waitUntil(self.skipWaiting());
});

self.addEventListener('fetch', (event) => {
  const { request } = event;
  // Only whole-file reads inside the scope; range requests and other methods go to the network as they are.
  if (request.method !== 'GET' || request.headers.has('range') || !request.url.startsWith(scope)) return;
  // The folder itself is the app page, as a static server serves it (a shared experiment's query is ignored).
  const path = new URL(request.url).pathname.slice(scopePath.length) || 'index.html';
  const cached = cachedFiles.get(path);
  if (cached) event.respondWith(cacheFirst(event, new URL(path, scope), cached));
});

async function cacheFirst(event: FetchEvent, url: URL, { cacheName, storeOnFirstUse }: CachedFile): Promise<Response> {
  const cache = await caches.open(cacheName);
  // Each key is one immutable file of one version: what the request varies on does not matter.
  const hit = await cache.match(url, { ignoreVary: true });
  if (hit) return hit;
  const response = await fetch(event.request);
  if (storeOnFirstUse && response.status === 200) {
    // A download cut short is not stored; the next use fetches it again.
    event.waitUntil(cache.put(url, response.clone()).catch(() => undefined));
  }
  return response;
}
