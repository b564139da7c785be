import { expect, useBackend, test, type PageWatch } from './fixtures';
import type { Page } from '@playwright/test';
import { readFileSync } from 'node:fs';

/** Row ids of the decision matrix, in ranking order. */
const ranking = (page: Page) => page.getByTestId('matrix-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-row-id')));

async function setWeights(page: Page, weights: Record<string, number>) {
  for (const [label, weight] of Object.entries(weights)) await page.getByLabel(`Weight of ${label}`).fill(String(weight));
}

const ONLY = (label: string) => ({
  'Memory efficiency': 0, 'Training speed': 0, Deployment: 0, 'Learning curve': 0, 'Community / ecosystem': 0, 'Final accuracy': 0,
  [label]: 1,
});

test('a 2×2 sweep fills the matrix live, a cancelled run leaves the others intact, and weights reorder the ranking', async ({ page, watch }: { page: Page; watch: PageWatch }) => {
  await page.goto('./');
  await useBackend(page, 'webgpu');
  // {mlp, cnn-small} × accumulation {1, 2} at batch 32, on 10 % of MNIST for one epoch (the run panel's defaults).
  await page.getByRole('checkbox', { name: 'mobilenet-v2-tiny' }).uncheck();
  await page.getByLabel('Accumulation steps values').fill('1, 2');
  await expect(page.getByTestId('sweep-summary')).toContainText('4 configurations');

  await page.getByRole('button', { name: 'Run sweep' }).click();
  const queue = page.getByTestId('sweep-queue');
  const rowStatus = (n: number) => queue.locator('tbody tr').nth(n).getByTestId('row-status');

  // Rows enter the matrix as their runs finish: one finished run, one total, the rest still pending.
  await expect.poll(() => page.evaluate(() => [
    [...document.querySelectorAll('[data-testid="row-status"]')].filter((s) => s.textContent === 'Finished').length,
    document.querySelectorAll('[data-testid="row-total"]').length,
  ]), { timeout: 120_000 }).toEqual([1, 1]);
  await expect(page.getByTestId('matrix-row')).toHaveCount(4);

  // Cancel the third run while it trains.
  await expect(queue.locator('tbody tr').nth(2)).toContainText(/step \d+ of/, { timeout: 120_000 });
  // The sweep's live charts, mounted once for the whole sweep, draw the running row's steps.
  await expect(page.getByRole('region', { name: 'Compare configurations' }).getByRole('img', { name: 'Loss chart' }))
    .toHaveAttribute('data-points', /^[1-9]\d*$/, { timeout: 60_000 });
  await page.getByRole('button', { name: 'Cancel cnn-small · batch 32 · K=1' }).click();
  await expect(rowStatus(2)).toHaveText('Cancelled', { timeout: 30_000 });
  await expect(rowStatus(3)).toHaveText('Finished', { timeout: 200_000 });
  for (const n of [0, 1]) await expect(rowStatus(n)).toHaveText('Finished');

  // Three scored rows and the cancelled one, kept, marked, without a total.
  await expect(page.getByTestId('row-total')).toHaveCount(3);
  const cancelled = page.locator('[data-testid="matrix-row"][data-row-id^="cnn-small·b32·k1"]');
  await expect(cancelled).toContainText('Cancelled');
  await expect(cancelled).toContainText('not scored');
  await expect(page.getByTestId('pareto-chart')).toBeVisible();

  // Speed alone: an mlp wins (ten times fewer FLOPs). Community alone, with cnn-small scored 10 and mlp 1: cnn-small wins.
  await setWeights(page, ONLY('Training speed'));
  await expect(page.getByTestId('weight-sum')).toHaveText('(sum 1)');
  const bySpeed = await ranking(page);
  expect(bySpeed[0]).toMatch(/^mlp·/);
  await page.getByLabel('Community / ecosystem score for mlp · batch 32 · K=1').fill('1');
  await page.getByLabel('Community / ecosystem score for cnn-small · batch 32 · K=2').fill('10');
  await setWeights(page, ONLY('Community / ecosystem'));
  await expect.poll(async () => (await ranking(page))[0]).toBe('cnn-small·b32·k2·fp32·gpu-resident·auto·fused');
  await expect(page.locator('tr.winner')).toContainText('Winner');
  // The cancelled row stays last whatever the weights.
  expect((await ranking(page)).at(-1)).toMatch(/^cnn-small·b32·k1·/);

  // Exports of what is on screen: the matrix as CSV, and the winner as a PyTorch Lightning script for 4 GPUs.
  const text = async (button: string) => {
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: button }).click();
    const file = await download;
    return { name: file.suggestedFilename(), body: readFileSync((await file.path())!, 'utf8') };
  };
  const csv = await text('CSV');
  expect(csv.name).toBe('decision-matrix.csv');
  expect(csv.body).toContain('cnn-small · batch 32 · K=2');
  await page.getByLabel('GPUs for the Lightning script').fill('4');
  const script = await text('Lightning script of the winner');
  expect(script.name).toMatch(/\.py$/);
  expect(script.body).toContain('accumulate_grad_batches=2');
  expect(script.body).toContain('strategy="ddp"');

  expect(watch.consoleErrors).toEqual([]);
  expect(watch.foreignRequests).toEqual([]);
});

test('the framework comparison preset reproduces the method’s table without training', async ({ page, watch }) => {
  await page.goto('./');
  await page.getByRole('radio', { name: /Framework comparison/ }).check();
  const totals = await page.getByTestId('row-total').allTextContents();
  const labels = await page.getByTestId('matrix-row').locator('th').allTextContents();
  expect(labels.map((l) => l.replace(/Winner|Tied winner/, '').trim())).toEqual(['PyTorch Lightning', 'Hugging Face', 'TensorFlow']);
  expect(totals).toEqual(['8.20', '8.20', '7.45']);
  await expect(page.getByTestId('matrix-verdict')).toHaveText('Tie: PyTorch Lightning and Hugging Face, 8.20');
  await expect(page.locator('tr.winner')).toHaveCount(2);
  await expect(page.getByTestId('sensitivity')).toContainText('Deployment');
  expect(watch.consoleErrors).toEqual([]);
});
