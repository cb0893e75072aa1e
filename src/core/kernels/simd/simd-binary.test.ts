import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { compileSimd } from './compile.ts';

it('the committed SIMD binary is the .wat files compiled (run npm run build:simd after editing it)', () => {
  expect(readFileSync(new URL('./simd-binary.ts', import.meta.url), 'utf8')).toBe(compileSimd());
});

it('both binaries load: over a plain memory and over a shared one (the threaded wasm build)', async () => {
  const { simdKernelsOver } = await import('./simd.ts');
  expect(simdKernelsOver(new WebAssembly.Memory({ initial: 1 }))).not.toBeNull();
  expect(simdKernelsOver(new WebAssembly.Memory({ initial: 1, maximum: 16384, shared: true }))).not.toBeNull();
});
