import { DESIGNS, type ArmName, type Comparison, type GenreMode, type GenreTask } from './plan.ts';
import { FREQUENCY_LEFT_BY, suiteInference, type SuiteInference, type Test } from './inference.ts';
import { formatInterval } from './paired.ts';
import { findRun, type SuiteResults, type SuiteRun } from './results.ts';
import { formatSpread, spread, type Spread } from './stats.ts';

/** One table column: a number per run (null where it was not measured), shown as mean ± std over seeds. */
export interface ReportColumn {
  header: string;
  digits: number;
  /** Lower is better (loss, FLOPs, time); decides the wording of significance lines. */
  lowerIsBetter: boolean;
  value(run: SuiteRun, results: SuiteResults): number | null;
}

/** Downstream (task, mode) pairs present in the results, in first-seen order. */
export function downstreamKinds(r: SuiteResults): { task: GenreTask; mode: GenreMode }[] {
  const seen = new Map<string, { task: GenreTask; mode: GenreMode }>();
  for (const run of r.runs) for (const d of run.downstream) seen.set(`${d.task}/${d.mode}`, { task: d.task, mode: d.mode });
  return [...seen.values()];
}

const ratioToBaseline = (pick: (run: SuiteRun) => number) => (run: SuiteRun, r: SuiteResults): number | null => {
  const base = findRun(r, 'baseline', run.seed);
  return base && pick(run) > 0 ? pick(base) / pick(run) : null;
};

/** The report's columns for these results (downstream ones only for what was evaluated). */
export function reportColumns(r: SuiteResults): ReportColumn[] {
  const down = downstreamKinds(r).flatMap(({ task, mode }): ReportColumn[] => {
    const find = (run: SuiteRun) => run.downstream.find((d) => d.task === task && d.mode === mode);
    return [
      { header: `${task} ${mode} acc (%)`, digits: 1, lowerIsBetter: false, value: (run) => (find(run) ? 100 * find(run)!.accuracy : null) },
      { header: `${task} ${mode} macro-F1`, digits: 3, lowerIsBetter: false, value: (run) => find(run)?.macroF1 ?? null },
    ];
  });
  return [
    { header: 'Val MLM loss', digits: 3, lowerIsBetter: true, value: (run) => run.summary.valLoss },
    { header: 'Val MLM acc (%)', digits: 2, lowerIsBetter: false, value: (run) => (run.summary.valAcc === null ? null : 100 * run.summary.valAcc) },
    ...down,
    { header: 'Forward GFLOPs', digits: 3, lowerIsBetter: true, value: (run) => run.forwardFlops / 1e9 },
    { header: 'FLOPs speed-up (×)', digits: 2, lowerIsBetter: false, value: ratioToBaseline((run) => run.forwardFlops) },
    { header: 'Wall time (s)', digits: 1, lowerIsBetter: true, value: (run) => run.wallTimeMs / 1000 },
    { header: 'Wall speed-up (×)', digits: 2, lowerIsBetter: false, value: ratioToBaseline((run) => run.wallTimeMs) },
  ];
}

/** A column's mean ± std over the seeds an arm has finished. */
export function armSpread(r: SuiteResults, arm: ArmName, col: ReportColumn): Spread | null {
  const values = r.runs.filter((run) => run.arm === arm).map((run) => col.value(run, r)).filter((v): v is number => v !== null);
  return spread(values);
}

/** A markdown table; the first `textColumns` columns are left-aligned, the numbers right-aligned. */
function table(header: string[], rows: string[][], textColumns = 1): string[] {
  return [`| ${header.join(' | ')} |`, `| ${header.map((_, i) => (i < textColumns ? '---' : '---:')).join(' | ')} |`, ...rows.map((row) => `| ${row.join(' | ')} |`)];
}

const fmt = (v: number | null, digits: number): string => formatInterval(v, null, null, digits);
const fmtP = (p: number | null): string => (p === null ? '—' : p < 0.001 ? '< 0.001' : p.toFixed(3));

/** One test as the report words it: the paired difference, its interval, the raw and Holm-adjusted p and the verdict. */
export function testLine(t: Test, margin: number | null): string {
  const d = t.paired;
  const head = `${t.arm} − ${t.reference}, Val MLM loss`;
  if (d.n === 0) return `${head}: no seed has both runs`;
  const iv = d.lo === null || d.hi === null ? `${fmt(d.mean, 3)} (one seed: no interval)` : `${formatInterval(d.mean, d.lo, d.hi, 3)} (95% paired t-interval, ${d.n} seeds)`;
  if (t.kind === 'non-inferiority') {
    const m = margin === null ? 'no margin' : `margin ${fmt(margin, 3)}, one-sided 95% bound ${fmt(t.bound, 3)}`;
    return `${head}: ${iv}; non-inferiority ${m}, p = ${fmtP(t.p)}, Holm p = ${fmtP(t.pHolm)} — ${t.verdict}`;
  }
  return `${head}: ${iv}; p = ${fmtP(t.p)}, Holm p = ${fmtP(t.pHolm)} — ${t.verdict}`;
}

/** The lines under a comparison's table, in the report and in the lab: its tests, then what else the arms measured. */
export function comparisonVerdicts(r: SuiteResults, c: Comparison, inf: SuiteInference = suiteInference(r)): string[] {
  return [...inf.tests.filter((t) => t.comparison === c.id).map((t) => testLine(t, inf.margin.value)), ...separationLine(r, c)];
}

function comparisonSection(r: SuiteResults, c: Comparison, cols: ReportColumn[], inf: SuiteInference): string[] {
  const rows = c.arms.map((arm) => [arm, String(r.runs.filter((x) => x.arm === arm).length), ...cols.map((col) => formatSpread(armSpread(r, arm, col), col.digits))]);
  const diverged = r.runs.filter((x) => c.arms.includes(x.arm) && x.divergedAt !== undefined).map((x) => `${x.arm} seed ${x.seed} at step ${x.divergedAt}`);
  const lines = [...comparisonVerdicts(r, c, inf), ...(diverged.length ? [`Diverged (numbers from before the loss stopped being finite): ${diverged.join(', ')}`] : [])];
  return [`## ${c.title} (${c.paper})`, '', ...table(['Arm', 'Seeds', ...cols.map((col) => col.header)], rows), '', ...lines.map((l) => `- ${l}`), ''];
}

/** Whether width sharing's copies separated, for comparisons with width-share arms (exact copies stay at 0). */
function separationLine(r: SuiteResults, c: Comparison): string[] {
  const e = (v: number) => (v === 0 ? '0' : v.toExponential(1));
  const parts = c.arms.flatMap((arm) => {
    const xs = r.runs.flatMap((x) => (x.arm === arm && x.copySeparation !== undefined ? [x.copySeparation] : []));
    if (xs.length === 0) return [];
    const lo = Math.min(...xs);
    const hi = Math.max(...xs);
    return [`${arm} ${lo === hi ? e(lo) : `${e(lo)} to ${e(hi)}`}`];
  });
  return parts.length ? [`FFN copies' separation at the first validation after growth (least separated pair, minimum over layers; 0 = exact copies): ${parts.join(', ')}`] : [];
}

function controlsSection(r: SuiteResults): string[] {
  if (r.controls.length === 0) return [];
  const kinds = downstreamKinds(r);
  const tasks = [...new Set(r.controls.map((c) => c.task))];
  const rows: string[][] = [];
  for (const task of tasks) {
    const of = r.controls.filter((c) => c.task === task);
    rows.push([`${task} majority class`, String(of.length), formatSpread(spread(of.map((c) => 100 * c.majority.accuracy)), 1), formatSpread(spread(of.map((c) => c.majority.macroF1)), 3)]);
    for (const { mode } of kinds.filter((k) => k.task === task)) {
      const res = of.map((c) => c.randomInit.find((d) => d.mode === mode)).filter((d) => d !== undefined);
      rows.push([`${task} random-init ${mode}`, String(res.length), formatSpread(spread(res.map((d) => 100 * d.accuracy)), 1), formatSpread(spread(res.map((d) => d.macroF1)), 3)]);
    }
  }
  return ['## Controls (no pre-training)', '', ...table(['Control', 'Seeds', 'Acc (%)', 'Macro-F1'], rows), ''];
}

/** The frequency-only reference, and which arms have left it by FREQUENCY_LEFT_BY nats. */
export function frequencyNote(r: SuiteResults, inf: SuiteInference = suiteInference(r)): string {
  const f = r.frequency!;
  const stuck = inf.levels.filter((l) => !l.left).map((l) => l.arm);
  const verdict = stuck.length === 0
    ? `Every arm ends at least ${FREQUENCY_LEFT_BY} nats below it.`
    : `${stuck.length === inf.levels.length ? 'Every arm' : stuck.join(', ')} ends less than ${FREQUENCY_LEFT_BY} nats below it: at this budget ${stuck.length === 1 ? 'that arm has' : 'those arms have'} learned little beyond token frequencies, so differences in loss measure how fast each gets there, not how well it models language.`;
  return `Reference: predicting token frequencies alone (no context) scores validation MLM loss ${f.loss.toFixed(3)} and accuracy ${(100 * f.accuracy).toFixed(2)}% (src/core/data/frequency.ts; dashed line in the plots). ${verdict}`;
}

function gateSection(r: SuiteResults, inf: SuiteInference): string[] {
  const rows = inf.levels.map((l) => [l.arm, l.meanLoss.toFixed(3), l.below.toFixed(3), l.left ? 'yes' : '**no**']);
  return [
    '## Gate',
    '',
    `- Baseline vs the smallest stage model: ${inf.gate.reason}`,
    ...(inf.levels.length
      ? ['', `Left the frequency level (mean final loss at least ${FREQUENCY_LEFT_BY} nats below the frequency-only loss ${r.frequency!.loss.toFixed(3)}):`, '', ...table(['Arm', 'Val MLM loss', 'Below frequency level', 'Left'], rows)]
      : []),
    '',
  ];
}

function statisticsSection(inf: SuiteInference): string[] {
  const m = inf.margin;
  const margin = m.value === null
    ? 'No non-inferiority margin: the baseline budget sweep did not show the loss falling with more compute, so "comparable quality" is not assessed.'
    : `Non-inferiority margin ${m.value.toFixed(4)} nats (${m.source === 'declared' ? 'declared with --margin' : 'from the baseline budget sweep: the loss that 10% more baseline compute buys, declared as the rule before the run'}).`;
  const se = inf.validationStderr === null
    ? 'The validation set\'s sampling error was not recorded in these results.'
    : `Validation: one fixed held-out set for every seed and arm; the standard error of a run's validation loss is at most ${inf.validationStderr.toFixed(4)} nats.`;
  const speed = inf.speedups.map((s) => [
    s.arm,
    s.mean === null ? '—' : `${s.mean.toFixed(2)}×${s.lo !== null && s.hi !== null ? ` [${s.lo.toFixed(2)}, ${s.hi.toFixed(2)}]` : ''}`,
    String(s.seeds),
    s.beyond ? `${s.beyond} (≥ ${s.atLeast!.toFixed(2)}×)` : '0',
  ]);
  return [
    '## Statistics',
    '',
    `- Tests are on the final validation MLM loss, paired by seed (the arms of a seed share the data order and the validation set): arm − reference with a 95% t-interval; negative is better. Every p-value in the report is Holm-adjusted as one family of ${inf.tests.length} tests (α = 0.05).`,
    `- ${margin}`,
    `- ${se}`,
    '',
    'Effective FLOPs speed-up: the forward FLOPs the baseline budget sweep (baseline at 0.5×, 0.75× and 1× its steps) needs to reach the arm\'s final loss, over the arm\'s FLOPs; geometric mean over seeds with a 95% t-interval on the log.',
    '',
    ...table(['Arm', 'Effective speed-up', 'Seeds reached', 'Seeds beyond the sweep'], speed),
    '',
  ];
}

/** Plot files the report links; the CLI writes them beside report.md. */
export const PLOT_FILES = { lossVsFlops: 'val-loss-vs-flops', lossVsWall: 'val-loss-vs-wall' } as const;

/** report.md, from results.json alone. */
export function suiteReport(r: SuiteResults, opts: { png?: boolean } = {}): string {
  const cols = reportColumns(r);
  const inf = suiteInference(r);
  const s = r.settings;
  const expected = s.seeds * r.arms.length;
  const m = r.machine;
  const ext = opts.png ? 'png' : 'svg';
  const out = [
    `# GrowLab suite: ${s.design} design, ${s.size}, ${s.seeds} seed${s.seeds === 1 ? '' : 's'}, ${s.steps} steps`,
    '',
    `Backend ${s.backend} on ${m.cpuModel} (${m.cpus} cores, ${m.platform}/${m.arch}, ${m.runtime}). Results ${r.updatedAt}.`,
    r.runs.length < expected ? `\n**Incomplete:** ${r.runs.length} of ${expected} runs finished; continue with \`--resume\`.` : `All ${expected} runs finished.`,
    '',
    'Tables give mean ± sample std over seeds; verdicts come from the paired tests below each table (see Statistics). Wall time is training time (growth included, evaluation not). FLOPs are forward-pass FLOPs (the paper\'s convention); speed-ups are against the baseline run of the same seed.',
    ...(r.frequency ? ['', frequencyNote(r, inf)] : []),
    ...(!s.downstream ? ['', 'Downstream: not evaluated (--no-genre).'] : []),
    ...(s.downstream && r.genre ? ['', `Downstream: Brown genre classification (${r.genre.tasks.join(', ')}), ${r.genre.modes.join(' and ')}, seeded like the run; budgets ${JSON.stringify(r.genre.budget)} over genreDefaults (src/core/eval/genre.ts). Controls: the majority class and the untrained encoder.`] : []),
    '',
    'Commands:',
    '',
    ...r.commands.map((c) => `    ${c}`),
    '',
    '## Arms',
    '',
    ...table(
      ['Arm', 'Stages (steps)', 'What it is', 'Forward GFLOPs', 'FLOPs gap to its match'],
      r.arms.map((a) => [a.name, a.stages.map((st) => `${st.label}: ${st.steps}`).join(' → '), a.about ?? '', (a.forwardFlops / 1e9).toFixed(3), a.flopsGap === null ? '—' : `${(100 * a.flopsGap).toFixed(2)}%`]),
      3,
    ),
    '',
    ...gateSection(r, inf),
    ...statisticsSection(inf),
    ...DESIGNS[s.design].comparisons.flatMap((c) => comparisonSection(r, c, cols, inf)),
    ...controlsSection(r),
    '## Validation curves (mean over seeds)',
    '',
    `![Validation MLM loss vs forward FLOPs](${PLOT_FILES.lossVsFlops}.${ext})`,
    '',
    `![Validation MLM loss vs wall time](${PLOT_FILES.lossVsWall}.${ext})`,
    '',
  ];
  return out.join('\n');
}
