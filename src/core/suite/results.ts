import { FormatError } from '../errors.ts';
import { parseFormat } from '../schema/parse.ts';
import type { RunRecord } from '../train/record.ts';
import type { ArmName } from './plan.ts';
import { SUITE_FORMAT, SUITE_VERSION, suiteResultsSchema, type DownstreamResult, type SuiteCurvePoint, type SuiteResults, type SuiteRun, type SuiteSettings } from './results-schema.ts';

export { DEFAULT_GATE_MARGIN, SUITE_FORMAT, SUITE_VERSION } from './results-schema.ts';
export type { DownstreamResult, SuiteControl, SuiteCurvePoint, SuiteResults, SuiteRun, SuiteSettings } from './results-schema.ts';

export function findRun(r: SuiteResults, arm: ArmName, seed: number): SuiteRun | undefined {
  return r.runs.find((x) => x.arm === arm && x.seed === seed);
}

/** The validation curve with cumulative FLOPs and wall time, from a finished run's record. */
export function curveOf(record: RunRecord): SuiteCurvePoint[] {
  const flopsAt = (step: number): number => {
    let total = 0;
    for (const s of record.stages) {
      const len = s.endStep - s.startStep;
      if (len <= 0 || step <= s.startStep) continue;
      total += ((s.flops ?? 0) * (Math.min(step, s.endStep) - s.startStep)) / len;
    }
    return total;
  };
  const wallAt = new Map<number, number>();
  let wall = 0;
  for (const m of record.steps) {
    wall += m.wallMs;
    wallAt.set(m.step, wall);
  }
  return record.validation.map((p) => ({
    step: p.step, loss: p.loss, accuracy: p.accuracy, flops: flopsAt(p.step), wallMs: wallAt.get(p.step) ?? wall,
    ...(p.stderr !== undefined ? { stderr: p.stderr } : {}),
  }));
}

/** One finished run as the suite stores it. */
export function suiteRun(arm: ArmName, seed: number, record: RunRecord, downstream: DownstreamResult[], divergedAt?: number): SuiteRun {
  const separation = record.growthEvents.find((e) => e.copySeparation)?.copySeparation;
  return {
    ...(divergedAt === undefined ? {} : { divergedAt }),
    ...(separation ? { copySeparation: separation.minRelDiff } : {}),
    arm,
    seed,
    summary: record.summary,
    validation: curveOf(record),
    stages: record.stages.map((s) => ({ label: s.label, startStep: s.startStep, endStep: s.endStep, flops: s.flops ?? 0, wallMs: s.wallMs })),
    forwardFlops: record.stages.reduce((s, st) => s + (st.flops ?? 0), 0),
    wallTimeMs: record.wallTimeMs,
    downstream,
  };
}

const HINT = `Open the results.json that \`growlab suite\` wrote (format "${SUITE_FORMAT}", version ${SUITE_VERSION}).`;

/**
 * Parsed JSON as a suite results file, checked against suiteResultsSchema: every field the report,
 * statistics and charts read. Throws FormatError('results', …) naming `file` when given.
 */
export function validateSuiteResults(x: unknown, file?: string): SuiteResults {
  // Which format the file is at all comes first: a run record or another file needs no field list.
  const fail = (msg: string): never => {
    throw new FormatError('results', { file }, `${msg}. ${HINT}`);
  };
  if (typeof x !== 'object' || x === null || Array.isArray(x)) fail('this is not a JSON object');
  const head = x as { format?: unknown; version?: unknown };
  if (head.format !== SUITE_FORMAT) {
    fail(head.format === 'growlab-run' ? 'this is a single run record (growlab-run), not suite results' : `its format is ${JSON.stringify(head.format ?? null)}, not "${SUITE_FORMAT}"`);
  }
  if (head.version !== SUITE_VERSION && head.version !== 1) fail(`its version is ${JSON.stringify(head.version)}; this lab reads versions 1 and ${SUITE_VERSION}`);
  return parseFormat(suiteResultsSchema, x, { format: 'results', file, hint: HINT });
}

/** Settings that differ between a results file and this invocation, as "name: file vs now". */
export function settingsDiff(a: SuiteSettings, b: SuiteSettings): string[] {
  return (['design', 'size', 'seeds', 'steps', 'backend', 'downstream', 'margin', 'gateMargin', 'evalBatches'] as const).filter((k) => a[k] !== b[k]).map((k) => `${k}: ${a[k]} there vs ${b[k]} now`);
}
