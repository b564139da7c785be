/**
 * Workshop merging: several people share result links measured on their own machines; one matrix compares them all,
 * with the environment as a column.
 */
import type { RunEntry } from '../matrix/extract';
import { decodeExperimentLink } from './link';
import { environmentLabel, runEntriesFromSharedResults } from './results';

export interface MergedRunEntry extends RunEntry {
  /** Where the run was measured, e.g. "nvidia ampere (webgpu)" or "google swiftshader, fallback (webgpu)". */
  environmentLabel: string;
  /** 1-based position of the link it came from. */
  link: number;
}

export interface MergedResults {
  /** Every run of every readable link; ids are prefixed with the link number so equal candidates stay apart. */
  entries: MergedRunEntry[];
  /** Links that gave no runs, with why. */
  errors: { link: number; message: string }[];
  /** Problems worked around while reading the links that did load. */
  warnings: string[];
}

export function mergeResultLinks(links: readonly string[]): MergedResults {
  const merged: MergedResults = { entries: [], errors: [], warnings: [] };
  links.forEach((text, index) => {
    const link = index + 1;
    const decoded = decodeExperimentLink(text);
    if (!decoded.ok) {
      merged.errors.push({ link, message: decoded.message });
      return;
    }
    merged.warnings.push(...decoded.warnings.map((warning) => `Link ${link}: ${warning}`));
    const { results } = decoded;
    if (results === null || results.runs.length === 0) {
      merged.errors.push({ link, message: 'This link carries no results: share it again with results included.' });
      return;
    }
    runEntriesFromSharedResults(results).forEach((entry, i) => {
      const backend = results.runs[i]!.backend;
      merged.entries.push({
        ...entry, id: `link${link}:${entry.id}`, environmentLabel: environmentLabel(results.environment, backend), link,
      });
    });
  });
  return merged;
}
