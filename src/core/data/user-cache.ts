/**
 * Imported datasets cached in this browser's IndexedDB, so a reload does not import the folder again. IndexedDB exists
 * in pages and in workers (the decode worker writes here, the training worker reads), not in Node.
 *
 * Two stores: summaries (small, listed on every page load) and contents (the pixels, read only to train).
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import { DatasetError, type ImageDataset } from './dataset';
import { fingerprintPrefixOf, type UserDatasetId } from './user-dataset-id';
import type { UserDatasetSummary } from './user-import';

interface StoredContents {
  fingerprint: string;
  images: Uint8Array;
  labels: Uint8Array;
}

interface UserDatasetDb extends DBSchema {
  summaries: { key: string; value: UserDatasetSummary };
  contents: { key: string; value: StoredContents };
}

/** A database of its own, so its schema versions never collide with other stores of the app. */
const DB_NAME = 'webgpu-playground-user-datasets';
const DB_VERSION = 1;

function openCache(): Promise<IDBPDatabase<UserDatasetDb>> {
  if (typeof indexedDB === 'undefined') {
    return Promise.reject(new DatasetError('This browser has no IndexedDB (private mode?), so imported datasets cannot be kept.'));
  }
  return openDB<UserDatasetDb>(DB_NAME, DB_VERSION, {
    upgrade(db) {
      db.createObjectStore('summaries', { keyPath: 'fingerprint' });
      db.createObjectStore('contents', { keyPath: 'fingerprint' });
    },
  });
}

async function withCache<T>(use: (db: IDBPDatabase<UserDatasetDb>) => Promise<T>): Promise<T> {
  const db = await openCache();
  try {
    return await use(db);
  } finally {
    db.close();
  }
}

/** Stores a dataset (replacing one with the same fingerprint: importing the same folder twice keeps one copy). */
export function saveUserDataset(summary: UserDatasetSummary, images: Uint8Array, labels: Uint8Array): Promise<void> {
  return withCache(async (db) => {
    const tx = db.transaction(['summaries', 'contents'], 'readwrite');
    await Promise.all([
      tx.objectStore('summaries').put(summary),
      tx.objectStore('contents').put({ fingerprint: summary.fingerprint, images, labels }),
      tx.done,
    ]);
  });
}

/** Every cached dataset, most recently imported first. */
export function listUserDatasets(): Promise<UserDatasetSummary[]> {
  return withCache(async (db) => {
    const all = await db.getAll('summaries');
    return all.sort((a, b) => (a.importedAt < b.importedAt ? 1 : a.importedAt > b.importedAt ? -1 : 0));
  });
}

export function deleteUserDataset(fingerprint: string): Promise<void> {
  return withCache(async (db) => {
    const tx = db.transaction(['summaries', 'contents'], 'readwrite');
    await Promise.all([tx.objectStore('summaries').delete(fingerprint), tx.objectStore('contents').delete(fingerprint), tx.done]);
  });
}

/** The cached summaries whose fingerprint starts with the id's prefix (one, unless two datasets share the prefix). */
function findUserDatasets(id: UserDatasetId): Promise<UserDatasetSummary[]> {
  const prefix = fingerprintPrefixOf(id);
  // Fingerprints are lower-case hex, so every key with this prefix sorts between prefix and prefix + "g".
  return withCache((db) => db.getAll('summaries', IDBKeyRange.bound(prefix, `${prefix}g`, false, true)));
}

/** Loads an imported dataset for training; a clear DatasetError when this browser does not have it. */
export async function loadUserDataset(id: UserDatasetId): Promise<ImageDataset> {
  const matches = await findUserDatasets(id);
  if (matches.length === 0) {
    throw new DatasetError(`The imported dataset ${id} is not in this browser's storage: import its folder first ` +
      '(Your image folders), then run again.');
  }
  if (matches.length > 1) {
    throw new DatasetError(`${id} matches ${matches.length} imported datasets (${matches.map((m) => `"${m.name}"`).join(', ')}): ` +
      'delete the one you do not mean, or use a longer fingerprint.');
  }
  const summary = matches[0]!;
  const contents = await withCache((db) => db.get('contents', summary.fingerprint));
  if (!contents) {
    throw new DatasetError(`The pixels of "${summary.name}" are missing from this browser's storage: delete it and import the folder again.`);
  }
  return {
    id, name: summary.name, height: summary.height, width: summary.width, channels: summary.channels,
    classNames: summary.classNames, count: summary.count, images: contents.images, labels: contents.labels,
  };
}
