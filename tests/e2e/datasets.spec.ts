import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, useBackend, test } from './fixtures';
import { classPicture, corruptPng, hugePngHeader } from './image-files';

/**
 * A folder as a user would pick it: two good classes of six PNGs (plus, when given, other formats), a class with a single
 * image, and the mistakes people make (a text file, a text file named .png, a corrupt PNG, a PNG too large to decode).
 */
function writeImageFolder(extraDiscs: Record<string, Buffer> = {}): { parent: string; folder: string } {
  const parent = mkdtempSync(join(tmpdir(), 'wgtp-import-'));
  const folder = join(parent, 'shapes-folder');
  const put = (path: string, bytes: Buffer | string) => {
    mkdirSync(join(folder, path, '..'), { recursive: true });
    writeFileSync(join(folder, path), bytes);
  };
  for (let i = 0; i < 6; i++) {
    put(`disc/disc-${i}.png`, classPicture('disc', i));
    put(`stripes/stripes-${i}.png`, classPicture('stripes', i));
  }
  for (const [name, bytes] of Object.entries(extraDiscs)) put(`disc/${name}`, bytes);
  put('lonely/only.png', classPicture('disc', 9));
  put('disc/notes.txt', 'not an image');
  put('disc/fake.png', 'a text file that claims to be a PNG');
  put('stripes/broken.png', corruptPng());
  put('stripes/huge.png', hugePngHeader(20_000, 20_000));
  return { parent, folder };
}

/** The panel is collapsed by default (it would push the Run button down). */
async function openDatasetPanel(page: Page): Promise<void> {
  await page.getByRole('heading', { name: /^Your image folders/ }).click();
  await expect(page.getByTestId('privacy-note')).toContainText('Your images never leave this machine');
}

/** A disc picture encoded by the browser itself, since the test has no JPEG or WebP encoder of its own. */
async function browserEncoded(page: Page, type: 'image/jpeg' | 'image/webp'): Promise<Buffer> {
  const bytes = await page.evaluate(async (mime) => {
    const canvas = new OffscreenCanvas(48, 36);
    const context = canvas.getContext('2d')!;
    context.fillStyle = '#fafafa';
    context.fillRect(0, 0, 48, 36);
    context.fillStyle = '#3050c0';
    context.beginPath();
    context.arc(24, 18, 12, 0, 2 * Math.PI);
    context.fill();
    return [...new Uint8Array(await (await canvas.convertToBlob({ type: mime })).arrayBuffer())];
  }, type);
  return Buffer.from(bytes);
}

test('imports a folder with broken files, keeps it across a reload and trains on it', async ({ page, watch }) => {
  await page.goto('./');
  const { parent, folder } = writeImageFolder({
    'photo.jpg': await browserEncoded(page, 'image/jpeg'), 'web.webp': await browserEncoded(page, 'image/webp'),
  });
  try {
    await openDatasetPanel(page);
    await expect(page.getByTestId('no-cached-datasets')).toBeVisible();
    await page.getByLabel('Import resolution').selectOption('32');
    await page.getByLabel('Import colour').selectOption('rgb');

    const started = Date.now();
    await page.getByLabel('Choose a folder…').setInputFiles(folder);
    await expect(page.getByTestId('import-result')).toContainText('Imported “shapes-folder”: 14 images in 2 classes', { timeout: 60_000 });
    console.log(`[measure] import of 19 files (14 good): ${Date.now() - started} ms`);

    const problems = page.getByTestId('import-problems');
    await expect(problems).toContainText('shapes-folder/disc/notes.txt: Not an image file (.txt): skipped.');
    await expect(problems).toContainText('shapes-folder/disc/fake.png: Not a PNG, JPEG, GIF, WebP or BMP image (judging by its contents): skipped.');
    await expect(problems).toContainText('shapes-folder/stripes/broken.png: Could not be decoded as PNG (the file is damaged or incomplete): skipped.');
    await expect(problems).toContainText('shapes-folder/stripes/huge.png: 20000 × 20000 pixels (400 megapixels) is more than the 40-megapixel limit');
    await expect(problems).toContainText('Class "lonely" has only 1 usable image; a class needs at least 2: left out.');

    const summary = page.getByTestId('dataset-summary');
    await expect(summary.getByRole('rowheader')).toHaveText(['disc', 'stripes']);
    await expect(summary.getByTestId('class-count')).toHaveText(['8', '6']);
    await expect(summary.getByRole('img', { name: '6 sample images of disc' })).toBeVisible();

    // The prepared dataset is in IndexedDB: after a reload it is listed without importing again.
    await page.reload();
    await expect(page.getByRole('heading', { name: /^Your image folders/ })).toContainText('1 imported');
    await openDatasetPanel(page);
    const cached = page.getByTestId('cached-datasets');
    await expect(cached.getByRole('rowheader')).toContainText('shapes-folder');
    await expect(cached).toContainText('32×32×3');
    await expect(cached).toContainText(/\d+ KiB/);

    await useBackend(page, 'webgpu');
    await page.getByRole('button', { name: 'Use shapes-folder for the next run' }).click();
    await expect(page.getByLabel('Dataset', { exact: true })).toHaveValue(/^user:[0-9a-f]{16}$/);
    await expect(page.getByLabel('Dataset', { exact: true }).locator('option:checked')).toHaveText('shapes-folder (imported)');
    await page.getByLabel('Model', { exact: true }).selectOption('mlp');
    await page.getByLabel('Batch size', { exact: true }).fill('4');
    await page.getByLabel('Subset fraction', { exact: true }).fill('1');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await expect(page.getByTestId('run-status')).toHaveText(/^Finished/, { timeout: 120_000 });

    await page.getByRole('button', { name: 'Delete shapes-folder from this browser' }).click();
    await expect(page.getByTestId('no-cached-datasets')).toBeVisible();
    // The configuration still names the deleted dataset: the page says so, and a run fails with what to import.
    await expect(page.getByTestId('missing-dataset')).toContainText('is not in this browser: import its folder to run it.');
    await expect(page.getByLabel('Dataset', { exact: true }).locator('option:checked')).toHaveText(/^user:[0-9a-f]{16} \(not in this browser\)$/);
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await expect(page.getByTestId('run-error')).toContainText("is not in this browser's storage: import its folder first", { timeout: 60_000 });

    expect(watch.consoleErrors).toEqual([]);
    expect(watch.foreignRequests).toEqual([]);
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
});

test('a folder holding a single class is refused with a message saying what to choose', async ({ page, watch }) => {
  const { parent, folder } = writeImageFolder();
  try {
    await page.goto('./');
    await openDatasetPanel(page);
    await page.getByLabel('Choose a folder…').setInputFiles(join(folder, 'disc'));
    await expect(page.getByTestId('import-result')).toHaveText('Nothing was imported.', { timeout: 30_000 });
    await expect(page.getByTestId('import-problems')).toContainText('Found only one class ("disc") with 2 or more images');
    await expect(page.getByTestId('no-cached-datasets')).toBeVisible();
    expect(watch.consoleErrors).toEqual([]);
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
});

test('trains on the generated synthetic-shapes dataset', async ({ page, watch }) => {
  await page.goto('./');
  await useBackend(page, 'webgpu');
  await page.getByLabel('Dataset', { exact: true }).selectOption('synthetic-shapes');
  await page.getByLabel('Model', { exact: true }).selectOption('mlp');
  await page.getByLabel('Subset fraction', { exact: true }).fill('0.1');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByTestId('run-status')).toHaveText(/^Finished/, { timeout: 120_000 });
  const accuracy = (await page.getByTestId('final-val-accuracy').textContent()) ?? '';
  console.log(`[measure] mlp on 10 % of synthetic-shapes, 1 epoch: val accuracy ${accuracy}`);
  expect(watch.consoleErrors).toEqual([]);
  expect(watch.foreignRequests).toEqual([]);
});

test('files dropped loose (not in class folders) are each reported, and nothing is imported', async ({ page, watch }) => {
  await page.goto('./');
  await openDatasetPanel(page);
  const dropZone = page.getByRole('region', { name: 'Drop a folder of images here' });
  const transfer = await page.evaluateHandle(() => {
    const data = new DataTransfer();
    data.items.add(new File(['x'], 'a.png', { type: 'image/png' }));
    data.items.add(new File(['y'], 'b.png', { type: 'image/png' }));
    return data;
  });
  await dropZone.dispatchEvent('drop', { dataTransfer: transfer });
  await expect(page.getByTestId('import-result')).toHaveText('Nothing was imported.', { timeout: 30_000 });
  await expect(page.getByTestId('import-problems')).toContainText('a.png: Not inside a class folder');
  await expect(page.getByTestId('import-problems')).toContainText('b.png: Not inside a class folder');
  expect(watch.consoleErrors).toEqual([]);
});
