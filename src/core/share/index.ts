/** Shareable links: one table of fields, versioned encode/decode, results summaries and workshop merging. No tfjs here. */
export * from './state';
export * from './results';
export * from './link';
export * from './merge';
export { sanitiseText, shortKeyClashes } from './schema';
export type { Field, FieldTable, Spec } from './schema';
export * from './compare';
