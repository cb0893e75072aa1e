import { COMPARISONS, type ArmName, type Comparison, type GenreMode, type GenreTask } from './plan.ts';
import { findRun, type SuiteResults, type SuiteRun } from './results.ts';
import { formatSpread, significance, spread, type Spread } from './stats.ts';

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

/** "a vs b" on one column, with the report's significance wording. */
export function significanceLine(r: SuiteResults, a: ArmName, b: ArmName, col: ReportColumn): string | null {
  const sa = armSpread(r, a, col);
  const sb = armSpread(r, b, col);
  if (!sa || !sb) return null;
  const head = `${a} vs ${b}, ${col.header}: ${formatSpread(sa, col.digits)} vs ${formatSpread(sb, col.digits)}`;
  const verdict = significance(sa, sb);
  if (verdict === 'one-seed') return `${head} — one seed: no spread, so significance is not assessed`;
  if (verdict === 'overlap') return `${head} — not significant (spreads overlap)`;
  const better = (sa.mean < sb.mean) === col.lowerIsBetter ? a : b;
  return `${head} — ${better} better; the one-std spreads do not overlap (${Math.min(sa.n, sb.n)} seeds; a hint, not a formal test)`;
}

/** A comparison's significance lines: every arm against the reference, on each quality column. */
export function comparisonVerdicts(r: SuiteResults, c: Comparison, cols: ReportColumn[]): string[] {
  // Quality is held-out MLM loss and every accuracy; cost columns differ by design.
  const quality = cols.filter((col) => col.header === 'Val MLM loss' || col.header.endsWith('acc (%)'));
  return c.arms
    .filter((a) => a !== c.reference)
    .flatMap((a) => quality.map((col) => significanceLine(r, a, c.reference, col)))
    .filter((l): l is string => l !== null);
}

function comparisonSection(r: SuiteResults, c: Comparison, cols: ReportColumn[]): string[] {
  const rows = c.arms.map((arm) => [arm, String(r.runs.filter((x) => x.arm === arm).length), ...cols.map((col) => formatSpread(armSpread(r, arm, col), col.digits))]);
  const diverged = r.runs.filter((x) => c.arms.includes(x.arm) && x.divergedAt !== undefined).map((x) => `${x.arm} seed ${x.seed} at step ${x.divergedAt}`);
  const lines = [...comparisonVerdicts(r, c, cols), ...(diverged.length ? [`Diverged (numbers from before the loss stopped being finite): ${diverged.join(', ')}`] : [])];
  return [`## ${c.title} (${c.paper})`, '', ...table(['Arm', 'Seeds', ...cols.map((col) => col.header)], rows), '', ...lines.map((l) => `- ${l}`), ''];
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

/** The frequency-only reference, and which arms' mean validation loss has not yet gone below it. */
export function frequencyNote(r: SuiteResults): string {
  const f = r.frequency!;
  const stuck = r.arms.map((a) => a.name).filter((arm) => {
    const losses = r.runs.filter((x) => x.arm === arm && x.validation.length).map((x) => x.validation[x.validation.length - 1].loss);
    return losses.length > 0 && losses.reduce((s, l) => s + l, 0) / losses.length >= f.loss;
  });
  const verdict = stuck.length === 0
    ? 'Every arm ends below it.'
    : `${stuck.length === r.arms.length ? 'Every arm' : stuck.join(', ')} ends at or above it: at this budget ${stuck.length === 1 ? 'that arm has' : 'those arms have'} learned token frequencies, not yet anything from context, so differences in loss measure how fast each arm gets there, not how well it models language.`;
  return `Reference: predicting token frequencies alone (no context) scores validation MLM loss ${f.loss.toFixed(3)} and accuracy ${(100 * f.accuracy).toFixed(2)}% (src/core/data/frequency.ts; dashed line in the plots). ${verdict}`;
}

/** Plot files the report links; the CLI writes them beside report.md. */
export const PLOT_FILES = { lossVsFlops: 'val-loss-vs-flops', lossVsWall: 'val-loss-vs-wall' } as const;

/** report.md, from results.json alone. */
export function suiteReport(r: SuiteResults, opts: { png?: boolean } = {}): string {
  const cols = reportColumns(r);
  const s = r.settings;
  const expected = s.seeds * r.arms.length;
  const m = r.machine;
  const ext = opts.png ? 'png' : 'svg';
  const out = [
    `# GrowLab suite: ${s.size}, ${s.seeds} seed${s.seeds === 1 ? '' : 's'}, ${s.steps} steps`,
    '',
    `Backend ${s.backend} on ${m.cpuModel} (${m.cpus} cores, ${m.platform}/${m.arch}, ${m.runtime}). Results ${r.updatedAt}.`,
    r.runs.length < expected ? `\n**Incomplete:** ${r.runs.length} of ${expected} runs finished; continue with \`--resume\`.` : `All ${expected} runs finished.`,
    '',
    'Tables give mean ± sample std over seeds. Two arms whose [mean − std, mean + std] intervals overlap are reported as not significant. Wall time is training time (growth included, evaluation not). FLOPs are forward-pass FLOPs (the paper\'s convention); speed-ups are against the baseline run of the same seed.',
    ...(r.frequency ? ['', frequencyNote(r)] : []),
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
      ['Arm', 'Stages (steps)', 'Forward GFLOPs', 'FLOPs gap to compound'],
      r.arms.map((a) => [a.name, a.stages.map((st) => `${st.label}: ${st.steps}`).join(' → '), (a.forwardFlops / 1e9).toFixed(3), a.flopsGap === null ? '—' : `${(100 * a.flopsGap).toFixed(2)}%`]),
      2,
    ),
    '',
    ...COMPARISONS.flatMap((c) => comparisonSection(r, c, cols)),
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
