import { beforeAll, describe, it } from 'vitest';
import { useNodeBackend } from '../../node/backends.ts';
import { expectCopyTaskLearned } from './copy-task.test-helper.ts';

beforeAll(async () => {
  await useNodeBackend('cpu');
});

describe('the encoder learns from context (cpu)', () => {
  it.each(['post', 'pre'] as const)('%s-LN: a copy task falls far below the loss of token frequencies alone', (norm) => expectCopyTaskLearned(norm), 240_000);
});
