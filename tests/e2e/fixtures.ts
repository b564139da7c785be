import { test as base, expect, type Page } from '@playwright/test';

/** Watches a page for console errors, uncaught exceptions and requests that leave the page's origin. */
export interface PageWatch {
  consoleErrors: string[];
  foreignRequests: string[];
}

export const test = base.extend<{ watch: PageWatch }>({
  watch: async ({ page, baseURL }, use) => {
    const watch: PageWatch = { consoleErrors: [], foreignRequests: [] };
    const origin = new URL(baseURL!).origin;
    page.on('console', (message) => {
      if (message.type() === 'error') watch.consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => watch.consoleErrors.push(`uncaught: ${error.message}`));
    page.on('worker', (worker) => worker.on('console', (message) => {
      if (message.type() === 'error') watch.consoleErrors.push(`worker: ${message.text()}`);
    }));
    page.context().on('request', (request) => {
      const url = request.url();
      if (!url.startsWith('data:') && !url.startsWith('blob:') && new URL(url).origin !== origin) watch.foreignRequests.push(url);
    });
    await use(watch);
  },
});

export { expect };

export async function expectBackend(page: Page, backend: string): Promise<void> {
  await expect(page.getByTestId('backend-name')).toHaveText(backend, { timeout: 30_000 });
}

/**
 * Waits for the page to find `backend`, then picks it by hand: `auto` measures every backend before a run and may
 * choose another one on a loaded machine, which would change what a test of WebGPU figures measures.
 */
export async function useBackend(page: Page, backend: string): Promise<void> {
  await expectBackend(page, backend);
  await page.getByLabel('Backend', { exact: true }).selectOption(backend);
}
