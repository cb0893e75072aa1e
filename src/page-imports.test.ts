import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/*
 * The page's main thread must not load tfjs: tensors live in the workers (docs/architecture.md).
 * Walks the static value imports reachable from the page's entry (type-only imports are erased by
 * the compiler; workers are started by URL, not imported) and lists every path to @tensorflow.
 */
const ROOT = new URL('..', import.meta.url).pathname;
const IMPORT = /^\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm;

function valueImports(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(IMPORT)].map((m) => m[1]);
}

/** Each chain from `entry` that reaches a @tensorflow package, as "a.ts -> b.ts -> @tensorflow/...". */
function tfjsChains(entry: string): string[] {
  const seen = new Set<string>();
  const chains: string[] = [];
  const visit = (file: string, path: string[]) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of valueImports(file)) {
      const here = [...path, relative(ROOT, file)];
      if (spec.startsWith('@tensorflow/')) chains.push([...here, spec].join(' -> '));
      else if (spec.startsWith('.') && /\.tsx?$/.test(spec)) visit(join(dirname(file), spec), here);
    }
  };
  visit(join(ROOT, entry), []);
  return chains;
}

describe('the page main thread', () => {
  it('reaches no tfjs module through its static imports', () => {
    expect(tfjsChains('src/main.tsx')).toEqual([]);
  });

  it('is checked by a walker that does find tfjs where it is imported', () => {
    expect(tfjsChains('src/core/run/experiment.ts').length).toBeGreaterThan(0);
  });
});
