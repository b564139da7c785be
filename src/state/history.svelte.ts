import type { RunResult } from '../core/result';
import { HistoryStore, savedAtNow, type HistoryEntry } from '../lib/history-store';
import { timed } from './task-timing';

/**
 * The saved runs, as the page shows them. Saving never blocks or loses a result: when storage fails, the error is
 * shown and the run stays in the session's own results.
 */
export class RunHistory {
  entries = $state.raw<HistoryEntry[]>([]);
  error = $state<string | null>(null);
  /** Keys the user ticked to compare as a matrix. */
  selected = $state<number[]>([]);
  private store: Promise<HistoryStore | null>;

  constructor() {
    this.store = HistoryStore.open().catch((error: Error) => {
      this.error = `${error.message} Runs of this session are kept on the page until it is closed.`;
      return null;
    });
    void this.refresh();
  }

  async save(label: string, result: RunResult): Promise<void> {
    const store = await this.store;
    if (!store) return;
    // IndexedDB clones the result on the main thread: in a task of its own, not the one that ends the run and
    // redraws the matrix.
    await new Promise((resolve) => setTimeout(resolve, 0));
    try {
      const entry = { savedAt: savedAtNow(), label, result };
      const key = await timed('app:history-save', () => store.add(entry));
      timed('app:history-list', () => {
        this.error = null;
        // Newest first; no re-read of every saved result (each is a structured clone on the main thread).
        this.entries = [{ key, ...entry }, ...this.entries];
      });
    } catch (error) {
      this.error = `${(error as Error).message} This run stays in the page’s results until it is closed.`;
    }
  }

  async remove(keys: readonly number[]): Promise<void> {
    await this.mutate((store) => store.delete(keys));
    this.selected = this.selected.filter((key) => !keys.includes(key));
  }

  async clear(): Promise<void> {
    await this.mutate((store) => store.clear());
    this.selected = [];
  }

  toggle(key: number, on: boolean): void {
    const others = this.selected.filter((k) => k !== key);
    this.selected = on ? [...others, key] : others;
  }

  private async mutate(change: (store: HistoryStore) => Promise<void>): Promise<void> {
    const store = await this.store;
    if (!store) return;
    try {
      await change(store);
      await this.refresh();
    } catch (error) {
      this.error = (error as Error).message;
    }
  }

  private async refresh(): Promise<void> {
    const store = await this.store;
    if (!store) return;
    try {
      this.entries = await store.list();
    } catch (error) {
      this.error = (error as Error).message;
    }
  }
}
