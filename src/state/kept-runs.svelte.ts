import type { MisclassifiedGallery } from '../core/evaluation-report';
import type { TrainedModel } from '../core/events';
import type { RunResult } from '../core/result';
import { timed } from './task-timing';

/** A finished run of this session with what the model views need: its result, trained model and mistakes. */
export interface KeptRun {
  key: number;
  label: string;
  result: RunResult;
  model: TrainedModel | null;
  misclassified: MisclassifiedGallery | null;
}

/** Runs kept for the model views: each holds its weights (≈ 0.1–2 MB for the catalog's models), so old ones give way. */
export const MAX_KEPT_RUNS = 20;

/**
 * The finished runs of this session, single runs and sweep rows, newest last, for "what the model gets wrong" and
 * "try the model". The views follow the newest run unless the user chose an older one.
 */
export class KeptRuns {
  list = $state.raw<KeptRun[]>([]);
  selectedKey = $state<number | null>(null);
  readonly selected = $derived(this.list.find((run) => run.key === this.selectedKey) ?? null);
  private nextKey = 1;

  /**
   * Keeps a run that finished (it has the confusion counts or a model); others are not kept. In a task of its own, so
   * redrawing the views is not added to the task that ends the run.
   */
  add(label: string, result: RunResult, model: TrainedModel | null, misclassified: MisclassifiedGallery | null): void {
    if (!result.evaluation && !model) return;
    setTimeout(() => timed('app:kept-run', () => {
      const followingNewest = this.selectedKey === null || this.selectedKey === this.list.at(-1)?.key;
      const run: KeptRun = { key: this.nextKey++, label, result, model, misclassified };
      this.list = [...this.list.slice(-(MAX_KEPT_RUNS - 1)), run];
      if (followingNewest || !this.selected) this.selectedKey = run.key;
    }), 0);
  }
}

/** The page's one list: the single run and the sweep both add to it. */
export const keptRuns = new KeptRuns();
