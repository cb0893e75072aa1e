import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.ts';
import { paramShapes } from '../model/shapes.ts';
import { experimentFlops } from '../run/config.ts';
import { applyEdits, edit, paths, type Edit } from '../schema/mutate.test-helper.ts';
import { summarize } from '../train/record.ts';
import { file, parts } from './damage.test-helper.ts';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from './format.ts';
import { sampleCheckpoint } from './sample.test-helper.ts';

/** The project's own error with a one-line message, or a checkpoint the pure consumers can use. */
function outcome(bytes: Uint8Array): Checkpoint | null {
  let c: Checkpoint;
  try {
    c = decodeCheckpoint(bytes, 'fuzzed.safetensors');
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as Error).message).not.toMatch(/[\n\r]/);
    expect((e as Error).message.length).toBeLessThan(700);
    return null;
  }
  // What the lab's import and the page do with an accepted checkpoint before any tensor work.
  experimentFlops(c.config);
  summarize(c.record);
  expect(paramShapes(c.model).size * 3).toBe(c.params.size + c.adam.m.size + c.adam.v.size);
  expect(c.step).toBe(c.state.stageStart + c.state.stepsInStage);
  return c;
}

const base = encodeCheckpoint(sampleCheckpoint());
const original = parts(base);
const metaPaths = paths(original.meta);
const tensorPaths = paths(original.tensors);
const fresh = () => structuredClone({ tensors: original.tensors, meta: original.meta });

describe('checkpoint files', () => {
  it('the sample is accepted as it is', () => {
    expect(outcome(file(original.tensors, original.meta, original.data))).not.toBeNull();
  });

  it('with damaged metadata (config, model, stage, record, resume state) are refused with the project\'s error or accepted whole', () => {
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 3 }), (edits: Edit[]) => {
        const { tensors, meta } = fresh();
        applyEdits(meta, metaPaths, edits);
        outcome(file(tensors, meta, original.data));
      }),
      { numRuns: 1500, seed: 13 },
    );
  });

  it('with damaged tensor entries (dtype, shape, offsets, names) are refused with the project\'s error', () => {
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 2 }), fc.nat(), (edits: Edit[], rename: number) => {
        const { tensors, meta } = fresh();
        applyEdits(tensors, tensorPaths, edits);
        const names = Object.keys(tensors);
        // A tensor under another name: a foreign or renamed weight.
        if (rename % 5 === 0) {
          const name = names[rename % names.length];
          tensors[`${name}x`] = tensors[name];
          delete tensors[name];
        }
        outcome(file(tensors, meta, original.data));
      }),
      { numRuns: 1000, seed: 14 },
    );
  });

  it('with damaged or missing bytes anywhere are refused with the project\'s error', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 4 }), fc.option(fc.nat()), (flips, cut) => {
        const bytes = base.slice(0, cut === null ? base.length : cut % base.length);
        for (const [at, value] of flips) if (bytes.length) bytes[at % bytes.length] = value;
        outcome(bytes);
      }),
      { numRuns: 1000, seed: 15 },
    );
  });
});

describe('regressions found by the property tests', () => {
  it('a stage index that is not a number ("") is refused, not looked up as a stage', () => {
    // Shrunk: [{ path: stageIndex, value: "" }]. A failed range check let the cross-field check run on the raw text.
    const { tensors, meta, data } = parts(base);
    expect(() => decodeCheckpoint(file(tensors, { ...meta, stageIndex: '' }, data), 'x.safetensors'))
      .toThrow(/^checkpoint: x\.safetensors: stageIndex: expected a whole number written in digits, got ""$/);
  });
});
