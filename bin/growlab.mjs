#!/usr/bin/env node
// Runs the TypeScript CLI through tsx so `npx growlab` works from a fresh clone without a build step.
import { register } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';

register('./esm-extensionless-hook.mjs', import.meta.url);
registerTsx();
// The CommonJS core must create the shared tfjs engine before the ESM gradient registry loads.
await import('@tensorflow/tfjs-core');
await import('../src/cli/main.ts');
