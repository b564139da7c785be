/**
 * Local history: every finished run's result, saved in IndexedDB (idb) as it finishes. It survives reloads; nothing
 * leaves the machine. A storage failure (quota, private mode, blocked database) surfaces as a HistoryError with a
 * message for the user; callers keep the session's results in memory whatever happens here.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { RunResult } from '../core/result';

const DB_NAME = 'webgpu-playground-history';
const DB_VERSION = 1;
const STORE = 'runs';

export interface HistoryEntry {
  /** Assigned by the store (auto-increment): the order runs were saved in. */
  key: number;
  savedAt: string;
  /** What the user saw it as: the sweep candidate's label or "single run". */
  label: string;
  result: RunResult;
}

interface HistoryDb extends DBSchema {
  runs: { key: number; value: Omit<HistoryEntry, 'key'> & { key?: number } };
}

/** When a run is saved, as stored with it (ISO 8601, UTC). */
export const savedAtNow = (): string => new Date().toISOString();

export class HistoryError extends Error {
  override name = 'HistoryError';
}

function describe(error: unknown, action: string): HistoryError {
  const name = (error as { name?: string } | null)?.name ?? '';
  const why = name === 'QuotaExceededError'
    ? 'the browser’s storage quota is full (delete old runs or clear the history)'
    : `the browser refused (${(error as Error)?.message || name || 'unknown error'}; private browsing can block storage)`;
  return new HistoryError(`Could not ${action} the run history: ${why}.`);
}

export class HistoryStore {
  private constructor(private readonly db: IDBPDatabase<HistoryDb>) {}

  static async open(): Promise<HistoryStore> {
    try {
      const db = await openDB<HistoryDb>(DB_NAME, DB_VERSION, {
        upgrade(database) {
          database.createObjectStore(STORE, { keyPath: 'key', autoIncrement: true });
        },
      });
      return new HistoryStore(db);
    } catch (error) {
      throw describe(error, 'open');
    }
  }

  /** Saves a run and returns its key. The result is stored as a structured clone of it. */
  async add(entry: Omit<HistoryEntry, 'key'>): Promise<number> {
    try {
      return await this.db.add(STORE, entry);
    } catch (error) {
      throw describe(error, 'save to');
    }
  }

  /** Every saved run, newest first. */
  async list(): Promise<HistoryEntry[]> {
    try {
      const all = (await this.db.getAll(STORE)) as HistoryEntry[];
      return all.reverse();
    } catch (error) {
      throw describe(error, 'read');
    }
  }

  async delete(keys: readonly number[]): Promise<void> {
    try {
      const tx = this.db.transaction(STORE, 'readwrite');
      await Promise.all([...keys.map((key) => tx.store.delete(key)), tx.done]);
    } catch (error) {
      throw describe(error, 'delete from');
    }
  }

  async clear(): Promise<void> {
    try {
      await this.db.clear(STORE);
    } catch (error) {
      throw describe(error, 'clear');
    }
  }

  close(): void {
    this.db.close();
  }
}
