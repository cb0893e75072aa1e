import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.ts';
import { confusionMatrix, scoreConfusion } from './classification.ts';

describe('confusionMatrix', () => {
  it('counts [true][predicted] pairs', () => {
    expect(confusionMatrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2], 3)).toEqual([
      [1, 1, 0],
      [0, 1, 0],
      [1, 0, 2],
    ]);
  });

  it('rejects labels outside the classes and mismatched lengths', () => {
    expect(() => confusionMatrix([0, 3], [0, 0], 3)).toThrow(ConfigError);
    expect(() => confusionMatrix([0, 1], [0], 3)).toThrow(/one prediction per label/);
  });
});

describe('scoreConfusion', () => {
  it('matches accuracy and macro-F1 worked out by hand', () => {
    // class 0: TP 5, FN 2+1, FP 1+0  -> P 5/6, R 5/8, F1 = 10/(10+1+3) = 10/14
    // class 1: TP 3, FN 1,   FP 2+2  -> P 3/7, R 3/4, F1 = 6/(6+4+1) = 6/11
    // class 2: TP 4, FN 0+2, FP 1    -> P 4/5, R 4/6, F1 = 8/(8+1+2) = 8/11
    const m = [
      [5, 2, 1],
      [1, 3, 0],
      [0, 2, 4],
    ];
    const s = scoreConfusion(m);
    expect(s.accuracy).toBeCloseTo(12 / 18, 12);
    expect(s.perClass[0].precision).toBeCloseTo(5 / 6, 12);
    expect(s.perClass[0].recall).toBeCloseTo(5 / 8, 12);
    expect(s.perClass.map((c) => c.f1)).toEqual([10 / 14, 6 / 11, 8 / 11].map((x) => expect.closeTo(x, 12)));
    expect(s.perClass.map((c) => c.support)).toEqual([8, 4, 6]);
    expect(s.macroF1).toBeCloseTo((10 / 14 + 6 / 11 + 8 / 11) / 3, 12);
  });

  it('averages macro-F1 only over classes present in the test set, and scores a never-hit class 0', () => {
    // Class 2 has no true instance (left out of the mean) but is predicted once: that costs class 0 recall.
    // Class 1 is never predicted correctly: F1 0.
    const m = [
      [3, 0, 1],
      [2, 0, 0],
      [0, 0, 0],
    ];
    const s = scoreConfusion(m);
    expect(s.accuracy).toBeCloseTo(3 / 6, 12);
    // class 0: TP 3, FP 2, FN 1 -> 6/9
    expect(s.macroF1).toBeCloseTo((6 / 9 + 0) / 2, 12);
    expect(s.perClass[2]).toEqual({ precision: 0, recall: 0, f1: 0, support: 0 });
  });

  it('refuses an empty matrix rather than dividing by zero', () => {
    expect(() => scoreConfusion([[0, 0], [0, 0]])).toThrow(/empty/);
  });
});
