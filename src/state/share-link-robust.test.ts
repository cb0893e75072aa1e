import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.ts';
import { PRESET_NAMES } from '../core/schedule/spec.ts';
import { initialBuilder, type BuilderState } from './builder.ts';
import { buildExperiment } from './experiment.ts';
import { decodeShareLink, encodeShareLink } from './share-link.ts';

/*
 * Generated share links: real links (every preset, hand-edited stages) with keys replaced, removed,
 * repeated or added, values swapped for odd ones, cut anywhere, or strings from nowhere. Each must
 * load a builder the lab can show and write back (the same state on a second reading), or be
 * refused with ConfigError; nothing else may be thrown and nothing may reach Object.prototype.
 */

function linksToDamage(): string[] {
  const base = initialBuilder();
  const links = PRESET_NAMES.map((preset) => encodeShareLink({ ...base, source: 'preset', preset, seed: 7, totalSteps: 300, size: 'small' }));
  const shown = buildExperiment({ ...base, preset: 'compound' }).schedule!;
  links.push(encodeShareLink({ ...base, source: 'hand', handStages: shown.stages, handOps: { ...shown.ops, msgRamp: 3 } }));
  links.push(encodeShareLink({ ...base, source: 'hand', handStages: shown.stages, handOps: { ...shown.ops, hidden: 'fpi', ligoSteps: 4 } }));
  return links;
}

const ODD = ['', 'x', '0', '-1', '1e309', 'NaN', 'Infinity', '__proto__', 'constructor', 'prototype', '%', '%zz', '%E0%A4%A',
  'a%0Ab', '1_2_3', 'on_x_y_z', 'off', 'custom', 'tiny', '99999999999999999999', '0.5', `${'9'.repeat(400)}`, '[]', '{}', 'null'];
const KEYS = ['v', 'size', 'norm', 'seed', 'backend', 'steps', 'lr', 'evalEvery', 'evalBatches', 'lrPolicy', 'optPolicy', 'source',
  'preset', 'depth', 'width', 'length', 'hidden', 'msg', 'ligo', 'stages', 'ops', '__proto__', 'constructor', 'toString', 'x'];

type Damage = { kind: 'set' | 'drop' | 'repeat' | 'add' | 'cut'; at: number; key: string; value: string };
const damage = fc.record({
  kind: fc.constantFrom('set', 'drop', 'repeat', 'add', 'cut'),
  at: fc.nat(),
  key: fc.constantFrom(...KEYS),
  value: fc.oneof(fc.constantFrom(...ODD), fc.string({ maxLength: 12 })),
}) as fc.Arbitrary<Damage>;

function damaged(link: string, edits: Damage[]): string {
  let parts = link.slice(1).split('&');
  for (const e of edits) {
    const i = e.at % parts.length;
    if (e.kind === 'set') parts[i] = `${parts[i].split('=')[0]}=${encodeURIComponent(e.value)}`;
    else if (e.kind === 'drop') parts.splice(i, 1);
    else if (e.kind === 'repeat') parts.push(parts[i]);
    else if (e.kind === 'add') parts.push(`${e.key}=${e.value}`);
    else parts = parts.join('&').slice(0, e.at % (parts.join('&').length + 1)).split('&');
    if (parts.length === 0) parts = [''];
  }
  return `#${parts.join('&')}`;
}

/** Loads a link; null when refused with the project's error (any other exception fails the test). */
function load(link: string): BuilderState | null {
  try {
    return decodeShareLink(link).state;
  } catch (e) {
    if (e instanceof ConfigError) return null;
    throw e;
  }
}

describe('share links, damaged', () => {
  it('load a builder that writes back to itself, or are refused with ConfigError; nothing else', () => {
    const links = linksToDamage();
    const protoKeys = Object.getOwnPropertyNames(Object.prototype).length;
    let loaded = 0;
    let refused = 0;
    fc.assert(
      fc.property(
        fc.oneof(
          { weight: 9, arbitrary: fc.tuple(fc.nat(), fc.array(damage, { minLength: 1, maxLength: 3 })).map(([i, edits]) => damaged(links[i % links.length], edits)) },
          { weight: 1, arbitrary: fc.string({ maxLength: 80 }).map((s) => `#${s}`) },
        ),
        (link) => {
          const state = load(link);
          if (state === null) {
            refused++;
            return;
          }
          loaded++;
          // What the lab then does with it: cost and validate it, and share it again.
          buildExperiment(state);
          expect(load(encodeShareLink(state)), link).toEqual(state);
        },
      ),
      { numRuns: 2000, seed: 61 },
    );
    expect(loaded + refused).toBe(2000);
    // Both outcomes occur, so the generator reaches past the syntax.
    expect(loaded).toBeGreaterThan(100);
    expect(refused).toBeGreaterThan(100);
    expect(Object.getOwnPropertyNames(Object.prototype)).toHaveLength(protoKeys);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
