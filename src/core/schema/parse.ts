import type { core, z } from 'zod';
import { FormatError } from '../errors.ts';
import { formatPath, show } from './show.ts';

/** Where a value came from, for the message. */
export interface Source {
  /** The kind of file: "checkpoint", "run", "results" (the error's field). */
  format: string;
  /** The file's name or path, when the reader knows it. */
  file?: string | null;
  /** Where the value sits inside the file, when it is not the whole file. */
  at?: readonly PropertyKey[];
  /** Appended to every message: what a good file is and where to get one. */
  hint?: string;
}

/**
 * The value as `schema` reads it, or a FormatError naming the file, the first bad field's path,
 * what was expected there and (shortened) what was found.
 */
export function parseFormat<S extends z.ZodType>(schema: S, value: unknown, source: Source): z.output<S> {
  const r = schema.safeParse(value, { reportInput: true, error: () => DERIVED });
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = formatPath([...(source.at ?? []), ...issue.path]);
  throw new FormatError(source.format, { file: source.file, path }, `${describe(issue)}${source.hint ? `. ${source.hint}` : ''}`);
}

/**
 * What `schema` expects of a value that fails it ("a whole number ≥ 1"), or null when it passes:
 * a config's fields are checked by their schema, so the rule and its wording live in one place.
 */
export function expected(schema: z.ZodType, value: unknown): string | null {
  const r = schema.safeParse(value, { error: () => DERIVED });
  return r.success ? null : expectation(r.error.issues[0]);
}

/**
 * zod's own wording stands in for messages no schema gave: those are derived from the issue's
 * code instead. A schema's `{ error }` text says what it expects ("a whole number ≥ 0").
 */
const DERIVED = '\u0000derived';

/** What an issue says: custom checks carry their own sentence; the rest say what was expected and found. */
function describe(issue: core.$ZodIssue): string {
  if (issue.code === 'custom') return issue.message;
  const found = 'input' in issue && issue.input !== undefined ? `got ${show(issue.input)}` : issue.code === 'invalid_type' ? 'but it is missing' : null;
  return `expected ${expectation(issue)}${found ? `, ${found}` : ''}`;
}

const TYPES: Record<string, string> = {
  number: 'a finite number',
  int: 'a whole number',
  string: 'text',
  boolean: 'true or false',
  array: 'a list',
  tuple: 'a list',
  object: 'an object',
  record: 'an object',
  null: 'null',
};

function bound(issue: core.$ZodIssueTooSmall | core.$ZodIssueTooBig, limit: number | bigint, dir: 'least' | 'most'): string {
  const op = dir === 'least' ? (issue.inclusive ? '≥' : '>') : issue.inclusive ? '≤' : '<';
  if (issue.origin === 'array' || issue.origin === 'set') return `${issue.exact ? 'exactly' : `at ${dir}`} ${limit} entr${limit === 1 ? 'y' : 'ies'}`;
  if (issue.origin === 'string') return `${issue.exact ? 'exactly' : `at ${dir}`} ${limit} character${limit === 1 ? '' : 's'}`;
  return `${issue.origin === 'int' ? 'a whole number' : 'a number'} ${op} ${limit}`;
}

function expectation(issue: core.$ZodIssue): string {
  if (issue.message !== DERIVED) return issue.message;
  switch (issue.code) {
    case 'invalid_type':
      return TYPES[issue.expected] ?? `a ${issue.expected}`;
    case 'too_small':
      return bound(issue, issue.minimum, 'least');
    case 'too_big':
      return bound(issue, issue.maximum, 'most');
    case 'invalid_value':
      return issue.values.length === 1 ? show(issue.values[0]) : `one of ${issue.values.map((v) => show(v)).join(', ')}`;
    case 'not_multiple_of':
      return `a multiple of ${issue.divisor}`;
    case 'unrecognized_keys':
      return `no fields but the known ones (found ${issue.keys.map((k) => show(k)).join(', ')})`;
    case 'invalid_union': {
      // Each alternative's complaint about the value itself: "a finite number or null".
      const own = issue.errors.map((branch) => branch.find((i) => i.path.length === 0)).filter((i) => i !== undefined);
      return own.length ? [...new Set(own.map(expectation))].join(' or ') : 'one of the allowed forms';
    }
    default:
      return 'a valid value';
  }
}

/**
 * For superRefine: run the cross-field check only on a value whose fields all passed. zod would
 * otherwise run it after a failed range check too, on fields of any type.
 */
export const onceValid = { when: (payload: core.ParsePayload) => payload.issues.length === 0 };
