/// <reference lib="webworker" />
/**
 * Decodes and resizes a folder of images off the main thread (createImageBitmap + OffscreenCanvas), builds the
 * dataset, fingerprints it and stores it in IndexedDB. One worker per import: the page cancels by terminating it, and
 * nothing is stored before the very end.
 */
import { sha256Hex } from '../core/data/dataset';
import { IMAGE_HEADER_BYTES, readImageHeader } from '../core/data/image-header';
import type { ImportEvent, ImportRequest } from '../core/data/import-messages';
import { saveUserDataset } from '../core/data/user-cache';
import {
  assembleUserDataset, headerProblem, planImport, withFingerprint, type DecodedImage, type ImportOptions, type ImportProblem,
} from '../core/data/user-import';
import { decodeToPixels } from './decode-image';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const post = (event: ImportEvent) => scope.postMessage(event);

/** Files decoded at once: enough to overlap reading and decoding, few enough to bound memory for large photos. */
const CONCURRENCY = 4;
const PROGRESS_INTERVAL_MS = 100;

type FileOutcome = { pixels: Uint8Array; sha256: string } | { problem: string };

async function importFile(file: File, options: ImportOptions, canvas: OffscreenCanvas): Promise<FileOutcome> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await file.arrayBuffer());
  } catch (error) {
    return { problem: `Could not be read (${(error as Error).message}): skipped.` };
  }
  const header = readImageHeader(bytes.subarray(0, IMAGE_HEADER_BYTES));
  const problem = headerProblem(header);
  if (problem) return { problem };
  try {
    const pixels = await decodeToPixels(file, options, canvas);
    return { pixels, sha256: await sha256Hex(bytes) };
  } catch {
    return { problem: `Could not be decoded as ${header!.format.toUpperCase()} (the file is damaged or incomplete): skipped.` };
  }
}

async function importFolder({ files, options }: ImportRequest): Promise<void> {
  const plan = planImport(files.map(({ path, file }) => ({ path, size: file.size })));
  if (plan.fatal) {
    post({ type: 'failed', problems: plan.problems });
    return;
  }
  const jobs = plan.classes.flatMap((planned, planClass) => planned.files.map((file) => ({ planClass, ...file })));
  const fileProblems: ImportProblem[] = [];
  const decoded: DecodedImage[] = [];
  let done = 0;
  let lastProgress = 0;
  const report = () => post({ type: 'progress', done, total: jobs.length, message: `Decoded ${done} of ${jobs.length} images` });
  report();

  let next = 0;
  const decodeNext = async (canvas: OffscreenCanvas): Promise<void> => {
    while (next < jobs.length) {
      const { planClass, index, pathInClass } = jobs[next++]!;
      const { path, file } = files[index]!;
      const outcome = await importFile(file, options, canvas);
      if ('problem' in outcome) fileProblems.push({ path, message: outcome.problem });
      else decoded.push({ planClass, pathInClass, fileSha256: outcome.sha256, pixels: outcome.pixels });
      done++;
      if (performance.now() - lastProgress > PROGRESS_INTERVAL_MS) {
        lastProgress = performance.now();
        report();
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, () => decodeNext(new OffscreenCanvas(options.side, options.side))));
  report();

  // Files finish in any order; the report lists them by path.
  fileProblems.sort((a, b) => (a.path! < b.path! ? -1 : 1));
  const { dataset, problems: allProblems } = assembleUserDataset(
    plan, options, decoded, [...plan.problems, ...fileProblems], new Date().toISOString());
  if (!dataset) {
    post({ type: 'failed', problems: allProblems });
    return;
  }
  post({ type: 'progress', done, total: jobs.length, message: 'Saving in this browser' });
  const summary = withFingerprint(dataset.summary, await sha256Hex(dataset.fingerprintSource));
  try {
    await saveUserDataset(summary, dataset.images, dataset.labels);
  } catch (error) {
    post({ type: 'failed', problems: [...allProblems, { path: null, message: `Could not store the dataset in this browser: ${(error as Error).message}` }] });
    return;
  }
  post({ type: 'imported', summary, problems: allProblems });
}

scope.onmessage = (message: MessageEvent<ImportRequest>) => {
  void importFolder(message.data).catch((error: unknown) =>
    post({ type: 'failed', problems: [{ path: null, message: `The import failed: ${(error as Error).message}` }] }));
};
