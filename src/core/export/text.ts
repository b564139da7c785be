/**
 * Escaping and number formatting shared by the exports. Everything is deterministic (no locale): the same matrix
 * always exports to the same bytes.
 */

/**
 * A user string (label, reason, environment) made inert in Markdown: HTML is written as entities, the characters
 * that start emphasis, code, links, tables and strikethrough are backslash-escaped, and line breaks become spaces so
 * a table row stays one row.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/\s*[\r\n]+\s*/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*_[\]|~]/g, (c) => `\\${c}`);
}

/** Characters that make a spreadsheet read a cell as a formula (OWASP's list: = + - @, tab, carriage return). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV field per RFC 4180: quoted when it holds a comma, quote or line break, quotes doubled. Text that a
 * spreadsheet would run as a formula gets a leading single quote; numbers are written as they are.
 */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const guarded = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(guarded) ? `"${guarded.replace(/"/g, '""')}"` : guarded;
}

/** Records as CSV text: CRLF line ends, as RFC 4180 has them. */
export function toCsv(rows: readonly (readonly (string | number | null)[])[]): string {
  return rows.map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
}

/** A Markdown table from header cells and rows of already escaped cells. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** At most `digits` decimals, trailing zeros dropped ("7.85", "8", "0.5"). */
export function formatDecimal(value: number, digits: number): string {
  return String(Number(value.toFixed(digits)));
}

export function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 30) return `${formatDecimal(bytes / 2 ** 30, 2)} GiB`;
  if (bytes >= 2 ** 20) return `${formatDecimal(bytes / 2 ** 20, 1)} MiB`;
  return `${formatDecimal(bytes / 1024, 1)} KiB`;
}

export function formatMs(ms: number): string {
  if (ms >= 60_000) return `${formatDecimal(ms / 60_000, 1)} min`;
  if (ms >= 1000) return `${formatDecimal(ms / 1000, 2)} s`;
  return `${formatDecimal(ms, ms >= 10 ? 0 : 2)} ms`;
}

export function formatPercent(fraction: number): string {
  return `${formatDecimal(fraction * 100, 1)} %`;
}

/** A raw criterion value in its unit ('bytes', 'ms', 'fraction', 'score'; anything else as a plain number). */
export function formatValue(value: number, unit: string): string {
  switch (unit) {
    case 'bytes': return formatBytes(value);
    case 'ms': return formatMs(value);
    case 'fraction': return formatPercent(value);
    default: return formatDecimal(value, 2);
  }
}
