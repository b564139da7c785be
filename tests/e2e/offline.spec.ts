import { preview, type PreviewServer } from 'vite';
import { expect, useBackend, test as base } from './fixtures';

// This test serves the build itself so that it can stop the server: Chromium's offline emulation does not reach a
// service worker's own fetches (microsoft/playwright#2311), so only a server that is gone proves that the offline reload
// came from the caches. It serves the app from a sub-folder, as static hosting often does, with no fallback page.
const test = base.extend<{ appServer: PreviewServer }>({
  // eslint-disable-next-line no-empty-pattern -- Playwright reads the fixtures a fixture needs from this pattern.
  appServer: async ({}, use) => {
    const server = await preview({
      configFile: false,
      base: '/playground/',
      appType: 'mpa',
      logLevel: 'warn',
      build: { outDir: process.env.E2E_OUT_DIR ?? 'dist' },
      preview: { host: '127.0.0.1', port: 0 },
    });
    await use(server);
    await server.close();
  },
  baseURL: async ({ appServer }, use) => use(appServer.resolvedUrls!.local[0]),
});

/** Each cache of this origin with the paths it holds (runs in the page). */
async function listCaches(): Promise<Record<string, string[]>> {
  const listing: Record<string, string[]> = {};
  for (const name of await caches.keys()) {
    const requests = await (await caches.open(name)).keys();
    listing[name] = requests.map((request) => new URL(request.url).pathname).sort();
  }
  return listing;
}

test('after one visit the app reloads with no server and trains MNIST from the service worker caches', async ({ page, context, appServer, watch }) => {
  await page.goto('./');
  await useBackend(page, 'webgpu');
  // The service worker registers after `load`, caches the app and MNIST on install, then takes this page over.
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 60_000 });

  const installed = await page.evaluate(listCaches);
  const cacheHolding = (path: string): string | undefined =>
    Object.keys(installed).find((name) => installed[name]!.includes(path));
  expect(cacheHolding('/playground/index.html')).toContain(' shell ');
  expect(cacheHolding('/playground/data/mnist/images.u8')).toContain(' data mnist ');
  const allCached = Object.values(installed).flat();
  expect(allCached.filter((path) => /\/assets\/main-.+\.js$/.test(path))).toHaveLength(1);
  expect(allCached.filter((path) => /\/assets\/train\.worker-.+\.js$/.test(path))).toHaveLength(1);
  // Fashion-MNIST (55 MB) waits for its first use, and the bench page is not part of the app.
  expect(allCached.filter((path) => /fashion-mnist|bench|baseline/.test(path))).toEqual([]);

  // First use of another dataset stores it.
  await page.evaluate(() => fetch('data/fashion-mnist/manifest.json').then((response) => response.ok));
  await expect.poll(async () => Object.values(await page.evaluate(listCaches)).flat())
    .toContain('/playground/data/fashion-mnist/manifest.json');

  await context.setOffline(true);
  await appServer.close();
  const reloaded = await page.reload();
  expect(reloaded?.fromServiceWorker()).toBe(true);
  await useBackend(page, 'webgpu');
  await page.getByLabel('Model', { exact: true }).selectOption('mlp');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByTestId('run-status')).toHaveText(/^Finished/, { timeout: 120_000 });
  expect(await page.evaluate(() => fetch('data/fashion-mnist/manifest.json').then((response) => response.ok))).toBe(true);

  expect(watch.consoleErrors).toEqual([]);
  expect(watch.foreignRequests).toEqual([]);
});
