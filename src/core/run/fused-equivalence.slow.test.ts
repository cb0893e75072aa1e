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

it('growlab train --size tiny --steps 200 --backend cpu --seed 1: fused matches the reference within 1e-4 relative at every step', async () => {
  const r = await fusedVsReference(corpus, 200);
  expect(r.steps).toBe(200);
  expect(r.worst).toBeLessThan(1e-4);
}, 1_200_000);
