import { expect, test } from './fixtures';

test('the learning-rate range test charts loss against the rate on MNIST mlp and applies its suggestion', async ({ page, watch }) => {
  await page.goto('./');
  await page.getByLabel('Model', { exact: true }).selectOption('mlp');
  await expect(page.getByLabel('Dataset', { exact: true })).toHaveValue('mnist');

  await page.getByRole('button', { name: 'Run range test' }).click();
  await expect(page.getByRole('button', { name: 'Stop range test' })).toBeEnabled();
  // While it runs, the page's own Run waits: one job on the GPU at a time.
  await expect(page.getByRole('button', { name: 'Run', exact: true })).toBeDisabled();
  const suggested = page.getByTestId('suggested-learning-rate');
  await expect(suggested).toBeVisible({ timeout: 120_000 });

  const outcome = (await page.getByTestId('range-test-outcome').textContent()) ?? '';
  const rate = (await suggested.textContent())?.trim() ?? '';
  console.log(`[measure] range test: ${outcome.replace(/\s+/g, ' ').trim()}; suggested ${rate}`);
  expect(outcome).toMatch(/\d+ of \d+ steps/);
  // Backend auto: the test says which backend it measured fastest, with every backend's time per step.
  await expect(page.getByTestId('range-test-backend')).toContainText(/^auto chose (webgpu|webgl|cpu), the fastest measured: webgpu/);
  expect(Number(rate)).toBeGreaterThan(1e-5);
  expect(Number(rate)).toBeLessThan(1);
  // The chart was drawn with the test's points (uPlot's own count).
  await expect(page.getByRole('img', { name: 'Loss against learning rate chart' })).toHaveAttribute('data-points', /^([1-9]\d|[1-9]\d\d)$/);

  await page.getByRole('button', { name: 'Apply suggested learning rate' }).click();
  await expect(page.getByLabel('Learning rate', { exact: true })).toHaveValue(rate);
  await expect(page.getByRole('button', { name: 'Run', exact: true })).toBeEnabled();

  expect(watch.consoleErrors).toEqual([]);
  expect(watch.foreignRequests).toEqual([]);
});
