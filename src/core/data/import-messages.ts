/** Typed messages between the page and the image-decode worker (src/worker/image-decode.worker.ts). */
import type { ImportOptions, ImportProblem, UserDatasetSummary } from './user-import';

export interface ImportRequest {
  type: 'import';
  /** The picked or dropped files with their paths ("flowers/rose/001.jpg"); File objects are cheap to post. */
  files: { path: string; file: File }[];
  options: ImportOptions;
}

export type ImportEvent =
  | { type: 'progress'; done: number; total: number; message: string }
  /** The dataset is in this browser's storage; `problems` lists what was left out. */
  | { type: 'imported'; summary: UserDatasetSummary; problems: ImportProblem[] }
  /** Nothing was stored; `problems` says why. */
  | { type: 'failed'; problems: ImportProblem[] };
