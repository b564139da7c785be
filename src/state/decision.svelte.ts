import {
  DEFAULT_ACCURACY_POLICY, DEFAULT_COMMUNITY_SCORES, DEFAULT_WEIGHTS, CRITERION_IDS, frameworkComparisonPreset,
  type AccuracyPolicy, type CustomCriterion, type Matrix, type MatrixFromRunsOptions,
} from '../core/matrix';

/** Every decision setting, as links carry them. */
export interface DecisionState {
  weights: Readonly<Record<string, number>>;
  communityScores: Readonly<Record<string, number>>;
  customCriteria: readonly CustomCriterion[];
  removedCriteria: readonly string[];
  accuracyPolicy: AccuracyPolicy;
}

/**
 * How the user wants to decide: weights, manual scores per architecture, added and removed criteria, and how accuracy
 * enters (shareable by links; feeds matrixFromRuns), and the method's hand-scored framework comparison as edited.
 */
export class DecisionSettings {
  weights = $state<Record<string, number>>({ ...DEFAULT_WEIGHTS });
  communityScores = $state<Record<string, number>>({ ...DEFAULT_COMMUNITY_SCORES });
  customCriteria = $state<CustomCriterion[]>([]);
  removedCriteria = $state<string[]>([]);
  accuracyPolicy = $state<AccuracyPolicy>({ ...DEFAULT_ACCURACY_POLICY });
  /** The method's framework comparison, scored by hand (nothing trained; links do not carry it). */
  preset = $state<Matrix>(frameworkComparisonPreset());

  /** The highest `custom-N` handed out: an id is never given twice, not even after its criterion was removed. */
  private lastCustomNumber = 0;

  readonly options: MatrixFromRunsOptions = $derived({
    weights: this.weights,
    communityScores: this.communityScores,
    customCriteria: this.customCriteria,
    removedCriteria: this.removedCriteria,
    accuracyPolicy: this.accuracyPolicy,
  });

  setWeight(criterionId: string, weight: number): void {
    const custom = this.customCriteria.find((c) => c.id === criterionId);
    if (custom) custom.weight = weight;
    else this.weights[criterionId] = weight;
  }

  /** Manual scores are per architecture: every row of that architecture shares the score. */
  setManualScore(criterionId: string, architecture: string, score: number | null): void {
    if (criterionId === CRITERION_IDS.community) {
      if (score === null) delete this.communityScores[architecture];
      else this.communityScores[architecture] = score;
      return;
    }
    const custom = this.customCriteria.find((c) => c.id === criterionId);
    if (custom) custom.scores[architecture] = score;
  }

  addCriterion(label: string, weight: number): void {
    this.customCriteria.push({ id: this.newCriterionId(this.customCriteria), label, weight, scores: {} });
  }

  removeCriterion(criterionId: string): void {
    const before = this.customCriteria.length;
    this.customCriteria = this.customCriteria.filter((c) => c.id !== criterionId);
    if (this.customCriteria.length === before && !this.removedCriteria.includes(criterionId)) {
      this.removedCriteria.push(criterionId);
    }
  }

  setPresetWeight(criterionId: string, weight: number): void {
    const criterion = this.preset.criteria.find((c) => c.id === criterionId);
    if (criterion) criterion.weight = weight;
  }

  /** The preset's manual scores are per row (one framework each). */
  setPresetScore(criterionId: string, rowId: string, score: number | null): void {
    const row = this.preset.rows.find((r) => r.id === rowId);
    if (row) row.manualScores[criterionId] = score;
  }

  addPresetCriterion(label: string, weight: number): void {
    this.preset.criteria.push({
      id: this.newCriterionId(this.preset.criteria), label, weight, kind: 'manual', direction: 'higher-is-better', scale: null,
      unit: 'score', extraMetrics: [], explanation: 'Your own 1–10 score per row.',
    });
  }

  removePresetCriterion(criterionId: string): void {
    this.preset.criteria = this.preset.criteria.filter((c) => c.id !== criterionId);
  }

  setPresetPolicy(policy: AccuracyPolicy): void {
    this.preset.accuracyPolicy = policy;
  }

  /** Replaces every setting (e.g. from a link); copies, so later edits never reach back into `settings`. */
  load(settings: DecisionState): void {
    this.weights = { ...settings.weights };
    this.communityScores = { ...settings.communityScores };
    this.customCriteria = settings.customCriteria.map((c) => ({ ...c, scores: { ...c.scores } }));
    this.removedCriteria = [...settings.removedCriteria];
    this.accuracyPolicy = { ...settings.accuracyPolicy };
  }

  /** `custom-N` above every id handed out before and every `custom-N` in `existing` (e.g. loaded from a link). */
  private newCriterionId(existing: readonly { id: string }[]): string {
    const taken = existing.map((c) => Number(/^custom-(\d+)$/.exec(c.id)?.[1] ?? 0));
    this.lastCustomNumber = Math.max(this.lastCustomNumber, ...taken) + 1;
    return `custom-${this.lastCustomNumber}`;
  }
}
