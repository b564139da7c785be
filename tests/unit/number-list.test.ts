import { describe, expect, it } from 'vitest';
import { parseWholeNumbers } from '../../src/lib/number-list';

describe('parseWholeNumbers (sweep value lists)', () => {
  it('reads whole numbers separated by commas or spaces, without duplicates', () => {
    expect(parseWholeNumbers('32, 64 128,32')).toEqual({ ok: true, values: [32, 64, 128] });
  });
  it('names the tokens that are not whole numbers, and refuses an empty list', () => {
    expect(parseWholeNumbers('32, 6.5, x')).toEqual({ ok: false, message: '“6.5”, “x” are not whole numbers.' });
    expect(parseWholeNumbers('-4')).toEqual({ ok: false, message: '“-4” is not a whole number.' });
    expect(parseWholeNumbers(' , ')).toEqual({ ok: false, message: 'Enter at least one whole number.' });
  });
});
