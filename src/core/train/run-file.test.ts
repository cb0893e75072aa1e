import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sampleCheckpoint } from '../checkpoint/sample.test-helper.ts';
import { ConfigError, FormatError } from '../errors.ts';
import { applyEdits, edit, paths, type Edit } from '../schema/mutate.test-helper.ts';
import { curveOf, suiteRun } from '../suite/results.ts';
import { summarize, type RunRecord } from './record.ts';
import { readRunRecord } from './run-file.ts';

/**
 * A run file as `growlab train --out` writes it, with what only some runs have: a second stage, a
 * width-share growth with its copy separation, and a last step that diverged (null in JSON).
 */
function runFile(): Record<string, unknown> {
  const r = sampleCheckpoint().record;
  const steps = [...r.steps, { step: 3, loss: 3.5, lr: 1e-3, gradNorm: 2, tokens: 60, wallMs: 12 }, { step: 4, loss: Number.NaN, lr: 1e-3, gradNorm: Number.NaN, tokens: 60, wallMs: 12 }];
  const stages = [{ ...r.stages[0], endStep: 2 }, { index: 1, label: 'L1 · FFN/2', startStep: 2, endStep: 4, flops: 800, wallMs: 24 }];
  const growthEvents = [{
    step: 2, fromLabel: 'L1', toLabel: 'L1 · FFN/2', ops: ['width.share'], lossBefore: 3.9, lossAfter: 3.9, maxAbsLogitDiff: 1e-7, preserving: true, wallMs: 3,
    copySeparation: { step: 4, perLayer: [0.02], maxRelDiff: 0.02, minRelDiff: 0.02 },
  }];
  const base = { ...r, steps, stages, growthEvents, checkpoint: 'run.safetensors' };
  return JSON.parse(JSON.stringify({ ...base, summary: summarize(base) }));
}

/** A valid record the suite and the lab can use, or the project's error with a one-line message. */
function outcome(json: unknown): RunRecord | null {
  let r: RunRecord;
  try {
    r = readRunRecord(json, 'runs/run.json');
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as Error).message).not.toMatch(/[\n\r]/);
    expect((e as Error).message.length).toBeLessThan(500);
    return null;
  }
  summarize(r);
  curveOf(r);
  suiteRun('baseline', 0, r, []);
  return r;
}

const all = paths(runFile());

describe('run files', () => {
  it('as written are read back whole, a diverged step as NaN', () => {
    const r = outcome(runFile())!;
    expect(r.steps[3].loss).toBeNaN();
    expect(r.growthEvents[0].copySeparation?.minRelDiff).toBe(0.02);
    expect(JSON.parse(JSON.stringify(r))).toEqual(runFile());
  });

  it('damaged anywhere (up to three fields) are refused with the project\'s error or read as valid records', () => {
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 3 }), (edits: Edit[]) => {
        const json = runFile();
        applyEdits(json, all, edits);
        outcome(JSON.parse(JSON.stringify(json)));
      }),
      { numRuns: 2000, seed: 31 },
    );
  });

  it('of another format or version say which, before any field', () => {
    expect(() => readRunRecord({ ...runFile(), version: 0 }, 'old.json')).toThrow(/^run: old\.json: it has format "growlab-run" version 0; expected format "growlab-run" version 1/);
    expect(() => readRunRecord([1], 'a.json')).toThrow(/^run: a\.json: it has no format field/);
  });

  it('name the file and the field, and say what was expected', () => {
    const bad = runFile();
    (bad.steps as { loss: unknown }[])[1].loss = -2;
    expect(() => readRunRecord(bad, 'runs/run.json')).toThrow(FormatError);
    expect(() => readRunRecord(bad, 'runs/run.json')).toThrow(/^run: runs\/run\.json: steps\[1\]\.loss: expected a number ≥ 0, got -2\. A run file is what `growlab train --out run\.json` writes\.$/);
    const back = runFile();
    (back.steps as { step: number }[])[2].step = 1;
    expect(() => readRunRecord(back)).toThrow(/^run: steps\[2\]\.step: expected a step after 2, got 1/);
  });
});
