/**
 * What a trained model gets wrong on the validation split: the confusion matrix, per-class accuracy and the
 * misclassified images worth showing. Pure counting over labels and predictions; train/evaluation.ts predicts.
 */

/** The confusion matrix of one run on its validation subset; small, so it lives in the RunResult. */
export interface EvaluationReport {
  /** The dataset's class names, in label order (an imported dataset's folder names). */
  classNames: string[];
  /** counts[t][p]: validation images of true class t the model predicted as class p. Everything sums to `examples`. */
  counts: number[][];
  /** Per true class: correctly predicted / its validation images (recall); null for a class with no validation image. */
  perClassAccuracy: (number | null)[];
  /** Validation images counted: those the run's validations score. */
  examples: number;
  /** Images on the diagonal: predicted as their true class. */
  correct: number;
  /** Correct / examples: the trained model's validation accuracy, from the same predictions. */
  accuracy: number;
}

/** Counts each (true, predicted) pair; labels and predictions are class indices below classNames.length. */
export function confusionReport(
  classNames: readonly string[], trueLabels: ArrayLike<number>, predicted: ArrayLike<number>,
): EvaluationReport {
  if (trueLabels.length !== predicted.length) {
    throw new Error(`${trueLabels.length} labels but ${predicted.length} predictions.`);
  }
  const classes = classNames.length;
  const counts = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < trueLabels.length; i++) {
    const row = counts[trueLabels[i]!];
    const p = predicted[i]!;
    if (!row || p < 0 || p >= classes) throw new Error(`Example ${i}: class ${trueLabels[i]} → ${p} is outside the ${classes} classes.`);
    row[p]!++;
  }
  let correct = 0;
  const perClassAccuracy = counts.map((row, t) => {
    const images = row.reduce((sum, n) => sum + n, 0);
    correct += row[t]!;
    return images === 0 ? null : row[t]! / images;
  });
  return {
    classNames: [...classNames], counts, perClassAccuracy, examples: trueLabels.length, correct,
    accuracy: trueLabels.length === 0 ? 0 : correct / trueLabels.length,
  };
}

/** One misclassified validation image: where it is (position in the evaluated list), its classes and the model's confidence. */
export interface Mistake {
  position: number;
  trueLabel: number;
  predicted: number;
  /** The softmax probability the model gave its (wrong) prediction. */
  confidence: number;
}

/** Up to `limit` misclassified examples, the most confident mistakes first (ties: in validation order). */
export function pickMistakes(
  trueLabels: ArrayLike<number>, predicted: ArrayLike<number>, confidence: ArrayLike<number>, limit: number,
): Mistake[] {
  const mistakes: Mistake[] = [];
  for (let i = 0; i < trueLabels.length; i++) {
    if (predicted[i] !== trueLabels[i]) mistakes.push({ position: i, trueLabel: trueLabels[i]!, predicted: predicted[i]!, confidence: confidence[i]! });
  }
  return mistakes.sort((a, b) => b.confidence - a.confidence || a.position - b.position).slice(0, limit);
}

/** Misclassified validation images with their pixels, for the gallery (sent with the done event, never stored in a result). */
export interface MisclassifiedGallery {
  height: number;
  width: number;
  channels: number;
  images: (Omit<Mistake, 'position'> & { pixels: Uint8Array })[];
}
