import { expect, useBackend, test } from './fixtures';

test('mobilenet-v2-tiny with 4 accumulation steps and mixed fp16 trains MNIST past 50 % on WebGPU', async ({ page, watch }) => {
  // 25 optimizer steps of 4 micro-batches (10 % of MNIST, one epoch): several seconds each on the software adapter.
  test.setTimeout(600_000);
  await page.goto('./');
  await useBackend(page, 'webgpu');
  await page.getByLabel('Model', { exact: true }).selectOption('mobilenet-v2-tiny');
  await page.getByLabel('Accumulation steps', { exact: true }).fill('4');
  await page.getByLabel('Precision', { exact: true }).selectOption('mixed-fp16');
  // BatchNorm nets need a livelier learning rate than the default to get anywhere in 25 steps.
  await page.getByLabel('Learning rate', { exact: true }).fill('0.01');
  await expect(page.getByTestId('batch-note')).toContainText('Micro-batch 8 × 4 accumulation steps = effective batch 32');
  await expect(page.getByTestId('batch-note')).toContainText('BatchNorm sees statistics of each micro-batch of 8');
  await expect(page.getByTestId('batch-note')).toContainText('recomputed from 128 training images');
  await expect(page.getByTestId('precision-note')).toContainText('fp16 numerics emulated — no memory saving');
  await expect(page.getByTestId('precision-note')).toContainText('does not have shader-f16');

  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByTestId('run-status')).toHaveText(/^Finished/, { timeout: 560_000 });
  const accuracy = Number.parseFloat((await page.getByTestId('final-val-accuracy').textContent()) ?? '') / 100;
  console.log(`[measure] mobilenet-v2-tiny K=4 mixed-fp16: val accuracy ${accuracy}, `
    + `median step ${await page.getByTestId('median-step').textContent()}`);
  expect(accuracy).toBeGreaterThan(0.5);
  await expect(page.getByText(/final scale \d+ · \d+ of 25 steps skipped/)).toBeVisible();
  expect(watch.consoleErrors).toEqual([]);
});

test('fp16 storage is refused on backends without it, with a message that says what to change', async ({ page, watch }) => {
  await page.goto('./');
  await page.getByLabel('Precision', { exact: true }).selectOption('fp16-storage');
  await expect(page.getByText('fp16-storage exists only on the WebGL backend (half-float textures): choose backend webgl')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Run', exact: true })).toBeDisabled();
  await page.getByLabel('Backend', { exact: true }).selectOption('webgl');
  await expect(page.getByRole('button', { name: 'Run', exact: true })).toBeEnabled();
  await expect(page.getByTestId('precision-note')).toContainText('Real fp16 storage on WebGL');
  expect(watch.consoleErrors).toEqual([]);
});
