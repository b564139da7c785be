import type { DatasetId } from '../config';
import { fetchByteSource, loadBinaryDataset, type ImageDataset } from './dataset';
import { SYNTHETIC_SHAPES_ID, generateSyntheticShapes } from './synthetic-shapes';
import { loadUserDataset } from './user-cache';
import { isUserDatasetId } from './user-dataset-id';

export interface DatasetLoadProgress {
  /** 0..1, or null when unknown. */
  fraction: number | null;
  message: string;
}

/**
 * Any dataset a RunConfig can name: shipped ones are fetched from `dataBaseUrl`, synthetic-shapes is generated,
 * imported ones are read from this browser's IndexedDB (a DatasetError says what to import when it is not there).
 */
export function loadDataset(
  id: DatasetId, dataBaseUrl: string, onProgress: (progress: DatasetLoadProgress) => void,
): Promise<ImageDataset> {
  if (id === SYNTHETIC_SHAPES_ID) {
    onProgress({ fraction: null, message: 'Generating the synthetic shapes' });
    return Promise.resolve(generateSyntheticShapes());
  }
  if (isUserDatasetId(id)) {
    onProgress({ fraction: null, message: `Reading ${id} from this browser's storage` });
    return loadUserDataset(id);
  }
  return loadBinaryDataset(id, fetchByteSource(new URL(`${id}/`, dataBaseUrl).href), ({ loadedBytes, totalBytes }) =>
    onProgress({
      fraction: loadedBytes / totalBytes,
      message: `Loading ${id}: ${(loadedBytes / 1e6).toFixed(1)} of ${(totalBytes / 1e6).toFixed(1)} MB`,
    }));
}
