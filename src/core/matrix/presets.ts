import { CRITERION_IDS, DEFAULT_WEIGHTS } from './criteria';
import type { Criterion, Matrix, MatrixRow } from './types';

const manual = (id: string, label: string, explanation: string): Criterion => ({
  id, label, weight: DEFAULT_WEIGHTS[id] ?? 0, kind: 'manual', direction: 'higher-is-better', scale: null,
  unit: 'score', explanation, extraMetrics: [],
});

const framework = (id: string, label: string, scores: [number, number, number, number, number]): MatrixRow => {
  const [memory, speed, deployment, learningCurve, community] = scores;
  return {
    id, label, status: 'done', reason: null, architecture: null, accuracy: null, values: {},
    manualScores: { memory, speed, deployment, learningCurve, community }, missing: {}, notes: {},
  };
};

/**
 * The method's framework comparison: PyTorch Lightning, TensorFlow and Hugging Face scored by hand (1–10) on the five
 * criteria with the default weights (30/25/20/15/10). No accuracy is involved, so the gate is off.
 * Totals: Lightning 8.20, TensorFlow 7.45, Hugging Face 8.20: Lightning and Hugging Face tie.
 */
export function frameworkComparisonPreset(): Matrix {
  return {
    criteria: [
      manual(CRITERION_IDS.memory, 'Memory efficiency', 'How well the framework keeps GPU memory down (1–10).'),
      manual(CRITERION_IDS.speed, 'Training speed', 'How fast training runs (1–10).'),
      manual(CRITERION_IDS.deployment, 'Deployment', 'How easily a trained model ships to production (1–10).'),
      manual(CRITERION_IDS.learningCurve, 'Learning curve', 'How quickly a newcomer becomes productive (1–10).'),
      manual(CRITERION_IDS.community, 'Community / ecosystem', 'Documentation, examples, answered questions (1–10).'),
    ],
    rows: [
      framework('pytorch-lightning', 'PyTorch Lightning', [9, 8, 7, 8, 9]),
      framework('tensorflow', 'TensorFlow', [7, 7, 9, 6, 9]),
      framework('hugging-face', 'Hugging Face', [8, 9, 6, 9, 10]),
    ],
    accuracyPolicy: { gate: false, threshold: 0.5 },
    notes: ['Scores are judgements from the method’s framework comparison, not measurements.'],
  };
}
