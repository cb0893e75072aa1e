import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.ts';
import { fakeResults, fakeRun } from './fixture.test-helper.ts';
import { suiteInference } from './inference.ts';
import { suitePlots } from './plots.ts';
import { suiteReport } from './report.ts';
import { validateSuiteResults } from './results.ts';

/** A small but complete results file: every lab arm, two seeds, with downstream scores. */
function base(): unknown {
  const runs = [1, 2].flatMap((seed) => ['baseline', 'stack', 'compound', 'depth', 'width-share', 'width-share-exact', 'baseline-x0.5', 'baseline-x0.75', 'smallest'].map((arm, i) =>
    fakeRun(arm as Parameters<typeof fakeRun>[0], seed, 5 + i / 10 + seed / 100, { acc4: 0.4 + i / 100, flops: 1e9 * (1 + i / 10) })));
  return JSON.parse(JSON.stringify({ ...fakeResults(runs), frequency: { loss: 5.5, accuracy: 0.05, split: 'validation', vocabSize: 2000 } }));
}

const weird = fc.oneof(
  fc.constant(null), fc.constant(undefined), fc.constant(Number.NaN), fc.constant(Number.POSITIVE_INFINITY), fc.constant(-1), fc.constant(0),
  fc.constant(1e308), fc.constant(''), fc.constant('x'), fc.constant([]), fc.constant({}), fc.integer(), fc.double(),
);

/** Every path to a value in a JSON tree. */
function paths(x: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (x === null || typeof x !== 'object') return [prefix];
  const keys = Array.isArray(x) ? x.map((_, i) => i) : Object.keys(x);
  return [prefix, ...keys.flatMap((k) => paths((x as Record<string | number, unknown>)[k], [...prefix, k]))];
}

function setAt(root: unknown, path: (string | number)[], value: unknown): void {
  let at = root as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) at = at[k] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (value === undefined) delete at[last];
  else at[last] = value;
}

describe('suite results the validator accepts', () => {
  it('never crash the report, the plots or the statistics (any field damaged, up to three at once)', () => {
    const all = paths(base()).filter((p) => p.length > 0);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: all.length - 1 }), weird), { minLength: 1, maxLength: 3 }), (edits) => {
        const r = base();
        for (const [i, value] of edits) {
          try {
            setAt(r, all[i], value);
          } catch {
            // The path went away with an earlier edit.
          }
        }
        let valid;
        try {
          // What a file can hold: JSON turns NaN and ±Infinity into null.
          valid = validateSuiteResults(JSON.parse(JSON.stringify(r)));
        } catch (e) {
          expect(e).toBeInstanceOf(ConfigError);
          return;
        }
        suiteInference(valid);
        expect(typeof suiteReport(valid)).toBe('string');
        suitePlots(valid);
      }),
      { numRuns: 3000, seed: 12 },
    );
  });
});
