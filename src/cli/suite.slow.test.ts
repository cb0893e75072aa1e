import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, it } from 'vitest';
import { DESIGNS } from '../core/suite/plan.ts';
import { expectTinySuiteReport } from './suite-report.test-helper.ts';

const dir = mkdtempSync(join(tmpdir(), 'growlab-suite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('runs the tiny suite, every arm of the lab design, 2 seeds: report tables, paired tests and the gate from results.json', async () => {
  await expectTinySuiteReport(dir, DESIGNS.lab.arms);
}, 1_800_000);
