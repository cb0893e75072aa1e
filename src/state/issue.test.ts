import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.ts';
import { describeIssue, issueFor, issueOf, issuesFor } from './issue.ts';

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

describe('issueFor / issuesFor / describeIssue', () => {
  const issues = [
    { field: 'train.lr', message: 'must be a positive number, got -1' },
    { field: 'stages[1].model.heads', message: 'heads must divide hidden' },
    { field: 'stages[1].shape', message: 'must be an object' },
    { field: 'train.lr', message: 'a later, derived complaint' },
  ];
  it('gives an input the first message about its field, matched by path or pattern', () => {
    expect(issueFor(issues, 'train.lr')).toBe('must be a positive number, got -1');
    expect(issueFor(issues, 'train.steps')).toBeNull();
    expect(issueFor(issues, /^train\./)).toBe('must be a positive number, got -1');
    expect(issueFor([], 'train.lr')).toBeNull();
  });
  it('gives a block every distinct message about the fields it speaks for', () => {
    expect(issuesFor(issues, /^stages\[1\]/)).toEqual(['heads must divide hidden', 'must be an object']);
    expect(issuesFor(issues, /^seed$/)).toEqual([]);
  });
  it('names the field in a one-line summary', () => {
    expect(describeIssue(issues[0])).toBe('train.lr: must be a positive number, got -1');
    expect(describeIssue({ field: '', message: 'something broke' })).toBe('something broke');
  });
});
