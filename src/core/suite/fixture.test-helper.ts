import { DESIGNS, type ArmName } from './plan.ts';
import type { SuiteResults, SuiteRun } from './results.ts';

/** A hand-made run: only the fields the report and plots read carry meaning. */
export function fakeRun(arm: ArmName, seed: number, valLoss: number, opts: { flops?: number; wallMs?: number; acc4?: number } = {}): SuiteRun {
  const flops = opts.flops ?? 1e9;
  const wallMs = opts.wallMs ?? 1000;
  return {
    arm,
    seed,
    summary: { steps: 10, firstLoss: 8, finalLoss: valLoss, valLoss, valAcc: 0.2, tokensPerSec: 100, backend: 'cpu' },
    validation: [
      { step: 5, loss: valLoss + 1, accuracy: 0.1, flops: flops / 2, wallMs: wallMs / 2 },
      { step: 10, loss: valLoss, accuracy: 0.2, flops, wallMs },
    ],
    stages: [{ label: 'L2', startStep: 0, endStep: 10, flops, wallMs }],
    forwardFlops: flops,
    wallTimeMs: wallMs,
    downstream: opts.acc4 === undefined ? [] : [{ task: 'genre4', mode: 'finetune', accuracy: opts.acc4, macroF1: opts.acc4 / 2 }],
  };
}

export function fakeResults(runs: SuiteRun[], seeds = 2): SuiteResults {
  return {
    format: 'growlab-suite',
    version: 2,
    settings: { size: 'tiny', seeds, steps: 10, backend: 'cpu', downstream: true, design: 'lab', margin: null, gateMargin: 0.02, evalBatches: 1250 },
    commands: ['growlab suite --size tiny'],
    machine: { platform: 'linux', arch: 'x64', cpus: 2, cpuModel: 'test cpu', runtime: 'node', backend: 'cpu' },
    arms: DESIGNS.lab.arms.map((name) => ({ name, stages: [{ label: 'L2', steps: 10 }], forwardFlops: 1e9, flopsGap: null })),
    runs,
    controls: [],
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
}
