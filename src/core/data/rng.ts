import { ConfigError } from '../errors.ts';

const TWO_POW_32 = 4294967296;

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Murmur3's finaliser: every input bit affects every output bit. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function checkInteger(field: string, v: number): void {
  if (!Number.isSafeInteger(v)) throw new ConfigError(field, `must be a safe integer, got ${String(v)}`);
}

/**
 * Hashes integers into one 32-bit seed (Murmur3-style mixing of each part's low and high words), so
 * (runSeed, step, site) tuples give unrelated streams even when they differ in one bit.
 */
export function deriveSeed(...parts: number[]): number {
  let h = 0x9e3779b9 ^ parts.length;
  const mix = (k: number): void => {
    k = Math.imul(k, 0xcc9e2d51);
    k = rotl(k, 15);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = rotl(h, 13);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  };
  for (const p of parts) {
    checkInteger('seed', p);
    mix(p >>> 0);
    mix(Math.floor(p / TWO_POW_32) >>> 0);
  }
  return fmix32(h);
}

/**
 * sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, as in PractRand): 128 bits of state,
 * passes PractRand/BigCrush, and the state is four uint32 so checkpoints can store it as JSON.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    checkInteger('seed', seed);
    // Seed words come from the hash so nearby seeds (1, 2, 3...) start far apart.
    this.a = deriveSeed(seed, 0);
    this.b = deriveSeed(seed, 1);
    this.c = deriveSeed(seed, 2);
    this.d = 1;
    for (let i = 0; i < 15; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = rotl(this.c, 21);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  /** Uniform integer in [0, n); rejection sampling keeps it exactly uniform. */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_POW_32) {
      throw new ConfigError('n', `must be an integer in [1, 2^32], got ${String(n)}`);
    }
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % n;
  }

  /** Standard normal (Box–Muller; the second value is dropped so the state stays four words). */
  normal(): number {
    const u1 = 1 - this.next();
    const u2 = this.next();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** Fisher–Yates, in place. */
  shuffle<T>(a: T[]): void {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }

  getState(): number[] {
    return [this.a >>> 0, this.b >>> 0, this.c >>> 0, this.d >>> 0];
  }

  static fromState(s: number[]): Rng {
    if (!Array.isArray(s) || s.length !== 4 || !s.every((w) => Number.isInteger(w) && w >= 0 && w < TWO_POW_32)) {
      throw new ConfigError('rng', `state must be four unsigned 32-bit integers, got ${JSON.stringify(s)}`);
    }
    const r = new Rng(0);
    [r.a, r.b, r.c, r.d] = [s[0] | 0, s[1] | 0, s[2] | 0, s[3] | 0];
    return r;
  }
}
