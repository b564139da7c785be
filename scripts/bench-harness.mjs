// What npm run bench and npm run race share: Chromium's flags, the build, a static server for dist/, and bench.html
// opened with its progress lines and errors forwarded to this terminal.
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const DIST = join(ROOT, 'dist');
export const RESULTS = join(ROOT, 'bench', 'results');

// Like playwright.config.ts's CHROMIUM_ARGS (kept in step by hand: this script runs without a TypeScript loader).
// --enable-unsafe-webgpu gives WebGPU in headless Chromium (SwiftShader's Vulkan adapter on a machine without a GPU);
// --enable-unsafe-swiftshader lets WebGL fall back to SwiftShader there.
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--enable-unsafe-swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  // A hidden or headless page must not have its timers and workers throttled in the middle of a measurement.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

/** Extra flags that ask Chromium for a hardware GPU in headless mode (real GPUs only). */
export const GPU_ARGS = ['--enable-gpu', '--ignore-gpu-blocklist', '--use-angle=default'];

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.wasm': 'application/wasm',
};

/** A tiny static server for a build (dist/ unless told) on 127.0.0.1 and a free port (a secure context, so WebGPU is allowed). */
export function serveDist(dir = DIST) {
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    const file = normalize(join(dir, path.endsWith('/') ? `${path}index.html` : path));
    if (!file.startsWith(dir + sep) || !existsSync(file) || !statSync(file).isFile()) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    response.writeHead(200, {
      'content-type': MIME[extname(file)] ?? 'application/octet-stream',
      'content-length': statSync(file).size,
      'cache-control': 'no-store',
    });
    createReadStream(file).pipe(response);
  });
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolvePromise({ server, url: `http://127.0.0.1:${server.address().port}/` }));
  });
}

/** npm run build into `dir` (dist/ unless told); `tag` prefixes the progress line ("bench", "race"). */
export function build(tag, dir = DIST) {
  console.log(`[${tag}] building the app (npm run build) into ${dir}…`);
  const outDir = dir === DIST ? [] : ['--', '--outDir', dir, '--emptyOutDir'];
  const result = spawnSync('npm', ['run', 'build', '--silent', ...outDir], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) throw new Error(`npm run build failed (exit code ${result.status ?? result.signal}).`);
}

export function timestamp(date) {
  return date.toISOString().replace(/[:.]/g, '-');
}

/**
 * bench.html in a new page of `browser`, ready for window.runBench: its "[bench]" progress lines and every error of
 * the page and its workers go to this terminal.
 */
export async function openBenchPage(browser, url) {
  const page = await browser.newPage();
  page.on('console', (message) => {
    const text = message.text();
    if (text.startsWith('[bench] ')) console.log(text);
    else if (message.type() === 'error') console.error(`[page error] ${text}`);
  });
  page.on('pageerror', (error) => console.error(`[page uncaught] ${error.message}`));
  page.on('worker', (worker) => worker.on('console', (message) => {
    if (message.type() === 'error') console.error(`[worker error] ${message.text()}`);
  }));
  await page.goto(`${url}bench.html`);
  await page.waitForFunction(() => document.body.dataset.ready === 'true', undefined, { timeout: 60_000 });
  return page;
}
