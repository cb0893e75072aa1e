// Vitest loads node_modules natively: '@tensorflow/tfjs-core' resolves to its CommonJS build while
// the gradient registry (imported by the trainer) only exists as ESM. Loading the CommonJS core
// first makes its engine the shared global one, as in the CLI (bin/growlab.mjs).
import '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { registerFusedKernels } from './core/kernels/register.ts';

registerFusedKernels();
