import * as tf from '@tensorflow/tfjs-core';
import type { AdamWAttrs } from '../spec.ts';
import { RAW_MAIN_ARGS, allocate, bufferOf, copyBuffer, rawDispatch, release, type RawProgram, type WebGpuBackendLike } from './raw.ts';
import { reduceWgsl } from './wgsl.ts';

/*
 * Clipping and AdamW over every parameter tensor in two dispatches.
 *
 * A WebGPU program binds at most 8 storage buffers and every tensor is its own buffer, so the
 * tensors are packed: buffer copies gather p, g, m and v of every tensor into one scratch buffer
 * laid out [P | G | M | V] (each block `size` floats), and after the update scatter p', m' and v'
 * out of it into fresh output tensors. Copies are not dispatches; they cost no pipeline or bind
 * group and run at memory speed.
 *
 *   dispatch 1 (norm):   NORM_WG workgroups each write Σ g² over a strided share of G into `partials`.
 *   dispatch 2 (update): every workgroup sums all partials (the same order everywhere, so the same
 *                        value), takes the clip scale, and updates 1,024 elements in place in the
 *                        scratch buffer; each element finds its tensor's lr and decay by binary search
 *                        in a small segment table. Workgroup 0 writes the norm after the partials.
 *
 * A storage binding is limited in size (maxStorageBufferBindingSize, often 128 MiB), so when the
 * packed buffer would be larger the elements are split into groups of at most `cap` elements,
 * splitting a tensor across groups where needed: each group costs one norm and one update dispatch,
 * and every update reads the partials of all groups. Dispatches per step: 2 × groups (2 for
 * models up to cap elements). Copies per step: 7 × segments + 1 (segments = tensors when unsplit).
 * Transient memory: 16 bytes per parameter (the packed buffers), pooled by tfjs between steps.
 */

const WG = 256;
const NORM_WG = 64;
const PER_THREAD = 4;
const NO_SLOT = 0xffffffff;

let capOverride: number | null = null;

/** Tests: force small groups (elements per packed buffer); null restores the device's limit. */
export function setAdamWGroupCapForTests(cap: number | null): void {
  capOverride = cap;
}

/*
 * Software adapters (kernels-software.ts) get forms without workgroup barriers: NORM_WG single
 * invocations each write their partial, and every update invocation adds the partials itself, over
 * SW_PER_THREAD elements so that this is a small share of its work (every load is a gather there).
 * Each update invocation finds its first element's segment by binary search and walks forward
 * from it. On SwiftShader at `small` (1.8M parameters) the step's AdamW took 220 ms with a search
 * per element over 16 elements an invocation, 122 ms walking, and 72 ms walking over 128.
 */
const SW_WG = 64;
const SW_NORM_WG = 8;
const SW_PER_THREAD = 128;

const NORM_HW: RawProgram = {
  name: 'glAdamWNorm',
  storage: ['read', 'rw'],
  uniform: true,
  code: /* wgsl */ `
struct U { n : u32, gOff : u32, pBase : u32 };
@group(0) @binding(0) var<storage, read> packed : array<f32>;
@group(0) @binding(1) var<storage, read_write> partials : array<f32>;
@group(0) @binding(2) var<uniform> u : U;
${reduceWgsl(WG, 'u32')}
@compute @workgroup_size(${WG})
fn main(${RAW_MAIN_ARGS}) {
  let w = wid.x + wid.y * nwg.x;
  if (w >= ${NORM_WG}u) { return; }
  var acc = 0.0;
  for (var i = w * ${WG}u + lid.x; i < u.n; i += ${NORM_WG * WG}u) {
    let g = packed[u.gOff + i];
    acc += g * g;
  }
  let total = glWgSum(lid.x, acc);
  if (lid.x == 0u) { partials[u.pBase + w] = total; }
}`,
};

const NORM_SW: RawProgram = {
  name: 'glAdamWNormSw',
  storage: ['read', 'rw'],
  uniform: true,
  code: /* wgsl */ `
struct U { n : u32, gOff : u32, pBase : u32 };
@group(0) @binding(0) var<storage, read> packed : array<f32>;
@group(0) @binding(1) var<storage, read_write> partials : array<f32>;
@group(0) @binding(2) var<uniform> u : U;
@compute @workgroup_size(${SW_NORM_WG})
fn main(${RAW_MAIN_ARGS}) {
  let w = (wid.x + wid.y * nwg.x) * ${SW_NORM_WG}u + lid.x;
  if (w >= ${NORM_WG}u) { return; }
  var acc = 0.0;
  for (var i = w; i < u.n; i += ${NORM_WG}u) {
    let g = packed[u.gOff + i];
    acc += g * g;
  }
  partials[u.pBase + w] = acc;
}`,
};

function updateProgram(software: boolean): RawProgram {
  const wg = software ? SW_WG : WG;
  const perThread = software ? SW_PER_THREAD : PER_THREAD;
  return {
    name: software ? 'glAdamWUpdateSw' : 'glAdamWUpdate',
    storage: ['rw', 'rw', 'read'],
    uniform: true,
    code: /* wgsl */ `
struct U {
  n : u32, segLo : u32, segHi : u32, numPartials : u32, normSlot : u32,
  b1 : f32, b2 : f32, ob1 : f32, ob2 : f32, c1 : f32, c2 : f32, eps : f32, clipNorm : f32,
};
@group(0) @binding(0) var<storage, read_write> packed : array<f32>;
@group(0) @binding(1) var<storage, read_write> partials : array<f32>;
// Per segment: group-relative start, lr and decay (f32 bits), unused.
@group(0) @binding(2) var<storage, read> segs : array<vec4<u32>>;
@group(0) @binding(3) var<uniform> u : U;
// The segment holding element i, by binary search over the group's starts.
fn segOf(i : u32) -> u32 {
  var lo = u.segLo;
  var hi = u.segHi - 1u;
  loop {
    if (lo >= hi) { break; }
    let mid = (lo + hi + 1u) >> 1u;
    if (segs[mid].x <= i) { lo = mid; } else { hi = mid - 1u; }
  }
  return lo;
}
${software
    ? `// Where segment lo ends: the next one's start, or past every element for the group's last.
fn segEnd(lo : u32) -> u32 {
  return select(0xffffffffu, segs[min(lo + 1u, u.segHi - 1u)].x, lo + 1u < u.segHi);
}`
    : reduceWgsl(WG, 'u32')}
@compute @workgroup_size(${wg})
fn main(${RAW_MAIN_ARGS}) {
  var s = 0.0;
${software
    ? `  for (var k = 0u; k < u.numPartials; k++) { s += partials[k]; }
  let norm = sqrt(s);`
    : `  for (var k = lid.x; k < u.numPartials; k += ${WG}u) { s += partials[k]; }
  let norm = sqrt(glWgSum(lid.x, s));`}
  var cs = 1.0;
  if (u.clipNorm > 0.0) { cs = u.clipNorm / max(norm, u.clipNorm); }
  let w = wid.x + wid.y * nwg.x;
  if (w == 0u && lid.x == 0u && u.normSlot != ${NO_SLOT}u) { partials[u.normSlot] = norm; }
  let n = u.n;
${software ? `  // The segment of this invocation's first element, by binary search; its later elements walk
  // forward from it (they increase), loading an entry only where a segment ends.
  var lo = segOf(w * ${wg * perThread}u + lid.x);
  var e = segs[lo];
  var next = segEnd(lo);` : ''}
  for (var k = 0u; k < ${perThread}u; k++) {
    let i = w * ${wg * perThread}u + k * ${wg}u + lid.x;
    if (i < n) {
${software ? `      loop {
        if (i < next) { break; }
        lo++;
        e = segs[lo];
        next = segEnd(lo);
      }` : `      let e = segs[segOf(i)];`}
      let lr = bitcast<f32>(e.y);
      let wd = bitcast<f32>(e.z);
      let p = packed[i];
      var g = packed[n + i];
      let m = packed[2u * n + i];
      let v = packed[3u * n + i];
      if (u.clipNorm > 0.0) { g = g * cs; }
      let m1 = m * u.b1 + g * u.ob1;
      let v1 = v * u.b2 + (g * g) * u.ob2;
      let delta = (m1 / u.c1) / (sqrt(v1 / u.c2) + u.eps) + p * wd;
      packed[i] = p - delta * lr;
      packed[2u * n + i] = m1;
      packed[3u * n + i] = v1;
    }
  }
}`,
  };
}

const UPDATE_HW = updateProgram(false);
const UPDATE_SW = updateProgram(true);

interface Segment {
  tensor: number;
  /** Element offset in the tensor. */
  from: number;
  len: number;
  group: number;
  /** Element offset in the group's blocks. */
  at: number;
}

/** Splits the concatenation of the tensors into groups of at most cap elements. */
function plan(sizes: number[], cap: number): { groupSizes: number[]; segments: Segment[] } {
  const groupSizes: number[] = [];
  const segments: Segment[] = [];
  let fill = cap;
  sizes.forEach((size, tensor) => {
    let from = 0;
    while (from < size) {
      if (fill === cap) {
        groupSizes.push(0);
        fill = 0;
      }
      const len = Math.min(size - from, cap - fill);
      const group = groupSizes.length - 1;
      segments.push({ tensor, from, len, group, at: fill });
      fill += len;
      groupSizes[group] = fill;
      from += len;
    }
  });
  return { groupSizes, segments };
}

export function adamwWebGpu(be: WebGpuBackendLike, inputs: Record<string, tf.TensorInfo>, a: AdamWAttrs, software: boolean): tf.TensorInfo[] {
  const n = a.decay.length;
  const given = Array.from({ length: n }, (_, i) => ['p', 'g', 'm', 'v'].map((k) => inputs[`${k}${i}`] as tf.TensorInfo | undefined));
  if (given.some((q) => q.some((t) => !t || t.dtype !== 'float32'))) throw new Error('GrowlabAdamW: every p, g, m, v must be a float32 tensor');
  const quads = given as tf.TensorInfo[][];
  const sizes = quads.map((q) => tf.util.sizeFromShape(q[0].shape));
  const empty = (shape: number[]) => be.makeTensorInfo(shape, 'float32', new Float32Array(0));
  if (sizes.every((s) => s === 0)) {
    const outs = quads.flatMap((q) => [empty(q[0].shape), empty(q[0].shape), empty(q[0].shape)]);
    return [be.makeTensorInfo([], 'float32', Float32Array.of(0)), ...outs];
  }

  const limits = be.device.limits;
  const cap = Math.max(1, capOverride ?? Math.floor(Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize) / 16));
  const { groupSizes, segments } = plan(sizes, cap);
  const numPartials = groupSizes.length * NORM_WG;

  const table = new ArrayBuffer(segments.length * 16);
  const words = new Uint32Array(table);
  const floats = new Float32Array(table);
  segments.forEach((s, k) => {
    words[4 * k] = s.at;
    floats[4 * k + 1] = a.lr[s.tensor];
    floats[4 * k + 2] = a.decay[s.tensor];
  });
  const segTable = allocate(be, [segments.length, 4], 'int32', new Int32Array(table));
  const partials = allocate(be, [numPartials + 1]);
  const packed = groupSizes.map((size) => allocate(be, [4 * size]));
  // bufferOf at every use: a deferred submit inside rawDispatch clears tfjs's record of which
  // tensors the pending commands use, and each call records it again.
  const packedBuf = (g: number) => bufferOf(be, packed[g]);
  const partialsBuf = () => bufferOf(be, partials);

  for (const s of segments) {
    const size = groupSizes[s.group];
    quads[s.tensor].forEach((t, k) => copyBuffer(be, bufferOf(be, t), 4 * s.from, packedBuf(s.group), 4 * (k * size + s.at), 4 * s.len));
  }
  groupSizes.forEach((size, g) => {
    // n = size elements of G, which starts after the P block (gOff = size); partials from g·NORM_WG.
    rawDispatch(be, software ? NORM_SW : NORM_HW, [{ buffer: packedBuf(g) }, { buffer: partialsBuf() }],
      [{ type: 'uint32', data: [size] }, { type: 'uint32', data: [size] }, { type: 'uint32', data: [g * NORM_WG] }], software ? NORM_WG / SW_NORM_WG : NORM_WG);
  });
  const f = Math.fround;
  const c1 = f(1 - a.beta1 ** a.step);
  const c2 = f(1 - a.beta2 ** a.step);
  let segLo = 0;
  groupSizes.forEach((size, g) => {
    let segHi = segLo;
    while (segHi < segments.length && segments[segHi].group === g) segHi++;
    const u = (v: number) => ({ type: 'uint32' as const, data: [v] });
    const fl = (v: number) => ({ type: 'float32' as const, data: [v] });
    rawDispatch(be, software ? UPDATE_SW : UPDATE_HW, [{ buffer: packedBuf(g) }, { buffer: partialsBuf() }, { buffer: bufferOf(be, segTable) }], [
      u(size), u(segLo), u(segHi), u(numPartials), u(g === 0 ? numPartials : NO_SLOT),
      fl(a.beta1), fl(a.beta2), fl(1 - a.beta1), fl(1 - a.beta2), fl(c1), fl(c2), fl(a.epsilon), fl(a.clipNorm),
    ], Math.ceil(size / (software ? SW_WG * SW_PER_THREAD : WG * PER_THREAD)));
    segLo = segHi;
  });

  const norm = allocate(be, []);
  copyBuffer(be, partialsBuf(), 4 * numPartials, bufferOf(be, norm), 0, 4);
  const outs = quads.map((q, i) => (sizes[i] === 0 ? [0, 1, 2].map(() => empty(q[0].shape)) : [0, 1, 2].map(() => allocate(be, q[0].shape))));
  for (const s of segments) {
    const size = groupSizes[s.group];
    // p' is written over P (block 0), m' over M (block 2), v' over V (block 3).
    [0, 2, 3].forEach((block, k) => copyBuffer(be, packedBuf(s.group), 4 * (block * size + s.at), bufferOf(be, outs[s.tensor][k]), 4 * s.from, 4 * s.len));
  }
  [segTable, partials, ...packed].forEach((t) => release(be, t));
  return [norm, ...outs.flat()];
}
