import { beforeAll, expect, it } from 'vitest';
import { useNodeBackend } from '../node/backends.ts';
import { loadCorpus } from '../node/corpus.ts';
import type { Corpus } from '../core/data/corpus.ts';
import { DEFAULT_WIDTH_NOISE } from '../core/schedule/spec.ts';
import { widthShareRun } from './width-share.test-helper.ts';

let corpus: Corpus;
beforeAll(async () => {
  await useNodeBackend('cpu');
  corpus = await loadCorpus();
});

it('growlab train --preset width-share --size tiny --steps 200: W1 copies differ by > 1e-4 in every layer; with ε = 0 they are identical', async () => {
  for (const [widthNoise, separates] of [[DEFAULT_WIDTH_NOISE, true], [0, false]] as const) {
    const r = await widthShareRun(corpus, { steps: 200, widthNoise });
    const [g] = r.growthEvents;
    expect(g.step).toBe(140);
    const c = g.copySeparation!;
    expect(c.step).toBe(200);
    expect(c.perLayer).toHaveLength(2);
    if (separates) expect(c.minRelDiff).toBeGreaterThan(1e-4);
    else expect(c.perLayer).toEqual([0, 0]);
  }
}, 1_200_000);
