import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultRunConfig } from '../../src/core/config';
import type { RunResult } from '../../src/core/result';
import { HistoryError, HistoryStore } from '../../src/lib/history-store';

const result = (seed: number) => ({ schemaVersion: 1, config: { ...defaultRunConfig(), seed }, status: 'done' }) as unknown as RunResult;

const entry = (label: string, run: RunResult) => ({ label, result: run, savedAt: new Date().toISOString() });

let store: HistoryStore | null = null;
afterEach(async () => {
  await store?.clear();
  store?.close();
});

describe('run history (IndexedDB)', () => {
  it('saves results as they finish, lists them newest first, and keeps them across re-opening', async () => {
    store = await HistoryStore.open();
    await store.add(entry('first', result(1)));
    await store.add(entry('second', result(2)));
    store.close();
    store = await HistoryStore.open();
    const entries = await store.list();
    expect(entries.map((e) => [e.label, e.result.config.seed])).toEqual([['second', 2], ['first', 1]]);
    expect(entries[0]!.key).toBeGreaterThan(entries[1]!.key);
    expect(Date.parse(entries[0]!.savedAt)).not.toBeNaN();
  });

  it('deletes chosen runs and clears everything', async () => {
    store = await HistoryStore.open();
    const keys = [await store.add(entry('a', result(1))), await store.add(entry('b', result(2))), await store.add(entry('c', result(3)))];
    await store.delete([keys[0]!, keys[2]!]);
    expect((await store.list()).map((e) => e.label)).toEqual(['b']);
    await store.clear();
    expect(await store.list()).toEqual([]);
  });

  it('turns a storage failure into a message for the user', async () => {
    store = await HistoryStore.open();
    // A function cannot be cloned into IndexedDB: the browser refuses, as it would on a full quota.
    const unclonable = { ...result(1), extra: () => 0 } as unknown as RunResult;
    const failure = await store.add(entry('bad', unclonable)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(HistoryError);
    expect((failure as Error).message).toMatch(/^Could not save to the run history: the browser refused \(/);
  });
});
