/*
 * WGSL snippets shared by the fused WebGPU kernels: the dropout hash of spec.ts in u32 arithmetic,
 * the Abramowitz–Stegun erf, and workgroup tree reductions. Names avoid those of tfjs-webgpu's
 * shader prelude (getX, setOutput…, isnan, isinf, localId, workgroupId, …).
 */

/** spec.ts mix32/keeps: u32 multiplication wraps, as Math.imul(…) >>> 0 does. */
export const HASH_WGSL = /* wgsl */ `
fn glMix32(v : u32) -> u32 {
  var x = v;
  x = x ^ (x >> 16u);
  x = x * 0x7feb352du;
  x = x ^ (x >> 15u);
  x = x * 0x846ca68bu;
  return x ^ (x >> 16u);
}
// seedMix = mix32(seed) computed on the host; i + seedMix wraps modulo 2^32 like (i + s) >>> 0.
fn glKeeps(i : u32, seedMix : u32, threshold : u32) -> bool {
  return (glMix32(i + seedMix) >> 8u) >= threshold;
}
`;

/** spec.ts erfJs, same operation order. */
export const ERF_WGSL = /* wgsl */ `
fn glErf(x : f32) -> f32 {
  let s = sign(x);
  let a = abs(x);
  let t = 1.0 / (1.0 + 0.3275911 * a);
  let poly = (((1.061405429 * t + -1.453152027) * t + 1.421413741) * t + -0.284496736) * t + 0.254829592;
  return s * (1.0 - (poly * t) * exp(-a * a));
}
`;

/**
 * Sum and max over a workgroup of `wg` invocations (a power of two), through one shared array.
 * Every invocation must call them in uniform control flow; each returns the same value to all.
 */
export function reduceWgsl(wg: number, tidType: 'i32' | 'u32'): string {
  // One invocation per row (software adapters): its own value is the row's; no shared memory, no barrier.
  if (wg === 1) {
    return /* wgsl */ `
fn glWgSum(t : ${tidType}, v : f32) -> f32 { return v; }
fn glWgMax(t : ${tidType}, v : f32) -> f32 { return v; }
`;
  }
  const zero = tidType === 'i32' ? '0' : '0u';
  const half = `${wg / 2}${tidType === 'u32' ? 'u' : ''}`;
  return /* wgsl */ `
var<workgroup> glRed : array<f32, ${wg}>;
fn glWgSum(t : ${tidType}, v : f32) -> f32 {
  glRed[t] = v;
  workgroupBarrier();
  for (var s : ${tidType} = ${half}; s > ${zero}; s = s >> 1u) {
    if (t < s) { glRed[t] = glRed[t] + glRed[t + s]; }
    workgroupBarrier();
  }
  let r = glRed[0];
  workgroupBarrier();
  return r;
}
fn glWgMax(t : ${tidType}, v : f32) -> f32 {
  glRed[t] = v;
  workgroupBarrier();
  for (var s : ${tidType} = ${half}; s > ${zero}; s = s >> 1u) {
    if (t < s) { glRed[t] = max(glRed[t], glRed[t + s]); }
    workgroupBarrier();
  }
  let r = glRed[0];
  workgroupBarrier();
  return r;
}
`;
}

/**
 * Invocations per row in the row kernels: on hardware a workgroup per row, a power of two covering
 * short rows and 256 for long ones; on software adapters 1 (kernels-software.ts says why), packed
 * SOFTWARE_ROWS rows to a workgroup.
 */
export function rowLanes(cols: number, software: boolean): number {
  return software ? 1 : rowWorkgroup(cols);
}

export const SOFTWARE_ROWS = 64;

/** Workgroup size and count of a row kernel with `lanes` invocations per row. */
export function rowGrid(rows: number, lanes: number): { wg: number; workgroups: number } {
  return lanes === 1 ? { wg: SOFTWARE_ROWS, workgroups: Math.ceil(rows / SOFTWARE_ROWS) } : { wg: lanes, workgroups: rows };
}

function rowWorkgroup(cols: number): number {
  return cols <= 32 ? 32 : cols <= 64 ? 64 : cols <= 128 ? 128 : 256;
}
