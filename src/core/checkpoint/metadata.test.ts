import { describe, expect, it } from 'vitest';
import { FormatError } from '../errors.ts';
import { file, parts } from './damage.test-helper.ts';
import { decodeCheckpoint, encodeCheckpoint } from './format.ts';
import { sampleCheckpoint } from './sample.test-helper.ts';

/** The sample checkpoint's file with metadata and tensor entries changed by `change`. */
function changed(change: (p: ReturnType<typeof parts>) => void): Uint8Array {
  const p = parts(encodeCheckpoint(sampleCheckpoint()));
  change(p);
  return file(p.tensors, p.meta, p.data);
}

function refusal(bytes: Uint8Array): string {
  try {
    decodeCheckpoint(bytes, 'run.safetensors');
  } catch (e) {
    expect(e).toBeInstanceOf(FormatError);
    return (e as Error).message;
  }
  throw new Error('expected a refusal');
}

type Meta = { config: { train: Record<string, number>; model: Record<string, number> }; record: { steps: unknown[]; stages: { endStep: number }[] }; state: Record<string, unknown> & { cursors: Record<string, unknown> } };
const meta = (p: ReturnType<typeof parts>) => p.meta as unknown as Meta;
type Entry = { data_offsets: [number, number] };

describe('checkpoint metadata', () => {
  it('names the file, the field and what was expected', () => {
    expect(refusal(changed((p) => (meta(p).state.stepsInStage = 'two')))).toBe('checkpoint: run.safetensors: state.stepsInStage: expected a whole number ≥ 0, got "two"');
    expect(refusal(changed((p) => delete meta(p).state.growthRng))).toBe('checkpoint: run.safetensors: state.growthRng: expected a list, but it is missing');
    expect(refusal(changed((p) => (meta(p).config.train.lr = -1)))).toBe('checkpoint: run.safetensors: config.train.lr: expected a positive number, got -1');
  });

  it('shortens long values and escapes their newlines', () => {
    const m = refusal(changed((p) => (meta(p).config.model.norm = `${'x'.repeat(500)}\nmore` as unknown as number)));
    expect(m).toMatch(/^checkpoint: run\.safetensors: config\.model\.norm: expected one of "pre", "post", got "x{20,}…$/);
    expect(m.length).toBeLessThan(160);
  });

  it('refuses step counts that do not fit the stage, and a position that is not the run\'s', () => {
    expect(refusal(changed((p) => (meta(p).state.stepsInStage = 9)))).toMatch(/state\.stepsInStage: expected at most 4 \(stage 1 has 4 steps\), got 9/);
    expect(refusal(changed((p) => (p.meta.step = '3')))).toMatch(/step: expected stageStart \+ stepsInStage = 2, got 3/);
    expect(refusal(changed((p) => (p.meta.adamStep = '3')))).toMatch(/adamStep: expected at most the run's 2 steps, got 3/);
    expect(refusal(changed((p) => (p.meta.stageIndex = '1')))).toMatch(/stageIndex: expected a stage of the config's schedule \(0\.\.0\), got 1/);
    expect(refusal(changed((p) => meta(p).record.steps.shift()))).toMatch(/record\.steps: expected one entry per step taken \(2\), got 1/);
    expect(refusal(changed((p) => (meta(p).record.stages[0].endStep = 7)))).toMatch(/record\.stages\[0\]\.endStep: expected at most 4 \(the stage's planned end\), got 7/);
  });

  it('refuses missing or stray data cursors', () => {
    expect(refusal(changed((p) => (meta(p).state.cursors = {})))).toMatch(/state\.cursors: has no cursor for sequence length 8/);
    expect(refusal(changed((p) => (meta(p).state.cursors['16'] = meta(p).state.cursors['8'])))).toMatch(/state\.cursors\["16"\]: expected cursors only for the sequence lengths the run has used \(8\)/);
  });

  it('refuses a config the engine cannot run, by its rules or by memory', () => {
    expect(refusal(changed((p) => (meta(p).config.model.heads = 3)))).toMatch(/config\.model\.heads: hidden size 8 must be divisible by heads 3/);
    expect(refusal(changed((p) => (meta(p).config.train.batchSize = 1e9)))).toMatch(/config\.model: a training step of this model and batch needs an estimated .* GiB, over the 16\.00 GiB any backend can hold/);
  });

  it('refuses tensors whose bytes overlap or leave a hole', () => {
    const [a, b] = ['param/emb.tok', 'param/emb.pos'];
    expect(refusal(changed((p) => {
      const [ea, eb] = [p.tensors[a] as Entry, p.tensors[b] as Entry];
      [ea.data_offsets, eb.data_offsets] = [eb.data_offsets, ea.data_offsets];
    }))).toMatch(/header\["param\/emb\.(tok|pos)"\]: \d+ bytes for shape/);
    expect(refusal(changed((p) => {
      const e = p.tensors[b] as Entry;
      e.data_offsets = [e.data_offsets[0] - 4, e.data_offsets[1] - 4];
    }))).toMatch(/header\["param\/emb\.pos"\]: bytes \d+-\d+ overlap the tensor before it, which ends at \d+/);
  });
});
