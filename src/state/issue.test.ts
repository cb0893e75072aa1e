import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.ts';
import { firstIssue, issueFor, issueOf } from './issue.ts';

describe('issueOf', () => {
  it('takes the field from a ConfigError and strips it from the message', () => {
    expect(issueOf(new ConfigError('stages[1].shape.ffnDiv', 'must divide ffn 128, got 3'))).toEqual({
      field: 'stages[1].shape.ffnDiv',
      message: 'must divide ffn 128, got 3',
    });
  });
  it('keeps any other error whole, under no field (no field is guessed from the text)', () => {
    expect(issueOf(new Error('seed: looks like a field'))).toEqual({ field: '', message: 'seed: looks like a field' });
    expect(issueOf(new Error('something broke'))).toEqual({ field: '', message: 'something broke' });
  });
});

describe('firstIssue / issueFor', () => {
  it('reports null for a valid config and matches fields by path or pattern', () => {
    expect(firstIssue(() => undefined)).toBeNull();
    const issue = firstIssue(() => {
      throw new ConfigError('train.lr', 'must be a positive number, got -1');
    });
    expect(issueFor(issue, 'train.lr')).toBe('must be a positive number, got -1');
    expect(issueFor(issue, 'train.steps')).toBeNull();
    expect(issueFor(issue, /^train\./)).toBe('must be a positive number, got -1');
    expect(issueFor(null, 'train.lr')).toBeNull();
  });
});
