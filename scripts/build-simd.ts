/*
 * Compiles src/core/kernels/simd/*.wat (one module) into simd-binary.ts (base64, committed), twice: for a
 * plain memory (tfjs-backend-wasm's SIMD build) and for a shared one (its threaded build, in the
 * browser). simd-binary.test.ts fails when the committed binary is not this script's output.
 * Run: npm run build:simd
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileSimd } from '../src/core/kernels/simd/compile.ts';

const out = fileURLToPath(new URL('../src/core/kernels/simd/simd-binary.ts', import.meta.url));
writeFileSync(out, compileSimd());
console.log(`wrote ${out}`);
