import { ConfigError } from '../core/errors.ts';

/** What is wrong with a config and which field it is about, for an inline message. */
export interface FieldIssue {
  /** Field path as the validators name it: "train.lr", "stages[1].shape.ffnDiv", "seed"... */
  field: string;
  message: string;
}

/**
 * Turns whatever a validator threw into a field and a message. Every user-value check throws a
 * ConfigError naming its field; anything else is a bug and is shown whole, under no field.
 */
export function issueOf(e: unknown): FieldIssue {
  if (e instanceof ConfigError) {
    const prefix = `${e.field}: `;
    return { field: e.field, message: e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message };
  }
  return { field: '', message: e instanceof Error ? e.message : String(e) };
}

function matches(issue: FieldIssue, pattern: string | RegExp): boolean {
  return typeof pattern === 'string' ? issue.field === pattern : pattern.test(issue.field);
}

/**
 * The message beside an input showing fields matching `pattern` (exact path or RegExp): the first
 * one found, which is the most basic (a later check on the same field often follows from it).
 */
export function issueFor(issues: readonly FieldIssue[], pattern: string | RegExp): string | null {
  return issues.find((i) => matches(i, pattern))?.message ?? null;
}

/** Every distinct message about fields matching `pattern`, for a block that speaks for several fields. */
export function issuesFor(issues: readonly FieldIssue[], pattern: string | RegExp): string[] {
  return [...new Set(issues.filter((i) => matches(i, pattern)).map((i) => i.message))];
}

/** One line naming a problem and its field, for places that show a summary rather than the field. */
export function describeIssue(issue: FieldIssue): string {
  return issue.field ? `${issue.field}: ${issue.message}` : issue.message;
}
