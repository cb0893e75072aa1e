import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ScheduleSpec, StageShape } from '../core/schedule/spec.ts';
import { growlab, growlabInProcess } from './growlab.test-helper.ts';
import { experimentFromFlags } from './train.ts';
import { UsageError } from './args.ts';

const full: StageShape = { layers: 2, ffnDiv: 1, ffnRank: 0, length: 'full', lengthFactor: 1, poolReduce: 'mean' };
const stage = (shape: Partial<StageShape>, steps: number) => ({ shape: { ...full, ...shape }, steps, lrPolicy: 'paper' as const, optPolicy: 'carry' as const });
/**
 * The README's example, at tiny (d32, 2 heads): d8 with 1 head → d16 with 2 (heads.add) → d32
 * (hidden.tile), 9 steps.
 */
const grows = JSON.parse(readFileSync(new URL('../../docs/schedules/grow-d-heads.json', import.meta.url), 'utf8')) as ScheduleSpec;

function file(spec: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'growlab-schedule-')), 'schedule.json');
  writeFileSync(path, JSON.stringify(spec));
  return path;
}

const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').pop()!);

describe('growlab train --schedule', () => {
  it('takes its steps from the file and refuses --preset beside it', () => {
    const cfg = experimentFromFlags({ size: 'tiny' }, grows);
    expect(cfg.train.steps).toBe(9);
    expect(cfg.schedule).toBe(grows);
    expect(() => experimentFromFlags({ size: 'tiny', preset: 'stack' }, grows)).toThrow(UsageError);
  });

  it('trains a schedule that grows d and the heads, each growth preserving (cpu)', async () => {
    const r = await growlab(['train', '--schedule', file(grows), '--size', 'tiny', '--backend', 'cpu', '--eval-batches', '1', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = lastJson(r.stdout);
    expect(j.steps).toBe(9);
    expect(j.stages.map((s: { label: string }) => s.label)).toEqual(['L2 · d8 · H1', 'L2 · d16 · H2', 'L2']);
    expect(j.growthEvents.map((g: { ops: string[] }) => g.ops)).toEqual([['heads.add'], ['hidden.tile']]);
    for (const g of j.growthEvents) expect(g.maxAbsLogitDiff).toBeLessThan(1e-4);
    expect(j.flopsSpeedup).toBeGreaterThan(1);
  }, 120_000);

  it("trains the same schedule with bert2BERT's hidden.fpi and accepts hidden.aki (cpu)", async () => {
    expect(experimentFromFlags({ size: 'tiny' }, { ...grows, ops: { ...grows.ops, hidden: 'aki' } }).schedule.ops.hidden).toBe('aki');
    const r = await growlab(['train', '--schedule', file({ ...grows, ops: { ...grows.ops, hidden: 'fpi' } }), '--size', 'tiny', '--backend', 'cpu', '--eval-batches', '1', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = lastJson(r.stdout);
    expect(j.steps).toBe(9);
    expect(j.growthEvents.map((g: { ops: string[] }) => g.ops)).toEqual([['heads.add'], ['hidden.fpi']]);
    const [heads, fpi] = j.growthEvents as { maxAbsLogitDiff: number; preserving?: boolean }[];
    expect(heads.maxAbsLogitDiff).toBeLessThan(1e-4);
    // Uneven copy counts change LayerNorm's statistics (growth/bert2bert.ts): a finite, reported jump.
    expect(Number.isFinite(fpi.maxAbsLogitDiff)).toBe(true);
    expect(fpi.preserving).toBe(false);
    const bad = await growlabInProcess(['train', '--schedule', file({ ...grows, ops: { ...grows.ops, hidden: 'net2net' } }), '--size', 'tiny', '--backend', 'cpu']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/ops\.hidden: .*"tile", "fpi", "aki", "random", got "net2net"/);
  }, 120_000);

  it('exits 2 naming the stage and field of a bad schedule', async () => {
    const shrinks = { ...grows, stages: [stage({ headsDiv: 2 }, 3), stage({}, 3)] };
    // Refused before any backend starts (in-process, so nothing of tfjs is left set).
    const bad = await growlabInProcess(['train', '--schedule', file(shrinks), '--size', 'tiny', '--backend', 'cpu']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/stages\[1\]\.shape\.headsDiv: .*heads\.split is not supported/);
    const unparsable = await growlabInProcess(['train', '--schedule', file({ ...grows, stages: [stage({ hiddenDiv: 0 }, 3)] }), '--backend', 'cpu']);
    expect(unparsable.code).toBe(2);
    expect(unparsable.stderr).toMatch(/stages\[0\]\.shape\.hiddenDiv/);
  }, 120_000);
});
