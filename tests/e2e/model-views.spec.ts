import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, useBackend, test } from './fixtures';
import { corruptPng, encodePng } from './image-files';

/** Drops a file on an element the way a browser does (a drop event whose DataTransfer holds the file). */
async function dropFile(page: Page, testId: string, name: string, bytes: Buffer) {
  const transfer = await page.evaluateHandle(({ name, data }) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(data)], name, { type: 'image/png' }));
    return dt;
  }, { name, data: [...bytes] });
  await page.getByTestId(testId).dispatchEvent('drop', { dataTransfer: transfer });
}

/** The probabilities shown, as the page holds them (unrounded), and their sum. */
async function probabilitySum(page: Page): Promise<number> {
  const values = await page.getByTestId('probabilities').locator('li').evaluateAll(
    (items) => items.map((item) => Number(item.getAttribute('data-probability'))));
  expect(values.length).toBeGreaterThan(1);
  return values.reduce((a, b) => a + b, 0);
}

test('after an MNIST run: confusion matrix, mistakes, and trying the model on a drawing and on files', async ({ page, watch }) => {
  test.setTimeout(240_000);
  await page.goto('./');
  await useBackend(page, 'webgpu');
  await page.getByLabel('Model', { exact: true }).selectOption('mlp');
  await page.getByLabel('Subset fraction', { exact: true }).fill('0.1');
  await page.getByLabel('Epochs', { exact: true }).fill('1');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  // Generous for a loaded machine: on an idle one the run takes seconds.
  await expect(page.getByTestId('run-status')).toHaveText(/^Finished/, { timeout: 180_000 });

  // The validation count the run summary states.
  const validationText = (await page.getByTestId('validation-cadence').textContent()) ?? '';
  const validationCount = Number(/\((\d+) images\)/.exec(validationText)?.[1]);
  expect(validationCount).toBeGreaterThan(0);

  const views = page.getByRole('region', { name: 'What the model learned' });
  const matrix = views.getByTestId('confusion-matrix');
  await expect(matrix).toBeVisible();
  const rows = await matrix.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => ({
    counts: [...tr.querySelectorAll('td[data-count]')].map((td) => Number(td.getAttribute('data-count'))),
    diagonal: Number(tr.querySelector('td.correct')?.getAttribute('data-count')),
    accuracy: tr.querySelector('[data-testid="class-accuracy"]')?.getAttribute('data-accuracy') ?? '',
  })));
  expect(rows).toHaveLength(10);
  const total = rows.reduce((sum, row) => sum + row.counts.reduce((a, b) => a + b, 0), 0);
  expect(total).toBe(validationCount);
  for (const row of rows) {
    const images = row.counts.reduce((a, b) => a + b, 0);
    if (images === 0) expect(row.accuracy).toBe('');
    else expect(Number(row.accuracy)).toBeCloseTo(row.diagonal / images, 10);
  }
  // The diagonal over everything is the run's final validation accuracy (the same model on the same images).
  const correct = rows.reduce((sum, row) => sum + row.diagonal, 0);
  const finalAccuracy = Number.parseFloat((await page.getByTestId('final-val-accuracy').textContent()) ?? '') / 100;
  expect(finalAccuracy).toBeCloseTo(correct / validationCount, 3);

  // The gallery: the most confident mistakes, each with a true and a different predicted class name.
  const mistakes = validationCount - correct;
  const shown = views.getByTestId('misclassified').locator('li');
  await expect(shown).toHaveCount(Math.min(24, mistakes));
  for (const item of (await shown.all()).slice(0, 5)) {
    const truth = (await item.getByTestId('true-class').textContent())!.replace('true: ', '');
    const predicted = (await item.getByTestId('predicted-class').textContent())!.replace('predicted: ', '');
    expect(truth).toMatch(/\S/);
    expect(predicted).not.toBe(truth);
  }

  // A drawn digit: one stroke on the pad, answered when the pointer lifts.
  const pad = views.getByTestId('draw-pad');
  await pad.scrollIntoViewIfNeeded();
  const box = (await pad.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5, { steps: 5 });
  await page.mouse.move(box.x + box.width * 0.52, box.y + box.height * 0.8, { steps: 5 });
  await page.mouse.up();
  await expect(views.getByTestId('probabilities').locator('li')).toHaveCount(10, { timeout: 30_000 });
  expect(await probabilitySum(page)).toBeCloseTo(1, 4);
  await views.getByRole('button', { name: 'Clear the drawing' }).click();
  await expect(views.getByTestId('probabilities')).toHaveCount(0);

  // A dropped image file: a dark vertical bar on white, decoded, resized and inverted like MNIST's digits.
  const bar = encodePng(60, 60, (x) => (x > 25 && x < 35 ? [20, 20, 20] : [250, 250, 250]));
  await dropFile(page, 'drop-zone', 'one.png', bar);
  await expect(views.getByTestId('probabilities').locator('li')).toHaveCount(10, { timeout: 30_000 });
  expect(await probabilitySum(page)).toBeCloseTo(1, 4);

  // Broken files: one that is not an image at all, one whose image data is damaged.
  const chooser = views.getByLabel('Choose an image file');
  await chooser.setInputFiles({ name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('just some text, not a picture') });
  await expect(views.getByTestId('try-error')).toHaveText('"notes.png" is not a PNG, JPEG, GIF, WebP or BMP image (judging by its contents).');
  await dropFile(page, 'drop-zone', 'damaged.png', corruptPng());
  await expect(views.getByTestId('try-error')).toHaveText('"damaged.png" could not be decoded as PNG: the file is damaged or incomplete.');

  // The views with an answer and an error shown: no serious axe finding in either colour scheme.
  await dropFile(page, 'drop-zone', 'one.png', bar);
  await expect(views.getByTestId('probabilities').locator('li')).toHaveCount(10, { timeout: 30_000 });
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    const { violations } = await new AxeBuilder({ page }).include('section[aria-labelledby="insight-title"]')
      .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' '))}`), colorScheme).toEqual([]);
  }

  expect(watch.consoleErrors).toEqual([]);
  expect(watch.foreignRequests).toEqual([]);
});
