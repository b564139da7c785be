import type { RunConfig } from '../core/config';
import type { RunEntry } from '../core/matrix';
import {
  CRITERION_ID_LIST, decodeExperimentLink, encodeExperimentLink, runEntriesFromSharedResults, sharedResultsFromRuns,
  type CriterionId, type ExperimentState, type ImportedDatasetRef, type SharedResults, type ShareableControl,
} from '../core/share';
import type { DecisionSettings } from './decision.svelte';
import type { SweepRunner } from './sweep.svelte';

/** The app's version, stamped into result links so a visitor knows what measured them. */
export const APP_VERSION = import.meta.env.VITE_APP_VERSION ?? 'dev';

/** Results that came with a link: shown as "measured on …", re-runnable on this machine. */
export interface LinkedResults {
  results: SharedResults;
  entries: RunEntry[];
}

/** What an experiment link reads and writes. */
export interface ExperimentLinksOptions {
  /** The run configuration being edited (a sweep's shared settings), and how to replace it. */
  getConfig(): RunConfig;
  setConfig(config: RunConfig): void;
  sweep: SweepRunner;
  decision: DecisionSettings;
  /** The imported folder the configuration's dataset is, if it is one: a link names it and never carries its images. */
  getImportedDataset(): ImportedDatasetRef | null;
}

/**
 * The bridge between the page's state and links: builds the link of the current experiment, and applies a decoded one
 * (state, workshop flags and any results it carries). A malformed link leaves a message and the current state alone.
 */
export class ExperimentLinks {
  /** Controls an instructor's link locked (shown, not editable) or hid. */
  locked = $state<ShareableControl[]>([]);
  hidden = $state<ShareableControl[]>([]);
  /** Why the last link could not be used, or what in it was ignored; plain text. */
  message = $state<string | null>(null);
  warnings = $state<string[]>([]);
  shared = $state.raw<LinkedResults | null>(null);
  /** The imported folder the last opened link's dataset refers to (its images never travel in a link). */
  importedDataset = $state<ImportedDatasetRef | null>(null);

  constructor(private readonly options: ExperimentLinksOptions) {}

  current(): ExperimentState {
    const { decision: d, sweep } = this.options;
    return $state.snapshot({
      sweep: { base: this.options.getConfig(), axes: sweep.axes },
      importedDataset: this.options.getImportedDataset(),
      weights: Object.fromEntries(CRITERION_ID_LIST.map((id) => [id, d.weights[id] ?? 0])) as Record<CriterionId, number>,
      communityScores: d.communityScores as ExperimentState['communityScores'],
      customCriteria: d.customCriteria,
      removedCriteria: d.removedCriteria.filter((id): id is CriterionId => (CRITERION_ID_LIST as readonly string[]).includes(id)),
      accuracyPolicy: d.accuracyPolicy,
      locked: this.locked,
      hidden: this.hidden,
    }) as ExperimentState;
  }

  /** The link of the current experiment; with results, also every finished row of the sweep and where it was measured. */
  link(base: string, withResults: boolean, flags?: { locked: ShareableControl[]; hidden: ShareableControl[] }): string {
    const state = { ...this.current(), ...flags };
    const results = withResults ? sharedResultsFromRuns(this.options.sweep.entries, APP_VERSION) : null;
    return `${base.split('#')[0]}${encodeExperimentLink(state, results)}`;
  }

  /** Applies a link's hash. Returns false (with a message, state untouched) when it cannot be used. */
  apply(hash: string): boolean {
    if (!/[#&]?v=/.test(hash)) return false;
    const decoded = decodeExperimentLink(hash);
    if (!decoded.ok) {
      this.message = `This link could not be opened: ${decoded.message} The default experiment is shown instead.`;
      this.warnings = [];
      return false;
    }
    const { state } = decoded;
    this.options.setConfig(state.sweep.base);
    this.options.sweep.axes = state.sweep.axes;
    this.options.decision.load(state);
    this.importedDataset = state.importedDataset;
    this.locked = state.locked;
    this.hidden = state.hidden;
    this.shared = decoded.results ? { results: decoded.results, entries: runEntriesFromSharedResults(decoded.results) } : null;
    this.warnings = decoded.warnings;
    this.message = null;
    return true;
  }

  isLocked(control: ShareableControl): boolean {
    return this.locked.includes(control);
  }

  isHidden(control: ShareableControl): boolean {
    return this.hidden.includes(control);
  }
}
