import type { ImportEvent, ImportRequest } from '../core/data/import-messages';
import { deleteUserDataset, listUserDatasets } from '../core/data/user-cache';
import type { ImportOptions, ImportProblem, UserDatasetSummary } from '../core/data/user-import';

/** A file with its path below what the user picked or dropped ("flowers/rose/001.jpg"). */
export interface PathedFile {
  path: string;
  file: File;
}

export interface ImportReport {
  /** The dataset now in this browser, or null when nothing could be imported. */
  imported: UserDatasetSummary | null;
  problems: ImportProblem[];
}

/**
 * The datasets imported into this browser and the import in progress. One instance for the page (`userDatasets`), so
 * the dataset picker and the import panel show the same list.
 */
export class UserDatasets {
  list = $state.raw<UserDatasetSummary[]>([]);
  /** Why the cache could not be read (e.g. storage disabled), or null. */
  storageError = $state<string | null>(null);
  options = $state<ImportOptions>({ side: 32, colour: 'rgb' });
  progress = $state<{ done: number; total: number; message: string } | null>(null);
  report = $state.raw<ImportReport | null>(null);
  readonly importing = $derived(this.progress !== null);

  private worker: Worker | null = null;

  async refresh(): Promise<void> {
    try {
      this.list = await listUserDatasets();
      this.storageError = null;
    } catch (error) {
      this.storageError = `Imported datasets cannot be read from this browser's storage: ${(error as Error).message}`;
    }
  }

  /** Decodes, checks and stores the files in a worker of its own; the report says what was imported and what was not. */
  import(files: PathedFile[]): void {
    if (this.importing) return;
    this.report = null;
    if (files.length === 0) {
      this.report = { imported: null, problems: [{ path: null, message: 'The folder is empty: nothing to import.' }] };
      return;
    }
    this.progress = { done: 0, total: files.length, message: `Reading ${files.length} files` };
    // Vite finds and bundles a worker only from this exact `new URL(…, import.meta.url)` form; nothing reacts to it.
    // eslint-disable-next-line svelte/prefer-svelte-reactivity
    const worker = new Worker(new URL('../worker/image-decode.worker.ts', import.meta.url), { type: 'module', name: 'image-decode' });
    worker.onmessage = (message: MessageEvent<ImportEvent>) => {
      const event = message.data;
      if (event.type === 'progress') this.progress = { done: event.done, total: event.total, message: event.message };
      else this.finish({ imported: event.type === 'imported' ? event.summary : null, problems: event.problems });
    };
    worker.onerror = (error) => {
      error.preventDefault();
      this.finish({ imported: null, problems: [{ path: null, message: `The image decoder crashed: ${error.message || 'unknown error'}.` }] });
    };
    this.worker = worker;
    const request: ImportRequest = { type: 'import', files, options: $state.snapshot(this.options) };
    worker.postMessage(request);
  }

  cancel(): void {
    if (!this.importing) return;
    this.finish({ imported: null, problems: [{ path: null, message: 'Import cancelled: nothing was stored.' }] });
  }

  async remove(fingerprint: string): Promise<void> {
    try {
      await deleteUserDataset(fingerprint);
    } catch (error) {
      this.storageError = `Could not delete the dataset: ${(error as Error).message}`;
    }
    if (this.report?.imported?.fingerprint === fingerprint) this.report = null;
    await this.refresh();
  }

  private finish(report: ImportReport): void {
    this.worker?.terminate();
    this.worker = null;
    this.progress = null;
    this.report = report;
    // Also after a cancel: the worker may have stored the dataset just before it was ended.
    void this.refresh();
  }
}

export const userDatasets = new UserDatasets();

/** Files from a folder input (webkitdirectory): the browser gives each one's path from the chosen folder down. */
export function filesFromInput(list: FileList): PathedFile[] {
  return Array.from(list, (file) => ({ path: file.webkitRelativePath || file.name, file }));
}

function readAllEntries(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  // readEntries answers in batches (100 in Chromium) until it returns an empty one.
  return new Promise((resolve, reject) => {
    const entries: FileSystemEntry[] = [];
    const readBatch = () => reader.readEntries((batch) => {
      if (batch.length === 0) resolve(entries);
      else {
        entries.push(...batch);
        readBatch();
      }
    }, reject);
    readBatch();
  });
}

async function filesBelow(entry: FileSystemEntry, path: string): Promise<PathedFile[]> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    return [{ path, file }];
  }
  const children = await readAllEntries((entry as FileSystemDirectoryEntry).createReader());
  const nested = await Promise.all(children.map((child) => filesBelow(child, `${path}/${child.name}`)));
  return nested.flat();
}

/** Files from a drop, folders walked recursively; paths start at the dropped item's name, like a folder input's. */
export async function filesFromDrop(transfer: DataTransfer): Promise<PathedFile[]> {
  // Entries must be taken synchronously, before the drop event returns.
  const entries = Array.from(transfer.items, (item) => item.webkitGetAsEntry()).filter((e): e is FileSystemEntry => e !== null);
  if (entries.length === 0) return filesFromInput(transfer.files);
  const nested = await Promise.all(entries.map((entry) => filesBelow(entry, entry.name)));
  return nested.flat();
}
