import fc from 'fast-check';

/* Damage to JSON trees, for the property tests of every file format. */

export type Path = (string | number)[];

/** Values no field should hold, and a few any field might (undefined: the field is removed). */
export const weird = fc.oneof(
  fc.constant(null), fc.constant(undefined), fc.constant(-1), fc.constant(0), fc.constant(0.5), fc.constant(1e308),
  fc.constant(2 ** 53), fc.constant(''), fc.constant('x'), fc.constant(`${'long '.repeat(40)}\nline`), fc.constant([]),
  fc.constant({}), fc.constant(true), fc.integer(), fc.double(), fc.string({ maxLength: 8 }),
);

/** Every path to a value in a JSON tree, the root's children first. */
export function paths(x: unknown, prefix: Path = []): Path[] {
  if (x === null || typeof x !== 'object') return [prefix];
  const keys = Array.isArray(x) ? x.map((_, i) => i) : Object.keys(x);
  return [prefix, ...keys.flatMap((k) => paths((x as Record<string | number, unknown>)[k], [...prefix, k]))];
}

export function getAt(root: unknown, path: Path): unknown {
  let at = root;
  for (const k of path) at = at !== null && typeof at === 'object' ? (at as Record<string | number, unknown>)[k] : undefined;
  return at;
}

/** Sets (undefined: deletes) the value at `path`; false when an earlier edit took the path away. */
export function setAt(root: unknown, path: Path, value: unknown): boolean {
  const parent = getAt(root, path.slice(0, -1));
  if (parent === null || typeof parent !== 'object') return false;
  const last = path[path.length - 1];
  if (value === undefined) delete (parent as Record<string | number, unknown>)[last];
  else (parent as Record<string | number, unknown>)[last] = value;
  return true;
}

/**
 * A value near `v`: off by one, doubled, negated, stringified; the edits that slip past a check of
 * type alone and must be caught by range or consistency.
 */
export function nearby(v: unknown, pick: number): unknown {
  if (typeof v === 'number') return [v + 1, v - 1, v * 2, -v, v + 0.5, 0, 2 ** 53, String(v)][pick % 8];
  if (typeof v === 'string') return [`${v}x`, '', String(Number(v) + 1), String(Number(v) - 1), `-${v}`, `${v}.5`, ` ${v}`, Number(v)][pick % 8];
  if (Array.isArray(v)) return [v.slice(1), [...v, v[0]], [], [...v].reverse(), v.slice(0, -1)][pick % 5];
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v);
    const drop = keys[pick % Math.max(1, keys.length)];
    return [{}, Object.fromEntries(Object.entries(v).filter(([k]) => k !== drop)), { ...v, extra: 1 }][pick % 3];
  }
  return [0, '', false, {}][pick % 4];
}

/** One edit: which path (an index into a path list), and either a weird value or one near the current one. */
export const edit = fc.record({ path: fc.nat(), near: fc.boolean(), pick: fc.nat(), value: weird });
export type Edit = { path: number; near: boolean; pick: number; value: unknown };

/** Applies edits to `root` in place; paths index `all` (taken from the unedited tree). */
export function applyEdits(root: unknown, all: Path[], edits: readonly Edit[]): void {
  for (const e of edits) {
    const path = all[e.path % all.length];
    if (path.length === 0) continue;
    setAt(root, path, e.near ? nearby(getAt(root, path), e.pick) : e.value);
  }
}
