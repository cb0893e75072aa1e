import { applyEdits, paths, type Edit } from '../schema/mutate.test-helper.ts';

/* Checkpoint files taken apart and put back together with damage, for the property tests. */

const JSON_KEYS = ['config', 'model', 'record', 'state'] as const;

/** The file split into what can be damaged: the header's tensor entries, the metadata (JSON strings parsed) and the data. */
export function parts(bytes: Uint8Array) {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, unknown> & { __metadata__: Record<string, string> };
  const { __metadata__: metadata, ...tensors } = header;
  const meta: Record<string, unknown> = { ...metadata };
  for (const k of JSON_KEYS) meta[k] = JSON.parse(metadata[k]);
  return { tensors, meta, data: bytes.subarray(8 + n) };
}

/** A safetensors file of this header and data, written as any writer would. */
export function file(tensors: Record<string, unknown>, meta: Record<string, unknown>, data: Uint8Array): Uint8Array {
  const metadata = Object.fromEntries(Object.entries(meta).map(([k, v]) => [k, (JSON_KEYS as readonly string[]).includes(k) && v !== undefined ? JSON.stringify(v) : v]));
  const header = new TextEncoder().encode(JSON.stringify({ __metadata__: metadata, ...tensors }));
  const out = new Uint8Array(8 + header.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  out.set(data, 8 + header.length);
  return out;
}

/** The checkpoint file `bytes` with `edits` applied to its metadata (config, model, stage, record, state). */
export function withMetadataEdits(bytes: Uint8Array, edits: readonly Edit[]): Uint8Array {
  const { tensors, meta, data } = parts(bytes);
  applyEdits(meta, paths(meta), edits);
  return file(tensors, meta, data);
}
