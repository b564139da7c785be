/** The memory monitor warns at 7.5 GB of an 8 GB budget, and stops a run above the budget. */
export const MEMORY_WARNING_FRACTION = 7.5 / 8;

export type MemoryLevel = 'ok' | 'warning' | 'over-budget';

export function memoryLevel(bytes: number, budgetBytes: number): MemoryLevel {
  if (bytes > budgetBytes) return 'over-budget';
  return bytes >= budgetBytes * MEMORY_WARNING_FRACTION ? 'warning' : 'ok';
}
