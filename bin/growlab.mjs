#!/usr/bin/env node
// Runs the TypeScript CLI through tsx so `npx growlab` works from a fresh clone without a build step.
import { register as registerTsx } from 'tsx/esm/api';

registerTsx();
const { runGrowlab } = await import('../src/cli/main.ts');
const code = await runGrowlab(process.argv.slice(2));
// After bad input or an internal error, work may still be in flight (a backend's threads, a timer):
// end at once. A finished command ends as its work drains, with its code (3: the run diverged).
if (code === 1 || code === 2) process.exit(code);
process.exitCode = code;
