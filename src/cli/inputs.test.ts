import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_PATH_SHOWN } from '../core/errors.ts';
import { UsageError } from './args.ts';
import { readInput } from './inputs.ts';

const dir = mkdtempSync(join(tmpdir(), 'growlab-inputs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readInput', () => {
  it('reads a regular file within the limit', async () => {
    const f = join(dir, 'ok.json');
    writeFileSync(f, '{"a":1}');
    expect(new TextDecoder().decode(await readInput('run', f, 100))).toBe('{"a":1}');
  });

  it.each([
    ['a device, which would never end', '/dev/zero', /--resume: cannot read "\/dev\/zero" \(it is not a regular file\)/],
    ['a directory', tmpdir(), /\(it is a directory\)/],
    ['a missing file', join(tmpdir(), 'growlab-no-such-file'), /\(ENOENT\)/],
  ])('refuses %s at once, in one line', async (_, path, message) => {
    const p = readInput('resume', path, 1024);
    await expect(p).rejects.toThrow(UsageError);
    await expect(p).rejects.toThrow(message);
  });

  it('refuses a file over the limit, stating both sizes', async () => {
    const f = join(dir, 'big.bin');
    writeFileSync(f, new Uint8Array(3 * 1024 ** 2));
    await expect(readInput('checkpoint', f, 2 * 1024 ** 2)).rejects.toThrow(/--checkpoint: cannot read ".*big\.bin" \(it is 3 MiB; the limit is 2 MiB\)/);
  });

  it('quotes a long or multi-line path by its end, on one line', async () => {
    const long = join(dir, `${'deep/'.repeat(60)}line\nbreak.json`);
    const e = await readInput('run', long, 1024).then(() => null, (x: Error) => x);
    expect(e).toBeInstanceOf(UsageError);
    const quoted = /cannot read "(.*)" \(ENOENT\)$/.exec(e!.message)![1];
    expect(quoted).toHaveLength(MAX_PATH_SHOWN);
    expect(quoted).toMatch(/^….*deep\/line\\nbreak\.json$/);
    expect(e!.message).not.toContain('\n');
  });
});
