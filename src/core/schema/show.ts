import { oneLine } from '../errors.ts';

/** Longest value a message quotes: a message stays one readable line whatever the file holds. */
export const MAX_SHOWN = 60;

/** A value as a message quotes it: JSON-like, one line, at most MAX_SHOWN characters. */
export function show(value: unknown): string {
  const text = oneLine(preview(value, MAX_SHOWN + 1));
  return text.length <= MAX_SHOWN ? text : `${text.slice(0, MAX_SHOWN - 1)}…`;
}

/**
 * Serializes until `budget` characters are out, so quoting a field that holds a whole
 * checkpoint's worth of JSON costs no more than quoting a number.
 */
function preview(value: unknown, budget: number): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > budget ? value.slice(0, budget) : value);
  if (value === null || typeof value !== 'object') return String(value);
  const array = Array.isArray(value);
  let out = array ? '[' : '{';
  for (const [k, v] of array ? value.entries() : Object.entries(value)) {
    if (out.length > budget) break;
    out += `${out.length > 1 ? ',' : ''}${array ? '' : `${JSON.stringify(k)}:`}${preview(v, budget - out.length)}`;
  }
  return out.length > budget ? out : `${out}${array ? ']' : '}'}`;
}

/** A field's place in a file, as code would name it: stages[1].shape.ffnDiv, tensors["param/emb.tok"]. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const k of path) {
    if (typeof k === 'number') out += `[${k}]`;
    else if (typeof k === 'string' && /^[A-Za-z_$][\w$]*$/.test(k)) out += out ? `.${k}` : k;
    else out += `[${show(String(k))}]`;
  }
  return out;
}

/** The path segments of a field name such as "stages[1].shape.ffnDiv" (the config validators' names). */
export function parsePath(field: string): (string | number)[] {
  return [...field.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] === undefined ? m[1] : Number(m[2])));
}
