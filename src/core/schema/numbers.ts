import { z } from 'zod';

/* Numbers the files hold. zod's numbers are finite: NaN and ±Infinity never pass. */

/** A whole number from `least` up to 2^53 - 1; `why` says why that least, where it is not obvious. */
export function wholeFrom(least: number, why?: string) {
  const error = `a whole number ≥ ${least}${why ? ` (${why})` : ''}`;
  return z.int({ error }).min(least, { error });
}

/** A finite number between lo and hi; each end closed unless marked open. One rule text for every way to miss it. */
export function between(lo: number, hi: number, open: { lo?: boolean; hi?: boolean } = {}) {
  const error = `a number in ${open.lo ? '(' : '['}${lo}, ${hi}${open.hi ? ')' : ']'}`;
  const low = open.lo ? z.number({ error }).gt(lo, { error }) : z.number({ error }).min(lo, { error });
  return open.hi ? low.lt(hi, { error }) : low.max(hi, { error });
}

export const positiveNumber = z.number({ error: 'a positive number' }).gt(0, { error: 'a positive number' });

/** Steps, indices, counts. */
export const count = wholeFrom(0);
export const positiveInt = wholeFrom(1);
export const nonNegative = z.number().min(0);
export const fraction = z.number().min(0).max(1);
/** One word of a generator's state (src/core/data/rng.ts). */
export const uint32 = count.max(0xffffffff, { error: 'a whole number below 2^32' });
export const rngState = z.array(uint32).length(4);

/**
 * A measurement that cannot be negative (a loss, a norm, a difference): ≥ 0, or null, which is what
 * JSON makes of NaN and ±Infinity (the loss of a diverged step). Read back as NaN, so "diverged"
 * survives a round trip through the file.
 */
export const measured = z.union([nonNegative, z.null().transform(() => Number.NaN)]);
