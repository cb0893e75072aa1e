import { ConfigError } from '../errors.ts';

/** Scores of one class in a confusion matrix. */
export interface ClassScore {
  precision: number;
  recall: number;
  f1: number;
  /** True instances of the class in the scored set. */
  support: number;
}

export interface ClassificationScores {
  accuracy: number;
  /**
   * Mean F1 over the classes that occur in the scored set (support > 0). Classes with no test
   * instance are left out, since their F1 is undefined; predictions of them still count as errors
   * against the true class's recall.
   */
  macroF1: number;
  perClass: ClassScore[];
}

/** confusion[true][predicted] counts for `classes` labels. */
export function confusionMatrix(truth: ArrayLike<number>, predicted: ArrayLike<number>, classes: number): number[][] {
  if (truth.length !== predicted.length) {
    throw new ConfigError('predictions', `expected one prediction per label (${truth.length}), got ${predicted.length}`);
  }
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i];
    const p = predicted[i];
    if (!(t >= 0 && t < classes && p >= 0 && p < classes)) {
      throw new ConfigError('labels', `entry ${i} (true ${t}, predicted ${p}) is outside the ${classes} classes`);
    }
    m[t][p] += 1;
  }
  return m;
}

/** Accuracy, per-class precision/recall/F1 and macro-F1 of a confusion matrix. */
export function scoreConfusion(confusion: number[][]): ClassificationScores {
  const C = confusion.length;
  let total = 0;
  let correct = 0;
  const perClass: ClassScore[] = [];
  for (let c = 0; c < C; c++) {
    let support = 0;
    let predictedAs = 0;
    for (let k = 0; k < C; k++) {
      support += confusion[c][k];
      predictedAs += confusion[k][c];
    }
    const tp = confusion[c][c];
    total += support;
    correct += tp;
    const precision = predictedAs > 0 ? tp / predictedAs : 0;
    const recall = support > 0 ? tp / support : 0;
    // 2TP/(2TP+FP+FN): equal to the harmonic mean, and 0 rather than 0/0 when the class is never hit.
    const denom = support + predictedAs;
    perClass.push({ precision, recall, f1: denom > 0 ? (2 * tp) / denom : 0, support });
  }
  if (total === 0) throw new ConfigError('labels', 'nothing to score: the confusion matrix is empty');
  const present = perClass.filter((s) => s.support > 0);
  return { accuracy: correct / total, macroF1: present.reduce((s, x) => s + x.f1, 0) / present.length, perClass };
}
