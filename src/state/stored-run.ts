import { z } from 'zod';
import { GENRE_TASKS } from '../core/eval/genre-data.ts';
import { experimentConfigSchema, experimentFlops, validateSettings } from '../core/run/config.ts';
import { count, fraction, nonNegative } from '../core/schema/numbers.ts';
import { parseFormat } from '../core/schema/parse.ts';
import { growthEventRecordSchema, runSummarySchema, stageRecordSchema, stepMetricsSchema, validationPointSchema } from '../core/train/record.ts';
import type { StoredRun } from './db.ts';
import type { Run } from './run.ts';

const RUN_STATUSES = ['queued', 'starting', 'interrupted', 'running', 'paused', 'done', 'stopped', 'failed'] as const;

const genreScoresSchema = z.object({ accuracy: fraction, macroF1: fraction }).loose();

/** A run as the lab stores it in IndexedDB; `plan` is left out: it is recomputed from the config. */
const storedRunSchema = z.object({
  run: z.object({
    id: z.string().min(1),
    label: z.string(),
    preset: z.string(),
    color: z.string(),
    config: experimentConfigSchema,
    status: z.enum(RUN_STATUSES),
    message: z.string().nullable(),
    step: count,
    steps: z.array(stepMetricsSchema),
    cumWallMs: z.array(nonNegative),
    validation: z.array(validationPointSchema),
    stages: z.array(stageRecordSchema),
    growth: z.array(growthEventRecordSchema),
    startedAt: z.number().nullable(),
    endedAt: z.number().nullable(),
    summary: runSummarySchema.nullable(),
    checkpointStep: count.nullable(),
    genre: z.partialRecord(z.enum(GENRE_TASKS), genreScoresSchema).optional(),
  }),
  createdAt: z.number(),
});

/**
 * Checks a stored run as the file it would export to (JSON, where a diverged step's NaN loss is
 * null), and returns the stored object itself, NaN intact, with its FLOPs plan recomputed. A run
 * that fails names its field; the caller leaves it in storage rather than losing it.
 */
export function readStoredRun(stored: unknown, index: number): StoredRun {
  const asJson: unknown = JSON.parse(JSON.stringify(stored ?? null));
  const label = (asJson as { run?: { label?: unknown } } | null)?.run?.label;
  parseFormat(storedRunSchema, asJson, { format: 'stored run', file: typeof label === 'string' ? `"${label}"` : `#${index + 1}` });
  const { run, createdAt } = stored as StoredRun;
  // The memory ceilings before the plan: a damaged layer count of 1e9 would make the plan's
  // per-layer arrays fill the page's heap.
  validateSettings(run.config);
  return { run: { ...run, plan: experimentFlops(run.config) } as Run, createdAt };
}

/** The stored runs the lab can show, and one message for those it cannot. */
export function readStoredRuns(all: unknown[]): { runs: StoredRun[]; unreadable: string | null } {
  const runs: StoredRun[] = [];
  const errors: string[] = [];
  all.forEach((s, i) => {
    try {
      runs.push(readStoredRun(s, i));
    } catch (e) {
      errors.push((e as Error).message);
    }
  });
  const unreadable = errors.length
    ? `${errors.length} stored run${errors.length > 1 ? 's' : ''} could not be read and ${errors.length > 1 ? 'are' : 'is'} left in storage untouched (${errors[0]}${errors.length > 1 ? '; …' : ''}).`
    : null;
  return { runs, unreadable };
}
