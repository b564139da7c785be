import { formatPercent } from '../format';
import type { AccuracyPolicy, Criterion } from './types';

/** Ids of the default criteria; measured values in MatrixRow.values use the same keys. */
export const CRITERION_IDS = {
  memory: 'memory',
  speed: 'speed',
  deployment: 'deployment',
  learningCurve: 'learningCurve',
  community: 'community',
  accuracy: 'accuracy',
} as const;

/** Extra metric folded into deployment when every scored row has it. */
export const INFERENCE_METRIC_ID = 'inferenceMsPerExample';

/** The method's weights (percent). Accuracy is a gate by default, not a criterion, so its weight is 0. */
export const DEFAULT_WEIGHTS: Readonly<Record<string, number>> = {
  memory: 30,
  speed: 25,
  deployment: 20,
  learningCurve: 15,
  community: 10,
  accuracy: 0,
};

/**
 * Community / ecosystem, 1–10 per architecture: how much help a user finds (tutorials, reference implementations in
 * tfjs/PyTorch/Keras, pretrained weights, answered questions) and how well every backend supports its ops.
 * - mlp 9, cnn-small 9: the first example of every framework and course; nothing exotic to go wrong.
 * - resnet-mini 9: residual blocks are the most reproduced architecture there is; every framework ships ResNets.
 * - mobilenet-v2-tiny 8: widely deployed (tfjs-models, TFLite, Keras applications), but depthwise convolutions are less
 *   uniformly supported (the wasm backend cannot train them) and inverted residuals are easy to get subtly wrong.
 * - efficientnet-lite-tiny 7: fewer references, compound scaling and its training recipe are less commonly reproduced,
 *   and few tfjs training examples exist.
 * These are opinions: the UI lets the user edit them, and they enter only with the community weight (10 % by default).
 */
export const DEFAULT_COMMUNITY_SCORES: Readonly<Record<string, number>> = {
  mlp: 9,
  'cnn-small': 9,
  'mobilenet-v2-tiny': 8,
  'efficientnet-lite-tiny': 7,
  'resnet-mini': 9,
};

export const DEFAULT_ACCURACY_POLICY: AccuracyPolicy = { gate: true, threshold: 0.5 };

/** The default criteria for matrices built from runs; weights default to DEFAULT_WEIGHTS, overridable by id. */
export function defaultCriteria(weights: Readonly<Record<string, number>> = {}): Criterion[] {
  const w = (id: string) => weights[id] ?? DEFAULT_WEIGHTS[id] ?? 0;
  return [
    {
      id: CRITERION_IDS.memory, label: 'Memory efficiency', weight: w('memory'), kind: 'measured',
      direction: 'lower-is-better', scale: 'log', unit: 'bytes', extraMetrics: [],
      explanation: 'Peak GPU memory of the run: the true peak where the backend measured it, otherwise the analytic ' +
        'estimate (flagged). Fewer bytes score higher, compared on a log scale.',
    },
    {
      id: CRITERION_IDS.speed, label: 'Training speed', weight: w('speed'), kind: 'measured',
      direction: 'lower-is-better', scale: 'log', unit: 'ms', extraMetrics: [],
      explanation: 'Time to reach the target accuracy. A run that did not reach it gets an equivalent time from its ' +
        'steady throughput (flagged). Less time scores higher, compared on a log scale.',
    },
    {
      id: CRITERION_IDS.deployment, label: 'Deployment', weight: w('deployment'), kind: 'measured',
      direction: 'lower-is-better', scale: 'log', unit: 'bytes',
      extraMetrics: [{
        id: INFERENCE_METRIC_ID, label: 'Inference latency per example', unit: 'ms',
        direction: 'lower-is-better', scale: 'log',
      }],
      explanation: 'Model size (parameters × 4 bytes, fp32), averaged with inference latency per example when every ' +
        'run measured it. Smaller and faster score higher, on a log scale.',
    },
    {
      id: CRITERION_IDS.learningCurve, label: 'Learning curve', weight: w('learningCurve'), kind: 'measured',
      direction: 'higher-is-better', scale: 'linear', unit: 'fraction', extraMetrics: [],
      explanation: 'How fast and how smoothly validation accuracy rises: the mean validation accuracy over the epochs ' +
        'minus every drop between consecutive epochs. With one epoch it is the final validation accuracy.',
    },
    {
      id: CRITERION_IDS.community, label: 'Community / ecosystem', weight: w('community'), kind: 'manual',
      direction: 'higher-is-better', scale: null, unit: 'score', extraMetrics: [],
      explanation: 'A 1–10 judgement per architecture of the help and support available; editable.',
    },
    {
      id: CRITERION_IDS.accuracy, label: 'Final accuracy', weight: w('accuracy'), kind: 'measured',
      direction: 'higher-is-better', scale: 'linear', unit: 'fraction', extraMetrics: [],
      explanation: 'Final validation accuracy. Weight 0 by default: accuracy acts as a gate (see the accuracy policy).',
    },
  ];
}

/**
 * How final accuracy enters the ranking, in one or two sentences for the UI. It can be a gate (rows not above the
 * threshold are ranked after all passing rows), a criterion (the 'accuracy' criterion with a weight above 0), both, or
 * neither. accuracyShare is the accuracy criterion's share of the weight sum (0..1).
 */
export function describeAccuracyPolicy(policy: AccuracyPolicy, accuracyShare: number): string {
  const threshold = formatPercent(policy.threshold);
  const gate = `Final validation accuracy is a gate: configurations at or below ${threshold} are marked “below gate” ` +
    'and ranked after every configuration above it; none of them can win.';
  if (policy.gate && accuracyShare > 0) {
    return `${gate} It also counts as a criterion with ${formatPercent(accuracyShare)} of the weight.`;
  }
  if (policy.gate) return `${gate} It adds nothing to the total (weight 0).`;
  if (accuracyShare > 0) {
    return `Final validation accuracy counts only as a criterion (${formatPercent(accuracyShare)} of the weight); ` +
      'there is no gate, so a configuration that failed to learn can still win on other criteria.';
  }
  return 'Final validation accuracy does not enter the ranking: there is no gate and its weight is 0.';
}
