import {
  DEFAULT_ACCURACY_POLICY, DEFAULT_COMMUNITY_SCORES, DEFAULT_WEIGHTS, CRITERION_IDS, type AccuracyPolicy, type CustomCriterion,
  type MatrixFromRunsOptions,
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
 * enters. Everything here is shareable (links) and feeds matrixFromRuns.
 */
export class DecisionSettings {
  weights = $state<Record<string, number>>({ ...DEFAULT_WEIGHTS });
  communityScores = $state<Record<string, number>>({ ...DEFAULT_COMMUNITY_SCORES });
  customCriteria = $state<CustomCriterion[]>([]);
  removedCriteria = $state<string[]>([]);
  accuracyPolicy = $state<AccuracyPolicy>({ ...DEFAULT_ACCURACY_POLICY });

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
    let n = this.customCriteria.length + 1;
    while (this.customCriteria.some((c) => c.id === `custom-${n}`)) n++;
    this.customCriteria.push({ id: `custom-${n}`, label, weight, scores: {} });
  }

  removeCriterion(criterionId: string): void {
    const before = this.customCriteria.length;
    this.customCriteria = this.customCriteria.filter((c) => c.id !== criterionId);
    if (this.customCriteria.length === before && !this.removedCriteria.includes(criterionId)) {
      this.removedCriteria.push(criterionId);
    }
  }

  /** Replaces every setting (e.g. from a link); copies, so later edits never reach back into `settings`. */
  load(settings: DecisionState): void {
    this.weights = { ...settings.weights };
    this.communityScores = { ...settings.communityScores };
    this.customCriteria = settings.customCriteria.map((c) => ({ ...c, scores: { ...c.scores } }));
    this.removedCriteria = [...settings.removedCriteria];
    this.accuracyPolicy = { ...settings.accuracyPolicy };
  }

  restoreDefaults(): void {
    this.load({
      weights: DEFAULT_WEIGHTS, communityScores: DEFAULT_COMMUNITY_SCORES, customCriteria: [], removedCriteria: [],
      accuracyPolicy: DEFAULT_ACCURACY_POLICY,
    });
  }
}
