export type NumberListParse = { ok: true; values: number[] } | { ok: false; message: string };

/** "32, 64 128" → [32, 64, 128]: whole numbers separated by commas or spaces; each bad token is named. */
export function parseWholeNumbers(text: string): NumberListParse {
  const tokens = text.split(/[\s,;]+/).filter((t) => t !== '');
  if (tokens.length === 0) return { ok: false, message: 'Enter at least one whole number.' };
  const bad = tokens.filter((t) => !/^\d{1,6}$/.test(t));
  if (bad.length > 0) {
    const shown = bad.slice(0, 3).map((t) => `“${t.slice(0, 12)}”`).join(', ');
    return { ok: false, message: `${shown} ${bad.length === 1 ? 'is not a whole number' : 'are not whole numbers'}.` };
  }
  return { ok: true, values: [...new Set(tokens.map(Number))] };
}
