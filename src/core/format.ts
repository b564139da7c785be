/**
 * Every figure the app shows, exports or benches, formatted in one place: deterministic (no locale), binary units
 * (KiB, MiB, GiB), '—' where there is no value. The screen and the files therefore always say the same thing.
 */

type MaybeNumber = number | null | undefined;

/** Shown where a figure does not exist (not measured, not finite). */
export const MISSING = '—';
export const BYTES_PER_MIB = 2 ** 20;

const known = (value: MaybeNumber): value is number => typeof value === 'number' && Number.isFinite(value);

/** At most `digits` decimals, trailing zeros dropped ("7.85", "8", "0.5"). */
export function formatDecimal(value: number, digits: number): string {
  return String(Number(value.toFixed(digits)));
}

export function formatNumber(value: MaybeNumber, digits = 1): string {
  return known(value) ? formatDecimal(value, digits) : MISSING;
}

export function formatBytes(bytes: MaybeNumber): string {
  if (!known(bytes)) return MISSING;
  if (bytes >= 2 ** 30) return `${formatDecimal(bytes / 2 ** 30, 2)} GiB`;
  if (bytes >= BYTES_PER_MIB) return `${formatDecimal(bytes / BYTES_PER_MIB, 1)} MiB`;
  return `${formatDecimal(bytes / 1024, 1)} KiB`;
}

/** Milliseconds below a second, seconds below a minute, minutes above ("850 ms", "5 s", "2.5 min"). */
export function formatMs(ms: MaybeNumber): string {
  if (!known(ms)) return MISSING;
  if (ms >= 60_000) return `${formatDecimal(ms / 60_000, 1)} min`;
  if (ms >= 1000) return `${formatDecimal(ms / 1000, 2)} s`;
  return `${formatDecimal(ms, ms >= 10 ? 0 : 2)} ms`;
}

export function formatPercent(fraction: MaybeNumber): string {
  return known(fraction) ? `${formatDecimal(fraction * 100, 1)} %` : MISSING;
}

/** A 1–10 criterion score, one fixed decimal ("8.0"). */
export function formatScore(score: MaybeNumber): string {
  return known(score) ? score.toFixed(1) : MISSING;
}

/** A weighted total, two fixed decimals ("8.20"), so equal totals read equal and unequal ones rarely do. */
export function formatTotal(total: MaybeNumber): string {
  return known(total) ? total.toFixed(2) : MISSING;
}

/** A raw criterion value in its unit ('bytes', 'ms', 'fraction'; anything else as a plain number). */
export function formatValue(value: MaybeNumber, unit: string): string {
  switch (unit) {
    case 'bytes': return formatBytes(value);
    case 'ms': return formatMs(value);
    case 'fraction': return formatPercent(value);
    default: return formatNumber(value, 2);
  }
}
