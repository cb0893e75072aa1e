import { Program, type ProgramLike } from './programs.ts';

/*
 * tfjs-webgpu programs without workgroup memory or barriers, for software adapters. SwiftShader runs
 * a workgroup's invocations a few SIMD lanes at a time on a CPU thread; every workgroupBarrier makes
 * it stop all of them and switch, so tfjs's tiled programs (32×32 shared tiles for matmul, 16×16 for
 * the 2-D transpose, tree reductions) cost far more there than the arithmetic they save. Here each
 * invocation computes its outputs alone from global memory, which is what a CPU does well. On a
 * hardware GPU these are slower than tfjs's (no reuse through shared memory), hence only software.
 */

const WG = 64;

// tfjs names a program's pipeline and profile entries after its class: one class per program.
class BarrierFreeMatMul extends Program {}
class BarrierFreeTranspose extends Program {}
class BarrierFreeSum extends Program {}

/** Rows × columns of the output block one matmul invocation keeps in registers. */
const TILE = 4;

const threads = (n: number) => Math.max(1, Math.ceil(n / WG));

/**
 * out[b] = A[b]·B[b] (+ bias), A [batchA, M, K] or [batchA, K, M] with transposeA, B likewise;
 * a batch of 1 on either side is broadcast. Uniforms: batch, m, n, k, batchA, batchB.
 * Each invocation computes a 4×4 output block with the k loop in order, as the cpu backend sums.
 */
export function matmulProgram(outShape: number[], batch: number, m: number, n: number, transposeA: boolean, transposeB: boolean, bias: boolean): ProgramLike {
  const aIdx = (row: string, k: string) => (transposeA ? `aOff + ${k} * M + ${row}` : `aOff + ${row} * K + ${k}`);
  const bIdx = (k: string, col: string) => (transposeB ? `bOff + ${col} * K + ${k}` : `bOff + ${k} * N + ${col}`);
  const rows = [0, 1, 2, 3];
  const code = /* wgsl */ `
fn main(index : i32) {
  let M = uniforms.m;
  let N = uniforms.n;
  let K = uniforms.k;
  let tilesN = (N + ${TILE - 1}) / ${TILE};
  let tiles = ((M + ${TILE - 1}) / ${TILE}) * tilesN;
  let b = index / tiles;
  if (b >= uniforms.batch) { return; }
  let t = index % tiles;
  let row0 = (t / tilesN) * ${TILE};
  let col0 = (t % tilesN) * ${TILE};
  let aOff = select(b, 0, uniforms.batchA == 1) * M * K;
  let bOff = select(b, 0, uniforms.batchB == 1) * K * N;
  // Reads past the edge are clamped onto the last row/column; their results are not written.
${rows.map((i) => `  let r${i} = min(row0 + ${i}, M - 1);\n  let c${i} = min(col0 + ${i}, N - 1);`).join('\n')}
${rows.map((i) => `  var acc${i} = vec4<f32>(0.0);`).join('\n')}
  for (var k = 0; k < K; k++) {
    let bv = vec4<f32>(${rows.map((j) => `B[${bIdx('k', `c${j}`)}]`).join(', ')});
${rows.map((i) => `    acc${i} += A[${aIdx(`r${i}`, 'k')}] * bv;`).join('\n')}
  }
${bias ? `  let bv = vec4<f32>(${rows.map((j) => `bias[c${j}]`).join(', ')});\n${rows.map((i) => `  acc${i} += bv;`).join('\n')}` : ''}
  let o = b * M * N;
${rows.map((i) => `  if (row0 + ${i} < M) {\n${rows.map((j) => `    if (col0 + ${j} < N) { result[o + (row0 + ${i}) * N + col0 + ${j}] = acc${i}[${j}]; }`).join('\n')}\n  }`).join('\n')}
}`;
  const key = `glBfMatMul${transposeA ? 'T' : 'N'}${transposeB ? 'T' : 'N'}${bias ? 'Bias' : ''}`;
  const names = bias ? ['A', 'B', 'bias'] : ['A', 'B'];
  const work = batch * Math.ceil(m / TILE) * Math.ceil(n / TILE);
  return new BarrierFreeMatMul(key, names, outShape, WG, threads(work), code,
    'batch : i32, m : i32, n : i32, k : i32, batchA : i32, batchB : i32,');
}

/** [rows, cols] → [cols, rows], one element per invocation (any 32-bit dtype). Uniforms: rows, cols. */
export function transpose2dProgram(rows: number, cols: number): ProgramLike {
  const code = /* wgsl */ `
fn main(index : i32) {
  if (index < uniforms.size) {
    let c = index / uniforms.rows;
    let r = index % uniforms.rows;
    result[index] = x[r * uniforms.cols + c];
  }
}`;
  return new BarrierFreeTranspose('glBfTranspose2d', ['x'], [cols, rows], WG, threads(rows * cols), code, 'rows : i32, cols : i32,', true);
}

/**
 * Sum of x seen as [outer, reduce, inner] over its middle axis: one output per invocation, added
 * in order along the reduced axis (as the cpu backend does). Uniforms: reduce, inner.
 */
export function sumMiddleProgram(outShape: number[], outSize: number): ProgramLike {
  const code = /* wgsl */ `
fn main(index : i32) {
  if (index < uniforms.size) {
    let inner = uniforms.inner;
    var p = (index / inner) * uniforms.reduce * inner + index % inner;
    var s = 0.0;
    for (var r = 0; r < uniforms.reduce; r++) {
      s += x[p];
      p += inner;
    }
    result[index] = s;
  }
}`;
  return new BarrierFreeSum('glBfSum', ['x'], outShape, WG, threads(outSize), code, 'reduce : i32, inner : i32,', true);
}
