import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.ts';
import type { RunRecord } from '../train/record.ts';
import { curveOf, settingsDiff, validateSuiteResults } from './results.ts';
import { meanCurves, suitePlots } from './plots.ts';
import { fakeResults, fakeRun } from './fixture.test-helper.ts';

describe('curveOf', () => {
  it('puts cumulative forward FLOPs and step wall time on each validation point', () => {
    const step = (s: number, wallMs: number) => ({ step: s, loss: 1, lr: 0, gradNorm: 0, tokens: 1, wallMs });
    const record = {
      steps: [step(1, 10), step(2, 10), step(3, 20), step(4, 20), step(5, 20)],
      validation: [{ step: 2, loss: 3, accuracy: 0.1 }, { step: 5, loss: 2, accuracy: 0.2 }],
      // Stage 1: 2 steps, 100 FLOPs; stage 2: 3 steps, 600 FLOPs.
      stages: [{ index: 0, label: 'a', startStep: 0, endStep: 2, flops: 100, wallMs: 20 }, { index: 1, label: 'b', startStep: 2, endStep: 5, flops: 600, wallMs: 60 }],
    } as unknown as RunRecord;
    expect(curveOf(record)).toEqual([
      { step: 2, loss: 3, accuracy: 0.1, flops: 100, wallMs: 20 },
      { step: 5, loss: 2, accuracy: 0.2, flops: 700, wallMs: 80 },
    ]);
  });
});

describe('validateSuiteResults', () => {
  it('accepts what the suite writes and says what is wrong with anything else', () => {
    const ok = fakeResults([fakeRun('compound', 1, 5)]);
    expect(validateSuiteResults(JSON.parse(JSON.stringify(ok)))).toEqual(ok);
    expect(() => validateSuiteResults([1, 2])).toThrow(/results: this is not a JSON object\. Open the results\.json that `growlab suite` wrote/);
    expect(() => validateSuiteResults({ format: 'growlab-run', version: 1 })).toThrow(/a single run record \(growlab-run\), not suite results/);
    expect(() => validateSuiteResults({ ...ok, version: 9 })).toThrow(/version is 9; this lab reads versions 1 and 2/);
    expect(() => validateSuiteResults({ ...ok, settings: { ...ok.settings, design: 'grand' } })).toThrow(/^results: settings\.design: expected one of "lab", "paper", "operators", got "grand"\. Open the results\.json/);
    expect(() => validateSuiteResults({ ...ok, settings: { ...ok.settings, margin: -0.1 } })).toThrow(/settings\.margin/);
    // A version-1 file (before designs) reads as the lab design with the default gate margin.
    const { design: _d, margin: _m, gateMargin: _g, evalBatches: _e, ...v1settings } = ok.settings;
    const v1 = validateSuiteResults(JSON.parse(JSON.stringify({ ...ok, version: 1, settings: v1settings })));
    expect(v1.settings).toEqual({ ...ok.settings, design: 'lab', margin: null, gateMargin: 0.02, evalBatches: 8 });
    expect(() => validateSuiteResults({ ...ok, settings: { ...ok.settings, size: 'huge' } })).toThrow(/settings/);
    const broken = JSON.parse(JSON.stringify(ok));
    delete broken.runs[0].validation[1].flops;
    expect(() => validateSuiteResults(broken, 'out/results.json')).toThrow(/^results: out\/results\.json: runs\[0\]\.validation\[1\]\.flops: expected a finite number, but it is missing\./);
    expect(() => validateSuiteResults({})).toThrow(ConfigError);
  });

  it('lists settings that differ', () => {
    const a = { size: 'tiny' as const, seeds: 2, steps: 200, backend: 'wasm', downstream: true, design: 'lab' as const, margin: null, gateMargin: 0.02, evalBatches: 1250 };
    expect(settingsDiff(a, a)).toEqual([]);
    expect(settingsDiff(a, { ...a, seeds: 3, backend: 'cpu', downstream: false, design: 'paper', margin: 0.01, evalBatches: 20 })).toEqual([
      'design: lab there vs paper now', 'seeds: 2 there vs 3 now', 'backend: wasm there vs cpu now', 'downstream: true there vs false now', 'margin: null there vs 0.01 now', 'evalBatches: 1250 there vs 20 now',
    ]);
  });
});

describe('plots', () => {
  it('averages each arm\'s curve over seeds point by point', () => {
    const r = fakeResults([fakeRun('compound', 1, 5, { flops: 2e9 }), fakeRun('compound', 2, 6, { flops: 4e9 }), fakeRun('baseline', 1, 7)]);
    const curves = meanCurves(r, 'flops');
    expect(curves.map((c) => c.arm)).toEqual(['baseline', 'compound']);
    expect(curves[1]).toEqual({ arm: 'compound', seeds: 2, points: [{ x: 1.5e9, y: 6.5 }, { x: 3e9, y: 5.5 }] });
    const svgs = suitePlots(r);
    expect(svgs.map((s) => s.name)).toEqual(['val-loss-vs-flops', 'val-loss-vs-wall']);
    for (const { svg } of svgs) {
      expect(svg.match(/<path /g)).toHaveLength(2);
      expect(svg).toContain('compound (2 seeds)');
    }
  });
});
