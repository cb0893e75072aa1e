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

/** Runs a validator and reports its first complaint, or null when the config is valid. */
export function firstIssue(validate: () => void): FieldIssue | null {
  try {
    validate();
    return null;
  } catch (e) {
    return issueOf(e);
  }
}

/** Whether an issue belongs to an input that shows fields matching `pattern` (exact path or RegExp). */
export function issueFor(issue: FieldIssue | null, pattern: string | RegExp): string | null {
  if (!issue) return null;
  const hit = typeof pattern === 'string' ? issue.field === pattern : pattern.test(issue.field);
  return hit ? issue.message : null;
}
