/**
 * The decision checklist in Markdown, following the method: resource bounds, candidates tried, the measured matrix,
 * the decision and why (its scores against the runner-up, and what would flip it), with the date and environment.
 */
import { microBatchSize } from '../config';
import { formatDecimal, formatMs, formatPercent, formatScore, formatTotal } from '../format';
import { weightSensitivity } from '../matrix/sensitivity';
import type { Matrix, MatrixEvaluation, RowEvaluation } from '../matrix/types';
import { describeFlip, describeWinners, joinNames } from '../matrix/winners';
import type { SharedEnvironment } from '../share/results';
import { expandSweep, type SweepSpec } from '../sweep';
import { matrixToMarkdown, type MatrixExportOptions } from './matrix';
import { escapeMarkdown, markdownTable } from './text';

export interface ChecklistInput extends MatrixExportOptions {
  /** What is being decided, e.g. "Digit classifier for the kiosk"; optional. */
  title?: string;
  sweep: SweepSpec;
  matrix: Matrix;
  evaluation: MatrixEvaluation;
  /** When the decision is recorded. */
  date: Date;
  /** Where the runs were measured; null when unknown (e.g. a matrix merged from several machines lists them per row). */
  environment: SharedEnvironment | null;
  /** The time allowed per configuration, ms; null when none was set. */
  timeBudgetPerConfigMs?: number | null;
}

const yesNo = (value: boolean) => (value ? 'yes' : 'no');

function environmentLines(environment: SharedEnvironment | null): string[] {
  if (environment === null) return ['- Environment: not recorded (see the Environment column where rows carry one)'];
  const { adapter } = environment;
  const gpu = adapter
    ? `${escapeMarkdown(`${adapter.vendor} ${adapter.architecture}`.trim() || 'unknown adapter')} ` +
      `(fallback adapter: ${yesNo(adapter.isFallbackAdapter)}, shader-f16: ${yesNo(adapter.shaderF16)})`
    : escapeMarkdown(environment.webglRenderer ?? 'no WebGPU adapter');
  return [
    `- GPU: ${gpu}`,
    `- Browser: ${escapeMarkdown(environment.userAgent || 'unknown')}`,
    `- tfjs ${escapeMarkdown(environment.tfjsVersion)} · app ${escapeMarkdown(environment.appVersion)}`,
  ];
}

function resourceBounds(input: ChecklistInput): string[] {
  const { base } = input.sweep;
  const budget = base.memoryBudgetGiB;
  const time = input.timeBudgetPerConfigMs ?? null;
  return [
    '## 1. Resource bounds',
    '',
    `- [x] GPU memory budget: ${formatDecimal(budget, 2)} GiB per configuration ` +
      `(warning at ${formatDecimal(budget * 7.5 / 8, 2)} GiB, stopped above the budget)`,
    time === null ? '- [ ] Time per configuration: not set' : `- [x] Time per configuration: at most ${formatMs(time)}`,
    `- [x] Shared settings: ${escapeMarkdown(base.dataset)}, ${formatPercent(base.subsetFraction)} of the data, ` +
      `${base.epochs} epoch${base.epochs === 1 ? '' : 's'}, learning rate ${base.learningRate}, seed ${base.seed}, ` +
      `target accuracy ${formatPercent(base.targetAccuracy)}, early-stopping patience ${base.earlyStoppingPatience || 'off'}`,
  ];
}

function candidatesTried(input: ChecklistInput): string[] {
  const { candidates, rejected, errors } = expandSweep(input.sweep);
  const outcome = (id: string) => input.matrix.rows.find((row) => row.id === id)?.status ?? 'not run';
  const table = markdownTable(
    ['Configuration', 'Model', 'Batch (K × micro)', 'Precision', 'Data pipeline', 'Backend', 'Engine', 'Outcome'],
    candidates.map(({ id, label, config }) => [
      escapeMarkdown(label), config.model,
      `${config.batchSize} (${config.accumulationSteps} × ${microBatchSize(config)})`,
      config.precision, config.dataPipeline, config.backend, config.engine, outcome(id),
    ]),
  );
  return [
    '## 2. Candidates tried',
    '',
    `${candidates.length} configuration${candidates.length === 1 ? '' : 's'} ` +
      '(architecture × batch × accumulation × precision × data pipeline × backend × engine):',
    '',
    table,
    ...(rejected.length ? ['', 'Combinations set aside as invalid:', ...rejected.map(
      (r) => `- ${escapeMarkdown(r.label)}: ${escapeMarkdown(r.messages.join(' '))}`)] : []),
    ...(errors.length ? ['', 'Problems with the sweep:', ...errors.map((e) => `- ${escapeMarkdown(e)}`)] : []),
  ];
}

function measuredMatrix(input: ChecklistInput): string[] {
  const { matrix, evaluation } = input;
  const weights = matrix.criteria.filter((c) => (evaluation.shares[c.id] ?? 0) > 0)
    .map((c) => `${escapeMarkdown(c.label)} ${formatPercent(evaluation.shares[c.id]!)}`).join(' · ');
  return [
    '## 3. Measured matrix',
    '',
    `Weights: ${weights || 'none'}. ${escapeMarkdown(evaluation.accuracyPolicyText)}`,
    '',
    matrixToMarkdown(matrix, evaluation, input),
    ...[...matrix.notes, ...evaluation.warnings].map((note) => `\n> ${escapeMarkdown(note)}`),
  ];
}

const rowById = (evaluation: MatrixEvaluation, id: string) => evaluation.rows.find((r) => r.id === id)!;

/** Per weighted criterion: the winner's score, the runner-up's, and what the gap adds to the winner's total. */
function comparison(input: ChecklistInput, winner: RowEvaluation, runnerUp: RowEvaluation): string[] {
  const { matrix, evaluation } = input;
  const parts = matrix.criteria
    .filter((c) => (evaluation.shares[c.id] ?? 0) > 0)
    .map((c) => {
      const a = winner.scores[c.id] ?? null;
      const b = runnerUp.scores[c.id] ?? null;
      const share = evaluation.shares[c.id]!;
      return { label: c.label, share, a, b, gain: a !== null && b !== null ? share * (a - b) : null };
    })
    .sort((x, y) => (y.gain ?? 0) - (x.gain ?? 0));
  const signed = (value: number | null) =>
    (value === null ? '—' : `${value >= 0 ? '+' : '−'}${formatDecimal(Math.abs(value), 2)}`);
  const table = markdownTable(
    ['Criterion', 'Weight', escapeMarkdown(winner.label), escapeMarkdown(runnerUp.label), 'Adds to the winner’s lead'],
    parts.map((p) => [escapeMarkdown(p.label), formatPercent(p.share), formatScore(p.a), formatScore(p.b), signed(p.gain)]),
  );
  const gains = parts.filter((p) => (p.gain ?? 0) > 0).map((p) => `${escapeMarkdown(p.label)} (${signed(p.gain)})`);
  const losses = parts.filter((p) => (p.gain ?? 0) < 0).map((p) => `${escapeMarkdown(p.label)} (${signed(p.gain)})`);
  const lead = (winner.total ?? 0) - (runnerUp.total ?? 0);
  return [
    `It leads the runner-up, **${escapeMarkdown(runnerUp.label)}** (${formatTotal(runnerUp.total)}), by ` +
      `${formatDecimal(lead, 2)} points${gains.length ? `, gained on ${gains.join(', ')}` : ''}` +
      `${losses.length ? `; it gives up ${losses.join(', ')}` : ''}.`,
    '',
    table,
  ];
}

/** Every single-weight change that changes the winner, smallest first. */
function whatWouldFlip(input: ChecklistInput): string[] {
  const names = (ids: string[]) => joinNames(ids.map((id) => `**${escapeMarkdown(rowById(input.evaluation, id).label)}**`));
  const flips = weightSensitivity(input.matrix, input.evaluation).flatMap((sensitivity) =>
    (['up', 'down'] as const).flatMap((direction) => {
      const change = sensitivity[direction];
      if (!change) return [];
      const text = `- ${escapeMarkdown(sensitivity.label)} (${formatDecimal(sensitivity.share, 1)} % of the weight): ` +
        `${describeFlip(direction, change, names)}.`;
      return [{ delta: change.deltaPoints, text }];
    }));
  flips.sort((a, b) => a.delta - b.delta);
  return [
    '### What would flip it',
    '',
    ...(flips.length ? flips.map((flip) => flip.text)
      : ['- No change of a single weight, from 0 % to 100 %, changes the winner.']),
  ];
}

function decision(input: ChecklistInput): string[] {
  const { evaluation } = input;
  const heading = ['## 4. Decision', ''];
  if (evaluation.winners.length === 0) {
    return [...heading, '- [ ] **No winner**: no configuration passes the accuracy gate with a complete total. ' +
      'Fix the runs that failed, fill the missing scores, or revisit the gate before deciding.'];
  }
  const winners = evaluation.winners.map((id) => rowById(evaluation, id));
  const [winner] = winners;
  const verdict = `**${describeWinners(evaluation, escapeMarkdown)}**`;
  if (winners.length > 1) {
    return [...heading, `- [x] ${verdict} (of 10). Decide on a criterion outside the matrix, or run them again.`, '',
      ...whatWouldFlip(input)];
  }
  const runnerUp = evaluation.ranking.map((id) => rowById(evaluation, id))
    .find((row) => row.tier === 'scored' && row.id !== winner!.id);
  return [
    ...heading,
    `- [x] ${verdict} (of 10).`,
    '',
    '### Why',
    '',
    ...(runnerUp ? comparison(input, winner!, runnerUp)
      : ['It is the only configuration that passes the accuracy gate with a complete total.']),
    '',
    ...whatWouldFlip(input),
  ];
}

export function decisionChecklist(input: ChecklistInput): string {
  const title = input.title ? `Decision checklist: ${escapeMarkdown(input.title)}` : 'Decision checklist';
  const lines = [
    `# ${title}`,
    '',
    `- Date: ${input.date.toISOString().slice(0, 10)}`,
    ...environmentLines(input.environment),
    '',
    ...resourceBounds(input),
    '',
    ...candidatesTried(input),
    '',
    ...measuredMatrix(input),
    '',
    ...decision(input),
  ];
  return `${lines.join('\n')}\n`;
}
