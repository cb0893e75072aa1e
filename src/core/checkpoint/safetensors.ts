import { z } from 'zod';
import { FormatError } from '../errors.ts';
import { count } from '../schema/numbers.ts';
import { parseFormat } from '../schema/parse.ts';
import { formatPath, show } from '../schema/show.ts';

/**
 * The safetensors container (https://huggingface.co/docs/safetensors): an 8-byte little-endian header
 * length, a JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {string: string}}, then
 * the raw little-endian tensor bytes. Written by hand: the npm packages that read it either fetch
 * over HTTP (@huggingface/hub) or pull in a native runtime, and the format is this small.
 * Only F32 is written or accepted: everything GrowLab stores is float32.
 */
export interface SafeTensor {
  shape: number[];
  data: Float32Array;
}

export interface SafeTensorsFile {
  tensors: Map<string, SafeTensor>;
  metadata: Record<string, string>;
}

/** A header larger than this is not a GrowLab file (ours are a few MB of JSON at most). */
const MAX_HEADER = 256 * 1024 * 1024;

/** The header: "__metadata__" (strings) and one entry per tensor, by name. */
const headerSchema = z.record(z.string(), z.unknown());
const metadataSchema = z.record(z.string(), z.string());
const tensorEntrySchema = z.object({
  dtype: z.literal('F32'),
  shape: z.array(count),
  data_offsets: z.tuple([count, count]),
});

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function encodeSafetensors(file: SafeTensorsFile): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: file.metadata };
  let offset = 0;
  for (const [name, t] of file.tensors) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (size !== t.data.length) throw new Error(`safetensors: ${name} has ${t.data.length} values for shape [${t.shape}]`);
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + 4 * size] };
    offset += 4 * size;
  }
  let json = JSON.stringify(header);
  // The spec lets writers pad the header with spaces; 8-byte alignment keeps the data Float32Array-viewable.
  json += ' '.repeat((8 - ((8 + new TextEncoder().encode(json).length) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const t of file.tensors.values()) {
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    if (littleEndian) out.set(bytes, at);
    else for (let i = 0; i < t.data.length; i++) view.setFloat32(at + 4 * i, t.data[i], true);
    at += t.data.byteLength;
  }
  return out;
}

/**
 * Reads a safetensors file, checking its header against the spec: every tensor F32, its byte range
 * inside the data and as long as its shape, the ranges neither overlapping nor leaving gaps (the
 * spec's "no holes"). Throws FormatError("checkpoint", ...) naming `file` when given.
 */
export function decodeSafetensors(bytes: Uint8Array, file?: string): SafeTensorsFile {
  function fail(message: string, path = ''): never {
    throw new FormatError('checkpoint', { file, path }, message);
  }
  if (bytes.byteLength < 8) fail(`the file is ${bytes.byteLength} bytes long: too short to be a safetensors file (truncated?)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(Math.min(MAX_HEADER, bytes.byteLength - 8))) {
    fail(`the header claims ${n} bytes but the file has ${bytes.byteLength - 8} after the length field: not a safetensors file, or truncated`);
  }
  const headerLen = Number(n);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen)));
  } catch {
    fail('the header is not valid JSON: not a safetensors file, or corrupted');
  }
  const source = { format: 'checkpoint', file };
  parseFormat(headerSchema, json, { ...source, hint: 'not a safetensors file' });
  // The parsed JSON itself, not a copy: its own keys only, whatever they are named ("__proto__").
  const header = json as Record<string, unknown>;
  const dataStart = 8 + headerLen;
  const dataLen = bytes.byteLength - dataStart;
  const metadata = Object.hasOwn(header, '__metadata__') ? parseFormat(metadataSchema, header.__metadata__, { ...source, at: ['header', '__metadata__'] }) : {};
  const entries = Object.entries(header)
    .filter(([name]) => name !== '__metadata__')
    .map(([name, entry]) => ({ name, ...parseFormat(tensorEntrySchema, entry, { ...source, at: ['header', name] }) }));
  const at = (name: string) => formatPath(['header', name]);
  for (const { name, shape, data_offsets: [begin, end] } of entries) {
    const size = shape.reduce((a, b) => a * b, 1);
    if (end - begin !== 4 * size) fail(`${end - begin} bytes for shape ${show(shape)} (expected ${4 * size})`, at(name));
    if (end > dataLen) fail(`ends at byte ${end} of ${dataLen} data bytes: the file is truncated`, at(name));
  }
  // Sorted by start, each range must begin where the one before ended: no overlap, no hole.
  const byStart = [...entries].sort((a, b) => a.data_offsets[0] - b.data_offsets[0] || a.data_offsets[1] - b.data_offsets[1]);
  let covered = 0;
  for (const { name, data_offsets: [begin, end] } of byStart) {
    if (begin !== covered) {
      fail(begin < covered ? `bytes ${begin}-${end} overlap the tensor before it, which ends at ${covered}` : `starts at byte ${begin}, leaving bytes ${covered}-${begin} unused`, at(name));
    }
    covered = end;
  }
  if (covered !== dataLen) fail(`${dataLen - covered} bytes after the last tensor: the file is corrupted`);
  const tensors = new Map<string, SafeTensor>();
  for (const { name, shape, data_offsets: [begin, end] } of entries) {
    const raw = bytes.slice(dataStart + begin, dataStart + end);
    let data: Float32Array;
    if (littleEndian) data = new Float32Array(raw.buffer);
    else {
      const dv = new DataView(raw.buffer);
      data = Float32Array.from({ length: (end - begin) / 4 }, (_, i) => dv.getFloat32(4 * i, true));
    }
    tensors.set(name, { shape, data });
  }
  return { tensors, metadata };
}
