/** The decision matrix: pure TypeScript, no DOM, no UI, no tfjs. Every function returns plain JSON values. */
export * from './types';
export * from './criteria';
export * from './normalise';
export * from './extract';
export * from './evaluate';
export * from './pareto';
export * from './sensitivity';
export * from './presets';
export * from './winners';
