import * as tf from '@tensorflow/tfjs-core';
import { RAW_MAIN_ARGS, allocate, bufferOf, rawDispatch, release, type RawProgram, type WebGpuBackendLike } from './raw.ts';
import { ERF_WGSL, reduceWgsl, rowGrid, rowLanes } from './wgsl.ts';

/*
 * The two multi-output gradient kernels, as raw dispatches (raw.ts) writing several fresh tensors.
 * Column sums (dγ, dβ, dbias) use workgroups of 32 columns × 8 row lanes: lanes stride over the rows,
 * then the 8 partial sums of each column are added in shared memory.
 */

const COLS = 32;
const LANES = 8;

/** `lanes` invocations per row (wgsl.ts rowLanes); with 1, each invocation of a workgroup owns a row. */
function layerNormRowsProgram(lanes: number): RawProgram {
  const { wg } = rowGrid(1, lanes);
  return {
    name: `glLayerNormGradRows${lanes}`,
    storage: ['read', 'read', 'read', 'rw', 'rw'],
    uniform: true,
    code: /* wgsl */ `
struct U { rows : u32, cols : u32, eps : f32 };
@group(0) @binding(0) var<storage, read> dy : array<f32>;
@group(0) @binding(1) var<storage, read> x : array<f32>;
@group(0) @binding(2) var<storage, read> gamma : array<f32>;
@group(0) @binding(3) var<storage, read_write> dx : array<f32>;
@group(0) @binding(4) var<storage, read_write> stats : array<f32>;
@group(0) @binding(5) var<uniform> u : U;
${reduceWgsl(lanes, 'u32')}
@compute @workgroup_size(${wg})
fn main(${RAW_MAIN_ARGS}) {
  let row = ${lanes === 1 ? `(wid.x + wid.y * nwg.x) * ${wg}u + lid.x` : 'wid.x + wid.y * nwg.x'};
  if (row >= u.rows) { return; }
  let t = ${lanes === 1 ? '0u' : 'lid.x'};
  let n = f32(u.cols);
  let o = row * u.cols;
  var s = 0.0;
  for (var c = t; c < u.cols; c += ${lanes}u) { s += x[o + c]; }
  let mean = glWgSum(t, s) / n;
  var q = 0.0;
  for (var c = t; c < u.cols; c += ${lanes}u) { let d = x[o + c] - mean; q += d * d; }
  let rstd = 1.0 / sqrt(glWgSum(t, q) / n + u.eps);
  var gs = 0.0;
  var gx = 0.0;
  for (var c = t; c < u.cols; c += ${lanes}u) {
    let g = dy[o + c] * gamma[c];
    gs += g;
    gx += g * ((x[o + c] - mean) * rstd);
  }
  let gMean = glWgSum(t, gs) / n;
  let gxMean = glWgSum(t, gx) / n;
  for (var c = t; c < u.cols; c += ${lanes}u) {
    let xh = (x[o + c] - mean) * rstd;
    dx[o + c] = rstd * (dy[o + c] * gamma[c] - gMean - xh * gxMean);
  }
  if (t == 0u) {
    stats[2u * row] = mean;
    stats[2u * row + 1u] = rstd;
  }
}`,
  };
}

const LAYER_NORM_COLS: RawProgram = {
  name: 'glLayerNormGradCols',
  storage: ['read', 'read', 'read', 'rw', 'rw'],
  uniform: true,
  code: /* wgsl */ `
struct U { rows : u32, cols : u32 };
@group(0) @binding(0) var<storage, read> dy : array<f32>;
@group(0) @binding(1) var<storage, read> x : array<f32>;
@group(0) @binding(2) var<storage, read> stats : array<f32>;
@group(0) @binding(3) var<storage, read_write> dgamma : array<f32>;
@group(0) @binding(4) var<storage, read_write> dbeta : array<f32>;
@group(0) @binding(5) var<uniform> u : U;
var<workgroup> pg : array<f32, ${COLS * LANES}>;
var<workgroup> pb : array<f32, ${COLS * LANES}>;
@compute @workgroup_size(${COLS}, ${LANES}, 1)
fn main(${RAW_MAIN_ARGS}) {
  let c = (wid.x + wid.y * nwg.x) * ${COLS}u + lid.x;
  var ag = 0.0;
  var ab = 0.0;
  if (c < u.cols) {
    for (var r = lid.y; r < u.rows; r += ${LANES}u) {
      let i = r * u.cols + c;
      let d = dy[i];
      ag += d * ((x[i] - stats[2u * r]) * stats[2u * r + 1u]);
      ab += d;
    }
  }
  pg[li] = ag;
  pb[li] = ab;
  workgroupBarrier();
  if (lid.y == 0u && c < u.cols) {
    var sg = 0.0;
    var sb = 0.0;
    for (var k = 0u; k < ${LANES}u; k++) {
      sg += pg[k * ${COLS}u + lid.x];
      sb += pb[k * ${COLS}u + lid.x];
    }
    dgamma[c] = sg;
    dbeta[c] = sb;
  }
}`,
};

/** [dx, dγ, dβ]: pass 1 per row (dx and the row's mean and rstd), pass 2 per column block. */
export function layerNormGradWebGpu(be: WebGpuBackendLike, dy: tf.TensorInfo, x: tf.TensorInfo, gamma: tf.TensorInfo, eps: number, software: boolean): tf.TensorInfo[] {
  const cols = tf.util.sizeFromShape(gamma.shape);
  const size = tf.util.sizeFromShape(x.shape);
  const rows = cols === 0 ? 0 : size / cols;
  if (rows === 0 || cols === 0) {
    return [x.shape, gamma.shape, gamma.shape].map((s) => be.makeTensorInfo(s, 'float32', new Float32Array(tf.util.sizeFromShape(s))));
  }
  const dx = allocate(be, x.shape);
  const dgamma = allocate(be, gamma.shape);
  const dbeta = allocate(be, gamma.shape);
  const stats = allocate(be, [rows, 2]);
  const b = (t: tf.TensorInfo) => ({ buffer: bufferOf(be, t) });
  const lanes = rowLanes(cols, software);
  rawDispatch(be, layerNormRowsProgram(lanes), [b(dy), b(x), b(gamma), b(dx), b(stats)],
    [{ type: 'uint32', data: [rows] }, { type: 'uint32', data: [cols] }, { type: 'float32', data: [eps] }], rowGrid(rows, lanes).workgroups);
  rawDispatch(be, LAYER_NORM_COLS, [b(dy), b(x), b(stats), b(dgamma), b(dbeta)],
    [{ type: 'uint32', data: [rows] }, { type: 'uint32', data: [cols] }], Math.ceil(cols / COLS));
  release(be, stats);
  return [dx, dgamma, dbeta];
}

const BIAS_GELU_GRAD: RawProgram = {
  name: 'glBiasGeluGrad',
  storage: ['read', 'read', 'read', 'rw', 'rw'],
  uniform: true,
  code: /* wgsl */ `
struct U { rows : u32, cols : u32 };
@group(0) @binding(0) var<storage, read> dy : array<f32>;
@group(0) @binding(1) var<storage, read> x : array<f32>;
@group(0) @binding(2) var<storage, read> bias : array<f32>;
@group(0) @binding(3) var<storage, read_write> dx : array<f32>;
@group(0) @binding(4) var<storage, read_write> dbias : array<f32>;
@group(0) @binding(5) var<uniform> u : U;
${ERF_WGSL}
var<workgroup> part : array<f32, ${COLS * LANES}>;
@compute @workgroup_size(${COLS}, ${LANES}, 1)
fn main(${RAW_MAIN_ARGS}) {
  let c = (wid.x + wid.y * nwg.x) * ${COLS}u + lid.x;
  var acc = 0.0;
  if (c < u.cols) {
    let b = bias[c];
    for (var r = lid.y; r < u.rows; r += ${LANES}u) {
      let i = r * u.cols + c;
      let z = x[i] + b;
      let g = 0.5 * (1.0 + glErf(z * 0.7071067811865476)) + z * 0.3989422804014327 * exp(-0.5 * z * z);
      let v = dy[i] * g;
      dx[i] = v;
      acc += v;
    }
  }
  part[li] = acc;
  workgroupBarrier();
  if (lid.y == 0u && c < u.cols) {
    var s = 0.0;
    for (var k = 0u; k < ${LANES}u; k++) { s += part[k * ${COLS}u + lid.x]; }
    dbias[c] = s;
  }
}`,
};

/** [dx, dbias] in one dispatch: each workgroup owns 32 columns over every row. */
export function biasGeluGradWebGpu(be: WebGpuBackendLike, dy: tf.TensorInfo, x: tf.TensorInfo, bias: tf.TensorInfo): tf.TensorInfo[] {
  const cols = tf.util.sizeFromShape(bias.shape);
  const size = tf.util.sizeFromShape(x.shape);
  const rows = cols === 0 ? 0 : size / cols;
  if (rows === 0 || cols === 0) {
    return [x.shape, bias.shape].map((s) => be.makeTensorInfo(s, 'float32', new Float32Array(tf.util.sizeFromShape(s))));
  }
  const dx = allocate(be, x.shape);
  const dbias = allocate(be, bias.shape);
  const b = (t: tf.TensorInfo) => ({ buffer: bufferOf(be, t) });
  rawDispatch(be, BIAS_GELU_GRAD, [b(dy), b(x), b(bias), b(dx), b(dbias)],
    [{ type: 'uint32', data: [rows] }, { type: 'uint32', data: [cols] }], Math.ceil(cols / COLS));
  return [dx, dbias];
}
