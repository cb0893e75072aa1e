import { describe, expect, it } from 'vitest';
import { formatDuration, formatFlops, formatLoss, formatSpeedup, shortNumber } from './format.ts';

describe('format', () => {
  it('shortens numbers with SI suffixes', () => {
    expect(shortNumber(0)).toBe('0');
    expect(shortNumber(950)).toBe('950');
    expect(shortNumber(1234)).toBe('1.23k');
    expect(shortNumber(2.5e9)).toBe('2.5G');
    expect(shortNumber(0.002)).toBe('2.0e-3');
    expect(formatFlops(3.14159e12)).toBe('3.14 TFLOP');
    expect(formatFlops(512)).toBe('512 FLOP');
  });
  it('writes durations, losses and speed-ups', () => {
    expect(formatDuration(450)).toBe('450 ms');
    expect(formatDuration(12_340)).toBe('12.3 s');
    expect(formatDuration(125_000)).toBe('2 min 05 s');
    expect(formatDuration(3_780_000)).toBe('1 h 03 min');
    expect(formatDuration(null)).toBe('—');
    expect(formatLoss(2.34567)).toBe('2.346');
    expect(formatLoss(NaN)).toBe('NaN');
    expect(formatSpeedup(1.736)).toBe('1.74×');
    expect(formatSpeedup(null)).toBe('not reached');
  });
});
