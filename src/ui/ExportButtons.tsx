import { useState } from 'react';
import { comparisonCsv, comparisonJson, runMetricsCsv, runMetricsJson } from '../core/export/metrics.ts';
import { comparisonRows } from '../state/export-rows.ts';
import type { Run } from '../state/run.ts';
import { rasterizeSvg, serializeChart } from './chart-image.ts';
import { downloadBlob, downloadText, fileStem } from './download.ts';
import { InlineError } from './InlineError.tsx';

const CSV = 'text/csv;charset=utf-8';
const JSON_TYPE = 'application/json';

/** "CSV" and "JSON" of one run's per-step metrics. */
export function RunExports({ run }: { run: Run }) {
  const stem = `${fileStem(run.label, 'run')}-metrics`;
  return (
    <span className="run-exports">
      <button type="button" className="small" aria-label={`Download ${run.label} metrics as CSV`} onClick={() => downloadText(runMetricsCsv(run), `${stem}.csv`, CSV)}>
        CSV
      </button>
      <button type="button" className="small" aria-label={`Download ${run.label} metrics as JSON`} onClick={() => downloadText(runMetricsJson(run), `${stem}.json`, JSON_TYPE)}>
        JSON
      </button>
    </span>
  );
}

/** The comparison table (every run, one row each) as CSV or JSON. */
export function ComparisonExports({ runs }: { runs: readonly Run[] }) {
  const save = (kind: 'csv' | 'json') => {
    const { rows, baseline } = comparisonRows(runs);
    if (kind === 'csv') downloadText(comparisonCsv(rows), 'growlab-comparison.csv', CSV);
    else downloadText(comparisonJson(rows, baseline), 'growlab-comparison.json', JSON_TYPE);
  };
  return (
    <div className="export-row">
      <button type="button" className="small" onClick={() => save('csv')}>
        Comparison CSV
      </button>
      <button type="button" className="small" onClick={() => save('json')}>
        Comparison JSON
      </button>
    </div>
  );
}

/** SVG and PNG of the chart drawn in the same panel. */
export function ChartDownloads({ title }: { title: string }) {
  const [error, setError] = useState<string | null>(null);
  const save = async (button: HTMLElement, kind: 'svg' | 'png') => {
    setError(null);
    const svg = button.closest('section')?.querySelector<SVGSVGElement>('svg.chart-surface');
    if (!svg) {
      setError(`The ${title} chart is not drawn yet: start a run first.`);
      return;
    }
    try {
      const { text, width, height } = serializeChart(svg, title);
      const stem = fileStem(title.toLowerCase(), 'chart');
      if (kind === 'svg') downloadText(text, `${stem}.svg`, 'image/svg+xml');
      else downloadBlob(await rasterizeSvg(text, width, height, 2), `${stem}.png`);
    } catch (e) {
      setError(`Could not save the ${title} chart as ${kind.toUpperCase()}: ${(e as Error).message}`);
    }
  };
  return (
    <div className="export-row">
      <button type="button" className="small" aria-label={`Download ${title} as SVG`} onClick={(e) => void save(e.currentTarget, 'svg')}>
        SVG
      </button>
      <button type="button" className="small" aria-label={`Download ${title} as PNG`} onClick={(e) => void save(e.currentTarget, 'png')}>
        PNG
      </button>
      <InlineError message={error} />
    </div>
  );
}
