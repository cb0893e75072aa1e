import { FormatError } from '../errors.ts';
import { parseFormat } from '../schema/parse.ts';
import { show } from '../schema/show.ts';
import { RUN_FORMAT, RUN_VERSION, runRecordSchema, type RunRecord } from './record.ts';

const HINT = 'A run file is what `growlab train --out run.json` writes.';

/**
 * Parsed JSON as a run record, checked against runRecordSchema. Throws FormatError('run', …)
 * naming `file` when given; a file of another format or version is told so before any field.
 */
export function readRunRecord(x: unknown, file?: string): RunRecord {
  const head = (typeof x === 'object' && x !== null ? x : {}) as { format?: unknown; version?: unknown };
  if (head.format !== RUN_FORMAT || head.version !== RUN_VERSION) {
    const got = head.format === undefined ? 'no format field' : `format ${show(head.format)} version ${show(head.version)}`;
    throw new FormatError('run', { file }, `it has ${got}; expected format "${RUN_FORMAT}" version ${RUN_VERSION} (re-run \`growlab train --out run.json\` with this GrowLab)`);
  }
  return parseFormat(runRecordSchema, x, { format: 'run', file, hint: HINT });
}
