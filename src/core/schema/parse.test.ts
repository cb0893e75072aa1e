import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, FormatError } from '../errors.ts';
import { count, measured } from './numbers.ts';
import { parseFormat } from './parse.ts';
import { MAX_SHOWN, formatPath, parsePath, show } from './show.ts';

const schema = z.object({ stage: z.object({ steps: count, label: z.string() }), losses: z.array(measured), mode: z.enum(['a', 'b']).optional() });
const source = { format: 'thing', file: 'dir/x.json', hint: 'Write it with the tool.' };

function message(value: unknown): string {
  try {
    parseFormat(schema, value, source);
  } catch (e) {
    expect(e).toBeInstanceOf(FormatError);
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).field).toBe('thing');
    return (e as Error).message;
  }
  throw new Error('expected a FormatError');
}

describe('parseFormat', () => {
  it('names the file, the field path, what was expected and what was found', () => {
    expect(message({ stage: { steps: -1, label: 'x' }, losses: [] })).toBe('thing: dir/x.json: stage.steps: expected a whole number ≥ 0, got -1. Write it with the tool.');
    expect(message({ stage: { label: 'x' }, losses: [] })).toBe('thing: dir/x.json: stage.steps: expected a whole number ≥ 0, but it is missing. Write it with the tool.');
    expect(message({ stage: { steps: 1, label: 'x' }, losses: [1, 'x'] })).toMatch(/^thing: dir\/x\.json: losses\[1\]: expected a finite number or null, got "x"/);
    expect(message({ stage: { steps: 1, label: 'x' }, losses: [], mode: 'c' })).toMatch(/mode: expected one of "a", "b", got "c"/);
    expect(message({ stage: { steps: 1.5, label: 'x' }, losses: [] })).toMatch(/stage\.steps: expected a whole number ≥ 0, got 1\.5/);
  });

  it('shortens long values and escapes newlines, so the message stays one line', () => {
    const long = `${'line\n'.repeat(100)}`;
    const m = message({ stage: { steps: long, label: 'x' }, losses: [] });
    expect(m).not.toMatch(/\n/);
    const got = m.slice(m.indexOf('got ') + 4, m.indexOf('. Write'));
    expect(got.length).toBeLessThanOrEqual(MAX_SHOWN);
    expect(got).toMatch(/^"line\\nline\\n.*…$/);
    const file = parseFormatMessage({ stage: { steps: -1, label: 'x' }, losses: [] }, 'evil\nname.json');
    expect(file).toBe('thing: evil\\nname.json: stage.steps: expected a whole number ≥ 0, got -1');
  });

  it('reads null as NaN where a measurement may be non-finite', () => {
    expect(parseFormat(schema, { stage: { steps: 1, label: '' }, losses: [1, null] }, source).losses).toEqual([1, Number.NaN]);
  });
});

function parseFormatMessage(value: unknown, file: string): string {
  try {
    parseFormat(schema, value, { format: 'thing', file });
  } catch (e) {
    return (e as Error).message;
  }
  return '';
}

describe('show and paths', () => {
  it('quotes any value in at most MAX_SHOWN characters without serializing all of it', () => {
    const huge = Array.from({ length: 1e6 }, (_, i) => i);
    expect(show(huge).length).toBeLessThanOrEqual(MAX_SHOWN);
    expect(show({ a: [1, 2], b: 'x' })).toBe('{"a":[1,2],"b":"x"}');
    expect(show(undefined)).toBe('undefined');
  });

  it('writes paths as code would and reads the validators\' field names back', () => {
    expect(formatPath(['stages', 1, 'shape', 'ffnDiv'])).toBe('stages[1].shape.ffnDiv');
    expect(formatPath(['header', 'param/emb.tok', 'shape'])).toBe('header["param/emb.tok"].shape');
    expect(parsePath('stages[12].shape.ffnDiv')).toEqual(['stages', 12, 'shape', 'ffnDiv']);
  });
});
