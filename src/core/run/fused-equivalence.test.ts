import { beforeAll, expect, it } from 'vitest';
import { useNodeBackend } from '../../node/backends.ts';
import { loadCorpus } from '../../node/corpus.ts';
import type { Corpus } from '../data/corpus.ts';
import { fusedVsReference } from './fused-equivalence.ts';

let corpus: Corpus;
beforeAll(async () => {
  await useNodeBackend('cpu');
  corpus = await loadCorpus();
});

// The full 200-step run is fused-equivalence.slow.test.ts (npm run test:slow).
it('tiny on cpu: the fused path matches the unfused reference within 1e-4 relative at every step (25 steps, compound)', async () => {
  const r = await fusedVsReference(corpus, 25, 'compound');
  expect(r.steps).toBe(25);
  expect(r.worst).toBeLessThan(1e-4);
});

it('tiny on cpu: MSG ramps (masks outside the fused kernels) match the reference within 1e-4 relative (40 steps, msg)', async () => {
  const r = await fusedVsReference(corpus, 40, 'msg');
  expect(r.steps).toBe(40);
  expect(r.worst).toBeLessThan(1e-4);
});
