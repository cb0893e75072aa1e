import { ConfigError } from '../errors.ts';

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

const FIELD = 'checkpoint';
/** A header larger than this is not a GrowLab file (ours are a few MB of JSON at most). */
const MAX_HEADER = 256 * 1024 * 1024;

function fail(message: string): never {
  throw new ConfigError(FIELD, message);
}

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

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function decodeSafetensors(bytes: Uint8Array): SafeTensorsFile {
  if (bytes.byteLength < 8) fail(`the file is ${bytes.byteLength} bytes long: too short to be a safetensors file (truncated?)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(Math.min(MAX_HEADER, bytes.byteLength - 8))) {
    fail(`the header claims ${n} bytes but the file has ${bytes.byteLength - 8} after the length field: not a safetensors file, or truncated`);
  }
  const headerLen = Number(n);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen)));
  } catch {
    fail('the header is not valid JSON: not a safetensors file, or corrupted');
  }
  if (!isRecord(header)) fail('the header is not a JSON object: not a safetensors file');
  const dataStart = 8 + headerLen;
  const dataLen = bytes.byteLength - dataStart;
  const metadata: Record<string, string> = {};
  const tensors = new Map<string, SafeTensor>();
  let covered = 0;
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!isRecord(entry)) fail('__metadata__ must be an object of strings');
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v !== 'string') fail(`__metadata__.${k} must be a string`);
        metadata[k] = v;
      }
      continue;
    }
    if (!isRecord(entry)) fail(`tensor "${name}" has no dtype/shape/data_offsets entry`);
    if (entry.dtype !== 'F32') fail(`tensor "${name}" is ${String(entry.dtype)}; GrowLab checkpoints hold F32 tensors only`);
    const shape = entry.shape;
    const offsets = entry.data_offsets;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) fail(`tensor "${name}" has an invalid shape`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0)) {
      fail(`tensor "${name}" has invalid data_offsets`);
    }
    const [begin, end] = offsets as number[];
    const size = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end - begin !== 4 * size) fail(`tensor "${name}": ${end - begin} bytes for shape [${shape}] (expected ${4 * size})`);
    if (end > dataLen) fail(`tensor "${name}" ends at byte ${end} of ${dataLen} data bytes: the file is truncated`);
    const raw = bytes.slice(dataStart + begin, dataStart + end);
    let data: Float32Array;
    if (littleEndian) data = new Float32Array(raw.buffer);
    else {
      const dv = new DataView(raw.buffer);
      data = Float32Array.from({ length: size }, (_, i) => dv.getFloat32(4 * i, true));
    }
    tensors.set(name, { shape: shape as number[], data });
    covered = Math.max(covered, end);
  }
  if (covered !== dataLen) fail(`${dataLen - covered} bytes after the last tensor: the file is corrupted`);
  return { tensors, metadata };
}
