import type { Page, Worker } from '@playwright/test';
import { expect, useBackend, test } from './fixtures';

/** The training worker of the run in progress (each run has its own). */
async function trainingWorker(page: Page): Promise<Worker> {
  await expect.poll(() => page.workers().filter((w) => w.url().includes('train.worker')).length, { timeout: 60_000 }).toBeGreaterThan(0);
  return page.workers().filter((w) => w.url().includes('train.worker')).at(-1)!;
}

/** Runs `fault` inside the training worker the next time tfjs opens a command encoder on its GPUDevice. */
async function onNextGpuCommand(worker: Worker, fault: 'destroy-device' | 'out-of-memory'): Promise<void> {
  await worker.evaluate((kind) => {
    const original = GPUDevice.prototype.createCommandEncoder;
    GPUDevice.prototype.createCommandEncoder = function (this: GPUDevice, ...args) {
      GPUDevice.prototype.createCommandEncoder = original;
      if (kind === 'destroy-device') this.destroy();
      else {
        const error = new GPUOutOfMemoryError('Injected: not enough memory for a 2 GiB buffer.');
        this.dispatchEvent(new GPUUncapturedErrorEvent('uncapturederror', { error }));
      }
      return original.apply(this, args);
    };
  }, fault);
}

test('a sweep survives a lost GPU device, an out-of-memory error and a crashed worker, keeping every result', async ({ page, watch }) => {
  await page.goto('./');
  await useBackend(page, 'webgpu');
  await page.getByRole('checkbox', { name: 'cnn-small' }).uncheck();
  await page.getByRole('checkbox', { name: 'mobilenet-v2-tiny' }).uncheck();
  await page.getByLabel('Batch size values').fill('16, 32, 64, 128');
  await expect(page.getByTestId('sweep-summary')).toContainText('4 configurations');
  await page.getByRole('button', { name: 'Run sweep' }).click();

  const rows = page.getByTestId('sweep-queue').locator('tbody tr');
  const training = (n: number) => expect(rows.nth(n)).toContainText(/step \d+ of/, { timeout: 60_000 });
  const status = (n: number) => rows.nth(n).getByTestId('row-status');

  await training(0);
  await onNextGpuCommand(await trainingWorker(page), 'destroy-device');
  await expect(status(0)).toHaveText('Failed', { timeout: 60_000 });
  await expect(rows.nth(0)).toContainText('The GPU device was lost');

  await training(1);
  await onNextGpuCommand(await trainingWorker(page), 'out-of-memory');
  await expect(status(1)).toHaveText('Out of memory', { timeout: 60_000 });
  await expect(rows.nth(1)).toContainText('Injected: not enough memory');

  await training(2);
  await (await trainingWorker(page)).evaluate(() => setTimeout(() => { throw new Error('injected crash'); }));
  await expect(status(2)).toHaveText('Failed', { timeout: 60_000 });
  await expect(rows.nth(2)).toContainText('The training worker crashed during a run');

  await expect(status(3)).toHaveText('Finished', { timeout: 120_000 });
  // The finished run is scored; the others are kept and explained. Results that exist are in the history.
  await expect(page.getByTestId('row-total')).toHaveCount(1);
  await expect(page.getByTestId('matrix-row')).toHaveCount(4);
  await expect(page.getByTestId('history-table').locator('tbody tr')).toHaveCount(3);
  expect(watch.consoleErrors.filter((e) => !e.includes('injected crash'))).toEqual([]);
});
