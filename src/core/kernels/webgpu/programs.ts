import { ERF_WGSL, HASH_WGSL, reduceWgsl, rowGrid } from './wgsl.ts';

/*
 * The single-output fused kernels as tfjs-webgpu programs (the WebGPUProgram interface of
 * tfjs-backend-webgpu 4.22), run with backend.runWebGPUProgram: one dispatch each. tfjs wraps
 * getUserCode() in its prelude: `result` is the output array, each variable name an input array,
 * `uniforms` holds the shapes followed by the fields declared in `uniforms`, and _start calls
 * main(getGlobalIndex()).
 *
 * Row kernels run `lanes` invocations per row: a workgroup per row on hardware, one invocation per
 * row on software adapters (wgsl.ts rowLanes). When there are more rows than one dispatch dimension
 * allows, tfjs reshapes the dispatch into a square and the spare workgroups get rows past the end:
 * they clamp their reads and write nothing (no early return: WGSL's uniformity rules would reject
 * the barriers after it, since tfjs hands main a non-uniform index).
 */

export interface ProgramLike {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  uniforms?: string;
  size?: boolean;
  getUserCode(): string;
}

export class Program implements ProgramLike {
  shaderKey: string;
  variableNames: string[];
  outputShape: number[];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  uniforms?: string;
  size: boolean;
  private readonly code: string;
  constructor(key: string, variableNames: string[], outputShape: number[], wg: number, workgroups: number, code: string, uniforms?: string, size = false) {
    this.shaderKey = key;
    this.variableNames = variableNames;
    this.outputShape = outputShape;
    this.dispatchLayout = { x: outputShape.map((_, i) => i) };
    this.dispatch = [Math.max(1, workgroups), 1, 1];
    this.workgroupSize = [wg, 1, 1];
    this.code = code;
    this.uniforms = uniforms;
    this.size = size;
  }
  getUserCode(): string {
    return this.code;
  }
}

/** The row of this invocation (`lanes` share one), clamped, and whether it is a real one. */
const rowHeader = (lanes: number) => /* wgsl */ `
  let tid = index % ${lanes};
  let rows = uniforms.rows;
  let cols = uniforms.cols;
  let row = index / ${lanes};
  let valid = row < rows;
  let o = min(row, rows - 1) * cols;
`;

/** y = (x − mean)·rstd·γ + β over rows of length d. Uniforms: rows, cols, eps. */
export function layerNormProgram(shape: number[], rows: number, lanes: number): Program {
  const grid = rowGrid(rows, lanes);
  const code = /* wgsl */ `
${reduceWgsl(lanes, 'i32')}
fn main(index : i32) {
  ${rowHeader(lanes)}
  var s = 0.0;
  for (var c = tid; c < cols; c += ${lanes}) { s += x[o + c]; }
  let mean = glWgSum(tid, s) / f32(cols);
  var q = 0.0;
  for (var c = tid; c < cols; c += ${lanes}) { let d = x[o + c] - mean; q += d * d; }
  let rstd = 1.0 / sqrt(glWgSum(tid, q) / f32(cols) + uniforms.eps);
  if (valid) {
    for (var c = tid; c < cols; c += ${lanes}) { result[o + c] = (x[o + c] - mean) * rstd * gamma[c] + beta[c]; }
  }
}`;
  return new Program(`glLayerNorm${lanes}`, ['x', 'gamma', 'beta'], shape, grid.wg, grid.workgroups, code, 'rows : i32, cols : i32, eps : f32,');
}

const ELEMENTWISE_WG = 256;

/** gelu(x + bias) with the spec's erf. Uniform: cols (the bias length). */
export function biasGeluProgram(shape: number[], size: number): Program {
  const code = /* wgsl */ `
${ERF_WGSL}
fn main(index : i32) {
  if (index < uniforms.size) {
    let z = x[index] + bias[index % uniforms.cols];
    result[index] = (z * 0.5) * (glErf(z * 0.7071067811865476) + 1.0);
  }
}`;
  return new Program('glBiasGelu', ['x', 'bias'], shape, ELEMENTWISE_WG, Math.ceil(size / ELEMENTWISE_WG), code, 'cols : i32,', true);
}

const DROP_UNIFORMS = 'seedMix : u32, threshold : u32, keepScale : f32,';

/** x·mask/(1−rate), or x + h·mask/(1−rate) with `add`. */
export function dropoutProgram(shape: number[], size: number, add: boolean): Program {
  const v = add ? 'h' : 'x';
  const code = /* wgsl */ `
${HASH_WGSL}
fn main(index : i32) {
  if (index < uniforms.size) {
    let kept = select(0.0, ${v}[index] * uniforms.keepScale, glKeeps(u32(index), uniforms.seedMix, uniforms.threshold));
    result[index] = ${add ? 'x[index] + kept' : 'kept'};
  }
}`;
  return new Program(add ? 'glDropoutAdd' : 'glDropout', add ? ['x', 'h'] : ['x'], shape, ELEMENTWISE_WG, Math.ceil(size / ELEMENTWISE_WG), code, DROP_UNIFORMS, true);
}

const ATTN_UNIFORMS = `rows : i32, cols : i32, rowsPerBatch : i32, scale : f32, ${DROP_UNIFORMS}`;

/** The row's logits scale·s + bias, its max and Σexp, shared by the forward and backward kernels. */
const attnRowStats = (lanes: number) => /* wgsl */ `
  ${rowHeader(lanes)}
  let bo = (min(row, rows - 1) / uniforms.rowsPerBatch) * cols;
  var mx = -3.402823e+38;
  for (var c = tid; c < cols; c += ${lanes}) { mx = max(mx, scores[o + c] * uniforms.scale + bias[bo + c]); }
  mx = glWgMax(tid, mx);
  var se = 0.0;
  for (var c = tid; c < cols; c += ${lanes}) { se += exp(scores[o + c] * uniforms.scale + bias[bo + c] - mx); }
  let sum = glWgSum(tid, se);
`;

/** dropout(softmax(scale·scores + bias)); scores [B,H,q,k], bias [B,1,1,k]. */
export function attnSoftmaxProgram(shape: number[], rows: number, lanes: number): Program {
  const grid = rowGrid(rows, lanes);
  const code = /* wgsl */ `
${HASH_WGSL}
${reduceWgsl(lanes, 'i32')}
fn main(index : i32) {
  ${attnRowStats(lanes)}
  let inv = 1.0 / sum;
  if (valid) {
    for (var c = tid; c < cols; c += ${lanes}) {
      let p = exp(scores[o + c] * uniforms.scale + bias[bo + c] - mx) * inv;
      result[o + c] = select(0.0, p * uniforms.keepScale, glKeeps(u32(o + c), uniforms.seedMix, uniforms.threshold));
    }
  }
}`;
  return new Program(`glAttnSoftmax${lanes}`, ['scores', 'bias'], shape, grid.wg, grid.workgroups, code, ATTN_UNIFORMS);
}

/** ds = scale·p·(dp − Σ dp·p), dp = dy·mask/(1−rate). */
export function attnSoftmaxGradProgram(shape: number[], rows: number, lanes: number): Program {
  const grid = rowGrid(rows, lanes);
  const code = /* wgsl */ `
${HASH_WGSL}
${reduceWgsl(lanes, 'i32')}
fn main(index : i32) {
  ${attnRowStats(lanes)}
  var dt = 0.0;
  for (var c = tid; c < cols; c += ${lanes}) {
    let p = exp(scores[o + c] * uniforms.scale + bias[bo + c] - mx) / sum;
    let dp = select(0.0, dy[o + c] * uniforms.keepScale, glKeeps(u32(o + c), uniforms.seedMix, uniforms.threshold));
    dt += dp * p;
  }
  dt = glWgSum(tid, dt);
  if (valid) {
    for (var c = tid; c < cols; c += ${lanes}) {
      let p = exp(scores[o + c] * uniforms.scale + bias[bo + c] - mx) / sum;
      let dp = select(0.0, dy[o + c] * uniforms.keepScale, glKeeps(u32(o + c), uniforms.seedMix, uniforms.threshold));
      result[o + c] = uniforms.scale * p * (dp - dt);
    }
  }
}`;
  return new Program(`glAttnSoftmaxGrad${lanes}`, ['dy', 'scores', 'bias'], shape, grid.wg, grid.workgroups, code, ATTN_UNIFORMS);
}

/** The row's max and Σexp of the logits, and its label clamped into range (labels of weight-0 rows may be anything). */
const mlmRowStats = (lanes: number) => /* wgsl */ `
  ${rowHeader(lanes)}
  let r = min(row, rows - 1);
  let lab = clamp(labels[r], 0, cols - 1);
  var mx = -3.402823e+38;
  for (var c = tid; c < cols; c += ${lanes}) { mx = max(mx, logits[o + c]); }
  mx = glWgMax(tid, mx);
  var se = 0.0;
  for (var c = tid; c < cols; c += ${lanes}) { se += exp(logits[o + c] - mx); }
  let sum = glWgSum(tid, se);
`;

/** Pass 1 of the MLM loss: w_i·(logsumexp(row_i) − row_i[label_i]) per row, into [M]. */
export function mlmRowLossProgram(rows: number, lanes: number): Program {
  const grid = rowGrid(rows, lanes);
  const code = /* wgsl */ `
${reduceWgsl(lanes, 'i32')}
fn main(index : i32) {
  ${mlmRowStats(lanes)}
  if (valid && tid == 0) {
    let w = weights[r];
    result[r] = select(0.0, w * (log(sum) + mx - logits[o + lab]), w != 0.0);
  }
}`;
  return new Program(`glMlmRowLoss${lanes}`, ['logits', 'labels', 'weights'], [rows], grid.wg, grid.workgroups, code, 'rows : i32, cols : i32,');
}

const SUM_WG = 256;

/** Pass 2 of the MLM loss, one workgroup (one invocation on software adapters): Σ rowLoss / Σ weights (1 when the weights sum to 0). */
export function mlmTotalProgram(software: boolean): Program {
  const lanes = software ? 1 : SUM_WG;
  const code = /* wgsl */ `
${reduceWgsl(lanes, 'i32')}
fn main(index : i32) {
  let tid = index;
  var l = 0.0;
  var w = 0.0;
  for (var i = tid; i < uniforms.rows; i += ${lanes}) { l += rowLoss[i]; w += weights[i]; }
  let total = glWgSum(tid, l);
  let wsum = glWgSum(tid, w);
  if (tid == 0) { result[0] = total / select(1.0, wsum, wsum > 0.0); }
}`;
  return new Program(`glMlmTotal${lanes}`, ['rowLoss', 'weights'], [], lanes, 1, code, 'rows : i32,');
}

/** dlogits = dy·w_i/Σw·(softmax(row_i) − onehot(label_i)); every workgroup sums the weights itself. */
export function mlmLossGradProgram(shape: number[], rows: number, lanes: number): Program {
  const grid = rowGrid(rows, lanes);
  const code = /* wgsl */ `
${reduceWgsl(lanes, 'i32')}
fn main(index : i32) {
  ${mlmRowStats(lanes)}
  var ws = 0.0;
  for (var i = tid; i < rows; i += ${lanes}) { ws += weights[i]; }
  ws = glWgSum(tid, ws);
  let c0 = dy[0] * weights[r] / select(1.0, ws, ws > 0.0);
  let sc = c0 / sum;
  if (valid) {
    for (var c = tid; c < cols; c += ${lanes}) {
      let g = exp(logits[o + c] - mx) * sc - select(0.0, c0, c == lab);
      result[o + c] = select(g, 0.0, c0 == 0.0);
    }
  }
}`;
  return new Program(`glMlmLossGrad${lanes}`, ['dy', 'logits', 'labels', 'weights'], shape, grid.wg, grid.workgroups, code, 'rows : i32, cols : i32,');
}
