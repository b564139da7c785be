import { expect, expectBackend, useBackend, test } from './fixtures';

test('trains cnn-small on 10 % of MNIST for one epoch with the default settings: auto measures, fused on WebGPU', async ({ page, watch }) => {
  await page.goto('./');
  await expectBackend(page, 'webgpu');
  await expect(page.getByTestId('backend-summary')).toContainText('webgpu');
  await expect(page.getByLabel('Backend', { exact: true })).toHaveValue('auto');

  // The defaults are the quick-validation recipe: cnn-small, MNIST, 10 % of the data, one epoch.
  await expect(page.getByLabel('Model', { exact: true })).toHaveValue('cnn-small');
  await expect(page.getByLabel('Dataset', { exact: true })).toHaveValue('mnist');
  await expect(page.getByLabel('Subset fraction', { exact: true })).toHaveValue('0.1');
  await expect(page.getByLabel('Epochs', { exact: true })).toHaveValue('1');

  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByRole('button', { name: 'Stop', exact: true })).toBeEnabled();
  await expect(page.getByTestId('final-val-accuracy')).toBeVisible({ timeout: 200_000 });
  await expect(page.getByTestId('run-status')).toHaveText(/^Finished/);
  // auto timed the model on every backend and says which it took and why; the timings decide, so on a loaded
  // machine it may be WebGL. On WebGPU the default engine is fused: it covers the default model in fp32.
  const choice = page.getByTestId('backend-choice');
  await expect(choice).toHaveText(/^auto chose (webgpu|webgl), the fastest measured: webgpu \(software adapter\) [\d.]+ m?s\/step/);
  const chosen = /^auto chose (\w+)/.exec((await choice.textContent()) ?? '')![1];
  console.log(`[measure] ${await choice.textContent()}`);
  if (chosen === 'webgpu') await expect(page.getByTestId('engine')).toContainText('fused WebGPU kernels');
  else await expect(page.getByTestId('engine')).toContainText('tfjs kernels');

  const accuracyText = (await page.getByTestId('final-val-accuracy').textContent()) ?? '';
  const accuracy = Number.parseFloat(accuracyText) / 100;
  expect(accuracy).toBeGreaterThan(0.5);

  const firstStepMs = await page.evaluate(() => performance.getEntriesByName('first-trained-step')[0]?.startTime ?? null);
  console.log(`[measure] page open → first trained step: ${firstStepMs?.toFixed(0)} ms; final val accuracy ${accuracyText}`);
  // The charts were drawn with the run's steps (the count is read back from uPlot, not from what it was passed).
  for (const chart of ['Loss chart', 'Accuracy chart', 'GPU memory (MiB) chart']) {
    await expect(page.getByRole('img', { name: chart })).toHaveAttribute('data-points', /^[1-9]\d+$/);
  }
  // The three memory figures, each measured or estimated, with units.
  await expect(page.getByTestId('true-peak')).toHaveText(/^\d+(\.\d)? MiB$/);
  // tf.profile's logical peak counts tfjs tensors, which the fused engine's steps do not make.
  await expect(page.getByTestId('logical-peak')).toHaveText(chosen === 'webgpu'
    ? 'not measured (the fused engine makes no tfjs tensors per step)' : /^\d+(\.\d)? MiB$/);
  await expect(page.getByTestId('estimated-memory')).toHaveText(/^\d+(\.\d)? MiB$/);
  await expect(page.getByTestId('memory-peak')).toBeVisible();

  expect(watch.consoleErrors).toEqual([]);
  expect(watch.foreignRequests).toEqual([]);
});

test('invalid settings are refused with a message per field and Run stays disabled', async ({ page, watch }) => {
  await page.goto('./');
  await page.getByLabel('Batch size', { exact: true }).fill('30');
  await page.getByLabel('Accumulation steps', { exact: true }).fill('4');
  await expect(page.getByText('Batch size 30 is not divisible by 4 accumulation steps')).toBeVisible();
  await page.getByLabel('Subset fraction', { exact: true }).fill('0');
  // In the run configuration (the sweep summary repeats it: the sweep shares these settings).
  await expect(page.getByRole('group', { name: 'Run configuration' }).getByText('Subset fraction must be in (0, 1]; got 0.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Run', exact: true })).toBeDisabled();
  await page.getByLabel('Batch size', { exact: true }).fill('32');
  await page.getByLabel('Subset fraction', { exact: true }).fill('0.1');
  await expect(page.getByRole('button', { name: 'Run', exact: true })).toBeEnabled();
  expect(watch.consoleErrors).toEqual([]);
});

test('Stop cancels a run at once and keeps what was measured', async ({ page, watch }) => {
  await page.goto('./');
  await useBackend(page, 'webgpu');
  await page.getByLabel('Model', { exact: true }).selectOption('mlp');
  await page.getByLabel('Subset fraction', { exact: true }).fill('1');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByTestId('phase')).toContainText('step', { timeout: 60_000 });
  await page.getByRole('button', { name: 'Stop', exact: true }).click();
  await expect(page.getByTestId('run-status')).toHaveText(/^Cancelled/, { timeout: 10_000 });
  await expect(page.getByRole('button', { name: 'Run', exact: true })).toBeEnabled();
  expect(watch.consoleErrors).toEqual([]);
});
