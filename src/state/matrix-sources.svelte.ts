import type { RunEntry } from '../core/matrix';
import { mergeResultLinks } from '../core/share';
import type { ExperimentLinks } from './experiment.svelte';
import type { RunHistory } from './history.svelte';
import type { SweepRunner } from './sweep.svelte';

/** A set of measured runs the matrix can show: this sweep, a history selection, results from links. */
export interface MatrixSource {
  id: string;
  label: string;
  entries: RunEntry[];
  /** Shown when the source has no rows. */
  empty: string;
}

/** One failed link of a merge, with its position in what was pasted. */
export interface MergeError {
  link: string;
  message: string;
}

/**
 * Which runs the decision matrix scores: this sweep, the ticked history entries, the results an opened link carried,
 * or several result links merged. Opening a link with results or merging links switches to them; starting the sweep
 * again switches back.
 */
export class MatrixSources {
  /** Id of the source shown, or 'preset' for the method's framework comparison. */
  active = $state('sweep');
  merged = $state.raw<RunEntry[]>([]);

  /** Recomputed when any source's runs change. */
  readonly list: MatrixSource[] = $derived(this.collect());

  constructor(
    private readonly sweep: SweepRunner,
    private readonly history: RunHistory,
    private readonly links: ExperimentLinks,
  ) {}

  /** Applies the link in `hash`; returns whether it changed the experiment. Its results, if any, are shown. */
  openLink(hash: string): boolean {
    if (!this.links.apply(hash)) return false;
    if (this.links.shared) this.active = 'link';
    return true;
  }

  /** Merges pasted result links into one matrix, labelled by where each run was measured. */
  mergeLinks(pasted: string[]): { errors: MergeError[] } {
    const merged = mergeResultLinks(pasted);
    this.merged = merged.entries.map((entry) => ({ ...entry, label: `${entry.label ?? entry.id} — ${entry.environmentLabel}` }));
    if (this.merged.length > 0) this.active = 'merged';
    return { errors: merged.errors.map((e) => ({ link: `link ${e.link}`, message: e.message })) };
  }

  /** Runs the current sweep (e.g. a link's) on this machine and shows its rows as they finish. */
  rerunSweep(): void {
    this.sweep.start();
    this.active = 'sweep';
  }

  showHistory(): void {
    this.active = 'history';
  }

  private collect(): MatrixSource[] {
    return [
      {
        id: 'sweep', label: 'This sweep', entries: this.sweep.entries,
        empty: 'Run a sweep: each configuration becomes a row as soon as it finishes, and the totals and ranking update live.',
      },
      {
        id: 'history', label: 'Selected history', entries: this.historyEntries(),
        empty: 'Tick saved runs in the history below to compare them here.',
      },
      ...(this.links.shared ? [{ id: 'link', label: 'Results from the link', entries: this.links.shared.entries, empty: '' }] : []),
      ...(this.merged.length > 0 ? [{ id: 'merged', label: 'Merged links', entries: this.merged, empty: '' }] : []),
    ];
  }

  private historyEntries(): RunEntry[] {
    return this.history.entries.filter((entry) => this.history.selected.includes(entry.key))
      .map((entry) => ({ id: `history-${entry.key}`, label: entry.label, result: entry.result }));
  }
}
