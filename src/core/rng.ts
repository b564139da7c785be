/**
 * Seeded pseudo-random numbers. Every random choice in a run (split, subset, shuffle, weight initialisation) goes
 * through one of these, so the same seed gives the same data order and the same initial weights.
 */
export interface Rng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
  /** A 31-bit integer, for seeding other generators (e.g. tfjs initialisers). */
  seed(): number;
}

/** sfc32 seeded through splitmix32: fast, 128-bit state, passes PractRand for the sizes we use. */
export function createRng(seed: number): Rng {
  let s = seed >>> 0;
  const splitmix = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    return (z ^ (z >>> 15)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  const nextUint32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  // Discard the first outputs: sfc32 mixes its state in about a dozen rounds.
  for (let i = 0; i < 12; i++) nextUint32();
  return {
    next: () => nextUint32() / 4294967296,
    int: (maxExclusive) => Math.floor((nextUint32() / 4294967296) * maxExclusive),
    seed: () => nextUint32() >>> 1,
  };
}

/** Fisher–Yates shuffle in place. */
export function shuffleInPlace<T>(items: T[] | Int32Array | Uint32Array, rng: Rng): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const tmp = items[i]!;
    items[i] = items[j]!;
    items[j] = tmp;
  }
}
