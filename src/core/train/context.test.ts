import { beforeAll, describe, it } from 'vitest';
import { useNodeBackend } from '../../node/backends.ts';
import { expectCopyTaskLearned } from './copy-task.test-helper.ts';

// wasm runs the copy task about 6× faster than cpu here; the same claim on cpu is context.slow.test.ts.
beforeAll(async () => {
  await useNodeBackend('wasm');
});

describe('the encoder learns from context (wasm)', () => {
  it.each(['post', 'pre'] as const)('%s-LN: a copy task falls far below the loss of token frequencies alone', (norm) => expectCopyTaskLearned(norm), 240_000);
});
