/** The decision and what would change it, in the words the screen and the exports both use. */
import { formatNumber, formatTotal } from '../format';
import type { WeightFlip } from './sensitivity';
import type { MatrixEvaluation } from './types';

/** A flip that needs a weight beyond this is only reachable in the limit: the share says it, a raw weight would not. */
const MAX_SHOWN_WEIGHT = 10_000;

/** "A", "A and B", "A, B and C". */
export function joinNames(names: readonly string[]): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/** "Winner: A, 8.20" or "Tie: A and B, 8.20"; null when nothing wins. `name` may decorate a label (e.g. escape it). */
export function describeWinners(evaluation: MatrixEvaluation, name: (label: string) => string = (label) => label): string | null {
  const winners = evaluation.winners.flatMap((id) => evaluation.rows.filter((row) => row.id === id));
  if (winners.length === 0) return null;
  const names = joinNames(winners.map((row) => name(row.label)));
  return `${winners.length > 1 ? 'Tie' : 'Winner'}: ${names}, ${formatTotal(winners[0]!.total)}`;
}

/**
 * "raising it to 36 % (+16 points, weight 45) makes TensorFlow win"; when the current winners tie and the weight splits
 * them at once (0 points), "raising it at all makes …". `names` turns row ids into the text to show.
 */
export function describeFlip(direction: 'up' | 'down', flip: WeightFlip, names: (ids: string[]) => string): string {
  const verb = direction === 'up' ? 'raising' : 'lowering';
  const outcome = `makes ${names(flip.newWinners)} ${flip.newWinners.length > 1 ? 'tie' : 'win'}`;
  if (flip.deltaPoints === 0) return `${verb} it at all ${outcome}`;
  const weight = direction === 'up' && flip.weightAtFlip !== null && flip.weightAtFlip < MAX_SHOWN_WEIGHT
    ? `, weight ${formatNumber(flip.weightAtFlip, 1)}` : '';
  const points = `${direction === 'up' ? '+' : '−'}${formatNumber(flip.deltaPoints, 1)} points`;
  return `${verb} it to ${formatNumber(flip.shareAtFlip, 1)} % (${points}${weight}) ${outcome}`;
}
