import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sampleCheckpoint } from '../core/checkpoint/sample.test-helper.ts';
import { ConfigError } from '../core/errors.ts';
import { experimentFlops, type ExperimentConfig } from '../core/run/config.ts';
import { applyEdits, edit, paths, type Edit } from '../core/schema/mutate.test-helper.ts';
import { SIZES } from '../core/model/config.ts';
import type { StoredRun } from './db.ts';
import { initialBuilder } from './builder.ts';
import { presetDims } from './dims.ts';
import { buildExperiment } from './experiment.ts';
import { newRun, type Run } from './run.ts';
import { readStoredRun, readStoredRuns } from './stored-run.ts';

/** A finished run as the lab stores it (structured clone keeps NaN: its last step diverged). */
function stored(label = 'baseline'): StoredRun {
  const r = sampleCheckpoint().record;
  const config: ExperimentConfig = { size: 'custom', model: r.config.model, train: r.config.train, schedule: r.config.schedule!, seed: r.config.seed };
  const run: Run = {
    ...newRun(`id-${label}`, label, 'baseline', '#123456', config, experimentFlops(config)),
    status: 'done',
    step: r.steps.length + 1,
    steps: [...r.steps, { step: r.steps.length + 1, loss: Number.NaN, lr: 1e-3, gradNorm: Number.POSITIVE_INFINITY, tokens: 60, wallMs: 12 }],
    cumWallMs: [0, ...r.steps.map((_, i) => 10 * (i + 1)), 10 * (r.steps.length + 1)],
    validation: r.validation,
    stages: r.stages,
    growth: r.growthEvents,
    summary: r.summary,
    checkpointStep: 2,
    genre: { genre4: { accuracy: 0.5, macroF1: 0.4 } as never },
  };
  return { run, createdAt: 1_700_000_000_000 };
}

const all = paths(JSON.parse(JSON.stringify(stored())));

describe('stored runs read back after a reload', () => {
  it('a stored run is kept as stored, NaN and Infinity intact, with its plan recomputed', () => {
    const s = stored();
    const read = readStoredRun(s, 0);
    expect(read.createdAt).toBe(s.createdAt);
    expect(read.run.steps.at(-1)!.loss).toBeNaN();
    expect(read.run.steps.at(-1)!.gradNorm).toBe(Number.POSITIVE_INFINITY);
    expect(read.run.plan).toEqual(experimentFlops(s.run.config));
    expect({ ...read.run, plan: null }).toEqual({ ...s.run, plan: null });
  });

  it('a damaged one is left out with a message naming the run and the field; the others load', () => {
    const bad = stored('broken');
    (bad.run as unknown as Record<string, unknown>).steps = 'many';
    const { runs, unreadable } = readStoredRuns([stored('a'), bad, stored('b'), null]);
    expect(runs.map((r) => r.run.label)).toEqual(['a', 'b']);
    expect(unreadable).toMatch(/^2 stored runs could not be read and are left in storage untouched \(stored run: "broken": run\.steps: expected/);
    expect(readStoredRuns([stored()]).unreadable).toBeNull();
  });

  it('damaged anywhere (up to three fields): read as a valid run, or refused with the project\'s one-line error', () => {
    const outcomes = { read: 0, refused: 0 };
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 3 }), (edits: Edit[]) => {
        const s = JSON.parse(JSON.stringify(stored()));
        applyEdits(s, all, edits);
        try {
          const read = readStoredRun(s, 0);
          expect(read.run.plan.stages.length).toBe(read.run.config.schedule.stages.length);
          outcomes.read++;
        } catch (e) {
          expect(e).toBeInstanceOf(ConfigError);
          expect((e as Error).message).not.toMatch(/[\n\r]/);
          outcomes.refused++;
        }
      }),
      { numRuns: 1000, seed: 41 },
    );
    // Both outcomes occur: the edits neither all break the run nor all miss the schema.
    expect(outcomes.read).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
  });
});

describe('a stored run that grew d and heads', () => {
  it('reads back with its stage divisors, hidden operator and growth event as stored', () => {
    const d = presetDims('baseline', SIZES.tiny.model);
    const built = buildExperiment({ ...initialBuilder(), totalSteps: 10, evalEvery: 5, source: 'dims', dims: { ...d, hidden: { on: true, op: 'random', factor: 4, heads: 2 } } });
    expect(built.issues).toEqual([]);
    const config = built.config!;
    const base = stored();
    const run: Run = {
      ...newRun('id-grown', 'custom', 'custom', '#654321', config, experimentFlops(config)),
      status: 'done',
      step: 10,
      steps: base.run.steps.slice(0, 2),
      cumWallMs: [0, 10, 20],
      growth: [
        { step: 7, fromLabel: 'L2 · d8 · H1', toLabel: 'L2', ops: ['hidden.random', 'heads.add'], lossBefore: 7.6, lossAfter: 7.9, maxAbsLogitDiff: 0.3, preserving: false, wallMs: 4 },
      ],
    };
    // IndexedDB keeps what a structured clone keeps.
    const read = readStoredRun(structuredClone({ run, createdAt: 1 }), 0);
    expect(read.run.config).toEqual(config);
    expect(read.run.config.schedule.stages.map((st) => [st.shape.hiddenDiv, st.shape.headsDiv])).toEqual([
      [4, 2],
      [undefined, undefined],
    ]);
    expect(read.run.config.schedule.ops.hidden).toBe('random');
    expect(read.run.growth).toEqual(run.growth);
    expect(read.run.plan).toEqual(experimentFlops(config));
  });
});
