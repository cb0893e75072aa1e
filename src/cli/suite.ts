import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Experiment } from '../core/run/experiment.ts';
import { checkpointParams } from '../core/checkpoint/checkpoint.ts';
import { disposeParams } from '../core/model/params.ts';
import { SIZES } from '../core/model/config.ts';
import { stageLabel } from '../core/schedule/spec.ts';
import { DESIGN_NAMES, SUITE_SIZES, SUITE_STEPS, armConfig, planSuite, type ArmName, type DesignName, type SuitePlan, type SuiteSize } from '../core/suite/plan.ts';
import { DEFAULT_GATE_MARGIN, SUITE_FORMAT, SUITE_VERSION, findRun, settingsDiff, suiteRun, validateSuiteResults, type SuiteResults, type SuiteSettings } from '../core/suite/results.ts';
import { suiteReport } from '../core/suite/report.ts';
import { suitePlots } from '../core/suite/plots.ts';
import { downstreamControls, evaluateDownstream } from '../core/suite/downstream.ts';
import type { Corpus } from '../core/data/corpus.ts';
import { frequencyBaseline } from '../core/data/frequency.ts';
import { loadCorpus } from '../node/corpus.ts';
import { useNodeBackend } from '../node/backends.ts';
import { writeAtomic } from '../node/write-atomic.ts';
import { MAX_JSON_BYTES, readInput } from './inputs.ts';
import { UsageError, choice, parseFlags, positiveInt, positiveNumber } from './args.ts';
import { svgToPng } from './png.ts';
import { makeOutputDir } from './outputs.ts';
import { showPath } from '../core/errors.ts';

export const SUITE_FLAGS = {
  size: { type: 'string' },
  seeds: { type: 'string' },
  out: { type: 'string' },
  backend: { type: 'string' },
  steps: { type: 'string' },
  design: { type: 'string' },
  margin: { type: 'string' },
  'gate-margin': { type: 'string' },
  'eval-batches': { type: 'string' },
  arms: { type: 'string' },
  resume: { type: 'boolean' },
  'no-genre': { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

const SUITE_BACKENDS = ['wasm', 'cpu', 'webgpu'] as const;
const WARMUP_STEPS = 3;

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** An existing results.json to continue, or a refusal saying what to do instead. */
async function readExisting(path: string, resume: boolean, settings: SuiteSettings): Promise<SuiteResults | null> {
  if (!existsSync(path)) {
    if (resume) log(`--resume: ${path} does not exist yet; starting the suite`);
    return null;
  }
  if (!resume) throw new UsageError(`${showPath(path)} already exists: pass --resume to continue that suite, or pick another --out directory`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(await readInput('resume', path, MAX_JSON_BYTES)));
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`--resume: cannot read ${showPath(path)} (${(e as Error).message.split('\n')[0]}); move it away or pick another --out directory`);
  }
  const r = validateSuiteResults(parsed, path);
  if (r.version !== SUITE_VERSION) throw new UsageError(`--resume: ${showPath(path)} was written by an earlier GrowLab (suite format version ${r.version}); start a new suite in another --out directory`);
  const diff = settingsDiff(r.settings, settings);
  if (diff.length) throw new UsageError(`--resume: ${showPath(path)} was made with other settings (${diff.join('; ')}); rerun with the same flags or pick another --out directory`);
  return r;
}

function freshResults(settings: SuiteSettings, plan: SuitePlan, backend: string): SuiteResults {
  const now = new Date().toISOString();
  const cpu = cpus();
  return {
    format: SUITE_FORMAT,
    version: SUITE_VERSION,
    settings,
    commands: [],
    machine: { platform: process.platform, arch: process.arch, cpus: cpu.length, cpuModel: cpu[0]?.model.trim() ?? 'unknown', runtime: `node ${process.version}`, backend },
    arms: plan.arms.map((a) => ({ name: a.name, about: a.about, stages: a.config.schedule.stages.map((s) => ({ label: stageLabel(s.shape), steps: s.steps })), forwardFlops: a.forwardFlops, flopsGap: a.flopsGap })),
    genre: plan.genre,
    runs: [],
    controls: [],
    createdAt: now,
    updatedAt: now,
  };
}

/** results.json first (atomically: an interrupted suite keeps every finished run), then the report and plots. */
async function save(dir: string, r: SuiteResults): Promise<void> {
  r.updatedAt = new Date().toISOString();
  writeAtomic(join(dir, 'results.json'), JSON.stringify(r, null, 1));
  let png = true;
  for (const plot of suitePlots(r)) {
    await writeFile(join(dir, `${plot.name}.svg`), plot.svg);
    const bytes = await svgToPng(plot.svg);
    if (bytes) await writeFile(join(dir, `${plot.name}.png`), bytes);
    else png = false;
  }
  writeAtomic(join(dir, 'report.md'), suiteReport(r, { png }));
}

async function runArm(plan: SuitePlan, arm: ArmName, seed: number, corpus: Corpus, backend: string, tag: string) {
  const config = armConfig(plan, arm, seed);
  const t0 = performance.now();
  log(`${tag} ${config.schedule.stages.map((st) => `${stageLabel(st.shape)}: ${st.steps}`).join(' → ')}`);
  const exp = new Experiment(config, corpus, backend);
  try {
    while (!exp.done) await exp.step();
    if (exp.divergence) log(`${tag} diverged at step ${exp.divergence.step} (loss ${exp.divergence.loss}); keeping what it recorded`);
    const record = exp.record;
    const c = await exp.checkpoint();
    const params = checkpointParams(c);
    try {
      const downstream = await evaluateDownstream(params, c.model, corpus, seed, plan.genre);
      const val = record.summary.valLoss === null ? 'no validation' : `validation loss ${record.summary.valLoss.toFixed(4)}`;
      log(`${tag} done in ${((performance.now() - t0) / 1000).toFixed(1)} s (training ${(record.wallTimeMs / 1000).toFixed(1)} s), ${val}${downstream.map((d) => `, ${d.task} ${d.mode} ${(100 * d.accuracy).toFixed(1)}%`).join('')}`);
      return suiteRun(arm, seed, record, downstream, exp.divergence?.step);
    } finally {
      disposeParams(params);
    }
  } finally {
    exp.dispose();
  }
}

/**
 * A few untimed steps of every arm's first stage before the first timed run: the first steps of a
 * process pay for JIT compilation and allocator growth, which would otherwise be billed to
 * whichever arm happens to run first and skew its wall time and every wall-time speed-up.
 */
async function warmUp(plan: SuitePlan, corpus: Corpus, backend: string): Promise<void> {
  const t0 = performance.now();
  for (const arm of plan.arms) {
    const exp = new Experiment(armConfig(plan, arm.name, 0), corpus, backend);
    try {
      for (let i = 0; i < WARMUP_STEPS && !exp.done; i++) await exp.step();
      await exp.flush();
    } finally {
      exp.dispose();
    }
  }
  log(`warm-up (untimed, not recorded): ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

/** --arms: a subset of the design's arms, which must keep the two the gate compares. */
function pickArms(plan: SuitePlan, value: string | boolean | undefined): SuitePlan {
  if (value === undefined) return plan;
  const names = plan.arms.map((a) => a.name);
  const wanted = typeof value === 'string' ? value.split(',').map((x) => x.trim()).filter(Boolean) : [];
  const unknown = wanted.filter((x) => !names.includes(x as ArmName));
  if (wanted.length === 0 || unknown.length) throw new UsageError(`--arms: unknown arm${unknown.length === 1 ? '' : 's'} ${unknown.map((x) => JSON.stringify(x)).join(', ') || '(none given)'} (the ${plan.design} design has: ${names.join(', ')})`);
  const missing = (['baseline', 'smallest'] as const).filter((x) => !wanted.includes(x));
  if (missing.length) throw new UsageError(`--arms: the gate cannot be computed without ${missing.join(' and ')} (it compares the baseline with the smallest stage model); add ${missing.join(',')} to --arms`);
  return { ...plan, arms: plan.arms.filter((a) => wanted.includes(a.name)) };
}

function gateMargin(value: string | boolean | undefined): number {
  if (value === undefined) return DEFAULT_GATE_MARGIN;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!(n >= 0) || !Number.isFinite(n)) throw new UsageError(`--gate-margin: expected a number of nats ≥ 0, got "${String(value)}"`);
  return n;
}

export async function suiteCommand(argv: string[]): Promise<void> {
  const v = parseFlags(argv, SUITE_FLAGS, 'suite');
  const size = choice<SuiteSize>('size', v.size, SUITE_SIZES, 'tiny');
  const design = choice<DesignName>('design', v.design, DESIGN_NAMES, 'lab');
  const seeds = positiveInt('seeds', v.seeds, 2);
  const steps = positiveInt('steps', v.steps, SUITE_STEPS[size]);
  const backendName = choice('backend', v.backend, SUITE_BACKENDS, 'wasm');
  const margin = positiveNumber('margin', v.margin) ?? null;
  if (typeof v.out !== 'string' || v.out === '') throw new UsageError('--out DIR is required: the directory that gets results.json, report.md and the plots');
  const dir = v.out;
  const downstream = v['no-genre'] !== true;
  const evalBatches = positiveInt('eval-batches', v['eval-batches'], SIZES[size].train.evalBatches);
  const planned = pickArms(planSuite(size, steps, design, evalBatches), v.arms);
  const plan: SuitePlan = downstream ? planned : { ...planned, genre: { ...planned.genre, tasks: [] } };
  const settings: SuiteSettings = { size, seeds, steps, backend: backendName, downstream, design, margin, gateMargin: gateMargin(v['gate-margin']), evalBatches };
  const resultsPath = join(dir, 'results.json');
  const existing = await readExisting(resultsPath, v.resume === true, settings);
  const armsThere = existing?.arms.map((a) => a.name).join(',');
  if (existing && armsThere !== plan.arms.map((a) => a.name).join(',')) {
    throw new UsageError(`--resume: ${showPath(resultsPath)} was made with other arms (${armsThere}); rerun with the same --arms or pick another --out directory`);
  }
  makeOutputDir('--out', dir);
  tf.enableProdMode();
  const backend = await useNodeBackend(backendName);
  const results = existing ?? freshResults(settings, plan, backend.name);
  results.commands.push(`growlab suite ${argv.join(' ')}`);
  const corpus = await loadCorpus();
  results.frequency = frequencyBaseline(corpus, plan.arms[0].config.model.vocabSize);
  const total = seeds * plan.arms.length;
  const done0 = results.runs.length;
  log(`growlab suite: size ${size}, ${seeds} seed(s), ${steps} steps, backend ${backend.name}, ${design} design, ${plan.arms.length} arms; ${done0 ? `${done0} of ${total} runs already in ${resultsPath}` : `writing ${resultsPath}`}`);
  if (results.runs.length < total) await warmUp(plan, corpus, backend.name);
  for (let seed = 1; seed <= seeds; seed++) {
    for (const task of plan.genre.tasks) {
      if (results.controls.some((c) => c.seed === seed && c.task === task)) continue;
      const controls = await downstreamControls(plan.arms[0].config.model, corpus, seed, { ...plan.genre, tasks: [task] });
      results.controls.push(...controls);
      await save(dir, results);
      log(`[seed ${seed}] controls ${task}: majority ${(100 * controls[0].majority.accuracy).toFixed(1)}%${controls[0].randomInit.map((d) => `, random-init ${d.mode} ${(100 * d.accuracy).toFixed(1)}%`).join('')}`);
    }
    for (const { name: arm } of plan.arms) {
      if (findRun(results, arm, seed)) continue;
      const n = results.runs.length + 1;
      results.runs.push(await runArm(plan, arm, seed, corpus, backend.name, `[${n}/${total} ${arm} seed ${seed}]`));
      await save(dir, results);
    }
  }
  await save(dir, results);
  log(`wrote ${resultsPath}, ${join(dir, 'report.md')} and plots`);
  if (v.json === true) {
    console.log(JSON.stringify({ out: dir, runs: results.runs.length, newRuns: results.runs.length - done0, results: resultsPath, report: join(dir, 'report.md') }));
  }
}
